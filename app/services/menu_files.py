"""A process's menu as a file to download, in each menu file format, recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.exports import menu as menu_export
from app.models import User
from app.services import audit, editor


@dataclass(frozen=True)
class MenuFile:
    """A menu written as a file: its bytes, name and media type."""

    content: bytes
    filename: str
    media_type: str


def export_menu(
    session: Session, *, user: User, process_id: int, file_format: str, ip_address: str = ""
) -> MenuFile:
    """The menu as CSV, XLSX, YAML or JSON (each imports back); the export is logged."""
    document = editor.menu_document(session, user=user, process_id=process_id)
    audit.record(
        session,
        action="menu.exported",
        user_id=user.id,
        object_type="process",
        object_id=process_id,
        process_id=process_id,
        ip_address=ip_address,
        detail={"format": file_format},
    )
    return MenuFile(
        menu_export.menu_file(document, file_format),
        menu_export.filename(document, file_format),
        menu_export.MEDIA_TYPES[file_format],
    )
