"""The API answers as its OpenAPI document says: a meeting night's real answers, every error too.

Each answer below is validated against the operation it came from (status code documented, body
as its schema says), errors are all `{"detail", "code"}` in English, times carry their zone (also
on SQLite, which stores none), a 405 names in `Allow` every method the path has, and the
document has one error model and no FastAPI validation-error list left.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import schemathesis
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role, RoundKind
from app.main import app
from app.models import Effect, Indicator, Measure
from app.services import codes as codes_service
from app.services import users as users_service
from tests.factories import meeting_night
from tests.routes.meeting_night import card, night

# Building the document takes seconds on a loaded machine: more than schemathesis' 10 s default.
SCHEMA = schemathesis.openapi.from_asgi("/api/openapi.json", app, timeout=120)
ZONED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DUTCH = re.compile(r"\b(niet|een|het|bestaat|deze|pagina)\b", re.IGNORECASE)


def _operation(method: str, path: str) -> Any:
    for result in SCHEMA.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.method.lower() == method.lower() and operation.path == path:
            return operation
    raise AssertionError(f"{method} {path} is not in the document")


def _times(value: Any) -> list[str]:
    """Every text in an answer that is a date and time."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value) else []


def check(response: httpx.Response, method: str, path: str) -> Any:
    """Validate an answer against its operation; errors in English with a code."""
    operation = _operation(method, path)
    # validate_response checks the body of a documented status only: the status itself too.
    documented = operation.definition.raw["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {path}: {response.status_code} is not documented ({sorted(documented)})"
    )
    operation.validate_response(response)
    json_answer = response.headers.get("content-type", "").startswith("application/json")
    body: Any = response.json() if json_answer else None
    if response.status_code >= 400:
        assert set(body) >= {"detail", "code"}, body
        assert isinstance(body["detail"], str)
        # Quoted keys ('gaat-niet-door', a status's key) are data, not the message's language.
        assert not DUTCH.search(re.sub(r"'[^']*'", "", body["detail"])), body["detail"]
    for moment in _times(body):
        assert ZONED.match(moment), f"{method} {path}: {moment} has no zone"
    return body


def test_a_meeting_night_answers_as_documented(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    phone = TestClient(app, base_url="http://testserver")
    check(phone.post("/api/join", json={}), "post", "/api/join")
    check(
        phone.post("/api/join", json={"code": card(session, korrewegwijk).code}),
        "post",
        "/api/join",
    )
    opened = check(
        client.post(f"/api/rounds/{round_id}/open"), "post", "/api/rounds/{round_id}/open"
    )
    assert opened["opened_at"]
    form = check(
        phone.get(f"/api/rounds/{round_id}/ballot"), "get", "/api/rounds/{round_id}/ballot"
    )
    effects = [str(e["id"]) for e in form["effects"] if e["parent_id"] is None]
    ballot = {"idempotency_key": form["idempotency_key"], "points": {effects[0]: 100}}
    path = "/api/rounds/{round_id}/ballot"
    wrong = {**ballot, "points": {effects[0]: 90}}
    assert (
        check(phone.post(f"/api/rounds/{round_id}/ballot", json=wrong), "post", path)["code"]
        == "points_not_100"
    )
    receipt = check(phone.post(f"/api/rounds/{round_id}/ballot", json=ballot), "post", path)
    assert ZONED.match(receipt["submitted_at"])
    hidden = check(
        phone.get(f"/api/rounds/{round_id}/outcome"), "get", "/api/rounds/{round_id}/outcome"
    )
    assert hidden["code"] == "results_hidden"
    check(client.post(f"/api/rounds/{round_id}/close"), "post", "/api/rounds/{round_id}/close")
    late = check(
        phone.post(f"/api/rounds/{round_id}/ballot", json={**ballot, "idempotency_key": "new"}),
        "post",
        path,
    )
    assert late["code"] == "round_closed"
    check(phone.get(f"/api/rounds/{round_id}/outcome"), "get", "/api/rounds/{round_id}/outcome")
    check(
        client.post(f"/api/rounds/{round_id}/receipts/publish"),
        "post",
        "/api/rounds/{round_id}/receipts/publish",
    )
    check(phone.get(f"/api/rounds/{round_id}/receipts"), "get", "/api/rounds/{round_id}/receipts")
    meeting = check(phone.get(f"/api/meetings/{n.meeting_id}"), "get", "/api/meetings/{meeting_id}")
    assert all(r["closed_at"] is None or ZONED.match(r["closed_at"]) for r in meeting["rounds"])


def test_errors_are_documented_english_and_coded(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    anonymous = TestClient(app, base_url="http://testserver")
    # An id beyond any database's integer range is simply not there.
    for big in ("2147483648", "9223372036854775808", "99999999999999999999999"):
        answer = check(anonymous.get(f"/api/rounds/{big}"), "get", "/api/rounds/{round_id}")
        assert answer["code"] == "not_found"
    assert (
        check(anonymous.get("/api/processes/7/plan"), "get", "/api/processes/{process_id}/plan")[
            "code"
        ]
        == "login_required"
    )
    nul = check(
        anonymous.post("/api/login", json={"email": "a\x00@b.nl", "password": "x"}),
        "post",
        "/api/login",
    )
    assert nul == {
        "detail": "body.email: contains a control character (U+0000); remove it and send again.",
        "code": "invalid_input",
    }
    invalid = check(
        anonymous.post(
            "/api/join", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
        ),
        "post",
        "/api/join",
    )
    assert invalid["code"] == "invalid_input"
    missing = anonymous.get("/api/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no such address.", "code": "not_found"}


def test_a_405_names_every_method_of_the_path() -> None:
    anonymous = TestClient(app, base_url="http://testserver")
    answer = anonymous.put("/api/processes")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == "GET, POST"
    # A word where an id goes is no id: the path has POST only.
    answer = anonymous.patch("/api/processes/import")
    assert (answer.status_code, answer.headers["Allow"]) == (405, "POST")


def test_the_document_has_one_error_model_everywhere() -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if "422" not in responses:
                missing.append(f"{method} {path}: no 422")
            for status, response in responses.items():
                if status[0] in "45":
                    schema = response["content"]["application/json"]["schema"]
                    if schema != {"$ref": "#/components/schemas/ErrorPublic"}:
                        missing.append(f"{method} {path} {status}: {schema}")
    assert missing == []
    retry = document["paths"]["/api/login"]["post"]["responses"]["429"]["headers"]
    assert "Retry-After" in retry


def test_numbers_in_a_query_beyond_the_database_are_refused_or_match_nothing(
    client: TestClient, session: Session
) -> None:
    users_service.create_user(
        session, email="w@example.org", role=Role.WIJKTEAM, password="correct horse battery"
    )
    login = client.post(
        "/api/login", json={"email": "w@example.org", "password": "correct horse battery"}
    )
    assert login.status_code == 200
    huge = str(2**63)
    for query in (f"page={2**62}", f"process_id={huge}", f"process_id={huge}&format=csv"):
        answer = check(client.get(f"/api/audit?{query}"), "get", "/api/audit")
        assert answer["code"] == "invalid_input", query
    # The pages filter on a process no row has: nothing, not everything and not an error.
    page = client.get(f"/wijkteam/audit?process={huge}")
    assert page.status_code == 200
    csv_file = client.get(f"/wijkteam/audit.csv?process={huge}")
    assert csv_file.status_code == 200
    assert len(csv_file.text.strip().splitlines()) == 1  # the column names only


def test_the_life_after_the_vote_answers_as_documented(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    """The plan, its schedule, the follow-up and the offers of help: every operation's real
    answers (successes and refusals) validated against the document."""
    pid = korrewegwijk
    meeting_night(session, pid, participants=12)
    [card] = codes_service.issue_codes(session, process_id=pid, count=1)
    users_service.create_user(
        session, email="w@example.org", role=Role.WIJKTEAM, password="correct horse battery"
    )
    succeeded: set[str] = set()

    def call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
        url = path.replace("{process_id}", str(pid))
        for name, value in kwargs.pop("ids", {}).items():
            url = url.replace("{" + name + "}", str(value))
        response = client.request(method, url, **kwargs)
        body = check(response, method, path)
        if response.is_success:
            succeeded.add(f"{method.upper()} {path}")
        return body if body is not None else response

    base = "/api/processes/{process_id}"
    anonymous = TestClient(app, base_url="http://testserver")
    assert call(anonymous, "get", f"{base}/plan")["code"] == "login_required"
    login = {"email": "w@example.org", "password": "correct horse battery"}
    assert client.post("/api/login", json=login).status_code == 200
    plan = call(client, "get", f"{base}/plan", params={"rule": "equal_shares"})
    assert plan["measures"]
    assert call(client, "get", f"{base}/plan/adopted")["code"] == "not_found"
    assert "code" in call(client, "get", f"{base}/plan/schedule")  # no adopted plan yet
    adopted = call(client, "post", f"{base}/plan/adopt")
    assert call(client, "get", f"{base}/plan/adopted")["fingerprint"] == adopted["fingerprint"]
    schedule = call(client, "get", f"{base}/plan/schedule")
    key = next(m["key"] for m in adopted["measures"] if m["selected"])
    call(client, "put", f"{base}/plan/schedule", json={"carry_over": True})
    assert "code" in call(client, "put", f"{base}/plan/schedule", json={"money": [-1]})
    call(client, "post", f"{base}/plan/schedule/adopt")
    assert call(anonymous, "get", f"{base}/follow-up")["code"] == "not_found"  # not published
    assert schedule["years"] >= 1
    call(client, "patch", f"{base}/follow-up", json={"first_year": 2027, "published": True})
    call(client, "get", f"{base}/follow-up")
    call(anonymous, "get", f"{base}/follow-up")  # public once published
    measure = f"{base}/follow-up/measures/{{key}}"
    call(client, "put", measure, ids={"key": key}, json={"status": "bezig", "progress": 20})
    no_reason = {"status": "gaat-niet-door"}
    assert "code" in call(client, "put", measure, ids={"key": key}, json=no_reason)
    indicator = session.exec(
        select(Indicator.key)
        .join(Effect, col(Effect.id) == Indicator.effect_id)
        .where(Effect.process_id == pid)
    ).first()
    values = f"{base}/indicators/{{key}}/values/{{year}}"
    call(client, "put", values, ids={"key": indicator, "year": 2027}, json={"value": 12.5})
    wrong_value = {"value": "twelve"}
    assert "code" in call(
        client, "put", values, ids={"key": indicator, "year": 2027}, json=wrong_value
    )
    exported = call(client, "get", f"{base}/follow-up/file", params={"format": "csv"})
    upload = {"file": ("voortgang.csv", exported.content, "text/csv")}
    call(client, "put", f"{base}/follow-up/file", params={"dry_run": True}, files=upload)
    broken = {"file": ("voortgang.csv", b"soort;sleutel\r\nnonsense;x\r\n", "text/csv")}
    assert "code" in call(client, "put", f"{base}/follow-up/file", files=broken)
    # A resident offers help; the wijkteam lists the offers and deletes one.
    phone = TestClient(app, base_url="http://testserver")
    assert phone.post("/api/join", json={"code": card.code}).is_success
    measure_id = session.exec(
        select(Measure.id).where(Measure.process_id == pid, Measure.key == key)
    ).one()
    offer = {
        "measure_ids": [measure_id],
        "name": "Bewoner",
        "contact_kind": "email",
        "contact": "bewoner@example.org",
        "consent": True,
    }
    assert "code" in call(phone, "post", "/api/offers", json={**offer, "consent": False})
    made = call(phone, "post", "/api/offers", json=offer)
    listed = call(client, "get", f"{base}/offers")
    offer_id = made[0]["id"] if isinstance(made, list) else made["offers"][0]["id"]
    assert any(o["id"] == offer_id for m in listed for o in m["offers"])
    call(client, "delete", "/api/offers/{offer_id}", ids={"offer_id": offer_id})
    gone = call(client, "delete", "/api/offers/{offer_id}", ids={"offer_id": offer_id})
    assert gone["code"] == "not_found"
    after_the_vote = {
        f"{method.upper()} {operation.path}"
        for result in SCHEMA.get_all_operations()
        if (operation := result.ok()) is not None  # type: ignore[union-attr]
        for method in (operation.method,)
        if any(part in operation.path for part in ("/plan", "/follow-up", "/offers", "/indicators"))
    }
    assert after_the_vote - succeeded == set()
