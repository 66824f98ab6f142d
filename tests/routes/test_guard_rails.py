"""The facilitator cannot slip: close asks first (and says who is still busy), a round closed by
mistake can be reopened, a rerun comes right after its round with everyone's answers filled in,
paper ballots ask before replacing a phone vote, tell the phone, and can be undone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.models import AuditEvent, Ballot, BallotLine, PaperEntry, Round
from app.services import ballots as ballots_service
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from tests.routes.meeting_night import (
    Night,
    ballots_in,
    card,
    form_key,
    night,
    resident,
    soup,
)

CONFIRM = {"confirm": "1"}


def _open(client: TestClient, n: Night, kind: RoundKind) -> int:
    round_id = n.round_id(kind)
    assert client.post(f"/console/rounds/{round_id}/open").status_code == 200
    return round_id


def _weigh(phone: TestClient, n: Night, round_id: int, first: int) -> None:
    page = phone.get(f"/m/{n.meeting_id}/rounds/{round_id}/ballot")
    effects = n.effect_ids()
    points = {f"points-{e}": "0" for e in effects}
    points[f"points-{effects[0]}"] = str(first)
    points[f"points-{effects[1]}"] = str(100 - first)
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot",
        data={"idempotency_key": form_key(page.text), **points},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _actions(html: str, round_id: int) -> tuple[list[str], list[str]]:
    row = soup(html).select_one(f"#round-{round_id}")
    assert row is not None
    everyday = row.select_one("td.actions")
    danger = row.select_one("td.danger-zone")
    assert everyday is not None
    assert danger is not None
    return (
        [a.get_text(strip=True) for a in everyday.select("a, button")],
        [a.get_text(strip=True) for a in danger.select("a, button")],
    )


def test_closing_asks_first_and_says_how_many_phones_are_still_busy(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    voter, busy, also_busy = (resident(session, korrewegwijk) for _ in range(3))
    _weigh(voter, n, round_id, 60)
    for phone in (busy, also_busy):
        assert "points-" in phone.get(f"/m/{n.meeting_id}").text  # the ballot is open
    turnout = rounds_service.turnout(session, round_id=round_id)
    assert (turnout.joined, turnout.busy, turnout.ballots) == (3, 2, 1)
    console = client.get(f"/console/meetings/{n.meeting_id}").text
    everyday, danger = _actions(console, round_id)
    assert "Papieren stembiljet" in everyday
    assert all("Sluit" not in label for label in everyday)  # not beside the everyday buttons
    assert len(danger) == 1
    assert soup(console).select_one(f"#round-{round_id} .busy") is not None
    # The close button leads to a question, with the number of busy phones.
    ask = soup(client.get(f"/console/rounds/{round_id}/close").text)
    assert "2" in ask.select_one(".confirm-warning").get_text()  # type: ignore[union-attr]
    assert ask.select_one("form[action$='/close'] input[name=confirm][value='1']") is not None
    # A post without the confirmation (a slip, an old form) closes nothing.
    unconfirmed = client.post(f"/console/rounds/{round_id}/close")
    assert unconfirmed.status_code == 200
    assert session.get(Round, round_id).state == RoundState.OPEN  # type: ignore[union-attr]
    closed = client.post(f"/console/rounds/{round_id}/close", data=CONFIRM, follow_redirects=False)
    assert closed.status_code == 303
    session.expire_all()
    assert session.get(Round, round_id).state == RoundState.CLOSED  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "round.closed")).one()
    assert event.detail["still_busy"] == 2


def test_a_round_closed_by_mistake_is_reopened_with_its_ballots(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    phone = resident(session, korrewegwijk)
    _weigh(phone, n, round_id, 70)
    client.post(f"/console/rounds/{round_id}/close", data=CONFIRM)
    assert "Heropen" in "".join(
        _actions(client.get(f"/console/meetings/{n.meeting_id}").text, round_id)[1]
    )
    ask = client.post(f"/console/rounds/{round_id}/reopen")  # without the confirmation: a question
    assert ask.status_code == 200
    reopened = client.post(
        f"/console/rounds/{round_id}/reopen", data=CONFIRM, follow_redirects=False
    )
    assert reopened.status_code == 303
    session.expire_all()
    round_ = session.get(Round, round_id)
    assert round_ is not None
    assert (round_.state, round_.closed_at) == (RoundState.OPEN, None)
    assert round_.reopened_at is not None
    assert ballots_in(session, round_id) == 1
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "round.reopened")).one()
    screen = soup(client.get(f"/console/meetings/{n.meeting_id}/screen").text)
    assert screen.select_one(".screen-reopened") is not None
    # The phone can change its vote again.
    _weigh(phone, n, round_id, 40)
    assert ballots_in(session, round_id) == 1


def test_reopening_is_refused_after_ten_minutes_or_once_a_later_round_opened(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    wegen = _open(client, n, RoundKind.WEGEN)
    client.post(f"/console/rounds/{wegen}/close", data=CONFIRM)
    zeven = _open(client, n, RoundKind.ZEVEN)
    refused = client.post(f"/api/rounds/{wegen}/reopen")
    assert (refused.status_code, refused.json()["code"]) == (409, "cannot_reopen")
    client.post(f"/console/rounds/{zeven}/close", data=CONFIRM)
    # Ten minutes later, the last round too stays closed.
    round_ = session.get(Round, zeven)
    assert round_ is not None
    assert round_.closed_at is not None
    round_.closed_at = round_.closed_at - timedelta(minutes=11)
    session.flush()
    page = client.post(f"/console/rounds/{zeven}/reopen", data=CONFIRM)
    assert page.status_code == 409
    assert "10" in soup(page.text).select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    session.expire_all()
    assert session.get(Round, zeven).state == RoundState.CLOSED  # type: ignore[union-attr]


def test_run_again_asks_first_and_comes_right_after_its_round(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    wegen = _open(client, n, RoundKind.WEGEN)
    client.post(f"/console/rounds/{wegen}/close", data=CONFIRM)
    zeven = _open(client, n, RoundKind.ZEVEN)
    client.post(f"/console/rounds/{zeven}/close", data=CONFIRM)
    assert client.post(f"/console/rounds/{zeven}/again").status_code == 200  # a question
    assert len(meetings_service.rounds_of(session, meeting_id=n.meeting_id)) == 3
    client.post(f"/console/rounds/{zeven}/again", data=CONFIRM)
    rounds = meetings_service.rounds_of(session, meeting_id=n.meeting_id)
    assert [(r.kind, r.run) for r in rounds] == [
        (RoundKind.WEGEN, 1),
        (RoundKind.ZEVEN, 1),
        (RoundKind.ZEVEN, 2),
        (RoundKind.KIEZEN, 1),
    ]
    assert rounds[2].repeats_round_id == zeven
    # A phone waiting for "the next round" is told it is the rerun, not Kiezen.
    view = meetings_service.resident_view(session, meeting_id=n.meeting_id)
    assert view.next_round is not None
    assert view.next_round.id == rounds[2].id


@pytest.mark.parametrize("kind", [RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN])
def test_a_rerun_starts_with_each_residents_answers_of_the_round_it_repeats(
    client: TestClient, session: Session, korrewegwijk: int, kind: RoundKind
) -> None:
    n = night(session, korrewegwijk, client)
    first = _open(client, n, kind)
    phone = resident(session, korrewegwijk)
    effects = n.effect_ids()
    measure = n.measure("buurtbemiddeling")
    given = {
        RoundKind.WEGEN: ballots_service.BallotInput(
            points={effects[0]: 50, effects[1]: 30, effects[2]: 20}
        ),
        RoundKind.ZEVEN: ballots_service.BallotInput(
            scores={(measure.id, e): 2 for e in measure.effect_ids}
        ),
        RoundKind.KIEZEN: ballots_service.BallotInput(measure_ids=[measure.id]),
    }[kind]
    from app.models import Participant

    me = session.exec(select(Participant).order_by(col(Participant.id).desc())).first()
    assert me is not None
    ballots_service.submit(
        session, round_id=first, participant=me, given=given, idempotency_key=f"k-{kind}"
    )
    client.post(f"/console/rounds/{first}/close", data=CONFIRM)
    client.post(f"/console/rounds/{first}/again", data=CONFIRM)
    rerun = meetings_service.rounds_of(session, meeting_id=n.meeting_id)[
        [r.id for r in meetings_service.rounds_of(session, meeting_id=n.meeting_id)].index(first)
        + 1
    ]
    assert rerun.repeats_round_id == first
    client.post(f"/console/rounds/{rerun.id}/open")
    start = ballots_service.starting_values(session, round_=rerun, participant_id=me.id or 0)
    assert start.from_round is not None
    assert start.from_round.id == first
    assert start.current is None
    # The same answers (a Zeven ballot read back also marks its unrated measures as skipped).
    assert replace(start.given, unrated_are_skipped=False) == given
    # Someone who did not vote the first time starts empty.
    stranger = resident(session, korrewegwijk)
    other = session.exec(select(Participant).order_by(col(Participant.id).desc())).first()
    assert other is not None
    assert (
        ballots_service.starting_values(session, round_=rerun, participant_id=other.id or 0).given
        == ballots_service.BallotInput()
    )
    # The phone's form shows the earlier answers, and says where they come from.
    page = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert page.select_one("p.notice[role=status]") is not None
    if kind == RoundKind.KIEZEN:
        box = page.select_one(f"input[name=measure][value='{measure.id}']")
        assert box is not None
        assert box.has_attr("checked")
    elif kind == RoundKind.WEGEN:
        field = page.select_one(f"input[name=points-{effects[0]}]")
        assert field is not None
        assert field["value"] == "50"
    assert stranger.get(f"/m/{n.meeting_id}").status_code == 200
    # Through the API too.
    form = phone.get(f"/api/rounds/{rerun.id}/ballot").json()
    assert form["prefilled_from_round_id"] == first
    assert form["your_ballot"] is None
    assert len(form["starting_lines"]) == max(1, len(given.points) + len(given.scores))


# --- paper ballots ----------------------------------------------------------------------------


def _paper(
    client: TestClient, round_id: int, code: str, effects: list[int], first: int, **extra: str
) -> object:
    page = client.get(f"/console/rounds/{round_id}/paper").text
    points = {f"points-{e}": "0" for e in effects}
    points[f"points-{effects[0]}"] = str(first)
    points[f"points-{effects[1]}"] = str(100 - first)
    return client.post(
        f"/console/rounds/{round_id}/paper",
        data={"idempotency_key": form_key(page), "code": code, **points, **extra},
        follow_redirects=False,
    )


def _lines(session: Session, round_id: int) -> list[int]:
    ballot = session.exec(select(Ballot).where(Ballot.round_id == round_id)).one()
    return sorted(
        ln.value for ln in session.exec(select(BallotLine).where(BallotLine.ballot_id == ballot.id))
    )


def test_a_paper_ballot_for_a_card_that_voted_by_phone_asks_tells_the_phone_and_can_be_undone(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    issued = card(session, korrewegwijk, StakeholderGroup.STUDENT)
    phone = TestClient(client.app, base_url="http://testserver")
    phone.post("/join", data={"code": issued.code})
    _weigh(phone, n, round_id, 90)
    # The form shows the card's number, group and that it voted by phone.
    looked = soup(
        client.post(f"/console/rounds/{round_id}/paper/preview", data={"code": issued.code}).text
    )
    info = looked.select_one("#card-info").get_text()  # type: ignore[union-attr]
    assert str(issued.id) in info
    assert "student" in info
    assert looked.select_one("#card-info .confirm-warning") is not None
    # Without confirming, nothing is replaced.
    asked = _paper(client, round_id, issued.code, n.effect_ids(), 20)
    assert asked.status_code == 409  # type: ignore[attr-defined]
    assert soup(asked.text).select_one("input[name=replace]") is not None  # type: ignore[attr-defined]
    assert _lines(session, round_id) == [10, 90]
    replaced = _paper(client, round_id, issued.code, n.effect_ids(), 20, replace="1")
    assert replaced.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert _lines(session, round_id) == [20, 80]
    # The phone says its vote was replaced at the table, with the time.
    told = soup(phone.get(f"/m/{n.meeting_id}").text)
    notice = [p.get_text() for p in told.select("p.notice")]
    assert any("papier" in text.lower() for text in notice), notice
    # Undo brings the phone's vote back.
    page = soup(client.get(f"/console/rounds/{round_id}/paper").text)
    assert page.select_one("form[action$='/paper/undo']") is not None
    undone = client.post(f"/console/rounds/{round_id}/paper/undo", follow_redirects=False)
    assert undone.status_code == 303
    session.expire_all()
    assert _lines(session, round_id) == [10, 90]
    ballot = session.exec(select(Ballot).where(Ballot.round_id == round_id)).one()
    assert ballot.channel == BallotChannel.PHONE
    assert not any(
        "papier" in p.get_text().lower()
        for p in soup(phone.get(f"/m/{n.meeting_id}").text).select("p.notice")
    )
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "ballot.paper_entered" in actions
    assert "ballot.paper_undone" in actions
    # Nothing left to undo.
    again = client.post(f"/api/rounds/{round_id}/paper-ballots/undo")
    assert (again.status_code, again.json()["code"]) == (409, "cannot_undo")


def test_undoing_a_paper_ballot_without_an_earlier_vote_removes_it_and_only_for_minutes(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    issued = card(session, korrewegwijk)
    assert _paper(client, round_id, issued.code, n.effect_ids(), 50).status_code == 303  # type: ignore[attr-defined]
    assert ballots_in(session, round_id) == 1
    assert client.post(f"/api/rounds/{round_id}/paper-ballots/undo").status_code == 200
    assert ballots_in(session, round_id) == 0
    assert _paper(client, round_id, issued.code, n.effect_ids(), 50).status_code == 303  # type: ignore[attr-defined]
    entry = session.exec(select(PaperEntry).order_by(col(PaperEntry.id).desc())).first()
    assert entry is not None
    entry.entered_at = entry.entered_at - timedelta(minutes=6)
    ballot = session.get(Ballot, entry.ballot_id)
    assert ballot is not None
    ballot.submitted_at = entry.entered_at
    session.flush()
    late = client.post(f"/api/rounds/{round_id}/paper-ballots/undo")
    assert (late.status_code, late.json()["code"]) == (409, "cannot_undo")
    assert ballots_in(session, round_id) == 1


def test_late_paper_ballots_only_by_explicit_choice_and_shown_apart(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/close", data=CONFIRM)
    issued = card(session, korrewegwijk)
    page = soup(client.get(f"/console/rounds/{round_id}/paper").text)
    assert page.select_one("input[name=late]") is not None
    refused = _paper(client, round_id, issued.code, n.effect_ids(), 50)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert ballots_in(session, round_id) == 0
    counted = _paper(client, round_id, issued.code, n.effect_ids(), 50, late="1")
    assert counted.status_code == 303, soup(counted.text).select_one("[role=alert]")  # type: ignore[attr-defined]
    turnout = rounds_service.turnout(session, round_id=round_id)
    assert (turnout.ballots, turnout.paper, turnout.late_paper) == (1, 1, 1)
    console = soup(client.get(f"/console/meetings/{n.meeting_id}").text)
    assert "1" in console.select_one(f"#round-{round_id} .turnout").get_text()  # type: ignore[union-attr]
    # The API takes a late paper ballot only with "late": true.
    other = card(session, korrewegwijk)
    body = {
        "code": other.code,
        "idempotency_key": "late-1",
        "points": {str(n.effect_ids()[0]): 100},
    }
    api_refused = client.post(f"/api/rounds/{round_id}/paper-ballots", json=body)
    assert (api_refused.status_code, api_refused.json()["code"]) == (409, "round_closed")
    api_late = client.post(f"/api/rounds/{round_id}/paper-ballots", json={**body, "late": True})
    assert api_late.status_code == 200
    assert rounds_service.turnout(session, round_id=round_id).late_paper == 2


def test_a_paper_ballot_whose_group_contradicts_the_card_is_refused_naming_the_field(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    issued = card(session, korrewegwijk, StakeholderGroup.STUDENT)
    body = {
        "code": issued.code,
        "stakeholder_group": "ondernemer",
        "idempotency_key": "g-1",
        "points": {str(n.effect_ids()[0]): 100},
    }
    refused = client.post(f"/api/rounds/{round_id}/paper-ballots", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("stakeholder_group:")
    assert ballots_in(session, round_id) == 0
    form = _paper(client, round_id, issued.code, n.effect_ids(), 50, stakeholder_group="ondernemer")
    assert form.status_code == 422  # type: ignore[attr-defined]
    assert ballots_in(session, round_id) == 0
    same = client.post(
        f"/api/rounds/{round_id}/paper-ballots", json={**body, "stakeholder_group": "student"}
    )
    assert same.status_code == 200


def test_the_api_asks_before_a_paper_ballot_replaces_a_ballot(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = _open(client, n, RoundKind.WEGEN)
    issued = card(session, korrewegwijk)
    body = {"code": issued.code, "idempotency_key": "r-1", "points": {str(n.effect_ids()[0]): 100}}
    assert client.post(f"/api/rounds/{round_id}/paper-ballots", json=body).status_code == 200
    # The same request again is a retry: recognised, not a replacement.
    assert client.post(f"/api/rounds/{round_id}/paper-ballots", json=body).json()["repeated"]
    second = {**body, "idempotency_key": "r-2"}
    asked = client.post(f"/api/rounds/{round_id}/paper-ballots", json=second)
    assert (asked.status_code, asked.json()["code"]) == (409, "replaces_ballot")
    done = client.post(f"/api/rounds/{round_id}/paper-ballots", json={**second, "replace": True})
    assert done.json()["replaced"] is True
