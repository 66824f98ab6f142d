"""The request session: writes take SQLite's write lock at the start; reads do not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from starlette.requests import Request

from app import db
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


def _request(method: str) -> Request:
    return Request({"type": "http", "method": method, "path": "/", "headers": []})


@pytest.mark.parametrize(("method", "begin"), [("GET", "BEGIN"), ("POST", "BEGIN IMMEDIATE")])
def test_a_request_begins_as_it_means_to_go_on(
    statements: list[str], method: str, begin: str
) -> None:
    sessions = db.get_db(_request(method))
    session = next(sessions)
    session.execute(text("SELECT 1"))
    with pytest.raises(StopIteration):
        next(sessions)
    assert [s for s in statements if s.startswith("BEGIN")] == [begin]


def test_a_failing_request_is_rolled_back(statements: list[str]) -> None:
    sessions = db.get_db(_request("POST"))
    session = next(sessions)
    session.execute(text("CREATE TABLE t (x INTEGER)"))
    with pytest.raises(RuntimeError):
        sessions.throw(RuntimeError("the route failed"))
    check = db.get_engine().connect()
    tables = check.execute(text("SELECT name FROM sqlite_master WHERE name = 't'")).all()
    check.close()
    assert tables == []
