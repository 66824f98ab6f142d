"""A Zeven ballot that scores a measure twice on the same effect is refused, on every channel.

Before, the last score silently won. Now the phone, the API and a paper ballot (form and API)
get a 422 that names the field repeating the score, and nothing is stored.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import RoundKind
from app.main import app
from tests.routes.meeting_night import (
    alert,
    ballots_in,
    card,
    form_key,
    log_in,
    night,
    resident,
)


def _open(client: TestClient, round_id: int) -> None:
    assert (
        client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).status_code == 303
    )


def test_the_phone_refuses_a_measure_scored_twice_on_an_effect(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.ZEVEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    measure = n.measure("wip")
    [effect] = measure.effect_ids
    field = f"score-{measure.id}-{effect}"
    data = [
        ("idempotency_key", form_key(phone.get(f"/m/{n.meeting_id}").text)),
        (field, "3"),
        (field, "0"),
    ]
    refused = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot",
        content="&".join(f"{k}={v}" for k, v in data),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422
    assert field in alert(refused.text)
    assert ballots_in(session, round_id) == 0


def test_the_api_refuses_a_repeated_measure_and_effect_naming_the_field(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.ZEVEN)
    _open(client, round_id)
    api = TestClient(app, base_url="http://testserver")
    assert api.post("/api/join", json={"code": card(session, korrewegwijk).code}).status_code == 200
    measure = n.measure("wip")
    [effect] = measure.effect_ids
    refused = api.post(
        f"/api/rounds/{round_id}/ballot",
        json={
            "idempotency_key": "k1",
            "scores": [
                {"measure_id": measure.id, "effect_id": effect, "score": 3},
                {"measure_id": measure.id, "effect_id": effect, "score": 1},
            ],
        },
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "invalid_input"
    assert body["detail"].startswith("scores[1]:")
    assert "scores[0]" in body["detail"]
    assert ballots_in(session, round_id) == 0


def test_a_paper_ballot_with_a_repeated_score_is_refused_by_form_and_api(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.ZEVEN)
    _open(client, round_id)
    measure = n.measure("wip")
    [effect] = measure.effect_ids
    field = f"score-{measure.id}-{effect}"
    form = client.get(f"/console/rounds/{round_id}/paper")
    data = [
        ("idempotency_key", form_key(form.text)),
        ("code", card(session, korrewegwijk).code),
        (field, "2"),
        (field, "3"),
    ]
    refused = client.post(
        f"/console/rounds/{round_id}/paper",
        content="&".join(f"{k}={v}" for k, v in data),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422
    assert field in alert(refused.text)

    api = TestClient(app, base_url="http://testserver")
    log_in(api, n.facilitator.email)
    by_api = api.post(
        f"/api/rounds/{round_id}/paper-ballots",
        json={
            "code": card(session, korrewegwijk).code,
            "idempotency_key": "p1",
            "scores": [
                {"measure_id": measure.id, "effect_id": effect, "score": 2},
                {"measure_id": measure.id, "effect_id": effect, "score": 2},
            ],
        },
    )
    assert by_api.status_code == 422
    assert by_api.json()["detail"].startswith("scores[1]:")
    assert ballots_in(session, round_id) == 0
