"""The workspace in Debian's Chromium at a phone's and a laptop's width: fits, readable, axe-clean.

A wijkteam member uploads a file with mistakes, reads every problem, uploads a good file, opens the
process and a form with errors. Screenshots go to test-artifacts/workspace-*.png (`make
screenshots`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.domain.vocabulary import Role
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, log_in, run_axe, writing_session
from tests.conftest import REPO, unavailable

pytestmark = pytest.mark.browser
MENUS = REPO / "tests" / "fixtures" / "menus"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"


def _check(page: Any, width: int, name: str, folder: Path) -> None:
    """The page fits the width, its controls are big enough to tap, and axe finds nothing."""
    overflow = loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than {width}px"
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main select, main input:not([type=hidden]), main .button')]
            .filter(e => e.offsetParent && e.getBoundingClientRect().height < 44
                    && !['checkbox', 'radio'].includes(e.type))
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert small == [], f"{name}: controls under 44 px: {small}"
    result = run_axe(page, AXE)
    problems = [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]
    assert problems == [], f"{name}: axe found {problems}"
    keep(page, folder / f"workspace-{width}-{name}.png", full_page=True)


@pytest.mark.parametrize("width", [360, 1280])
def test_a_menu_file_is_imported_in_the_browser(
    browser: Any,
    live_server: str,
    artifacts: Path,
    width: int,
    tmp_path: Path,
) -> None:
    if not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    email = f"browser{width}@wijkteam.example"
    with writing_session() as session, session.begin():
        users_service.create_user(session, email=email, role=Role.WIJKTEAM, password=PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="nl-NL")
    page = context.new_page()
    log_in(page, live_server, email, PASSWORD)
    page.wait_for_url("**/wijkteam")
    _check(page, width, "dashboard", artifacts)

    page.click("a[href='/wijkteam/import']")
    page.set_input_files("#f-file", str(MENUS / "many-mistakes.xlsx"))
    page.click("button[value=import]")
    problems = page.locator("ol.problems-list:not(.warnings) li")
    expect(problems).to_have_count(5)  # the click only sends the file: wait for the answer
    assert "Regel 4, kolom kosten_jaar_1 (F)" in problems.nth(1).inner_text()
    _check(page, width, "import-problems", artifacts)

    good = tmp_path / "oosterpark.csv"
    good.write_bytes(
        (MENUS / "good.csv").read_bytes().replace(b"oosterpark-2026", f"oost-{width}".encode())
    )
    page.set_input_files("#f-file", str(good))
    page.click("button[value=import]")
    expect(page.locator("[role=status]")).to_contain_text("De menukaart is ingelezen.")
    _check(page, width, "import-done", artifacts)

    with page.expect_navigation():
        page.click("a.button[href^='/wijkteam/processes/']")
    assert page.locator("#effects ~ .rows li").count() >= 2
    _check(page, width, "process", artifacts)
    process_url = page.url.split("?")[0].split("#")[0]

    page.goto(f"{process_url}/measures/new")
    page.fill("#f-title", "Nieuwe bank")
    page.fill("#f-cost_years_4", "12,5")
    page.click("form.ws button[type=submit]")
    expect(page.locator("#e-cost_years_4")).to_contain_text("laat de centen weg")
    _check(page, width, "measure-errors", artifacts)

    page.goto(f"{process_url}/codes")
    _check(page, width, "codes", artifacts)
    # Making cards downloads the file, then the page counts the new cards (static/cards.js), so
    # that nobody makes a second batch thinking the first failed.
    assert page.inner_text(".figures div:first-child strong") == "0"
    page.fill("#f-count", "2")
    page.check("#o-csv")
    page.check("#f-allow_local")  # the live server's address is this computer's
    with page.expect_download() as download:
        page.click("form[data-download-then-reload] button[type=submit]")
    assert download.value.suggested_filename.endswith(".csv")
    expect(page.locator(".figures div:first-child strong")).to_have_text("2")
    context.close()
