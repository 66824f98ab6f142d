"""Reading the audit log: pages of events with who, what, when and which object, and CSV export."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.spreadsheet import csv_writer
from app.errors import N_
from app.i18n import gettext, local_time
from app.models import AuditEvent, Process, User
from app.services import audit

PER_PAGE = 50
CSV_COLUMNS = (
    "tijd_utc",
    "account",
    "rol",
    "actie",
    "object",
    "object_id",
    "proces_id",
    "proces",
    "ip_adres",
    "details",
)
ACTION_LABELS = {
    "login": N_("logged in"),
    "login.failed": N_("login failed"),
    "login.refused": N_("login refused (too many attempts)"),
    "logout": N_("logged out"),
    "password.changed": N_("changed their password"),
    "user.created": N_("created an account"),
    "user.activated": N_("reactivated an account"),
    "user.deactivated": N_("deactivated an account"),
    "user.password_reset": N_("reset a password"),
    "facilitator.assigned": N_("assigned a facilitator"),
    "facilitator.unassigned": N_("unassigned a facilitator"),
    "process.created": N_("created a process"),
    "process.updated": N_("changed a process"),
    "process.version_started": N_("started a new process version"),
    "effect.created": N_("added an effect"),
    "effect.updated": N_("changed an effect"),
    "effect.deleted": N_("deleted an effect"),
    "indicator.created": N_("added an indicator"),
    "indicator.updated": N_("changed an indicator"),
    "indicator.deleted": N_("deleted an indicator"),
    "measure.created": N_("added a measure"),
    "measure.updated": N_("changed a measure"),
    "measure.deleted": N_("deleted a measure"),
    "menu.imported": N_("imported a menu file"),
    "menu.exported": N_("downloaded the menu"),
    "codes.issued": N_("issued voting cards"),
    "code.revoked": N_("revoked a voting card"),
    "codes.revoked": N_("revoked a batch of voting cards"),
    "audit.exported": N_("downloaded the audit log"),
}


def utc(moment: datetime) -> datetime:
    """A stored timestamp with its zone (SQLite gives it back without; it is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


OBJECT_LABELS = {
    "process": N_("process"),
    "user": N_("account"),
    "effect": N_("effect"),
    "indicator": N_("indicator"),
    "measure": N_("measure"),
    "participant_code": N_("voting card"),
    "login": N_("login"),
    "audit": N_("audit log"),
}


@dataclass
class AuditRow:
    """An audit event with the account and process it names."""

    event: AuditEvent
    email: str
    role: str
    process_title: str
    process_version: int | None

    @property
    def when(self) -> str:
        """The moment on the reader's clock (TIME_ZONE): 12-03-2026 19:45:07."""
        return local_time(self.event.at, "%d-%m-%Y %H:%M:%S")

    @property
    def object_label(self) -> str:
        """Which object, in the current language: 'maatregel 12'."""
        kind = OBJECT_LABELS.get(self.event.object_type)
        name = gettext(kind) if kind else self.event.object_type
        if self.event.object_type == "login":
            return name
        return f"{name} {self.event.object_id}".strip()

    @property
    def label(self) -> str:
        """What happened, in the current language (the action name when it has no label)."""
        label = ACTION_LABELS.get(self.event.action)
        return gettext(label) if label else self.event.action


def _query(process_id: int | None, action: str | None) -> Any:
    query = (
        select(AuditEvent, User, Process)
        .outerjoin(User, col(User.id) == AuditEvent.user_id)
        .outerjoin(Process, col(Process.id) == AuditEvent.process_id)
    )
    if process_id is not None:
        query = query.where(AuditEvent.process_id == process_id)
    if action:
        query = query.where(
            (col(AuditEvent.action) == action) | col(AuditEvent.action).startswith(action + ".")
        )
    return query


def count_events(
    session: Session, *, process_id: int | None = None, action: str | None = None
) -> int:
    """How many events match."""
    query = select(func.count()).select_from(AuditEvent)
    if process_id is not None:
        query = query.where(AuditEvent.process_id == process_id)
    if action:
        query = query.where(
            (col(AuditEvent.action) == action) | col(AuditEvent.action).startswith(action + ".")
        )
    return int(session.exec(query).one())


def list_events(
    session: Session,
    *,
    process_id: int | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> list[AuditRow]:
    """One page of events, newest first."""
    page = max(1, page)
    rows = session.exec(
        _query(process_id, action)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [_row(event, user, process) for event, user, process in rows]


def _row(event: AuditEvent, user: User | None, process: Process | None) -> AuditRow:
    return AuditRow(
        event=event,
        email=user.email if user else str(event.detail.get("email", "")),
        role=str(user.role) if user else "",
        process_title=process.title if process else "",
        process_version=process.version if process else None,
    )


def action_names(session: Session) -> list[str]:
    """The kinds of action in the log (the part before the dot), for filtering."""
    actions = session.exec(select(AuditEvent.action).distinct()).all()
    return sorted({a.split(".", 1)[0] for a in actions})


def export_csv(
    session: Session,
    *,
    user: User,
    process_id: int | None = None,
    action: str | None = None,
    ip_address: str = "",
) -> bytes:
    """Every matching event as CSV (pages and API alike); the export itself is logged."""
    content = events_csv(session, process_id=process_id, action=action)
    audit.record(
        session,
        action="audit.exported",
        user_id=user.id,
        object_type="audit",
        process_id=process_id,
        ip_address=ip_address,
        detail={"action": (action or "")[:40]},
    )
    return content


def events_csv(
    session: Session, *, process_id: int | None = None, action: str | None = None
) -> bytes:
    """Every matching event as CSV (UTF-8 with BOM, ';'), oldest first."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event, user, process in session.exec(
        _query(process_id, action).order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all():
        row = _row(event, user, process)
        writer.writerow(
            [
                utc(event.at).isoformat(),
                row.email,
                row.role,
                event.action,
                event.object_type,
                event.object_id,
                event.process_id or "",
                row.process_title,
                event.ip_address,
                json.dumps(event.detail, ensure_ascii=False, sort_keys=True, default=str),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
