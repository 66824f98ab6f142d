"""Who may see which process: the wijkteam sees all, a facilitator only the processes assigned."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.vocabulary import Role
from app.errors import N_, NotFound
from app.models import Meeting, Process, ProcessFacilitator, Round, User


def may_access(session: Session, *, user: User, process_id: int) -> bool:
    """Whether this account may work on this process."""
    if user.role == Role.WIJKTEAM:
        return True
    return (
        session.exec(
            select(ProcessFacilitator).where(
                ProcessFacilitator.process_id == process_id, ProcessFacilitator.user_id == user.id
            )
        ).first()
        is not None
    )


def process_for(session: Session, *, user: User, process_id: int) -> Process:
    """The process if this account may work on it; NotFound otherwise (never 'forbidden')."""
    process = session.get(Process, process_id)
    if process is None or not may_access(session, user=user, process_id=process_id):
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    return process


def meeting_for(session: Session, *, user: User, meeting_id: int) -> Meeting:
    """The meeting if this account may work on its process; NotFound otherwise."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not may_access(session, user=user, process_id=meeting.process_id):
        raise NotFound(N_("There is no meeting %(id)s."), id=meeting_id)
    return meeting


def round_for(session: Session, *, user: User, round_id: int) -> Round:
    """The round if this account may work on its process; NotFound otherwise."""
    round_ = session.get(Round, round_id)
    meeting = session.get(Meeting, round_.meeting_id) if round_ is not None else None
    if (
        round_ is None
        or meeting is None
        or not may_access(session, user=user, process_id=meeting.process_id)
    ):
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    return round_


def public_process(session: Session, *, process_id: int) -> Process:
    """A process as anyone may see it (its menu, its published plan), or NotFound."""
    process = session.get(Process, process_id)
    if process is None:
        raise NotFound(N_("There is no process %(id)s."), id=process_id)
    return process
