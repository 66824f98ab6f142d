"""The state of a round's ballots (`sieves.versions`) changes with every change of its casts, and
a plan kept by it is never given for other ballots (issue 15: results the moment a round closes).

Each way a ballot can change is tried here (a phone ballot replaced, a late paper ballot that
replaces one, its undoing, a new ballot, a participant's group): the state must change with it
(or come back exactly with the ballots, for an undo), and the plan must be what a process that
keeps nothing computes from the same ballots.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.domain import waardenzeef as wz
from app.domain.vocabulary import Role, RoundKind
from app.models import ProcessFacilitator, Round, User
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import participants as participants_service
from app.services import plans as plans_service
from app.services import rounds as rounds_service
from app.services import sieves
from app.services import users as users_service
from app.services.ballots import BallotInput


def _night(session: Session, process_id: int) -> tuple[User, Round, ballots_service.MenuView]:
    user, _ = users_service.create_user(
        session, email="f@example.org", role=Role.FACILITATOR, password="correct horse battery"
    )
    session.add(ProcessFacilitator(process_id=process_id, user_id=user.id or 0))
    session.flush()
    meeting = meetings_service.create_meeting(
        session, user=user, process_id=process_id, title="Wijkavond"
    )
    rounds = {r.kind: r for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)}
    wegen = rounds[RoundKind.WEGEN]
    rounds_service.open_round(session, user=user, round_id=wegen.id or 0)
    return user, wegen, ballots_service.load_menu(session, process_id=process_id)


def _points(menu: ballots_service.MenuView, *values: int) -> BallotInput:
    return BallotInput(points={e.id: v for e, v in zip(menu.desired_effects, values, strict=True)})


def _state(session: Session, round_: Round) -> Any:
    return sieves.versions(session, round_ids=[round_.id or 0])[round_.id or 0]


def _plan(session: Session, process_id: int) -> dict[str, Any]:
    content = plans_service.content_of(session, process_id=process_id)
    return content.model_dump(mode="json", exclude={"computed_at"})


def _plan_afresh(session: Session, process_id: int) -> dict[str, Any]:
    plans_service.forget()
    wz.forget()
    return _plan(session, process_id)


def test_every_change_of_a_ballot_changes_the_state_and_the_plan_follows(
    session: Session, korrewegwijk: int
) -> None:
    user, wegen, menu = _night(session, korrewegwijk)
    round_id = wegen.id or 0
    cards = codes_service.issue_codes(session, process_id=korrewegwijk, count=6)
    people = [participants_service.join_by_code(session, typed=c.code) for c in cards]
    for n, joined in enumerate(people[:5]):
        ballots_service.submit(
            session,
            round_id=round_id,
            participant=joined.participant,
            given=_points(menu, 50, 30 + n, 20 - n),
            idempotency_key=f"first-{n}",
        )
    seen = [_state(session, wegen)]

    # A phone sends a new ballot: it replaces the earlier one.
    ballots_service.submit(
        session,
        round_id=round_id,
        participant=people[0].participant,
        given=_points(menu, 10, 10, 80),
        idempotency_key="again-0",
    )
    seen.append(_state(session, wegen))
    assert seen[-1] != seen[-2]

    rounds_service.close_round(session, user=user, round_id=round_id)
    closed = _state(session, wegen)
    before = _plan(session, korrewegwijk)
    assert before == _plan_afresh(session, korrewegwijk)

    # A late paper ballot that replaces a phone's: other state, other plan, the right one.
    ballots_service.enter_paper_ballot(
        session,
        user=user,
        round_id=round_id,
        code=cards[1].code,
        group=None,
        given=_points(menu, 0, 0, 100),
        idempotency_key="paper-1",
        replace=True,
        late=True,
    )
    assert _state(session, wegen) != closed
    replaced = _plan(session, korrewegwijk)
    assert replaced["fingerprint"] != before["fingerprint"]
    assert replaced == _plan_afresh(session, korrewegwijk)

    # Undone: the ballot and its state are what they were, and so is the plan.
    _plan(session, korrewegwijk)
    ballots_service.undo_last_paper_ballot(session, user=user, round_id=round_id)
    assert _state(session, wegen) == closed
    assert _plan(session, korrewegwijk) == before

    # A late paper ballot of a card that had none: a new ballot.
    ballots_service.enter_paper_ballot(
        session,
        user=user,
        round_id=round_id,
        code=cards[5].code,
        group="student",
        given=_points(menu, 100, 0, 0),
        idempotency_key="paper-5",
        late=True,
    )
    added = _state(session, wegen)
    assert added != closed
    with_new = _plan(session, korrewegwijk)
    assert with_new["participants"] == before["participants"] + 1
    assert with_new == _plan_afresh(session, korrewegwijk)

    # A participant says they belong to another group: the sieve's groups change.
    participants_service.set_group(session, participant=people[2].participant, group="werker")
    assert _state(session, wegen) != added
    regrouped = _plan(session, korrewegwijk)
    assert regrouped == _plan_afresh(session, korrewegwijk)


def test_the_state_is_read_in_one_statement_and_without_the_lines(
    session: Session, korrewegwijk: int
) -> None:
    _, wegen, menu = _night(session, korrewegwijk)
    joined = participants_service.join_by_code(
        session, typed=codes_service.issue_codes(session, process_id=korrewegwijk, count=1)[0].code
    )
    ballots_service.submit(
        session,
        round_id=wegen.id or 0,
        participant=joined.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="one",
    )
    [state] = _state(session, wegen)
    assert state.participant_id == joined.participant.id
    assert state.channel == "phone"
    assert sieves.versions(session, round_ids=[]) == {}


def test_a_kept_plan_is_given_as_a_copy(session: Session, korrewegwijk: int) -> None:
    from tests.factories import meeting_night

    meeting_night(session, korrewegwijk, participants=8)
    first = plans_service.content_of(session, process_id=korrewegwijk)
    first.measures.clear()
    first.process.title = "changed by a caller"
    second = plans_service.content_of(session, process_id=korrewegwijk)
    assert second.measures
    assert second.process.title != "changed by a caller"


def test_a_kept_zeven_ranking_is_never_given_for_other_ballots(
    session: Session, korrewegwijk: int
) -> None:
    from sqlmodel import select

    from app.models import Measure, MeasureEffect, Participant
    from app.services import outcomes
    from tests.factories import cast, meeting_night

    meeting = meeting_night(session, korrewegwijk, participants=8)
    zeven = session.exec(
        select(Round).where(Round.meeting_id == meeting.id, Round.kind == RoundKind.ZEVEN)
    ).one()

    def ranking() -> list[tuple[int, float, int]]:
        found = outcomes.outcome(session, round_=zeven)
        return [(r.measure_id, r.weighted_contribution, r.rated_by) for r in found.ranking]

    before = ranking()
    assert ranking() == before
    measure = session.exec(select(Measure).where(Measure.key == "palaver")).one()
    effects = session.exec(
        select(MeasureEffect.effect_id).where(MeasureEffect.measure_id == measure.id)
    ).all()
    late = Participant(process_id=korrewegwijk)
    session.add(late)
    session.flush()
    cast(session, zeven, late, [(measure.id, e, 3) for e in effects])
    after = ranking()
    assert after != before
    rated = {m: n for m, _, n in after}
    assert rated[measure.id or 0] == {m: n for m, _, n in before}[measure.id or 0] + 1
    outcomes.forget()
    wz.forget()
    assert ranking() == after
