"""The audit log: who did what, when, to which object."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models import AuditEvent, Process


def record(
    session: Session,
    *,
    action: str,
    user_id: int | None = None,
    object_type: str = "",
    object_id: int | str | None = None,
    process_id: int | None = None,
    ip_address: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    if process_id is not None and session.get(Process, process_id) is None:
        # An action about a process that does not exist (a filter on a wrong number, say):
        # the log keeps the number, without a reference the database would refuse.
        detail = {**(detail or {}), "process_id": process_id}
        process_id = None
    event = AuditEvent(
        action=action,
        user_id=user_id,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        process_id=process_id,
        ip_address=ip_address,
        detail=detail or {},
    )
    session.add(event)
    return event
