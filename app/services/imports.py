"""Importing a menu file (CSV, XLSX, YAML, JSON) into a process: all or nothing.

The file is read by the menu wing (`app.domain.menu.files`), which names every problem as a code
with its place; loading goes through `menus.load_menu` inside a savepoint, so a refused import (a
frozen menu, a dry run) writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from app.db import all_or_nothing
from app.domain.menu.cells import slug
from app.domain.menu.document import MenuDocument
from app.domain.menu.files import MAX_FILE_BYTES, ReadReport, read_menu_file
from app.domain.menu.problems import Problem, Where
from app.models import Process, User
from app.services import access, audit
from app.services import menus as menus_service

__all__ = ["MAX_FILE_BYTES", "ImportResult", "import_menu", "read_menu_file"]


@dataclass
class ImportResult:
    """The outcome of an import: the reading, and what was (or in a dry run would be) written."""

    read: ReadReport
    process_id: int | None = None
    created: int = 0
    updated: int = 0
    removed: int = 0
    written: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether the file could be imported."""
        return not self.read.problems


# --- loading into a process --------------------------------------------------------------------


def import_menu(
    session: Session,
    *,
    user: User,
    filename: str,
    data: bytes,
    process_id: int | None = None,
    dry_run: bool = False,
    ip_address: str = "",
) -> ImportResult:
    """Read a menu file and load it as a new process or into this one; all or nothing."""
    target = access.process_for(session, user=user, process_id=process_id) if process_id else None
    read = read_menu_file(filename=filename, data=data)
    result = ImportResult(read=read, dry_run=dry_run)
    if read.problems or read.document is None:
        return result
    document = read.document
    if target is None:
        key = document.seed_key or _free_key(session, _key_for(document))
        existing = session.exec(select(Process).where(Process.seed_key == key)).first()
        if existing is not None:
            params = {"key": key, "title": existing.title}
            read.problems.append(Problem("process_key_taken", params, Where(column="sleutel")))
            return result
        document = replace(document, seed_key=key)
    with all_or_nothing(session, dry_run=dry_run):
        if target is not None:
            assert target.id is not None
            if not target.seed_key:
                target.seed_key = _free_key(session, document.seed_key or f"process-{target.id}")
            document = replace(document, seed_key=target.seed_key)
        loaded = menus_service.load_menu(session, document=document)
        audit.record(
            session,
            action="menu.imported",
            user_id=user.id,
            object_type="process",
            object_id=loaded.process_id,
            process_id=loaded.process_id,
            ip_address=ip_address,
            detail={
                "file": filename[:200],
                "format": str(read.format),
                "new_process": target is None,
                "created": loaded.created,
                "updated": loaded.updated,
                "removed": loaded.removed,
            },
        )
    result.process_id = None if dry_run and target is None else loaded.process_id
    result.created, result.updated, result.removed = (
        loaded.created,
        loaded.updated,
        loaded.removed,
    )
    result.written = not dry_run
    return result


def _key_for(document: MenuDocument) -> str:
    # A readable key for a process from a file that named none: its title, with the
    # neighbourhood in front when the title does not already say it.
    title, hood = slug(document.title), slug(document.neighbourhood_name)
    return (title if hood and hood in title else slug(f"{hood} {title}")) or "menu"


def _free_key(session: Session, base: str) -> str:
    base = base[:70] or "menu"
    taken = set(
        session.exec(select(Process.seed_key).where(Process.seed_key.startswith(base))).all()  # type: ignore[union-attr]
    )
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key
