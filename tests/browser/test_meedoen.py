"""Meedoen on a phone and a laptop: after Kiezen a resident offers help with two measures and
withdraws one; the wijkteam sees the other and exports it, and the export holds nothing of a ballot.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from app.domain.vocabulary import Role, RoundKind, RoundState
from app.models import Round, utcnow
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import menus as menus_service
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, log_in, writing_session
from tests.conftest import REPO

pytestmark = pytest.mark.browser
PASSWORD = "meedoen-wachtwoord-123"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 720}


@dataclasses.dataclass
class Evening:
    process_id: int
    meeting_id: int
    code: str
    wijkteam: str


@pytest.fixture(scope="module")
def evening(live_server: str) -> Evening:
    """A process of its own whose Kiezen round is open, a card for a resident, a wijkteam login."""
    document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
    document = dataclasses.replace(document, seed_key="meedoen-browser", title="Meedoen test")
    with writing_session() as session, session.begin():
        process_id = menus_service.load_menu(session, document=document).process_id
        wijkteam, _ = users_service.create_user(
            session, email="meedoen@example.org", role=Role.WIJKTEAM, password=PASSWORD
        )
        meeting = meetings_service.create_meeting(
            session, user=wijkteam, process_id=process_id, title="Bewonersavond meedoen"
        )
        kiezen = session.exec(
            select(Round).where(Round.meeting_id == meeting.id, Round.kind == RoundKind.KIEZEN)
        ).one()
        kiezen.state = RoundState.OPEN
        kiezen.opened_at = utcnow()
        [card] = codes_service.issue_codes(session, process_id=process_id, count=1)
    return Evening(process_id, meeting.id or 0, card.code, wijkteam.email)


def _measure_box(page: Any, title: str) -> Any:
    return page.locator("label.pick", has_text=title).locator("input")


def test_a_resident_offers_help_after_kiezen_withdraws_one_and_the_wijkteam_exports_the_other(
    browser: Any, live_server: str, artifacts: Path, evening: Evening, tmp_path: Path
) -> None:
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.goto(f"{live_server}/join")
    page.fill("input[name=code]", evening.code)
    page.click("button[type=submit]")
    # The card names no group, so the phone asks for one first (skipped here).
    page.wait_for_url(f"**/m/{evening.meeting_id}/welcome")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/m/{evening.meeting_id}")

    # Kiezen: a package within the budget.
    _measure_box(page, "Drainage Vensterpark").check()
    _measure_box(page, "Palaver").check()
    page.click("form.ballot button[type=submit]:not([formaction])")
    page.wait_for_selector(".receipt")
    receipt = page.inner_text(".receipt-code").strip()
    keep(page, artifacts / "meedoen-360-1-after-kiezen.png", full_page=True)

    # The invitation under the receipt leads to the offer form.
    page.click("section.invite-help a")
    page.wait_for_url("**/meedoen")
    _measure_box(page, "Wijkatelier").check()
    _measure_box(page, "WIP").check()
    page.fill("#name", "Anna de Vries")
    page.fill("#contact", "06 1234 5678")
    page.fill("#note", "Ik kan flyers rondbrengen.")
    page.check("input[name=consent]")
    keep(page, artifacts / "meedoen-360-2-form.png", full_page=True)
    page.click("form.offer-form button[type=submit]")
    page.wait_for_url("**/meedoen?done=thanks*")
    mine = page.locator("#mine li strong")
    assert mine.all_inner_texts() == ["Wijkatelier", "WIP"]
    keep(page, artifacts / "meedoen-360-3-offered.png", full_page=True)

    # Withdraw the offer for WIP.
    page.locator("#mine li", has_text="WIP").locator("button").click()
    page.wait_for_url("**/meedoen?done=withdrawn*")
    assert page.locator("#mine li strong").all_inner_texts() == ["Wijkatelier"]
    overflow = loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    keep(page, artifacts / "meedoen-360-4-withdrawn.png", full_page=True)
    phone.close()

    laptop = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    desk = laptop.new_page()
    log_in(desk, live_server, evening.wijkteam, PASSWORD)
    desk.goto(f"{live_server}/wijkteam/processes/{evening.process_id}/offers")
    sections = desk.locator("section.offers-measure")
    assert sections.count() == 1
    assert "1 bewoner wil meehelpen" in sections.first.inner_text()
    assert "Wijkatelier" in sections.first.inner_text()
    assert "Anna de Vries" in sections.first.inner_text()
    keep(desk, artifacts / "meedoen-1280-wijkteam.png", full_page=True)
    with desk.expect_download() as download:
        desk.click("a[href$='offers.csv']")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    laptop.close()

    text = saved.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1:] == [
        [
            "Wijkatelier",
            "Anna de Vries",
            "telefoon",
            "06 12345678",
            "Ik kan flyers rondbrengen.",
            rows[1][5],
            rows[1][6],
            "",
        ]
    ]
    assert re.fullmatch(r"\d\d-\d\d-\d{4}", rows[1][5])
    # Nothing of the ballot: not its receipt, not the measures in the package, not the round.
    for ballot_trace in (receipt, "Drainage Vensterpark", "Palaver", "Kiezen", "kiezen"):
        assert ballot_trace not in text
    assert len(rows[0]) == 8
