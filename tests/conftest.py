"""Test databases built by the migrations, on SQLite and PostgreSQL; each test rolls back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import schema
from app.db import build_engine, get_db
from app.domain.menu.document import MenuDocument
from app.main import app
from app.services import users as users_service
from app.settings import normalise_database_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parent.parent

# Production hashes passwords with argon2id at 64 MiB and 3 passes: about a second per login on
# this kind of machine, which is right for a login and wrong for hundreds of tests that create
# accounts and log in. Tests hash at the smallest cost argon2 allows (the hashes still verify as
# argon2id); tests/services/test_accounts.py checks production's cost once, with the real one.
PRODUCTION_PASSWORD_HASH = users_service.password_hash
users_service.password_hash = PasswordHash(
    (Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),)
)
users_service._DUMMY_HASH = users_service.password_hash.hash("not-a-real-password")


def unavailable(reason: str) -> None:
    """Skip with a reason, except in CI, where a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run in CI, not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The URL of a reachable PostgreSQL (TEST_DATABASE_URL), or skip."""
    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        unavailable(f"PostgreSQL is not reachable at {url}: {type(error).__name__}")
    finally:
        engine.dispose()
    return url


def _fresh_postgres(admin_url: str) -> tuple[str, Engine]:
    # A database of its own per test run, so that parallel runs and other users do not collide.
    name = f"wz_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, admin


def _drop_postgres(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each kind, for the whole test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        schema.upgrade(url=url)
        yield url
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url, admin = _fresh_postgres(admin_url)
    try:
        schema.upgrade(url=url)
        yield url
    finally:
        _drop_postgres(admin, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the test's transaction."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    """The app, with the request's session bound to the test's transaction."""

    def test_db() -> Iterator[Session]:
        # What the test set up counts as committed: a failing request rolls back only itself.
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_db] = test_db
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture(scope="session")
def korrewegwijk_document() -> MenuDocument:
    """The Korrewegwijk seed, read once per test run (a frozen document: tests cannot change it)."""
    from app.services import menus as menus_service

    return menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")


@pytest.fixture
def korrewegwijk(session: Session, korrewegwijk_document: MenuDocument) -> int:
    """The Korrewegwijk demo process, loaded from its seed; returns its id."""
    from app.services import menus as menus_service

    report = menus_service.load_menu(session, document=korrewegwijk_document)
    session.flush()
    return report.process_id


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on this engine while the block runs (the savepoints that stand for
    the test's commits left out)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
