"""The engine, the request's session (the one place that commits) and the naming convention."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from app.settings import get_settings, normalise_database_url

# Explicit constraint names, so that migrations can name what they drop on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

WRITE_OPTION = "waardenzeef_write"


def build_engine(url: str) -> Engine:
    """An engine for this URL: SQLite in WAL mode with full sync, or PostgreSQL via psycopg 3.

    The pool has a connection for each of the process's threads (WORKER_THREADS), so a request
    that has its turn never waits for a connection; a wait that would be longer than
    QUEUE_SECONDS (a connection, SQLite's write lock) ends in `Busy` (503 and Retry-After).
    """
    settings = get_settings()
    url = normalise_database_url(url)
    pool = {
        "pool_size": settings.worker_threads,
        "max_overflow": 5,  # a request's second connection (a benchmark, a CLI check): rare
        "pool_timeout": settings.queue_seconds,
    }
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            pool = {}  # an in-memory database lives in one connection (SingletonThreadPool)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.queue_seconds},
            **pool,
        )
        _configure_sqlite(engine, busy_ms=int(settings.queue_seconds * 1000))
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def _configure_sqlite(engine: Engine, *, busy_ms: int) -> None:
    # pysqlite opens transactions lazily and never for SELECT; take over so that a ballot and its
    # lines are one transaction and SAVEPOINTs work (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that reads before it writes cannot take the write lock later once another
        # connection has committed ("database is locked", no waiting). Writes therefore take it
        # at the start (BEGIN IMMEDIATE), where SQLite waits its turn (busy_timeout).
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache
def get_engine() -> Engine:
    """The engine of this process, built once from the settings."""
    return build_engine(get_settings().database_url)


def get_db() -> Generator[Session, None, None]:
    """A session for one request: commit when the request succeeds, roll back when it fails.

    Its transaction begins without a lock: a route that writes declares it (the `WriteLock`
    dependency of its route, which takes SQLite's write lock before anything is read), so page
    views, previews and polls never wait for a ballot, nor a ballot for them. The HTTP method
    decides nothing: an htmx preview is a POST that stores nothing.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def write_after_read(session: Session, write: Callable[[], None]) -> None:
    """End a page view's read-only transaction, then run a small write in a transaction of its own.

    For a page that must note something (a phone was shown a ballot): the reading never waits for
    the write lock, and the write, begun afresh (BEGIN IMMEDIATE on SQLite, where it waits its
    turn), cannot be refused because another connection wrote since the page was read. The
    request's session dependency commits it as usual.
    """
    session.commit()
    session.connection(execution_options={WRITE_OPTION: True})
    write()


# scope="function": commit before the response leaves, so "your vote counts" is never a lie.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


@contextmanager
def all_or_nothing(session: Session, *, dry_run: bool = False) -> Iterator[None]:
    """A savepoint around a file's changes: rolled back when anything in it fails, or when the
    file is only being tried (dry run); otherwise kept for the request's commit."""
    savepoint = session.begin_nested()
    try:
        yield
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
