"""Files in and out, shared by the wijkteam's pages and API: uploads, downloads, menus, cards."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from urllib.parse import quote

from fastapi import Request, UploadFile
from sqlmodel import Session
from starlette.responses import Response, StreamingResponse

from app.domain.codes import IssuedCode
from app.exports import cards as cards_export
from app.exports import menu as menu_export
from app.models import Process, User
from app.routes.workspace_deps import client_ip
from app.services import imports, menu_files


class MenuFormat(StrEnum):
    """The formats a menu can be downloaded in."""

    CSV = "csv"
    XLSX = "xlsx"
    YAML = "yaml"
    JSON = "json"


class TemplateFormat(StrEnum):
    """The formats of the import template."""

    CSV = "csv"
    XLSX = "xlsx"


def read_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file (at most one byte over the limit is read)."""
    if upload is None:
        return "", b""
    return upload.filename or "", upload.file.read(imports.MAX_FILE_BYTES + 1)


def _headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    }


def download(content: bytes, *, filename: str, media_type: str) -> Response:
    """A file to save, never cached (card files hold the only copy of the codes)."""
    return Response(content, media_type=media_type, headers=_headers(filename))


def download_later(
    render: Callable[[], bytes], *, filename: str, media_type: str
) -> StreamingResponse:
    """A file made after the request's session has committed (while the response is sent).

    For voting-card PDFs: rendering takes seconds, and the database (on SQLite: its write lock)
    should not wait for it. The codes are saved first; the only copy of their plain text is kept
    in memory until the file is made.
    """

    def chunks() -> Iterator[bytes]:
        yield render()

    return StreamingResponse(chunks(), media_type=media_type, headers=_headers(filename))


def menu_download(
    request: Request, session: Session, user: User, process: Process, file_format: MenuFormat
) -> Response:
    """The menu as a file to save, its export written in the audit log (pages and API)."""
    menu_file = menu_files.export_menu(
        session,
        user=user,
        process_id=process.id or 0,
        file_format=file_format.value,
        ip_address=client_ip(request),
    )
    return download(menu_file.content, filename=menu_file.filename, media_type=menu_file.media_type)


def template_download(file_format: TemplateFormat) -> Response:
    """The import template with example rows, as a download."""
    return download(
        menu_export.template(file_format.value),
        filename=f"waardenzeef-menu-sjabloon.{file_format.value}",
        media_type=menu_export.MEDIA_TYPES[file_format.value],
    )


def cards_download(
    cards: Sequence[IssuedCode], *, pdf: bool, name: str, base_url: str, process_title: str
) -> Response:
    """Issued cards as their only copy: CSV at once, or a PDF made while the response is sent."""
    if pdf:
        return download_later(
            lambda: cards_export.cards_pdf(cards, base_url=base_url, process_title=process_title),
            filename=f"{name}.pdf",
            media_type="application/pdf",
        )
    return download(
        cards_export.cards_csv(cards, base_url=base_url),
        filename=f"{name}.csv",
        media_type="text/csv; charset=utf-8",
    )
