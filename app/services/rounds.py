"""Rounds of a meeting: adding, opening, closing (atomically), running again, and turnout.

Opening and closing take a lock on the round's row (and on SQLite the database's write lock), and
a ballot takes the same lock before it looks at the round's state: so a ballot either commits
before the close and counts, or sees the round closed and is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.vocabulary import BallotChannel, RoundKind, RoundState
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.models import Ballot, Meeting, Participant, Process, Round, User, utcnow
from app.services import access, audit
from app.services import menus as menus_service


class RoundClosed(DomainError):
    """The round is closed: nothing arriving now counts."""

    status = 409
    code = "round_closed"


class RoundNotOpen(DomainError):
    """The round has not been opened yet, or it cannot change state this way."""

    status = 409
    code = "round_not_open"


@dataclass(frozen=True)
class Turnout:
    """How many ballots a round has: by channel, without a code, and per stakeholder group."""

    ballots: int = 0
    phone: int = 0
    paper: int = 0
    without_code: int = 0
    by_group: dict[str, int] = field(default_factory=dict)


def take_write_lock(session: Session) -> None:
    """On SQLite, take the write lock now, so that reading first cannot make the write fail later.

    In WAL mode a transaction that has read cannot start writing once another connection has
    committed ("database is locked" at once, no waiting); a write as the first statement waits its
    turn instead. PostgreSQL locks rows (see `lock_round`) and needs nothing here.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("UPDATE round SET id = id WHERE 0")


def lock_round(session: Session, *, round_id: int) -> Round:
    """The round, re-read under a row lock held until the transaction ends; or NotFound."""
    take_write_lock(session)
    round_ = session.exec(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if round_ is None:
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    return round_


def _process_id(session: Session, round_: Round) -> int:
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    return meeting.process_id


def _record(session: Session, user: User, action: str, round_: Round, **detail: object) -> None:
    audit.record(
        session,
        action=action,
        user_id=user.id,
        object_type="round",
        object_id=round_.id,
        process_id=_process_id(session, round_),
        detail={"kind": str(round_.kind), "run": round_.run, **detail},
    )


def _next_run(session: Session, *, meeting_id: int, kind: RoundKind) -> int:
    highest = session.exec(
        select(func.max(Round.run)).where(Round.meeting_id == meeting_id, Round.kind == kind)
    ).one()
    return int(highest or 0) + 1


def add_round(
    session: Session,
    *,
    user: User,
    meeting_id: int,
    kind: RoundKind | str,
    requires_code: bool = True,
) -> Round:
    """Add a draft round of this kind to a meeting (run 2, 3... when the kind was run before)."""
    access.meeting_for(session, user=user, meeting_id=meeting_id)
    try:
        kind = RoundKind(kind)
    except ValueError:
        raise InvalidInput(
            N_("kind: '%(kind)s' is not a round kind (wegen, zeven or kiezen)."),
            kind=str(kind)[:20],
        ) from None
    round_ = Round(
        meeting_id=meeting_id,
        kind=kind,
        run=_next_run(session, meeting_id=meeting_id, kind=kind),
        requires_code=requires_code,
    )
    session.add(round_)
    session.flush()
    _record(session, user, "round.added", round_, requires_code=requires_code)
    return round_


def open_round(session: Session, *, user: User, round_id: int) -> Round:
    """Open a draft round for ballots; this freezes the process's menu and budget."""
    access.round_for(session, user=user, round_id=round_id)
    round_ = lock_round(session, round_id=round_id)
    if round_.state == RoundState.OPEN:
        return round_  # a second click on "open" changes nothing
    if round_.state == RoundState.CLOSED:
        raise RoundClosed(
            N_("This round is closed and stays closed. Use 'Run again' to vote on it once more.")
        )
    # One open round per meeting, also when two rounds are opened at the same moment.
    session.exec(select(Meeting).where(Meeting.id == round_.meeting_id).with_for_update()).one()
    already_open = session.exec(
        select(Round).where(
            Round.meeting_id == round_.meeting_id,
            Round.state == RoundState.OPEN,
            Round.id != round_.id,
        )
    ).first()
    if already_open is not None:
        raise RoundNotOpen(
            N_("Another round of this meeting is open. Close it first, then open this one.")
        )
    # Opening freezes the menu: wait for any menu change of this process that is under way.
    menus_service.lock_process(session, process_id=_process_id(session, round_))
    now = utcnow()
    round_.state = RoundState.OPEN
    round_.opened_at = now
    process = session.get(Process, _process_id(session, round_))
    assert process is not None
    if process.frozen_at is None:
        process.frozen_at = now
    session.flush()
    _record(session, user, "round.opened", round_)
    return round_


def close_round(session: Session, *, user: User, round_id: int) -> Round:
    """Close an open round: from now on ballots are refused, and the outcome can be shown."""
    access.round_for(session, user=user, round_id=round_id)
    round_ = lock_round(session, round_id=round_id)
    if round_.state == RoundState.CLOSED:
        return round_  # a second click on "close" changes nothing
    if round_.state == RoundState.DRAFT:
        raise RoundNotOpen(N_("This round has not been opened, so it cannot be closed."))
    round_.state = RoundState.CLOSED
    round_.closed_at = utcnow()
    session.flush()
    _record(
        session, user, "round.closed", round_, ballots=turnout(session, round_id=round_id).ballots
    )
    return round_


def run_again(session: Session, *, user: User, round_id: int) -> Round:
    """Add a new draft run of a closed round's kind, to vote on it again after discussion."""
    previous = access.round_for(session, user=user, round_id=round_id)
    if previous.state != RoundState.CLOSED:
        raise RoundNotOpen(N_("Close this round before running it again."))
    return add_round(
        session,
        user=user,
        meeting_id=previous.meeting_id,
        kind=previous.kind,
        requires_code=previous.requires_code,
    )


def set_results_visible(session: Session, *, user: User, round_id: int, visible: bool) -> Round:
    """Show residents the results of an open round, or hide them again."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if round_.results_visible != visible:
        round_.results_visible = visible
        session.flush()
        _record(session, user, "round.results_shown" if visible else "round.results_hidden", round_)
    return round_


def set_requires_code(session: Session, *, user: User, round_id: int, required: bool) -> Round:
    """Require a code card for this round, or allow one ballot per device without a code."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if round_.state == RoundState.CLOSED:
        raise RoundClosed(N_("This round is closed; it can no longer be changed."))
    if round_.requires_code != required:
        round_.requires_code = required
        session.flush()
        _record(
            session,
            user,
            "round.codes_required" if required else "round.codes_not_required",
            round_,
        )
    return round_


def previous_run(session: Session, *, round_: Round) -> Round | None:
    """The closed earlier run of the same kind in the same meeting, if this is a rerun."""
    return session.exec(
        select(Round)
        .where(
            Round.meeting_id == round_.meeting_id,
            Round.kind == round_.kind,
            Round.run < round_.run,
            Round.state == RoundState.CLOSED,
        )
        .order_by(col(Round.run).desc())
    ).first()


def turnout(session: Session, *, round_id: int) -> Turnout:
    """The ballots of a round counted by channel, without a code, and per stakeholder group."""
    return turnouts(session, round_ids=[round_id])[round_id]


def turnouts(session: Session, *, round_ids: list[int]) -> dict[int, Turnout]:
    """Turnout of several rounds, in one query."""
    rows = session.exec(
        select(Ballot.round_id, Ballot.channel, Participant.code_id, Participant.stakeholder_group)
        .join(Participant, col(Participant.id) == Ballot.participant_id)
        .where(col(Ballot.round_id).in_(round_ids))
    ).all()
    result = {}
    for round_id in round_ids:
        mine = [
            (channel, code_id, group) for rid, channel, code_id, group in rows if rid == round_id
        ]
        groups: Counter[str] = Counter(str(group or "") for _, _, group in mine)
        result[round_id] = Turnout(
            ballots=len(mine),
            phone=sum(1 for channel, _, _ in mine if channel == BallotChannel.PHONE),
            paper=sum(1 for channel, _, _ in mine if channel == BallotChannel.PAPER),
            without_code=sum(1 for _, code_id, _ in mine if code_id is None),
            by_group=dict(sorted(groups.items())),
        )
    return result
