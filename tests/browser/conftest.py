"""A live server on a seeded SQLite database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session, func, select

from app import schema
from app.db import WRITE_OPTION, get_engine
from app.domain.vocabulary import RoundState
from app.models import Meeting, Round, utcnow
from app.services import menus as menus_service
from app.settings import get_settings
from tests.conftest import REPO, unavailable

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def writing_session() -> Session:
    """A session that writes beside the live server: on SQLite it takes the write lock when it
    begins (BEGIN IMMEDIATE), as the app's own writing requests do. A deferred transaction that
    reads first is refused at its first write ("database is locked", no waiting) whenever the
    server committed in between, as a phone's page view that notes something does."""
    return Session(get_engine().execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on a free port with the Korrewegwijk seed loaded; yields its base URL."""
    database = tmp_path_factory.mktemp("live") / "live.sqlite3"
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", f"sqlite:///{database}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    schema.upgrade()
    with Session(get_engine()) as session, session.begin():
        document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
        menus_service.load_menu(session, document=document)
    from app.main import app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    get_engine().dispose()
    mp.undo()
    get_settings.cache_clear()
    get_engine.cache_clear()


def log_in(page: Any, base: str, email: str, password: str) -> None:
    """Log in on /login and wait for the page it leads to.

    A click only sends the form: a `goto` right after it can overtake the answer that sets the
    session cookie and land on the login page again.
    """
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    if "/login" in page.url:
        raise AssertionError(f"logging in as {email} failed: still on {page.url}")


def loaded(page: Any) -> Any:
    """The page once it has loaded, to be measured: before its stylesheets arrive (a click or
    an `expect` on a heading waits for the document only), a table is as wide as its text (the
    meeting night once failed on "kiezen-outcome: 469px wide on a 360px phone")."""
    page.wait_for_load_state("load")
    return page


# What Chromium refused under the Content-Security-Policy during the current test.
CSP_VIOLATIONS: list[str] = []


def _watch(target: Any) -> Any:
    """Record the CSP violations Chromium reports on the console of a context or page."""

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.location.get('url', '')}: {message.text}")

    target.on("console", on_console)
    return target


def run_script(page: Any, path: Path) -> None:
    """Run a test's own script (axe-core) in a page, as the tester, not as the page's script.

    A `<script>` tag added to the page would be inline, which the page's policy refuses.
    """
    page.evaluate(path.read_text(encoding="utf-8"))


def run_axe(page: Any, path: Path) -> dict[str, Any]:
    """axe-core's results on the page as it is now; the tests read their `violations`.

    axe runs every rule on every element and reports every violation in full; asked for
    violations only (`resultTypes`), it skips making a CSS selector for each element that passes,
    which is most of its time on a long page (the menu page at 360 px: 1.47 -> 0.68 s). axe is
    loaded into the page once, not again for each state of the same page.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        run_script(page, path)
    return dict(page.evaluate("async () => await axe.run({resultTypes: ['violations']})"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium (never a downloaded browser), headless; CSP violations are recorded."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        unavailable("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        new_context, new_page = browser.new_context, browser.new_page
        browser.new_context = lambda *a, **k: _watch(new_context(*a, **k))  # type: ignore[method-assign]
        browser.new_page = lambda *a, **k: _watch(new_page(*a, **k))  # type: ignore[method-assign]
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every browser test fails when a page did something its Content-Security-Policy refuses."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], "\n".join(CSP_VIOLATIONS)


@pytest.fixture(autouse=True)
def no_round_left_open(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a browser test, the rounds of the meetings it made are closed, passed or failed.

    A resident who types a code on the start page is sent to tonight's meeting: the one of the
    code's process with an open round. A round left open by one test (one that failed half-way)
    would send the next test's resident to that meeting instead of its own, and fail it for no
    reason of its own (the meeting night's run without JavaScript failed so in CI)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    with Session(get_engine()) as session:
        before = session.exec(select(func.max(Meeting.id))).one() or 0
    yield
    with writing_session() as session, session.begin():
        left_open = session.exec(
            select(Round).where(Round.meeting_id > before, Round.state == RoundState.OPEN)
        ).all()
        for round_ in left_open:
            round_.state, round_.closed_at = RoundState.CLOSED, utcnow()


# Screenshots for people to look at, in test-artifacts/: `make screenshots` (SCREENSHOTS=1).
SCREENSHOTS = os.environ.get("SCREENSHOTS", "") == "1"


def keep(target: Any, path: Path | str, *, full_page: bool = False) -> None:
    """A screenshot of a page or an element, kept in test-artifacts/ for people to look at.

    It checks nothing, so it is taken only with SCREENSHOTS=1 (`make screenshots`): a run of the
    browser tests takes some 180 of them, 15 s of Chromium's time on this machine under load. A
    screenshot that a test reads (the projector's QR code) is taken in the test itself."""
    if SCREENSHOTS:
        if full_page:
            target.screenshot(path=str(path), full_page=True)
        else:
            target.screenshot(path=str(path))


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots are kept for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
