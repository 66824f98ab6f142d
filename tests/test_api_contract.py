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
from sqlmodel import Session

from app.domain.vocabulary import Role, RoundKind
from app.main import app
from app.services import users as users_service
from tests.routes.meeting_night import card, night

SCHEMA = schemathesis.openapi.from_asgi("/api/openapi.json", app)
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
        assert not DUTCH.search(body["detail"]), body["detail"]
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
