"""Rounds open and close atomically; ballots count once, replace until the close; paper counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain import ballots as rules
from app.domain.vocabulary import BallotChannel, Role, RoundKind, RoundState, StakeholderGroup
from app.errors import InvalidInput, NotFound
from app.i18n import current_language
from app.models import Ballot, BallotLine, Measure, Process, ProcessFacilitator, Round, User
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import menus as menus_service
from app.services import participants as participants_service
from app.services import rounds as rounds_service
from app.services import users as users_service
from app.services.ballots import BallotInput


def _facilitator(session: Session, process_id: int, email: str = "f@example.org") -> User:
    user, _ = users_service.create_user(
        session, email=email, role=Role.FACILITATOR, password="correct horse battery"
    )
    assert user.id is not None
    session.add(ProcessFacilitator(process_id=process_id, user_id=user.id))
    session.flush()
    return user


def _night(session: Session, process_id: int) -> tuple[User, dict[RoundKind, Round]]:
    user = _facilitator(session, process_id)
    meeting = meetings_service.create_meeting(
        session, user=user, process_id=process_id, title="Wijkavond"
    )
    assert meeting.id is not None
    rounds = {r.kind: r for r in meetings_service.rounds_of(session, meeting_id=meeting.id)}
    return user, rounds


def _voter(session: Session, process_id: int, **kwargs: object) -> participants_service.Joined:
    [card] = codes_service.issue_codes(session, process_id=process_id, count=1, **kwargs)  # type: ignore[arg-type]
    return participants_service.join_by_code(session, typed=card.code)


def _points(menu: ballots_service.MenuView, *values: int) -> BallotInput:
    return BallotInput(points={e.id: v for e, v in zip(menu.desired_effects, values, strict=True)})


def _ballots(session: Session, round_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
    ).one()


def test_a_meeting_night_has_three_draft_rounds_and_opening_freezes_the_menu(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    assert [(r.kind, r.run, r.state) for r in rounds.values()] == [
        (RoundKind.WEGEN, 1, RoundState.DRAFT),
        (RoundKind.ZEVEN, 1, RoundState.DRAFT),
        (RoundKind.KIEZEN, 1, RoundState.DRAFT),
    ]
    assert not menus_service.is_frozen(session, process_id=korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    assert wegen.state == RoundState.OPEN
    assert wegen.opened_at is not None
    process = session.get(Process, korrewegwijk)
    assert process is not None
    assert process.frozen_at is not None
    assert menus_service.is_frozen(session, process_id=korrewegwijk)
    # Opening twice is harmless; a second round cannot be open at the same time.
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    zeven = rounds[RoundKind.ZEVEN]
    assert zeven.id is not None
    with pytest.raises(rounds_service.RoundNotOpen):
        rounds_service.open_round(session, user=user, round_id=zeven.id)


def test_closing_is_final_and_a_kind_can_be_run_again(session: Session, korrewegwijk: int) -> None:
    user, rounds = _night(session, korrewegwijk)
    zeven = rounds[RoundKind.ZEVEN]
    assert zeven.id is not None
    with pytest.raises(rounds_service.RoundNotOpen):
        rounds_service.close_round(session, user=user, round_id=zeven.id)
    with pytest.raises(rounds_service.RoundNotOpen):
        rounds_service.run_again(session, user=user, round_id=zeven.id)
    rounds_service.open_round(session, user=user, round_id=zeven.id)
    rounds_service.close_round(session, user=user, round_id=zeven.id)
    assert zeven.state == RoundState.CLOSED
    assert zeven.closed_at is not None
    with pytest.raises(rounds_service.RoundClosed):
        rounds_service.open_round(session, user=user, round_id=zeven.id)
    again = rounds_service.run_again(session, user=user, round_id=zeven.id)
    assert (again.kind, again.run, again.state) == (RoundKind.ZEVEN, 2, RoundState.DRAFT)
    assert rounds_service.previous_run(session, round_=again) == zeven


def test_a_ballot_after_the_close_is_refused_and_not_counted(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    early, late = _voter(session, korrewegwijk), _voter(session, korrewegwijk)
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    receipt = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=early.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="early-1",
    )
    rounds_service.close_round(session, user=user, round_id=wegen.id)
    with pytest.raises(rounds_service.RoundClosed) as refused:
        ballots_service.submit(
            session,
            round_id=wegen.id,
            participant=late.participant,
            given=_points(menu, 50, 30, 20),
            idempotency_key="late-1",
        )
    assert refused.value.status == 409
    assert "closed" in refused.value.message
    assert _ballots(session, wegen.id) == 1
    # A retry of the ballot that arrived in time still gets its receipt, and counts once.
    retry = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=early.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="early-1",
    )
    assert retry.repeated
    assert retry.ballot_id == receipt.ballot_id
    assert retry.code == receipt.code
    assert _ballots(session, wegen.id) == 1


def test_the_same_submit_twice_counts_once_and_a_new_one_replaces_it(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    voter = _voter(session, korrewegwijk)
    first = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=voter.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="k1",
    )
    twice = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=voter.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="k1",
    )
    assert not first.repeated
    assert twice.repeated
    assert twice.ballot_id == first.ballot_id
    assert _ballots(session, wegen.id) == 1
    replaced = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=voter.participant,
        given=_points(menu, 0, 0, 100),
        idempotency_key="k2",
    )
    assert replaced.replaced
    assert replaced.ballot_id == first.ballot_id
    assert replaced.code != first.code
    assert _ballots(session, wegen.id) == 1
    lines = session.exec(select(BallotLine).where(BallotLine.ballot_id == first.ballot_id)).all()
    assert [(ln.effect_id, ln.value) for ln in lines] == [(menu.desired_effects[2].id, 100)]
    # A late retry of the first submission (a phone that lost its connection) is recognised as
    # already counted: it does not bring the first ballot back over the newer one.
    late = ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=voter.participant,
        given=_points(menu, 50, 30, 20),
        idempotency_key="k1",
    )
    assert late.repeated
    assert late.code == replaced.code
    lines = session.exec(select(BallotLine).where(BallotLine.ballot_id == first.ballot_id)).all()
    assert [(ln.effect_id, ln.value) for ln in lines] == [(menu.desired_effects[2].id, 100)]


def test_points_not_adding_up_to_100_are_refused_naming_the_total(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    voter = _voter(session, korrewegwijk)
    with pytest.raises(rules.PointsNotHundred) as refused:
        ballots_service.submit(
            session,
            round_id=wegen.id,
            participant=voter.participant,
            given=_points(menu, 50, 30, 10),
            idempotency_key="k",
        )
    assert refused.value.message == (
        "Your points add up to 90, not 100: you still have 10 points to give."
    )
    assert _ballots(session, wegen.id) == 0


def test_a_package_over_the_budget_is_refused_naming_the_amounts(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    kiezen = rounds[RoundKind.KIEZEN]
    assert kiezen.id is not None
    rounds_service.open_round(session, user=user, round_id=kiezen.id)
    by_key = {m.key: m for m in session.exec(select(Measure)).all()}
    # 4 years: Floreshuis 760.000 + herinrichting straten 487.000 = 1.247.000 > 1.000.000.
    package = [by_key["floreshuis"].id, by_key["herinrichting-straten"].id]
    voter = _voter(session, korrewegwijk)
    token = current_language.set("nl")
    try:
        with pytest.raises(rules.OverBudget) as refused:
            ballots_service.submit(
                session,
                round_id=kiezen.id,
                participant=voter.participant,
                given=BallotInput(measure_ids=[m for m in package if m is not None]),
                idempotency_key="k",
            )
        assert refused.value.localized() == (
            "Uw pakket kost €\u00a01.247.000, dat is €\u00a0247.000 meer dan het budget van "
            "€\u00a01.000.000. Haal er iets uit."
        )
    finally:
        current_language.reset(token)
    assert _ballots(session, kiezen.id) == 0
    # Regular measures cost nothing against the budget.
    fits = [by_key["floreshuis"].id, by_key["geluidsoverlast"].id]
    receipt = ballots_service.submit(
        session,
        round_id=kiezen.id,
        participant=voter.participant,
        given=BallotInput(measure_ids=[m for m in fits if m is not None]),
        idempotency_key="k2",
    )
    assert len(receipt.lines) == 2


def test_zeven_scores_only_linked_effects_and_skips_measures(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    zeven = rounds[RoundKind.ZEVEN]
    assert zeven.id is not None
    rounds_service.open_round(session, user=user, round_id=zeven.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    ib = next(m for m in menu.measures if m.key == "ib-paraat")
    drains = next(m for m in menu.measures if m.key == "drainage-vensterpark")
    veiligheid, jongeren = ib.effect_ids
    voter = _voter(session, korrewegwijk)
    with pytest.raises(InvalidInput, match="not linked"):
        ballots_service.submit(
            session,
            round_id=zeven.id,
            participant=voter.participant,
            given=BallotInput(scores={(drains.id, veiligheid): 2}),
            idempotency_key="k",
        )
    with pytest.raises(InvalidInput, match="choose a number for Jongeren too, or choose"):
        ballots_service.submit(
            session,
            round_id=zeven.id,
            participant=voter.participant,
            given=BallotInput(scores={(ib.id, veiligheid): 2}),
            idempotency_key="k",
        )
    with pytest.raises(InvalidInput, match="0, 1, 2 or 3"):
        ballots_service.submit(
            session,
            round_id=zeven.id,
            participant=voter.participant,
            given=BallotInput(scores={(ib.id, veiligheid): 4, (ib.id, jongeren): 1}),
            idempotency_key="k",
        )
    receipt = ballots_service.submit(
        session,
        round_id=zeven.id,
        participant=voter.participant,
        given=BallotInput(scores={(ib.id, veiligheid): "3", (ib.id, jongeren): "1"}),
        idempotency_key="k",
    )
    assert {(ln.measure_id, ln.effect_id, ln.value) for ln in receipt.lines} == {
        (ib.id, veiligheid, 3),
        (ib.id, jongeren, 1),
    }


def test_turnout_shows_a_group_apart_from_5_people_and_small_ones_only_in_the_total(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    groups = [StakeholderGroup.STUDENT] * 4 + [StakeholderGroup.WERKER]
    for n, group in enumerate(groups):
        voter = _voter(session, korrewegwijk, stakeholder_group=group)
        ballots_service.submit(
            session,
            round_id=wegen.id,
            participant=voter.participant,
            given=_points(menu, 60, 40, 0),
            idempotency_key=f"k{n}",
        )
    four = rounds_service.turnout(session, round_id=wegen.id)
    assert (four.ballots, four.by_group, four.small_groups) == (5, {}, True)
    fifth = _voter(session, korrewegwijk, stakeholder_group=StakeholderGroup.STUDENT)
    ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=fifth.participant,
        given=_points(menu, 60, 40, 0),
        idempotency_key="k5",
    )
    five = rounds_service.turnout(session, round_id=wegen.id)
    assert (five.ballots, five.by_group, five.small_groups) == (6, {"student": 5}, True)


def test_a_paper_ballot_counts_like_a_phone_ballot(session: Session, korrewegwijk: int) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    phone = _voter(session, korrewegwijk, stakeholder_group=StakeholderGroup.STUDENT)
    ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=phone.participant,
        given=_points(menu, 60, 40, 0),
        idempotency_key="phone",
    )
    [card] = codes_service.issue_codes(session, process_id=korrewegwijk, count=1)
    paper = ballots_service.enter_paper_ballot(
        session,
        user=user,
        round_id=wegen.id,
        code=card.code.lower(),
        group="ondernemer",
        given=_points(menu, 60, 40, 0),
        idempotency_key="paper",
    )
    assert paper.channel == BallotChannel.PAPER
    turnout = rounds_service.turnout(session, round_id=wegen.id)
    assert (turnout.ballots, turnout.phone, turnout.paper, turnout.without_code) == (2, 1, 1, 0)
    # One student and one entrepreneur: counted, but no group of fewer than 5 has a figure.
    assert (turnout.by_group, turnout.small_groups) == ({}, True)
    stored = session.exec(select(Ballot).where(Ballot.round_id == wegen.id)).all()
    assert {b.channel for b in stored} == {BallotChannel.PHONE, BallotChannel.PAPER}
    assert next(b for b in stored if b.channel == BallotChannel.PAPER).entered_by_id == user.id
    phone_lines = ballots_service.current_ballot(
        session, round_id=wegen.id, participant_id=phone.participant.id or 0
    )
    assert phone_lines is not None
    assert phone_lines.lines == paper.lines


def test_rounds_without_codes_take_one_ballot_per_device(
    session: Session, korrewegwijk: int
) -> None:
    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    device = participants_service.join_by_device(
        session, process_id=korrewegwijk, device_token="phone-1"
    )
    with pytest.raises(participants_service.CodeRequired):
        ballots_service.submit(
            session,
            round_id=wegen.id,
            participant=device.participant,
            given=_points(menu, 50, 50, 0),
            idempotency_key="d1",
        )
    rounds_service.set_requires_code(session, user=user, round_id=wegen.id, required=False)
    ballots_service.submit(
        session,
        round_id=wegen.id,
        participant=device.participant,
        given=_points(menu, 50, 50, 0),
        idempotency_key="d1",
    )
    again = participants_service.join_by_device(
        session, process_id=korrewegwijk, device_token="phone-1"
    )
    assert again.participant.id == device.participant.id
    assert rounds_service.turnout(session, round_id=wegen.id).without_code == 1


def test_a_facilitator_of_another_process_finds_nothing(
    session: Session, korrewegwijk: int
) -> None:
    _, rounds = _night(session, korrewegwijk)
    stranger, _ = users_service.create_user(
        session, email="other@example.org", role=Role.FACILITATOR, password="correct horse battery"
    )
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    for action in (
        lambda: rounds_service.open_round(session, user=stranger, round_id=wegen.id or 0),
        lambda: rounds_service.close_round(session, user=stranger, round_id=wegen.id or 0),
        lambda: rounds_service.add_round(
            session, user=stranger, meeting_id=wegen.meeting_id, kind=RoundKind.WEGEN
        ),
        lambda: meetings_service.create_meeting(
            session, user=stranger, process_id=korrewegwijk, title="x"
        ),
    ):
        with pytest.raises(NotFound):
            action()
    assert wegen.state == RoundState.DRAFT


def test_groups_of_fewer_than_5_are_not_shown_apart(session: Session, korrewegwijk: int) -> None:
    from app.services import outcomes as outcomes_service

    user, rounds = _night(session, korrewegwijk)
    wegen = rounds[RoundKind.WEGEN]
    assert wegen.id is not None
    rounds_service.open_round(session, user=user, round_id=wegen.id)
    menu = ballots_service.load_menu(session, process_id=korrewegwijk)
    voters = [(StakeholderGroup.STUDENT, (100, 0, 0))] * 5 + [
        (StakeholderGroup.ONDERNEMER, (0, 100, 0))
    ]
    for index, (group, points) in enumerate(voters):
        voter = _voter(session, korrewegwijk, stakeholder_group=group)
        ballots_service.submit(
            session,
            round_id=wegen.id,
            participant=voter.participant,
            given=_points(menu, *points),
            idempotency_key=f"k{index}",
        )
    rounds_service.close_round(session, user=user, round_id=wegen.id)
    found = outcomes_service.outcome(session, round_=wegen)
    assert found.groups == ["student"]
    assert found.small_groups_hidden
    assert all(set(row.by_group) == {"student"} for row in found.weights)
    # The one entrepreneur still counts in the whole: 5 x 100 + 0 over 6 ballots.
    safety = next(row for row in found.weights if row.title == "Veiligheid")
    assert round(safety.percent, 1) == 83.3
