"""Rounds of a meeting: adding, opening, closing (atomically), reopening a round closed by mistake,
running again (placed right after the round it repeats), and turnout (joined, busy, voted).

Opening and closing take an exclusive lock on the round's row (and on SQLite the database's write
lock); a ballot holds the same row in share mode before it looks at the round's state: so a ballot
either commits before the close and counts, or sees the round closed and is refused, while
ballots of different residents do not wait for each other (one ballot per code and round is the
database's unique constraint, see `ballots.submit`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.domain.groups import shown_apart
from app.domain.vocabulary import BallotChannel, RoundKind, RoundState
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.models import Ballot, BallotOpened, Meeting, Participant, Process, Round, User, utcnow
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


# A round closed by mistake can be reopened this long after its close (if nothing came after it).
REOPEN_MINUTES = 10


class CannotReopen(DomainError):
    """Too late to reopen, or a later round has been opened since."""

    status = 409
    code = "cannot_reopen"


@dataclass(frozen=True)
class Turnout:
    """How many ballots a round has: by channel, without a code, per stakeholder group; and how
    many phones opened its ballot (joined) and have not voted yet (busy)."""

    ballots: int = 0
    phone: int = 0
    paper: int = 0
    without_code: int = 0
    by_group: dict[str, int] = field(default_factory=dict)
    small_groups: bool = False
    joined: int = 0
    busy: int = 0
    late_paper: int = 0


def aware(moment: datetime) -> datetime:
    """A stored timestamp with its zone (SQLite gives them back without; they are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_WRITE_LOCKED = "waardenzeef_write_locked"


def take_write_lock(session: Session) -> None:
    """On SQLite, take the write lock now, so that reading first cannot make the write fail later.

    In WAL mode a transaction that has read cannot start writing once another connection has
    committed ("database is locked" at once, no waiting); a write as the first statement waits its
    turn instead. PostgreSQL locks rows (see `lock_round`) and needs nothing here.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    # Once per transaction (a route's WriteLock, then `lock_round`): the second would be a no-op.
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_WRITE_LOCKED) is transaction:
        return
    connection.exec_driver_sql("UPDATE round SET id = id WHERE 0")
    session.info[_WRITE_LOCKED] = transaction


def lock_round(session: Session, *, round_id: int, shared: bool = False) -> Round:
    """The round, re-read under a row lock held until the transaction ends; or NotFound.

    `shared` (a ballot): FOR SHARE, which many ballots hold at once and a close (FOR UPDATE)
    waits for, and makes them wait for.
    """
    take_write_lock(session)
    round_ = session.exec(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update(read=shared)
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


def _last_position(session: Session, *, meeting_id: int) -> int:
    highest = session.exec(
        select(func.max(Round.position)).where(Round.meeting_id == meeting_id)
    ).one()
    return int(highest or 0)


def add_round(
    session: Session,
    *,
    user: User,
    meeting_id: int,
    kind: RoundKind | str,
    requires_code: bool = True,
    after: Round | None = None,
) -> Round:
    """Add a draft round of this kind to a meeting (run 2, 3... when the kind was run before),
    at the end, or directly after the round `after` (the rounds behind it move one place on)."""
    access.meeting_for(session, user=user, meeting_id=meeting_id)
    try:
        kind = RoundKind(kind)
    except ValueError:
        raise InvalidInput(
            N_("kind: '%(kind)s' is not a round kind (wegen, zeven or kiezen)."),
            kind=str(kind)[:20],
        ) from None
    if after is None:
        position = _last_position(session, meeting_id=meeting_id) + 1
    else:
        position = after.position + 1
        session.exec(
            update(Round)
            .where(col(Round.meeting_id) == meeting_id, col(Round.position) >= position)
            .values(position=Round.position + 1)
            .execution_options(synchronize_session="fetch")
        )
    round_ = Round(
        meeting_id=meeting_id,
        kind=kind,
        run=_next_run(session, meeting_id=meeting_id, kind=kind),
        requires_code=requires_code,
        position=position,
        repeats_round_id=after.id if after is not None else None,
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
    counted = turnout(session, round_id=round_id)
    round_.state = RoundState.CLOSED
    round_.closed_at = utcnow()
    session.flush()
    _record(session, user, "round.closed", round_, ballots=counted.ballots, still_busy=counted.busy)
    return round_


def reopen_blocker(session: Session, *, round_: Round, now: datetime | None = None) -> str | None:
    """Why this round cannot be reopened now (a catalogue message), or None when it can."""
    if round_.state != RoundState.CLOSED or round_.closed_at is None:
        return N_("Only a closed round can be reopened.")
    now = now or utcnow()
    if now - aware(round_.closed_at) > timedelta(minutes=REOPEN_MINUTES):
        return N_(
            "This round was closed more than %(minutes)s minutes ago; it can no longer be "
            "reopened. Use 'Run again' to vote on it once more."
        )
    later = session.exec(
        select(Round).where(
            Round.meeting_id == round_.meeting_id,
            Round.id != round_.id,
            col(Round.opened_at).is_not(None),
        )
    ).all()
    if any(
        r.state == RoundState.OPEN or aware(r.opened_at or now) > aware(round_.closed_at)
        for r in later
    ):
        return N_(
            "Another round has been opened since this one closed, so it cannot be reopened. "
            "Use 'Run again' to vote on it once more."
        )
    return None


def reopen_deadline(round_: Round) -> datetime | None:
    """Until when a closed round can be reopened (if nothing else is opened before then)."""
    if round_.closed_at is None:
        return None
    return aware(round_.closed_at) + timedelta(minutes=REOPEN_MINUTES)


def reopen_round(session: Session, *, user: User, round_id: int) -> Round:
    """Reopen a round closed by mistake (within 10 minutes, if no later round was opened);
    its ballots stay as they were."""
    access.round_for(session, user=user, round_id=round_id)
    round_ = lock_round(session, round_id=round_id)
    if round_.state == RoundState.OPEN:
        return round_  # a second click changes nothing
    session.exec(select(Meeting).where(Meeting.id == round_.meeting_id).with_for_update()).one()
    blocker = reopen_blocker(session, round_=round_)
    if blocker is not None:
        raise CannotReopen(blocker, minutes=REOPEN_MINUTES)
    closed_at = round_.closed_at
    round_.state = RoundState.OPEN
    round_.closed_at = None
    round_.reopened_at = utcnow()
    session.flush()
    _record(
        session,
        user,
        "round.reopened",
        round_,
        closed_at=aware(closed_at).isoformat() if closed_at else None,
        ballots=turnout(session, round_id=round_id).ballots,
    )
    return round_


def run_again(session: Session, *, user: User, round_id: int) -> Round:
    """Add a new draft run of a closed round's kind directly after it, to vote on it again after
    discussion (phones waiting for the next round see this one)."""
    previous = access.round_for(session, user=user, round_id=round_id)
    if previous.state != RoundState.CLOSED:
        raise RoundNotOpen(N_("Close this round before running it again."))
    return add_round(
        session,
        user=user,
        meeting_id=previous.meeting_id,
        kind=previous.kind,
        requires_code=previous.requires_code,
        after=previous,
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
    """Turnout of several rounds, in two queries."""
    rows = session.execute(
        sa_select(
            col(Ballot.round_id),
            col(Ballot.participant_id),
            col(Ballot.channel),
            col(Ballot.is_late),
            col(Participant.code_id),
            col(Participant.stakeholder_group),
        )
        .join(Participant, col(Participant.id) == Ballot.participant_id)
        .where(col(Ballot.round_id).in_(round_ids))
    ).all()
    opened = session.exec(
        select(BallotOpened.round_id, BallotOpened.participant_id).where(
            col(BallotOpened.round_id).in_(round_ids)
        )
    ).all()
    result = {}
    for round_id in round_ids:
        mine = [row for row in rows if row[0] == round_id]
        voters = {row[1] for row in mine}
        seen = {participant for rid, participant in opened if rid == round_id}
        groups: Counter[str] = Counter(str(row[5] or "") for row in mine)
        # Groups of fewer than 5 count in the totals, never with a figure of their own.
        apart, small = shown_apart(dict(sorted(groups.items())))
        result[round_id] = Turnout(
            ballots=len(mine),
            phone=sum(1 for row in mine if row[2] == BallotChannel.PHONE),
            paper=sum(1 for row in mine if row[2] == BallotChannel.PAPER),
            without_code=sum(1 for row in mine if row[4] is None),
            by_group={g: groups[g] for g in apart},
            small_groups=bool(small),
            joined=len(seen | voters),
            busy=len(seen - voters),
            late_paper=sum(1 for row in mine if row[3]),
        )
    return result


def has_opened(session: Session, *, round_id: int, participant_id: int) -> bool:
    """Whether this participant's phone has been shown the ballot of this round."""
    return (
        session.exec(
            select(BallotOpened.id).where(
                BallotOpened.round_id == round_id, BallotOpened.participant_id == participant_id
            )
        ).first()
        is not None
    )


def note_ballot_opened(session: Session, *, round_id: int, participant_id: int) -> None:
    """Note that a phone was shown this round's ballot (once): it has joined, and is busy until
    it votes. Call it in a write transaction (see `app.db.write_after_read`): one statement,
    which the unique constraint makes a no-op for a phone noted before (by another request at
    the same moment, too)."""
    connection = session.connection()
    dml = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = BallotOpened.__table__  # type: ignore[attr-defined]
    connection.execute(
        dml.insert(table)
        .values(round_id=round_id, participant_id=participant_id, opened_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.round_id, table.c.participant_id])
    )
