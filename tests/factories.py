"""Meeting nights cast straight into the database, for tests of what is computed from ballots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.models import (
    Ballot,
    BallotLine,
    Effect,
    Measure,
    MeasureEffect,
    Meeting,
    Participant,
    Process,
    Round,
)

GROUPS = (
    [StakeholderGroup.BEWONER] * 6
    + [StakeholderGroup.STUDENT] * 3
    + [
        StakeholderGroup.ONDERNEMER,
        StakeholderGroup.WERKER,
        None,
    ]
)


def closed_round(session: Session, meeting: Meeting, kind: RoundKind, when: datetime) -> Round:
    """A round of this kind, run next, opened and closed."""
    runs = session.exec(
        select(Round).where(Round.meeting_id == meeting.id, Round.kind == kind)
    ).all()
    round_ = Round(
        meeting_id=meeting.id or 0,
        kind=kind,
        run=len(runs) + 1,
        state=RoundState.CLOSED,
        opened_at=when,
        closed_at=when + timedelta(minutes=20),
    )
    session.add(round_)
    session.flush()
    return round_


def cast(
    session: Session,
    round_: Round,
    participant: Participant,
    lines: list[tuple[int | None, int | None, int]],
    channel: BallotChannel = BallotChannel.PHONE,
) -> Ballot:
    """A ballot with its lines: (measure id, effect id, value)."""
    ballot = Ballot(round_id=round_.id or 0, participant_id=participant.id or 0, channel=channel)
    session.add(ballot)
    session.flush()
    if lines:
        # One INSERT of many rows, not a unit of work of ORM objects: evenings of 60 ballots of
        # 40 lines are made in many tests (the ORM's way took 18 of the suite's CPU-seconds).
        session.execute(
            insert(BallotLine),
            [
                {"ballot_id": ballot.id, "measure_id": m, "effect_id": e, "value": v}
                for m, e, v in lines
            ],
        )
    return ballot


def meeting_night(
    session: Session,
    process_id: int,
    *,
    participants: int = 12,
    seed: int = 7,
    paper: int = 2,
    start: datetime | None = None,
) -> Meeting:
    """A meeting whose Wegen, Zeven and Kiezen rounds are closed, with random but valid ballots."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
    process = session.get(Process, process_id)
    assert process is not None
    meeting = Meeting(process_id=process_id, title=f"Bewonersavond {seed}", starts_at=start)
    session.add(meeting)
    session.flush()
    effects = session.exec(
        select(Effect)
        .where(Effect.process_id == process_id, col(Effect.parent_id).is_(None))
        .order_by(col(Effect.position))
    ).all()
    measures = session.exec(
        select(Measure).where(Measure.process_id == process_id).order_by(col(Measure.position))
    ).all()
    links: dict[int, list[int]] = {}
    for link in session.exec(
        select(MeasureEffect).where(col(MeasureEffect.measure_id).in_([m.id for m in measures]))
    ):
        links.setdefault(link.measure_id, []).append(link.effect_id)
    wegen = closed_round(session, meeting, RoundKind.WEGEN, start)
    zeven = closed_round(session, meeting, RoundKind.ZEVEN, start + timedelta(minutes=30))
    kiezen = closed_round(session, meeting, RoundKind.KIEZEN, start + timedelta(minutes=60))
    people = [
        Participant(process_id=process_id, stakeholder_group=GROUPS[index % len(GROUPS)])
        for index in range(participants)
    ]
    session.add_all(people)
    session.flush()
    for index, person in enumerate(people):
        channel = BallotChannel.PAPER if index < paper else BallotChannel.PHONE
        cuts = sorted(rng.sample(range(1, 100), len(effects) - 1))
        points = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        cast(
            session,
            wegen,
            person,
            [(None, e.id, p) for e, p in zip(effects, points, strict=True)],
            channel,
        )
        scores: list[tuple[int | None, int | None, int]] = []
        for m in measures:
            if rng.random() < 0.15:  # skipped
                continue
            scores.extend((m.id, e, rng.randint(0, 3)) for e in links.get(m.id or 0, []))
        cast(session, zeven, person, scores, channel)
        package: list[tuple[int | None, int | None, int]] = []
        left = process.budget_eur
        for m in rng.sample(list(measures), len(measures)):
            cost = 0 if m.is_regular else (m.cost_years_4 or 0)
            if cost <= left and rng.random() < 0.5:
                package.append((m.id, None, 1))
                left -= cost
        cast(session, kiezen, person, package, channel)
    return meeting
