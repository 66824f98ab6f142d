"""The bewonersplan computed from the last closed rounds; adoption keeps it exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from app.domain import plan_file
from app.domain.pabulib import parse_pabulib
from app.domain.vocabulary import BallotChannel, Role, RoundKind, StakeholderGroup
from app.domain.waardenzeef import RankBy, Rule, make_plan
from app.models import Measure, MeasureEffect, Meeting, Participant, Round, User
from app.services import plans as plans_service
from app.services import users as users_service
from tests.factories import cast, closed_round, meeting_night


def _wijkteam(session: Session) -> User:
    user, _ = users_service.create_user(
        session, email="plan@example.org", role=Role.WIJKTEAM, password="x" * 12
    )
    return user


def test_the_plan_ranks_every_measure_and_stays_within_the_budget(
    session: Session, korrewegwijk: int
) -> None:
    meeting_night(session, korrewegwijk)
    plan, _ = plans_service.compute(session, process_id=korrewegwijk)
    assert len(plan.measures) == 22
    contributions = [m.weighted_contribution for m in plan.measures]
    assert contributions == sorted(contributions, reverse=True)
    assert [m.rank for m in plan.measures] == list(range(1, 23))
    selected = [m for m in plan.measures if m.selected]
    assert plan.ledger.spent == sum(m.binding_cost for m in selected) <= 1_000_000
    assert plan.ledger.left == 1_000_000 - plan.ledger.spent
    # Greedy leaves nothing out that would still have fitted.
    assert all(
        m.binding_cost > plan.ledger.left
        for m in plan.measures
        if not m.selected and m.verdict == "did_not_fit"
    )
    # Money per effect: the desired effects together receive what the plan spends.
    tops = [e for e in plan.money_per_effect if e.parent_key is None]
    assert abs(sum(e.total for e in tops) - plan.ledger.spent) < 1
    assert [e.key for e in tops] == ["veiligheid", "leefomgeving", "jongeren"]
    assert tops[0].indicators[0].name == "Onveiligheidsgevoelens buurt"
    assert tops[0].indicators[0].targets == {2010: 22.0, 2014: 18.0}


def test_turnout_counts_phone_and_paper_apart(session: Session, korrewegwijk: int) -> None:
    meeting_night(session, korrewegwijk, participants=12, paper=2)
    plan, _ = plans_service.compute(session, process_id=korrewegwijk)
    assert [(t.kind, t.phone, t.paper) for t in plan.turnout] == [
        ("wegen", 10, 2),
        ("zeven", 10, 2),
        ("kiezen", 10, 2),
    ]
    wegen = {g.group: (g.phone, g.paper) for g in plan.turnout[0].by_group}
    # Only the 6 residents are a group of 5 or more; the others count in the totals only.
    assert wegen == {"bewoner": (4, 2)}
    assert plan.small_groups
    assert plan.participants == 12


def test_the_rules_stand_side_by_side_on_the_same_ballots(
    session: Session, korrewegwijk: int
) -> None:
    meeting_night(session, korrewegwijk, participants=30)
    plan, ballots = plans_service.compute(session, process_id=korrewegwijk)
    assert [r.rule for r in plan.rules] == [
        "greedy",
        "optimal",
        "equal_shares",
        "equal_shares_packages",
    ]
    sieve, _, _ = plan_file.from_pabulib(parse_pabulib(ballots))
    for outcome in plan.rules:
        again = make_plan(sieve, Rule(outcome.rule))
        titles = {m.id: m for m in sieve.measures}
        assert outcome.spent == sum(titles[m].binding_cost for m in again.selected)
        assert outcome.differs == (set(outcome.selected_keys) != set(plan.rules[0].selected_keys))
    optimal = next(r for r in plan.rules if r.rule == "optimal")
    assert optimal.total_contribution >= plan.rules[0].total_contribution
    kinds = [s.kind for s in plan.scenarios]
    assert kinds[:2] == ["budget_down", "budget_up"]
    assert {s.group for s in plan.scenarios[2:]} <= {g.value for g in StakeholderGroup}
    assert plan.scenarios[0].budget == 900_000


def test_the_fingerprint_is_that_of_the_ballots_file(session: Session, korrewegwijk: int) -> None:
    meeting_night(session, korrewegwijk)
    plan, ballots = plans_service.compute(session, process_id=korrewegwijk)
    sieve, rule, ranked_by = plan_file.from_pabulib(parse_pabulib(ballots))
    assert plan_file.fingerprint(sieve, rule, ranked_by) == plan.fingerprint
    assert (rule, ranked_by) == (Rule.GREEDY, RankBy.CONTRIBUTION)
    keys = {m.measure_id: m.key for m in plan.measures}
    assert [keys[int(m)] for m in make_plan(sieve).selected] == plan.rules[0].selected_keys


def test_the_last_closed_round_of_each_kind_counts(session: Session, korrewegwijk: int) -> None:
    meeting = meeting_night(session, korrewegwijk, participants=6)
    first, _ = plans_service.compute(session, process_id=korrewegwijk)
    # Zeven run again after discussion, later: only its ballots count for the scores.
    rerun = closed_round(
        session, meeting, RoundKind.ZEVEN, datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    )
    person = session.exec(select(Participant).where(Participant.process_id == korrewegwijk)).first()
    assert person is not None
    measure = session.exec(select(Measure).where(Measure.key == "palaver")).one()
    effect_id = next(iter(_effects_of(session, measure)))
    cast(session, rerun, person, [(measure.id, effect_id, 3)])
    second, _ = plans_service.compute(session, process_id=korrewegwijk)
    assert second.fingerprint != first.fingerprint
    rated = {m.key: m.rated_by for m in second.measures}
    assert rated["palaver"] == 1
    assert rated["drugsbanden"] == 0
    assert [t.run for t in second.turnout if t.kind == "zeven"] == [2]


def _effects_of(session: Session, measure: Measure) -> list[int]:
    return [
        link.effect_id
        for link in session.exec(
            select(MeasureEffect).where(MeasureEffect.measure_id == measure.id)
        )
    ]


def test_an_adopted_plan_stays_as_adopted_when_paper_ballots_come_in(
    session: Session, korrewegwijk: int
) -> None:
    user = _wijkteam(session)
    meeting = meeting_night(session, korrewegwijk, participants=8)
    snapshot = plans_service.adopt(
        session,
        process_id=korrewegwijk,
        rule=Rule.EQUAL_SHARES,
        ranked_by=RankBy.CONTRIBUTION,
        user=user,
    )
    adopted, adopted_ballots = plans_service.snapshot_content(snapshot)
    assert adopted.rule == "equal_shares"
    assert adopted.adopted_at is not None
    # A late paper ballot in the Kiezen round.
    kiezen = next(
        r
        for r in session.exec(select(Round).where(Round.meeting_id == meeting.id))
        if r.kind == RoundKind.KIEZEN
    )
    late = Participant(process_id=korrewegwijk, stakeholder_group=StakeholderGroup.WERKER)
    session.add(late)
    session.flush()
    measure = session.exec(select(Measure).where(Measure.key == "wip")).one()
    cast(session, kiezen, late, [(measure.id, None, 1)], BallotChannel.PAPER)
    now, _ = plans_service.compute(session, process_id=korrewegwijk, rule=Rule.EQUAL_SHARES)
    assert now.fingerprint != adopted.fingerprint
    again = plans_service.adopted(session, process_id=korrewegwijk)
    assert again is not None
    assert again.id == snapshot.id
    stored, stored_ballots = plans_service.snapshot_content(again)
    assert stored.model_dump() == adopted.model_dump()
    assert stored_ballots == adopted_ballots
    assert snapshot.fingerprint == adopted.fingerprint


@pytest.mark.parametrize("public", [False, True])
def test_small_groups_are_not_shown_apart_in_any_version(
    session: Session, korrewegwijk: int, public: bool
) -> None:
    # 12 people: 6 residents, 3 students, an entrepreneur, a worker and one without a group.
    meeting_night(session, korrewegwijk, participants=12)
    plan, _ = plans_service.compute(session, process_id=korrewegwijk, public=public)
    shown = {g.group for m in plan.measures for g in m.support_by_group}
    assert shown == {"bewoner"}
    assert plan.groups_apart == ["bewoner"]
    assert plan.small_groups
    assert "small_groups_hidden" in plan.notes
    assert {s.group for s in plan.scenarios} == {None, "bewoner"}
    assert {g.group for t in plan.turnout for g in t.by_group} == {"bewoner"}


def test_no_closed_round_gives_an_empty_but_honest_plan(
    session: Session, korrewegwijk: int
) -> None:
    session.add(Meeting(process_id=korrewegwijk, title="Nog niet begonnen"))
    session.flush()
    plan, _ = plans_service.compute(session, process_id=korrewegwijk)
    assert "no_closed_rounds" in plan.notes
    assert plan.ledger.spent == 0
    assert plan.turnout == []
    assert not any(m.selected and m.binding_cost for m in plan.measures)


def test_a_plan_adopted_before_schema_2_is_compared_by_its_own_fingerprint(
    session: Session, korrewegwijk: int
) -> None:
    user = _wijkteam(session)
    meeting_night(session, korrewegwijk, participants=6)
    snapshot = plans_service.adopt(
        session, process_id=korrewegwijk, rule=Rule.GREEDY, ranked_by=RankBy.CONTRIBUTION, user=user
    )
    assert plans_service.fingerprint_now(session, snapshot=snapshot) == snapshot.fingerprint
    # As a plan adopted with the first format stored it: the ballots' fingerprint only.
    source = plans_service.load_source(session, process_id=korrewegwijk)
    old = plan_file.fingerprint_v1(plan_file.anonymise(source.sieve))
    plan = dict(snapshot.content["plan"], schema_version=1, fingerprint=old)
    snapshot.content = {**snapshot.content, "plan": plan}
    snapshot.fingerprint = old
    assert plans_service.fingerprint_now(session, snapshot=snapshot) == old
    assert plans_service.snapshot_content(snapshot)[0].schema_version == 1
