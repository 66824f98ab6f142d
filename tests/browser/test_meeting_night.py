"""A meeting night in two browsers: a resident's phone (360x740) and the facilitator's laptop.

The resident joins on the start page and votes in all three rounds while the facilitator opens
and closes them and types in one paper ballot; the console's counts and outcomes must match the
ballots cast. The whole flow runs with JavaScript (htmx) and again with JavaScript disabled in
both browsers. Screenshots of every step go to test-artifacts/ (`make screenshots`); axe-core
checks every resident page (in the run with JavaScript: axe is a script).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import get_engine
from app.domain.vocabulary import Role
from app.models import Process, ProcessFacilitator
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, log_in, run_axe, writing_session
from tests.conftest import REPO, unavailable

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


@dataclass
class Setup:
    email: str
    process_id: int
    resident_code: str
    paper_code: str
    menu: ballots_service.MenuView

    def measure_id(self, key: str) -> int:
        return next(m.id for m in self.menu.measures if m.key == key)

    def effects(self, key: str) -> tuple[int, ...]:
        return next(m.effect_ids for m in self.menu.measures if m.key == key)


def _setup(tag: str) -> Setup:
    with writing_session() as session, session.begin():
        process = session.exec(select(Process).where(Process.seed_key == "korrewegwijk-2007")).one()
        assert process.id is not None
        email = f"facilitator-{tag}@example.org"
        user, _ = users_service.create_user(
            session, email=email, role=Role.FACILITATOR, password=PASSWORD, name="Gespreksleider"
        )
        assert user.id is not None
        session.add(ProcessFacilitator(process_id=process.id, user_id=user.id))
        resident, paper = codes_service.issue_codes(
            session, process_id=process.id, count=2, batch=f"browser-{tag}"
        )
        menu = ballots_service.load_menu(session, process_id=process.id)
    return Setup(email, process.id, resident.code, paper.code, menu)


class Shots:
    """Numbered screenshots of one run, and the axe check of resident pages."""

    def __init__(self, folder: Path, tag: str, js: bool) -> None:
        self.folder, self.tag, self.js, self.n = folder, tag, js, 0

    def take(self, page: Any, name: str) -> None:
        self.n += 1
        keep(page, self.folder / f"night-{self.tag}-{self.n:02d}-{name}.png", full_page=True)

    def resident(self, page: Any, name: str) -> None:
        """A resident page: fits the phone, passes axe, and is kept as a screenshot."""
        # Against the phone's width: a mobile browser widens its layout to fit what sticks out.
        width = loaded(page).evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width}px wide on a {PHONE['width']}px phone"
        if self.js:
            result = run_axe(page, AXE)
            problems = [
                f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
                for v in result["violations"]
            ]
            assert problems == [], f"{name}: axe found {problems}"
        self.take(page, name)


POLL_MS = 6_000


def _follow(page: Any, js: bool, selector: str, *, wait_refresh: bool = False) -> None:
    """Wait until the resident's page has moved on: by itself, or as a user without JS would."""
    if js or wait_refresh:
        # vote.js asks every 2 s, then less often, up to 5 s (+-20%): the phone's clock jumps to
        # that moment instead of waiting it out. Without JavaScript the page refreshes itself
        # every 10 s.
        if js:
            page.clock.fast_forward(POLL_MS)
        page.wait_for_selector(selector, timeout=15_000)
    else:
        page.click("text=Kijk opnieuw")
        page.wait_for_selector(selector, timeout=5_000)


def _row(laptop: Any, meeting_id: int, kind: str) -> Any:
    return laptop.locator(f"#round-{_round_id(meeting_id, kind)}")


def _open_round(laptop: Any, meeting_id: int, kind: str) -> None:
    _row(laptop, meeting_id, kind).locator("button", has_text="Openen").click()
    laptop.wait_for_selector("td .state-open")


def _close_round(laptop: Any, base: str, meeting_id: int, kind: str) -> None:
    laptop.goto(f"{base}/console/meetings/{meeting_id}")
    _row(laptop, meeting_id, kind).locator("a", has_text="Sluiten").click()
    # Closing asks first, on a page of its own.
    laptop.locator("button", has_text="Ja, sluit de ronde").click()
    laptop.wait_for_url("**/console/rounds/*")


def _table(page: Any) -> list[list[str]]:
    rows = page.locator("table.outcome-table tbody tr")
    return [
        [
            re.sub(r"[ \t\r\n]+", " ", c).strip()
            for c in rows.nth(i).locator("th, td").all_inner_texts()
        ]
        for i in range(rows.count())
    ]


@pytest.mark.slow
@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_a_meeting_night_on_a_phone_and_a_laptop(
    browser: Any, live_server: str, artifacts: Path, js: bool
) -> None:
    from playwright.sync_api import expect

    if js and not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    tag = "js" if js else "nojs"
    setup = _setup(tag)
    shots = Shots(artifacts, tag, js)
    laptop_context = browser.new_context(viewport=LAPTOP, java_script_enabled=js, locale="nl-NL")
    phone_context = browser.new_context(
        viewport=PHONE, java_script_enabled=js, locale="nl-NL", is_mobile=True, has_touch=True
    )
    if js:
        # The phone's timers fire when the test jumps the clock to them (its polls); otherwise
        # its clock runs as a real one does.
        phone_context.clock.install()
    laptop, phone = laptop_context.new_page(), phone_context.new_page()
    try:
        # The facilitator logs in and creates tonight's meeting with its three rounds.
        log_in(laptop, live_server, setup.email, PASSWORD)
        laptop.goto(f"{live_server}/console")
        laptop.click("summary:has-text('Nieuwe bijeenkomst')")
        laptop.fill("input[name=title]", f"Wijkavond ({tag})")
        laptop.fill("input[name=location]", "Floreshuis")
        laptop.click("button:has-text('Maak de bijeenkomst aan')")
        laptop.wait_for_url("**/console/meetings/*")
        meeting_id = int(laptop.url.rsplit("/", 1)[1])
        shots.take(laptop, "console-meeting")

        # The resident types the code on the start page: lower case, with spaces.
        phone.goto(f"{live_server}/")
        shots.resident(phone, "start")
        phone.fill("#code", setup.resident_code.lower().replace("-", " "))
        phone.click("form.join-code button[type=submit]")
        phone.wait_for_url(f"**/m/{meeting_id}/welcome")
        assert "/j/" not in phone.url
        shots.resident(phone, "welcome")
        phone.click("label.choice:has-text('bewoner')")
        phone.click("button:has-text('Verder')")
        phone.wait_for_url(f"**/m/{meeting_id}")
        expect(phone.locator("#waiting-title")).to_contain_text("Wegen")
        shots.resident(phone, "waiting")

        # --- Wegen -------------------------------------------------------------------------
        _open_round(laptop, meeting_id, "wegen")
        _follow(phone, js, "input[name^=points-]")
        points = phone.locator("input[name^=points-]")
        assert points.count() == 3
        points.nth(0).fill("50")
        points.nth(1).fill("30")
        if js:
            expect(phone.locator("#tally-text")).to_contain_text("Nog 20 punten te verdelen")
            expect(phone.locator("#tally button", has_text="Verstuur mijn stem")).to_be_disabled()
            assert phone.locator("#tally button", has_text="Tel op").count() == 0
        else:
            phone.click("button:has-text('Tel op')")
            expect(phone.locator("#tally-text")).to_contain_text("Nog 20 punten te verdelen")
            phone.click("button:has-text('Verstuur mijn stem')")
            expect(phone.locator("[role=alert]")).to_have_text(
                "Uw punten tellen op tot 80, niet tot 100: u hebt nog 20 punten te verdelen."
            )
        shots.resident(phone, "wegen-points-left")
        phone.locator("input[name^=points-]").nth(2).fill("20")
        if js:
            expect(phone.locator("#tally-text")).to_contain_text("Alle 100 punten zijn verdeeld")
        shots.resident(phone, "wegen-filled")
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        receipt = phone.locator(".receipt-code").inner_text()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", receipt)
        shots.resident(phone, "wegen-receipt")

        wegen_row = _row(laptop, meeting_id, "wegen")
        if js:
            # The console's turnout follows within 2 seconds, without reloading.
            expect(wegen_row.locator("td.turnout")).to_contain_text("1 stem", timeout=2_500)
        else:
            laptop.reload()
            expect(wegen_row.locator("td.turnout")).to_contain_text("1 stem")

        # One paper ballot, typed in by the facilitator: 0 / 100 / 0.
        wegen_row.locator("a", has_text="Papieren stembiljet").click()
        laptop.fill("#code", setup.paper_code)
        laptop.select_option("#group", "werker")
        paper_points = laptop.locator("input[name^=points-]")
        paper_points.nth(0).fill("0")
        paper_points.nth(1).fill("100")
        paper_points.nth(2).fill("0")
        paper_points.nth(2).press("Tab")
        laptop.click("button:has-text('Tel dit papieren stembiljet')")
        expect(laptop.locator(".notice")).to_contain_text("Geteld")
        shots.take(laptop, "console-paper-ballot")
        laptop.goto(f"{live_server}/console/meetings/{meeting_id}")
        expect(wegen_row.locator("td.turnout")).to_contain_text("2 stemmen")
        expect(wegen_row.locator("td.turnout")).to_contain_text("1 met de telefoon, 1 op papier")
        shots.take(laptop, "console-wegen-open")

        laptop.goto(f"{live_server}/console/meetings/{meeting_id}/screen")
        shots.take(laptop, "projector-wegen-open")
        _check_projector_qr(laptop, artifacts / f"night-{tag}-qr.png", meeting_id)

        _close_round(laptop, live_server, meeting_id, "wegen")
        # (50 + 0) / 2 = 25 %, (30 + 100) / 2 = 65 %, (20 + 0) / 2 = 10 %.
        assert [row[:2] for row in _table(laptop)] == [
            ["Leefomgeving", "65,0%"],
            ["Veiligheid", "25,0%"],
            ["Jongeren", "10,0%"],
        ]
        expect(laptop.locator(".turnout-line")).to_contain_text("2 stemmen")
        shots.take(laptop, "console-wegen-outcome")

        # --- Zeven -------------------------------------------------------------------------
        laptop.goto(f"{live_server}/console/meetings/{meeting_id}")
        _open_round(laptop, meeting_id, "zeven")
        _follow(phone, js, "section.sieve-group")
        shots.resident(phone, "zeven")
        if js:  # one measure per screen at first; this resident wants the full list
            phone.click("button.step-toggle")
        ib, mediation, drains = (
            setup.measure_id("ib-paraat"),
            setup.measure_id("buurtbemiddeling"),
            setup.measure_id("drainage-vensterpark"),
        )
        safety, youth = setup.effects("ib-paraat")
        (living,) = setup.effects("drainage-vensterpark")
        for measure, effect, score in (
            (ib, safety, 2),
            (ib, youth, 3),
            (mediation, safety, 3),
            (drains, living, 3),
        ):
            phone.locator(
                f"label:has(input[name='score-{measure}-{effect}'][value='{score}'])"
            ).click()
        keep(
            phone.locator(f"article[aria-labelledby=m-{ib}]"),
            artifacts / f"night-{tag}-zeven-measure.png",
        )
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        shots.resident(phone, "zeven-receipt")
        _close_round(laptop, live_server, meeting_id, "zeven")
        # v = sum of weight x score with the resident's weights 50/30/20:
        # IB paraat 0.5*2 + 0.2*3 = 1.6; buurtbemiddeling 0.5*3 = 1.5; drainage 0.3*3 = 0.9.
        ranking = _table(laptop)
        assert [(r[0], r[1], r[2]) for r in ranking[:3]] == [
            ("1", "IB paraat, overlast jeugd", "1,60"),
            ("2", "Buurtbemiddeling", "1,50"),
            ("3", "Drainage Vensterpark", "0,90"),
        ]
        expect(laptop.locator(".turnout-line")).to_contain_text("1 stem")
        shots.take(laptop, "console-zeven-outcome")

        # --- Kiezen ------------------------------------------------------------------------
        laptop.goto(f"{live_server}/console/meetings/{meeting_id}")
        _open_round(laptop, meeting_id, "kiezen")
        _follow(phone, js, "label.pick")
        shots.resident(phone, "kiezen")
        floreshuis, streets = (
            setup.measure_id("floreshuis"),
            setup.measure_id("herinrichting-straten"),
        )

        def tick(measure_id: int) -> None:
            phone.locator(f"label.pick:has(input[value='{measure_id}'])").click()
            if not js:
                phone.click("button:has-text('Tel op')")

        tick(floreshuis)
        expect(phone.locator("#tally-text")).to_contain_text(
            "Nog over: €\u00a0240.000 van €\u00a01.000.000"
        )
        shots.resident(phone, "kiezen-money-left")
        tick(streets)
        expect(phone.locator("#tally-text")).to_contain_text("€\u00a0247.000 boven het budget")
        if js:
            expect(phone.locator("#tally button", has_text="Verstuur mijn stem")).to_be_disabled()
            assert phone.locator("#tally button", has_text="Tel op").count() == 0
        else:
            phone.click("button:has-text('Verstuur mijn stem')")
            expect(phone.locator("[role=alert]")).to_contain_text(
                "Uw pakket kost €\u00a01.247.000, dat is €\u00a0247.000 meer dan het budget"
            )
        shots.resident(phone, "kiezen-over-budget")
        tick(streets)
        tick(mediation)
        expect(phone.locator("#tally-text")).to_contain_text("Nog over: €\u00a0160.000")
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        shots.resident(phone, "kiezen-receipt")
        _close_round(laptop, live_server, meeting_id, "kiezen")
        # A measure the bewonersplan treats differently is marked '≠' before its title.
        choices = {row[0].removeprefix("≠ "): row[1:4] for row in _table(laptop)}
        assert choices["Herontwikkeling Floreshuis"] == ["1 van 1", "€\u00a0760.000", "✓ ja"]
        assert choices["Buurtbemiddeling"] == ["1 van 1", "€\u00a080.000", "✓ ja"]
        assert choices["Herinrichting/fundering straten"][0] == "0 van 1"
        expect(laptop.locator(".fits-summary")).to_contain_text(
            "€\u00a0840.000 van €\u00a01.000.000"
        )
        shots.take(laptop, "console-kiezen-outcome")
        laptop.goto(f"{live_server}/console/meetings/{meeting_id}/screen")
        expect(laptop.locator("h1")).to_contain_text("Uitslag van Kiezen")
        shots.take(laptop, "projector-kiezen-outcome")

        # The resident sees the outcomes once the rounds are closed.
        if js:
            phone.clock.fast_forward(POLL_MS)
        else:
            phone.click("text=Kijk opnieuw")
        # The Kiezen link appears only once the phone has followed the close (htmx reloads it):
        # waiting for any link could catch the page just before that reload.
        phone.wait_for_selector("a.done-round:has-text('Kiezen')", timeout=15_000)
        shots.resident(phone, "all-done")
        phone.click("a.done-round:has-text('Kiezen')")
        expect(phone.locator("h1")).to_contain_text("Uitslag van Kiezen")
        shots.resident(phone, "kiezen-outcome")
        phone.goto(f"{live_server}/m/{meeting_id}/rounds/{_round_id(meeting_id, 'zeven')}/outcome")
        shots.resident(phone, "zeven-outcome")
        laptop.goto(f"{live_server}/console/meetings/{meeting_id}")
        shots.take(laptop, "console-all-closed")
    finally:
        laptop_context.close()
        phone_context.close()


def _round_id(meeting_id: int, kind: str) -> int:
    with Session(get_engine()) as session:
        return next(
            r.id or 0
            for r in meetings_service.rounds_of(session, meeting_id=meeting_id)
            if r.kind == kind
        )


def _check_projector_qr(page: Any, path: Path, meeting_id: int) -> None:
    """The big QR code on the projector decodes to the meeting's join address."""
    import zxingcpp
    from PIL import Image

    page.locator(".screen-qr").screenshot(path=str(path))
    found = zxingcpp.read_barcodes(Image.open(path))
    assert [b.text for b in found] == [meetings_service.join_address(meeting_id)]
