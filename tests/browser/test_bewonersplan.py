"""After a meeting night, the wijkteam opens the plan on a phone, adopts it and downloads it all."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from app.domain.pabulib import parse_pabulib
from app.domain.vocabulary import Role
from app.services import menus as menus_service
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, log_in, writing_session
from tests.conftest import REPO, unavailable
from tests.factories import meeting_night
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.browser
PASSWORD = "plan-wachtwoord-123"


@pytest.fixture(scope="module")
def process_with_a_night(live_server: str) -> int:
    """A process of its own in the live database, after a meeting with the three rounds closed."""
    document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
    document = dataclasses.replace(
        document, seed_key="plan-browser-test", title="Plan browser test"
    )
    with writing_session() as session, session.begin():
        report = menus_service.load_menu(session, document=document)
        meeting_night(session, report.process_id, participants=24, paper=3)
        users_service.create_user(
            session, email="plan-browser@example.org", role=Role.WIJKTEAM, password=PASSWORD
        )
    return report.process_id


def test_the_wijkteam_adopts_and_downloads_the_plan(
    browser: Any, live_server: str, artifacts: Path, process_with_a_night: int, tmp_path: Path
) -> None:
    pid = process_with_a_night
    context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server, "plan-browser@example.org", PASSWORD)
    page.goto(f"{live_server}/wijkteam/processes/{pid}/plan")
    assert page.locator("table.plan-table tbody tr").count() == 22
    overflow = loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the plan page is {overflow}px wider than the phone"
    keep(page, artifacts / "plan-360-current.png")
    keep(page, artifacts / "plan-360-current-full.png", full_page=True)

    page.click("text=Stel dit plan vast")
    page.wait_for_url("**/plan/adopted/*")
    assert "Vastgesteld op" in page.inner_text("p.status.adopted")
    keep(page, artifacts / "plan-360-adopted.png")

    files: dict[str, Path] = {}
    for fmt in ("pdf", "xlsx", "csv", "json", "pb"):
        with page.expect_download() as download:
            page.click(f"nav.downloads a[href$='.{fmt}']")
        files[fmt] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[fmt])
    context.close()

    plan = __import__("json").loads(files["json"].read_text(encoding="utf-8"))
    selected = [m["title"] for m in plan["measures"] if m["selected"]]
    assert selected

    book = load_workbook(files["xlsx"])
    assert [row[1] for row in book["Plan"].iter_rows(min_row=2, max_row=23, values_only=True)] == [
        m["title"] for m in plan["measures"]
    ]

    rows = list(
        csv.reader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig")), delimiter=";")
    )
    assert [r[1] for r in rows[1:] if r[13] == "ja"] == selected

    text = pdf_text(files["pdf"].read_bytes())
    assert all(title in text for title in selected)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", str(files["pdf"]), str(artifacts / "plan-pdf")],
            check=True,
        )
    else:
        unavailable("pdftoppm (Debian's poppler-utils) is not installed: PDF pages not rendered")

    # The anonymised ballots recount to the same selection and fingerprint.
    instance = parse_pabulib(files["pb"].read_text(encoding="utf-8"))
    assert "code" not in files["pb"].read_text(encoding="utf-8").lower().split("votes")[1]
    result = CliRunner().invoke(cli, ["recount", str(files["pb"]), "--json"])
    assert result.exit_code == 0, result.output
    recount = __import__("json").loads(result.output)
    keys = {str(m["measure_id"]): m["title"] for m in plan["measures"]}
    assert [keys[i] for i in recount["selected"]] == [
        m["title"]
        for m in sorted((m for m in plan["measures"] if m["selected"]), key=lambda m: m["position"])
    ]
    assert recount["fingerprint"] == plan["fingerprint"] == instance.meta["fingerprint"]
