"""Meetings of a process: creating them, listing them for the console, finding tonight's."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain.vocabulary import RoundKind, RoundState
from app.errors import N_, InvalidInput, NotFound
from app.models import Meeting, PaperEntry, Process, Round, User
from app.services import access, audit
from app.services import processes as processes_service
from app.services import rounds as rounds_service
from app.settings import public_base_url

DEFAULT_ROUNDS = (RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN)


@dataclass(frozen=True)
class ProcessMeetings:
    """A process the user works on, with its meetings (newest first)."""

    process_id: int
    title: str
    neighbourhood: str
    meetings: list[Meeting]


def create_meeting(
    session: Session,
    *,
    user: User,
    process_id: int,
    title: str,
    location: str = "",
    starts_at: datetime | None = None,
    with_rounds: bool = True,
) -> Meeting:
    """Create a meeting of a process (with the three rounds of the default night, unless not)."""
    process = access.process_for(session, user=user, process_id=process_id)
    title, location = title.strip(), location.strip()
    if not title:
        raise InvalidInput(N_("title: give the meeting a name, for example 'Wijkavond 12 maart'."))
    if len(title) > 200:
        raise InvalidInput(N_("title: use at most %(n)s characters."), n=200)
    if len(location) > 200:
        raise InvalidInput(N_("location: use at most %(n)s characters."), n=200)
    if starts_at is not None and starts_at.tzinfo is not None:
        starts_at = starts_at.astimezone(
            UTC
        )  # stored in UTC, as every timestamp (SQLite drops zones)
    meeting = Meeting(process_id=process_id, title=title, location=location, starts_at=starts_at)
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    audit.record(
        session,
        action="meeting.created",
        user_id=user.id,
        object_type="meeting",
        object_id=meeting.id,
        process_id=process.id,
        detail={"title": title, "location": location},
    )
    if with_rounds:
        for kind in DEFAULT_ROUNDS:
            rounds_service.add_round(session, user=user, meeting_id=meeting.id, kind=kind)
    return meeting


def meetings_for_console(session: Session, *, user: User) -> list[ProcessMeetings]:
    """The processes this user works on, each with its meetings, newest first."""
    processes = processes_service.list_processes(session, user=user)
    meetings = session.exec(
        select(Meeting)
        .where(col(Meeting.process_id).in_([p.id for p in processes]))
        .order_by(col(Meeting.id).desc())
    ).all()
    return [
        ProcessMeetings(
            process_id=p.id,
            title=p.title,
            neighbourhood=p.neighbourhood,
            meetings=[m for m in meetings if m.process_id == p.id],
        )
        for p in processes
    ]


def get_meeting(session: Session, *, meeting_id: int) -> Meeting:
    """A meeting as residents see it (its title and rounds are not secret), or NotFound."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(N_("There is no meeting %(id)s."), id=meeting_id)
    return meeting


def get_process(session: Session, *, meeting: Meeting) -> Process:
    """The process a meeting belongs to."""
    process = session.get(Process, meeting.process_id)
    assert process is not None
    return process


def rounds_of(session: Session, *, meeting_id: int) -> list[Round]:
    """The rounds of a meeting in their order (a rerun comes right after the round it repeats)."""
    return list(
        session.exec(
            select(Round)
            .where(Round.meeting_id == meeting_id)
            .order_by(col(Round.position), col(Round.id))
        ).all()
    )


def current_meeting(session: Session, *, process_id: int) -> Meeting | None:
    """Tonight's meeting of a process: the one with an open round, else the newest one."""
    with_open = session.exec(
        select(Meeting)
        .join(Round, col(Round.meeting_id) == Meeting.id)
        .where(Meeting.process_id == process_id, Round.state == RoundState.OPEN)
        .order_by(col(Round.opened_at).desc())
    ).first()
    if with_open is not None:
        return with_open
    return session.exec(
        select(Meeting).where(Meeting.process_id == process_id).order_by(col(Meeting.id).desc())
    ).first()


def join_address(meeting_id: int) -> str:
    """The address residents type or scan to join a meeting."""
    return f"{public_base_url()}/m/{meeting_id}"


def short_address(meeting_id: int) -> str:
    """The join address without the scheme, as it is read aloud and typed."""
    return join_address(meeting_id).split("://", 1)[-1]


class RoundMarks(Protocol):
    """What of a round the signature reads (a Round, or the few columns the poll selects)."""

    @property
    def id(self) -> int | None: ...
    @property
    def state(self) -> str: ...
    @property
    def results_visible(self) -> bool: ...
    @property
    def requires_code(self) -> bool: ...
    @property
    def position(self) -> int: ...
    @property
    def receipts_published_at(self) -> datetime | None: ...


def signature(rounds: Sequence[RoundMarks], paper: str = "") -> str:
    """A short fingerprint of the rounds' states (and paper entries, which phones are told of):
    it changes when a page should follow along."""
    text = ";".join(
        f"{r.id}:{r.state}:{int(r.results_visible)}:{int(r.requires_code)}:{r.position}"
        f":{int(r.receipts_published_at is not None)}"  # the projector shows published receipts
        for r in rounds
    )
    return hashlib.sha256(f"{text}|{paper}".encode()).hexdigest()[:16]


def paper_marker(session: Session, *, rounds: list[Round]) -> str:
    """How many paper ballots were entered and undone in these rounds (part of the signature)."""
    entered, undone = session.exec(
        select(func.count(col(PaperEntry.id)), func.count(col(PaperEntry.undone_at))).where(
            col(PaperEntry.round_id).in_([r.id for r in rounds])
        )
    ).one()
    return f"{entered}:{undone}"


@dataclass(frozen=True)
class ResidentView:
    """What a resident's phone shows of a meeting: the open round, what comes next, what is done."""

    meeting: Meeting
    rounds: list[Round]
    open_round: Round | None
    next_round: Round | None
    closed_rounds: list[Round]
    signature: str


@dataclass(frozen=True)
class _Marks:
    id: int | None
    state: str
    results_visible: bool
    requires_code: bool
    position: int
    receipts_published_at: datetime | None


# The columns of _Marks, in its order.
_MARK_COLUMNS = (
    col(Round.id),
    col(Round.state),
    col(Round.results_visible),
    col(Round.requires_code),
    col(Round.position),
    col(Round.receipts_published_at),
)
# Built once: the rounds' marks and the paper count of a meeting, one row per round (one row of
# NULLs for a meeting without rounds, none for no meeting).
_FOLLOW = (
    sa_select(
        col(Meeting.id),
        *_MARK_COLUMNS,
        func.count(col(PaperEntry.id)),
        func.count(col(PaperEntry.undone_at)),
    )
    .select_from(Meeting)
    .outerjoin(Round, col(Round.meeting_id) == Meeting.id)
    .outerjoin(PaperEntry, col(PaperEntry.round_id) == Round.id)
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .group_by(col(Meeting.id), *_MARK_COLUMNS)
    .order_by(col(Round.position), col(Round.id))
)


def follow_signature(session: Session, *, meeting_id: int) -> str:
    """The meeting's signature, the same as `resident_view`'s, in one small query: what a
    polling phone compares with the page it shows (NotFound when there is no such meeting).
    Run on the session's connection, past the ORM: it reads plain columns only."""
    rows = session.connection().execute(_FOLLOW, {"meeting_id": meeting_id}).all()
    if not rows:
        raise NotFound(N_("There is no meeting %(id)s."), id=meeting_id)
    marks = [_Marks(*row[1:7]) for row in rows if row[1] is not None]
    paper = f"{sum(row[7] for row in rows)}:{sum(row[8] for row in rows)}"
    return signature(marks, paper)


def resident_view(session: Session, *, meeting_id: int) -> ResidentView:
    """The state of a meeting as residents see it."""
    meeting = get_meeting(session, meeting_id=meeting_id)
    rounds = rounds_of(session, meeting_id=meeting_id)
    return ResidentView(
        meeting=meeting,
        rounds=rounds,
        open_round=next((r for r in rounds if r.state == RoundState.OPEN), None),
        next_round=next((r for r in rounds if r.state == RoundState.DRAFT), None),
        closed_rounds=[r for r in rounds if r.state == RoundState.CLOSED],
        signature=signature(rounds, paper_marker(session, rounds=rounds)),
    )
