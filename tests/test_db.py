"""The request session: a route that writes takes SQLite's write lock first; nothing else does.

The routes decide, one by one (the `WriteLock` dependency), not the HTTP method: a preview is a
POST that stores nothing, and a wijkteam page view takes no lock either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import event, text

from app import db
from app.main import app
from app.routes.meeting_deps import write_lock as meeting_write_lock
from app.routes.workspace_deps import write_lock
from app.settings import get_settings


@pytest.fixture
def statements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    seen: list[str] = []

    @event.listens_for(db.get_engine(), "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    yield seen
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_a_request_session_begins_without_a_lock(statements: list[str]) -> None:
    sessions = db.get_db()
    session = next(sessions)
    session.execute(text("SELECT 1"))
    with pytest.raises(StopIteration):
        next(sessions)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN"]


def test_the_write_lock_is_the_first_statement_of_a_writing_route(statements: list[str]) -> None:
    with db.get_engine().begin() as connection:
        connection.execute(text("CREATE TABLE round (id INTEGER PRIMARY KEY)"))
    statements.clear()
    sessions = db.get_db()
    session = next(sessions)
    write_lock(session)
    session.execute(text("SELECT 1"))
    with pytest.raises(StopIteration):
        next(sessions)
    assert statements[:3] == ["BEGIN", "UPDATE round SET id = id WHERE 0", "SELECT 1"]


# Routes that take a form or a body but store nothing: the htmx tally previews.
READ_ONLY_POSTS = {
    "/m/{meeting_id}/rounds/{round_id}/preview",
    "/console/rounds/{round_id}/paper/preview",
}


def _routes() -> list[tuple[str, set[str], APIRoute]]:
    return [
        (c.path or "", set(c.methods or ()), c.route)
        for c in iter_route_contexts(app.routes)
        if isinstance(c.route, APIRoute)
    ]


def _depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def test_every_route_that_may_write_declares_the_write_lock() -> None:
    """Without it, a route that reads and then writes fails at once on SQLite ('database is
    locked') when a ballot commits in between; with it, it waits its turn."""
    missing = []
    checked = 0
    for path, methods, route in _routes():
        if methods <= {"GET", "HEAD"}:
            continue
        checked += 1
        locks = _depends_on(route.dependant, write_lock) or _depends_on(
            route.dependant, meeting_write_lock
        )
        if path in READ_ONLY_POSTS:
            assert not locks, f"{path} stores nothing and must not take the write lock"
        elif not locks:
            missing.append(f"{sorted(methods)} {path}")
    assert checked > 50
    assert missing == []


def test_page_views_of_the_wijkteam_take_no_write_lock() -> None:
    pages = [
        (path, route)
        for path, methods, route in _routes()
        if path.startswith("/wijkteam") and methods == {"GET"}
    ]
    assert len(pages) > 10
    locking = [path for path, route in pages if _depends_on(route.dependant, write_lock)]
    # The audit log's CSV download notes in the log that it was downloaded: it writes.
    assert locking == ["/wijkteam/audit.csv"]


def test_a_failing_request_is_rolled_back(statements: list[str]) -> None:
    sessions = db.get_db()
    session = next(sessions)
    session.execute(text("CREATE TABLE t (x INTEGER)"))
    with pytest.raises(RuntimeError):
        sessions.throw(RuntimeError("the route failed"))
    check = db.get_engine().connect()
    tables = check.execute(text("SELECT name FROM sqlite_master WHERE name = 't'")).all()
    check.close()
    assert tables == []
