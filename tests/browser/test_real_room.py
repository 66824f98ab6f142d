"""A meeting night where the facilitator slips, and the projector that carries the room.

In Chromium: a resident's phone (360x740) and the facilitator's laptop. The facilitator closes
Wegen by mistake and reopens it; types in a paper ballot for the card that voted by phone
(the form shows the card, asks to confirm, the phone is told, then the paper ballot is undone);
reruns Zeven (placed right after Zeven, the phone's form prefilled). Eight more residents vote
through the service so that the results are long. The projector is photographed at 1280x720 and
1920x1080 on every page of every result; no page may scroll. Screenshots go to test-artifacts/
(`make screenshots`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import get_engine
from app.domain.vocabulary import Role, RoundKind
from app.models import Participant, Process, ProcessFacilitator
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import participants as participants_service
from app.services import users as users_service
from tests.browser.conftest import keep, log_in, writing_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
SCREENS = ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080})


def _setup() -> tuple[str, int, int, str, list[str], ballots_service.MenuView]:
    with writing_session() as session, session.begin():
        process = session.exec(select(Process).where(Process.seed_key == "korrewegwijk-2007")).one()
        assert process.id is not None
        user, _ = users_service.create_user(
            session, email="room@example.org", role=Role.FACILITATOR, password=PASSWORD
        )
        session.add(ProcessFacilitator(process_id=process.id, user_id=user.id or 0))
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process.id, title="Wijkavond Korrewegwijk"
        )
        cards = codes_service.issue_codes(session, process_id=process.id, count=9, batch="room")
        menu = ballots_service.load_menu(session, process_id=process.id)
    return (
        user.email,
        process.id,
        meeting.id or 0,
        cards[0].code,
        [c.code for c in cards[1:]],
        menu,
    )


def _round_id(meeting_id: int, kind: RoundKind, run: int = 1) -> int:
    with Session(get_engine()) as session:
        rounds = meetings_service.rounds_of(session, meeting_id=meeting_id)
        return next(r.id or 0 for r in rounds if r.kind == kind and r.run == run)


def _others_vote(codes: list[str], round_id: int, kind: RoundKind, menu: Any, seed: int) -> None:
    """Eight residents vote through the service, with opinions that split on some measures."""
    rng = random.Random(seed)
    desired = [e.id for e in menu.desired_effects]
    with writing_session() as session, session.begin():
        for n, code in enumerate(codes):
            joined = participants_service.join_by_code(session, typed=code)
            participant: Participant = joined.participant
            if kind == RoundKind.WEGEN:
                first = rng.randrange(20, 80)
                given = ballots_service.BallotInput(
                    points={desired[0]: first, desired[1]: 100 - first, desired[2]: 0}
                )
            elif kind == RoundKind.ZEVEN:
                given = ballots_service.BallotInput(
                    scores={
                        (m.id, e): (3 * (n % 2) if i % 4 == 0 else rng.randrange(0, 4))
                        for i, m in enumerate(menu.measures)
                        for e in m.effect_ids
                    }
                )
            else:
                picks = [m.id for m in menu.measures if rng.random() < 0.3 and m.cost < 300_000]
                given = ballots_service.BallotInput(measure_ids=picks[:4])
            ballots_service.submit(
                session,
                round_id=round_id,
                participant=participant,
                given=given,
                idempotency_key=f"other-{round_id}-{n}",
            )


def _send(page: Any, button: Any) -> None:
    # A click only sends the form: wait for the page the answer leads to, so that what the test
    # does next (a phone joining, the projector looking) meets the round as the click left it.
    with page.expect_navigation():
        button.click()


def _open(laptop: Any, round_id: int) -> None:
    _send(laptop, laptop.locator(f"#round-{round_id} form[action$='/open'] button"))


def _confirm(laptop: Any, base: str, meeting_id: int, round_id: int, action: str) -> None:
    _goto(laptop, f"{base}/console/meetings/{meeting_id}")
    laptop.locator(f"#round-{round_id} td.danger-zone a[href$='/{action}']").click()
    _send(laptop, laptop.locator("form[action$='/" + action + "'] button[type=submit]"))


def _goto(page: Any, url: str) -> None:
    # Pages follow the meeting (htmx asks every 2 s and reloads when it changed): a navigation
    # that meets such a reload is interrupted; let the reload finish, then navigate again.
    for attempt in range(6):
        try:
            page.goto(url)
            return
        except Exception as error:
            text = str(error)
            if ("ERR_ABORTED" not in text and "interrupted by another" not in text) or (
                attempt == 5
            ):
                raise
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)


def _evaluate(page: Any, script: str) -> Any:
    # The projector follows the meeting (htmx asks every 2 s and reloads when it changed): a
    # reload can land just after the page loaded; measure the page it reloads to instead.
    for attempt in range(5):
        try:
            return page.evaluate(script)
        except Exception as error:
            if "Execution context was destroyed" not in str(error) or attempt == 4:
                raise
            page.wait_for_load_state("load")
    raise AssertionError("unreachable")


def _projector_pages(screen: Any, base: str, meeting_id: int, name: str, folder: Path) -> int:
    """Every page of what the projector shows now, at both sizes; none may scroll."""
    pages = 0
    for size in SCREENS:
        screen.set_viewport_size(size)
        _goto(screen, f"{base}/console/meetings/{meeting_id}/screen")
        number = 1
        while True:
            screen.wait_for_load_state("load")
            width, height, scroll_width, scroll_height = _evaluate(
                screen,
                "[innerWidth, innerHeight, document.documentElement.scrollWidth,"
                " document.documentElement.scrollHeight]",
            )
            path = folder / f"room-projector-{name}-{size['width']}-p{number}.png"
            keep(screen, path)
            assert scroll_height <= height, f"{path.name} scrolls: {scroll_height} > {height}"
            assert scroll_width <= width, f"{path.name} scrolls sideways"
            # Nothing cut off at the edge either (the page itself does not scroll sideways).
            cut = _evaluate(
                screen,
                "Array.from(document.querySelectorAll('body *'))"
                ".filter(e => e.children.length === 0 && e.textContent.trim()"
                " && e.getBoundingClientRect().right > innerWidth + 1)"
                ".map(e => e.textContent.trim())",
            )
            assert cut == [], f"{path.name} cuts off {cut}"
            following = screen.locator("a[rel=next]")
            if following.count() == 0:
                break
            # The arrow key turns the page (static/screen.js), as the facilitator's clicker would.
            with screen.expect_navigation():
                screen.keyboard.press("ArrowRight")
            number += 1
        pages = number
    return pages


def test_a_night_with_slips_undone_and_a_projector_that_fits(
    live_server: str, browser: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    email, _process_id, meeting_id, code, others, menu = _setup()
    base = live_server
    laptop_context = browser.new_context(viewport=LAPTOP, locale="nl-NL")
    phone_context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True)
    screen_context = browser.new_context(viewport=SCREENS[0], locale="nl-NL")
    laptop, phone = laptop_context.new_page(), phone_context.new_page()
    screen = screen_context.new_page()
    shot = 0

    def take(page: Any, name: str) -> None:
        nonlocal shot
        shot += 1
        keep(page, artifacts / f"room-{shot:02d}-{name}.png", full_page=True)

    try:
        for page in (laptop, screen):
            log_in(page, base, email, PASSWORD)
        wegen = _round_id(meeting_id, RoundKind.WEGEN)
        _goto(laptop, f"{base}/console/meetings/{meeting_id}")
        _open(laptop, wegen)

        # The resident joins with the card's code and weighs.
        _goto(phone, f"{base}/join")
        phone.fill("#code", code)
        phone.click("button[type=submit]")
        # The room's cards name no group, so the phone asks for one first (skipped here).
        phone.wait_for_url(f"**/m/{meeting_id}/welcome")
        phone.click("form[action$='/welcome'] button[type=submit]")
        phone.wait_for_url(f"**/m/{meeting_id}")
        points = phone.locator("input[name^=points-]")
        for i, value in enumerate(("60", "40", "0")):
            points.nth(i).fill(value)
        points.nth(2).press("Tab")
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        _others_vote(others, wegen, RoundKind.WEGEN, menu, 1)

        # Closing asks first and says how many phones are still busy.
        _goto(laptop, f"{base}/console/meetings/{meeting_id}")
        laptop.locator(f"#round-{wegen} td.danger-zone a[href$='/close']").click()
        expect(laptop.locator("h1")).to_contain_text("sluiten?")
        take(laptop, "close-asks-first")
        laptop.locator("form[action$='/close'] button[type=submit]").click()
        laptop.wait_for_url("**/console/rounds/*")

        # ... by mistake: reopen it (asks first too); the projector says so.
        _confirm(laptop, base, meeting_id, wegen, "reopen")
        expect(laptop.locator(f"#round-{wegen} .state-open")).to_be_visible()
        take(laptop, "reopened")
        _goto(screen, f"{base}/console/meetings/{meeting_id}/screen")
        expect(screen.locator(".screen-reopened")).to_contain_text("heropend")
        keep(screen, artifacts / "room-projector-reopened-1280.png")

        # A paper ballot for the card that voted by phone: the form shows the card and asks.
        _goto(laptop, f"{base}/console/rounds/{wegen}/paper")
        laptop.fill("#code", code)
        laptop.click("button:has-text('Kaart opzoeken')")
        expect(laptop.locator("#card-info")).to_contain_text("met de telefoon")
        paper = laptop.locator("input[name^=points-]")
        for i, value in enumerate(("0", "0", "100")):
            paper.nth(i).fill(value)
        paper.nth(2).press("Tab")
        count = laptop.locator("button:has-text('Tel dit papieren stembiljet')")
        expect(count).to_be_enabled()  # htmx has added up the 100 points
        count.click()
        expect(laptop.locator("input[name=replace]")).to_be_visible()
        take(laptop, "paper-asks-to-replace")
        # Ticking the box is a change: htmx asks for the tally again and swaps it, button and
        # all, perhaps while the click is under way (the page holds a swap until the button is
        # released: test_tap_during_swap.py), so the click follows the tick at once, as a
        # facilitator's does.
        laptop.check("input[name=replace]")
        laptop.click("button:has-text('Tel dit papieren stembiljet')")
        expect(laptop.locator(".notice")).to_contain_text("Geteld")
        # The phone is told, with the time.
        _goto(phone, f"{base}/m/{meeting_id}")
        expect(phone.locator("p.notice").first).to_contain_text("vervangen door een papieren")
        take(phone, "phone-told-paper")
        # Undo: the phone's own vote counts again.
        take(laptop, "paper-undo-offered")
        laptop.click("button:has-text('Laatste papieren stembiljet ongedaan maken')")
        expect(laptop.locator(".notice")).to_contain_text("ongedaan")
        _goto(phone, f"{base}/m/{meeting_id}")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        assert phone.locator("p.notice", has_text="papieren").count() == 0
        # While the round is open: the question, the address, the QR code and the turnout fit.
        _projector_pages(screen, base, meeting_id, "wegen-open", artifacts)
        _confirm(laptop, base, meeting_id, wegen, "close")
        wegen_pages = _projector_pages(screen, base, meeting_id, "wegen", artifacts)

        # Zeven: the phone rates three measures; the others rate everything.
        zeven = _round_id(meeting_id, RoundKind.ZEVEN)
        _goto(laptop, f"{base}/console/meetings/{meeting_id}")
        _open(laptop, zeven)
        screen.set_viewport_size(SCREENS[0])
        _goto(screen, f"{base}/console/meetings/{meeting_id}/screen")
        expect(screen.locator(".screen-fact").first).to_contain_text("maatregelen")
        keep(screen, artifacts / "room-projector-zeven-open-1280.png")
        chosen = [m for m in menu.measures if m.effect_ids][:3]
        _goto(phone, f"{base}/m/{meeting_id}")
        phone.click("button.step-toggle")  # from one measure per screen to the full list
        for measure, score in zip(chosen, (3, 1, 2), strict=True):
            for effect in measure.effect_ids:
                phone.locator(
                    f"label:has(input[name='score-{measure.id}-{effect}'][value='{score}'])"
                ).click()
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        _others_vote(others, zeven, RoundKind.ZEVEN, menu, 2)
        _confirm(laptop, base, meeting_id, zeven, "close")
        zeven_pages = _projector_pages(screen, base, meeting_id, "zeven", artifacts)

        # Run Zeven again: placed right after Zeven, and the phone's form is prefilled.
        _confirm(laptop, base, meeting_id, zeven, "again")
        # The console's page after the confirmation: waited for (the click only sends the form).
        expect(laptop.locator("table.rounds tbody tr th a")).to_have_text(
            ["Wegen", "Zeven", "Zeven (2e keer)", "Kiezen"]
        )
        rerun = _round_id(meeting_id, RoundKind.ZEVEN, 2)
        take(laptop, "rerun-placed")
        _open(laptop, rerun)
        _goto(phone, f"{base}/m/{meeting_id}")
        expect(phone.locator("p.notice[role=status]").first).to_contain_text("staan er al in")
        phone.click("button.step-toggle")  # the full list again (a new round, a new draft)
        for measure, score in zip(chosen, (3, 1, 2), strict=True):
            for effect in measure.effect_ids:
                radio = phone.locator(f"input[name='score-{measure.id}-{effect}'][value='{score}']")
                expect(radio).to_be_checked()
        take(phone, "rerun-prefilled")
        for effect in chosen[1].effect_ids:
            phone.locator(
                f"label:has(input[name='score-{chosen[1].id}-{effect}'][value='3'])"
            ).click()
        phone.click("button:has-text('Verstuur mijn stem')")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        _others_vote(others, rerun, RoundKind.ZEVEN, menu, 3)
        _confirm(laptop, base, meeting_id, rerun, "close")
        rerun_pages = _projector_pages(screen, base, meeting_id, "zeven-2", artifacts)

        # Kiezen.
        kiezen = _round_id(meeting_id, RoundKind.KIEZEN)
        _goto(laptop, f"{base}/console/meetings/{meeting_id}")
        _open(laptop, kiezen)
        screen.set_viewport_size(SCREENS[0])
        _goto(screen, f"{base}/console/meetings/{meeting_id}/screen")
        expect(screen.locator(".screen-fact").first).to_contain_text("Budget")
        keep(screen, artifacts / "room-projector-kiezen-open-1280.png")
        _others_vote(others, kiezen, RoundKind.KIEZEN, menu, 4)
        _confirm(laptop, base, meeting_id, kiezen, "close")
        kiezen_pages = _projector_pages(screen, base, meeting_id, "kiezen", artifacts)
        # The last pages: where the bewonersplan differs from what fits in Kiezen, and why.
        expect(screen.locator(".screen-differences li").first).to_be_visible()

        # Long results are paged, not cut off: Zeven's 22 measures take several pages.
        assert wegen_pages == 1
        assert zeven_pages >= 3
        assert rerun_pages >= 3
        assert kiezen_pages >= 3
        take(laptop, "console-end")
    finally:
        for context in (laptop_context, phone_context, screen_context):
            context.close()
