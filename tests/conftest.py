"""Test databases built by the migrations, on SQLite and PostgreSQL; each test rolls back."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio.from_thread
import pytest
from anyio.from_thread import BlockingPortal
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


def unavailable(reason: str) -> None:
    """Skip with a reason, except in CI, where a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run in CI, not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def shared_portal() -> Iterator[None]:
    """One event loop, in a thread of its own, for every request of a TestClient used without
    `with` (the tests' second and third visitors): such a client otherwise starts a thread and an
    event loop for each request, about 35 ms of wall time and 3.5 ms of CPU each here. The app
    runs the same way in it (no lifespan, as before). Clients in a `with` block (the `client`
    fixture, with the app's lifespan) keep their own loop, and so do requests sent from the
    threads a test starts (the races), which go on getting a loop each."""
    owner = threading.get_ident()
    original = TestClient._portal_factory
    with anyio.from_thread.start_blocking_portal() as portal:

        @contextmanager
        def portal_factory(self: TestClient) -> Iterator[BlockingPortal]:
            if self.portal is None and threading.get_ident() == owner:
                yield portal
            else:
                with original(self) as own:
                    yield own

        TestClient._portal_factory = portal_factory  # type: ignore[method-assign]
        try:
            yield
        finally:
            TestClient._portal_factory = original  # type: ignore[method-assign]


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


def _fresh_postgres(admin_url: str, template: str | None = None) -> tuple[str, Engine]:
    # A database of its own per test run, so that parallel runs and other users do not collide.
    name = f"wz_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, admin


def _drop_postgres(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`@pytest.mark.one_database("why")`: the test runs on SQLite only.

    Every test that uses the database fixtures (session, client, engine, korrewegwijk...) runs
    twice, on SQLite and on PostgreSQL (the `databases` fixture below). A test whose subject is
    not the database (a PDF's layout, a workbook's cells, pabutools' counts on an exported file,
    the headers of every page) but the pages or files made from what the database holds gains
    nothing from its PostgreSQL twin but time. It says so with this marker and a one-line reason;
    the queries, locks, constraints, migrations, upserts and races stay on both. The marker is
    read here, before pytest applies the fixture's own two parameters: the test gets the SQLite
    one only (it still runs in CI, as every test does).
    """
    marker = metafunc.definition.get_closest_marker("one_database")
    if marker is None:
        return
    reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
    if not str(reason).strip():
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: one_database needs a reason")
    if "databases" not in metafunc.fixturenames:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: one_database on a test that uses no database"
        )
    metafunc.definition.add_marker(pytest.mark.parametrize("databases", ["sqlite"], indirect=True))


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Two migrated databases of each kind, for the whole test session: one stays empty, the
    other gets the Korrewegwijk seed (`seeded`). The second is a copy of the first, made before
    anything connects to it: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("db")
        url = f"sqlite:///{folder / 'test.sqlite3'}"
        schema.upgrade(url=url)
        source = sqlite3.connect(folder / "test.sqlite3")
        copy = sqlite3.connect(folder / "seeded.sqlite3")
        source.backup(copy)
        source.close()
        copy.close()
        yield url, f"sqlite:///{folder / 'seeded.sqlite3'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url, admin = _fresh_postgres(admin_url)
    try:
        schema.upgrade(url=url)
        copy_url, copy_admin = _fresh_postgres(admin_url, template=make_url(url).database)
        try:
            yield url, copy_url
        finally:
            _drop_postgres(copy_admin, copy_url)
    finally:
        _drop_postgres(admin, url)


@pytest.fixture(scope="session")
def database_url(databases: tuple[str, str]) -> str:
    """The empty migrated database of this kind."""
    return databases[0]


@pytest.fixture(scope="session")
def korrewegwijk_document() -> MenuDocument:
    """The Korrewegwijk seed, read once per test run (a frozen document: tests cannot change it)."""
    from app.services import menus as menus_service

    return menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")


@dataclass(frozen=True)
class Seeded:
    """The second database, with the Korrewegwijk seed committed in it."""

    engine: Engine
    process_id: int

    @contextmanager
    def rolled_back(self) -> Iterator[Session]:
        """A session whose writes are rolled back when the block ends (for module fixtures that
        build a night once and keep only what they read from it)."""
        with self.engine.connect() as connection:
            transaction = connection.begin()
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                yield session
            transaction.rollback()


@pytest.fixture(scope="session")
def seeded(databases: tuple[str, str], korrewegwijk_document: MenuDocument) -> Iterator[Seeded]:
    """The Korrewegwijk seed loaded once per test run: the tests that use it start from it and
    roll back, instead of loading the seed again in each test (about 65 ms of CPU each)."""
    from app.services import menus as menus_service

    engine = build_engine(databases[1])
    with Session(engine) as session, session.begin():
        report = menus_service.load_menu(session, document=korrewegwijk_document)
    yield Seeded(engine, report.process_id)
    engine.dispose()


@pytest.fixture(scope="session")
def plain_engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest, plain_engine: Engine) -> Engine:
    """The test's database: the seeded copy when the test uses `korrewegwijk`, else the empty
    migrated one."""
    if "korrewegwijk" in request.fixturenames:
        seeded: Seeded = request.getfixturevalue("seeded")
        return seeded.engine
    return plain_engine


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


@pytest.fixture
def korrewegwijk(
    request: pytest.FixtureRequest, session: Session, korrewegwijk_document: MenuDocument
) -> int:
    """The Korrewegwijk demo process, loaded from its seed; returns its id."""
    seeded: Seeded = request.getfixturevalue("seeded")
    bind = session.get_bind()
    if getattr(bind, "engine", None) is seeded.engine:
        return seeded.process_id
    # Asked for late (getfixturevalue), after the session was opened on the empty database.
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
