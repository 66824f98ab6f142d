"""The JSON API of a meeting night: join, ballot, submit, round state, outcome, and facilitators."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import RoundKind
from app.main import app
from app.routes import api_meeting
from app.routes.meeting_deps import PARTICIPANT_COOKIE
from tests.conftest import REPO
from tests.routes.meeting_night import ballots_in, card, facilitator, log_in, night


def _phone() -> TestClient:
    return TestClient(app, base_url="http://testserver")


def test_join_then_ballot_then_submit_then_outcome(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    phone = _phone()
    issued = card(session, korrewegwijk)
    assert phone.post("/api/join", json={}).status_code == 422
    joined = phone.post("/api/join", json={"code": issued.code.lower().replace("-", " ")})
    assert joined.status_code == 200
    assert "httponly" in joined.headers["set-cookie"].lower()
    assert PARTICIPANT_COOKIE in joined.headers["set-cookie"]
    body = joined.json()
    assert body["meeting"]["id"] == n.meeting_id
    assert [r["kind"] for r in body["meeting"]["rounds"]] == ["wegen", "zeven", "kiezen"]
    assert body["meeting"]["join_url"].endswith(f"/m/{n.meeting_id}")

    state = phone.get(f"/api/rounds/{round_id}").json()
    assert (state["state"], state["turnout"]["ballots"]) == ("draft", 0)
    form = phone.get(f"/api/rounds/{round_id}/ballot").json()
    assert [e["title"] for e in form["effects"] if e["parent_id"] is None] == [
        "Veiligheid",
        "Leefomgeving",
        "Jongeren",
    ]
    assert form["budget"] == 1_000_000
    assert form["your_ballot"] is None
    points = {str(e): 0 for e in n.effect_ids()}
    points[str(n.effect_ids()[0])] = 70
    points[str(n.effect_ids()[2])] = 30
    ballot = {"idempotency_key": form["idempotency_key"], "points": points}
    not_open = phone.post(f"/api/rounds/{round_id}/ballot", json=ballot)
    assert (not_open.status_code, not_open.json()["code"]) == (409, "round_not_open")

    assert client.post(f"/api/rounds/{round_id}/open").json()["state"] == "open"
    wrong = phone.post(
        f"/api/rounds/{round_id}/ballot",
        json={"idempotency_key": "x", "points": {str(n.effect_ids()[0]): 90}},
    )
    assert wrong.status_code == 422
    assert wrong.json() == {
        "detail": "Your points add up to 90, not 100: you still have 10 points to give.",
        "code": "points_not_100",
    }
    counted = phone.post(f"/api/rounds/{round_id}/ballot", json=ballot)
    assert counted.status_code == 200
    receipt = counted.json()
    assert receipt["counted"] is True
    assert (receipt["repeated"], receipt["replaced"], receipt["channel"]) == (False, False, "phone")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", receipt["receipt"])
    retry = phone.post(f"/api/rounds/{round_id}/ballot", json=ballot).json()
    assert retry["repeated"] is True
    assert retry["receipt"] == receipt["receipt"]
    assert ballots_in(session, round_id) == 1

    hidden = phone.get(f"/api/rounds/{round_id}/outcome")
    assert (hidden.status_code, hidden.json()["code"]) == (403, "results_hidden")
    provisional = client.get(f"/api/rounds/{round_id}/outcome").json()
    assert provisional["final"] is False

    closed = client.post(f"/api/rounds/{round_id}/close").json()
    assert (closed["state"], closed["turnout"]["ballots"]) == ("closed", 1)
    late = _phone()
    late.post("/api/join", json={"token": card(session, korrewegwijk).token})
    refused = late.post(
        f"/api/rounds/{round_id}/ballot", json={**ballot, "idempotency_key": "late"}
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "This round is closed. Your ballot arrived too late and does not count.",
        "code": "round_closed",
    }
    assert ballots_in(session, round_id) == 1
    outcome = phone.get(f"/api/rounds/{round_id}/outcome").json()
    assert outcome["final"] is True
    assert {w["title"]: w["percent"] for w in outcome["weights"]} == {
        "Veiligheid": 70.0,
        "Jongeren": 30.0,
        "Leefomgeving": 0.0,
    }
    mine = phone.get(f"/api/rounds/{round_id}/ballot").json()["your_ballot"]
    assert mine["receipt"] == receipt["receipt"]


def test_submitting_needs_a_join_first(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    response = _phone().post(
        f"/api/rounds/{n.round_id(RoundKind.KIEZEN)}/ballot",
        json={"idempotency_key": "k", "measure_ids": []},
    )
    assert (response.status_code, response.json()["code"]) == (401, "not_joined")


def test_kiezen_over_budget_is_refused_by_the_api_naming_the_amounts(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    client.post(f"/api/rounds/{round_id}/open")
    phone = _phone()
    phone.post("/api/join", json={"code": card(session, korrewegwijk).code})
    over = phone.post(
        f"/api/rounds/{round_id}/ballot",
        json={
            "idempotency_key": "k",
            "measure_ids": [
                n.measure("floreshuis").id,
                n.measure("herinrichting-straten").id,
            ],
        },
    )
    assert over.status_code == 422
    assert over.json()["code"] == "over_budget"
    detail = over.json()["detail"]
    assert "1.247.000" in detail
    assert "247.000 more than the budget" in detail
    assert "1.000.000" in detail


def test_facilitators_run_a_meeting_through_the_api(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    user = facilitator(session, korrewegwijk)
    api = _phone()
    assert (
        api.post(f"/api/processes/{korrewegwijk}/meetings", json={"title": "x"}).status_code == 401
    )
    log_in(api, user.email)
    created = api.post(
        f"/api/processes/{korrewegwijk}/meetings", json={"title": "Avond", "with_rounds": False}
    )
    assert created.status_code == 201
    meeting = created.json()
    assert meeting["rounds"] == []
    added = api.post(f"/api/meetings/{meeting['id']}/rounds", json={"kind": "wegen"}).json()
    again = api.post(f"/api/meetings/{meeting['id']}/rounds", json={"kind": "wegen"}).json()
    assert (added["run"], again["run"]) == (1, 2)
    bad = api.post(f"/api/meetings/{meeting['id']}/rounds", json={"kind": "stemmen"})
    assert bad.status_code == 422
    api.post(f"/api/rounds/{added['id']}/open")
    busy = api.post(f"/api/rounds/{again['id']}/open")
    assert (busy.status_code, busy.json()["code"]) == (409, "round_not_open")
    issued = card(session, korrewegwijk)
    effects = [e["id"] for e in api.get(f"/api/rounds/{added['id']}/ballot").json()["effects"]]
    paper = api.post(
        f"/api/rounds/{added['id']}/paper-ballots",
        json={
            "code": issued.code,
            "stakeholder_group": "werker",
            "idempotency_key": "p1",
            "points": {str(effects[0]): 100},
        },
    )
    assert paper.status_code == 200
    assert paper.json()["channel"] == "paper"
    state = api.get(f"/api/rounds/{added['id']}").json()
    assert state["turnout"] == {
        "ballots": 1,
        "phone": 0,
        "paper": 1,
        "without_code": 0,
        "by_group": {},
        "small_groups": True,
        "joined": 1,
        "busy": 0,
        "late_paper": 0,
    }


def test_the_openapi_description_and_the_readme_list_every_path() -> None:
    spec = app.openapi()
    readme = (REPO / "README.md").read_text()
    table = readme.split("## JSON API", 1)[1].split("\n## ", 1)[0]
    for route in api_meeting.router.routes:
        path, methods = route.path_format, route.methods  # type: ignore[attr-defined]
        assert path in spec["paths"], path
        for method in methods:
            operation = spec["paths"][path][method.lower()]
            assert operation["summary"], path
            schema = operation["responses"][str(route.status_code or 200)]["content"]  # type: ignore[attr-defined]
            assert "$ref" in schema["application/json"]["schema"], path
            readme_path = re.sub(r"\{(\w+?)_id\}", "{id}", path)
            assert f"`{method} {readme_path}`" in table, f"{method} {path} is not in the README"
