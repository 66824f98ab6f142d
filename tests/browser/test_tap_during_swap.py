"""A tap on "send" that straddles the tally's refresh still sends the ballot, on the phone and
on the facilitator's paper form.

Leaving the last points field (the finger goes down on "send") asks the server for the tally
again, and its answer replaces the tally with its send button. When that answer arrives between
the finger going down and coming up, the press and the release land on two copies of the button:
the browser sees no tap, nothing is sent, and the resident sees an unchanged form (the clean-clone
CI run of the meeting night failed so, once, on a busy machine; the paper form's click after
ticking "replace" once so). Here the answer is held back until the finger is down and let through
before it comes up, every time.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from app.domain.vocabulary import Role, RoundKind
from app.models import Process, ProcessFacilitator
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from app.services import users as users_service
from tests.browser.conftest import log_in, writing_session

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


PASSWORD = "correct horse battery"


def _wegen_open(email: str) -> tuple[int, int, str]:
    """A meeting of its own with Wegen open (the browser tests' conftest closes it afterwards):
    the meeting, the round and one code card."""
    with writing_session() as session, session.begin():
        process = session.exec(select(Process).where(Process.seed_key == "korrewegwijk-2007")).one()
        user, _ = users_service.create_user(
            session, email=email, role=Role.FACILITATOR, password=PASSWORD
        )
        session.add(ProcessFacilitator(process_id=process.id or 0, user_id=user.id or 0))
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process.id or 0, title="Tik tijdens verversen"
        )
        wegen = next(
            r
            for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)
            if r.kind == RoundKind.WEGEN
        )
        rounds_service.open_round(session, user=user, round_id=wegen.id or 0)
        card = codes_service.issue_codes(session, process_id=process.id or 0, count=1, batch="tap")
    return meeting.id or 0, wegen.id or 0, card[0].code


def test_a_tap_on_send_while_the_tally_is_replaced_sends_the_ballot(
    browser: Any, live_server: str
) -> None:
    from playwright.sync_api import expect

    meeting_id, _round_id, code = _wegen_open("tap@example.org")
    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}/m/{meeting_id}")
        phone.fill("#code", code)
        phone.click("button[type=submit]")
        phone.click("label.choice:has-text('bewoner')")
        phone.click("button:has-text('Verder')")
        points = phone.locator("input[name^=points-]")
        for n, value in enumerate(("50", "30", "20")):
            points.nth(n).fill(value)
        expect(phone.locator("#tally-text")).to_contain_text("Alle 100 punten zijn verdeeld")
        send = phone.locator("#tally button.send")
        expect(send).to_be_enabled()

        _press_while_the_tally_is_replaced(phone, send, points.nth(2), "**/preview")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
    finally:
        context.close()


def test_a_click_on_count_while_the_paper_tally_is_replaced_counts_the_ballot(
    browser: Any, live_server: str
) -> None:
    from playwright.sync_api import expect

    _meeting_id, round_id, code = _wegen_open("tap-paper@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    laptop = context.new_page()
    try:
        log_in(laptop, live_server, "tap-paper@example.org", PASSWORD)
        laptop.goto(f"{live_server}/console/rounds/{round_id}/paper")
        laptop.fill("#code", code)
        points = laptop.locator("input[name^=points-]")
        for n, value in enumerate(("0", "100", "0")):
            points.nth(n).fill(value)
        points.nth(2).press("Tab")
        count = laptop.locator("button:has-text('Tel dit papieren stembiljet')")
        expect(count).to_be_enabled()  # htmx has added up the 100 points
        expect(laptop.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
        _press_while_the_tally_is_replaced(laptop, count, points.nth(2), "**/paper/preview")
        expect(laptop.locator(".notice")).to_contain_text("Geteld")
    finally:
        context.close()


def _press_while_the_tally_is_replaced(page: Any, button: Any, field: Any, preview: str) -> None:
    """Press `button`; while it is held, `field` changes and the tally's answer arrives (held
    back until then); then release."""
    held: list[Any] = []
    page.route(preview, lambda route: held.append(route))
    box = button.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    # The button is pressed: the field is changed, so the tally is asked for again.
    field.dispatch_event("change")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the change asked for no new tally"
    held[0].fulfill(response=held[0].fetch())
    # The answer has reached the page, and its script has had its turn to use it.
    page.wait_for_function(
        f"""() => performance.getEntriesByType('resource')
            .some(e => e.name.endsWith('{preview.removeprefix("**")}') && e.responseEnd > 0)"""
    )
    page.evaluate("() => new Promise(done => setTimeout(done, 50))")
    page.mouse.up()
