"""A first-time resident on a 360x740 phone, and the taps a ballot takes (issue 13).

The first-timer joins with a typed code, types -10 in Wegen, walks Zeven one measure per screen,
skips a measure with "weet ik niet", leaves one half done, reloads half-way and finds the answers
back, goes over the budget in Kiezen and sees what no longer fits, and has the round closed
under the open form. Each time the page says what is wrong (beside it) and the first submit after
fixing it counts; axe-core finds nothing on every state.

A second resident walks the shortest path without slips: the taps and key presses of Wegen,
Zeven (22 measures) and Kiezen, and how far a Zeven screen must be scrolled, are written to
test-artifacts/ballot-taps.json (the README's accessibility section quotes them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import get_engine
from app.domain.vocabulary import Role, RoundKind
from app.models import Process, ProcessFacilitator, User
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, run_axe
from tests.conftest import REPO, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}


@dataclass
class Night:
    user_id: int
    meeting_id: int
    rounds: dict[str, int]
    codes: list[str]
    menu: ballots_service.MenuView


def _night() -> Night:
    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        process = session.exec(select(Process).where(Process.seed_key == "korrewegwijk-2007")).one()
        assert process.id is not None
        user, _ = users_service.create_user(
            session,
            email="first-time@example.org",
            role=Role.FACILITATOR,
            password="correct horse battery",
        )
        assert user.id is not None
        session.add(ProcessFacilitator(process_id=process.id, user_id=user.id))
        session.flush()
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process.id, title="Eerste keer"
        )
        assert meeting.id is not None
        rounds = {
            str(r.kind): r.id or 0
            for r in meetings_service.rounds_of(session, meeting_id=meeting.id)
        }
        cards = codes_service.issue_codes(session, process_id=process.id, count=2, batch="first")
        menu = ballots_service.load_menu(session, process_id=process.id)
    return Night(user.id, meeting.id, rounds, [c.code for c in cards], menu)


def _round(night: Night, kind: RoundKind, action: str) -> None:
    with Session(get_engine()) as session, session.begin():
        user = session.get(User, night.user_id)
        assert user is not None
        step = rounds_service.open_round if action == "open" else rounds_service.close_round
        step(session, user=user, round_id=night.rounds[str(kind)])


class Axe:
    """axe-core on a page as it is now (with JavaScript) and as a phone without JavaScript sees
    the same address (rendered without JavaScript, then scanned), at 320 and 360 px."""

    def __init__(self, browser: Any, artifacts: Path) -> None:
        self.browser, self.artifacts, self.checked = browser, artifacts, 0
        self.heights: dict[str, int] = {}

    def check(self, page: Any, name: str) -> None:
        """This state at the page's width and, on the 360 px phone, at 320 px too."""
        self._check(page, name)
        if page.viewport_size["width"] == PHONE["width"]:
            page.set_viewport_size({"width": 320, "height": PHONE["height"]})
            try:
                self._check(page, f"{name}-320")
            finally:
                page.set_viewport_size(PHONE)

    def _check(self, page: Any, name: str) -> None:
        width = loaded(page).evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size["width"]
        if width > viewport:
            wide = page.evaluate(
                """(w) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
                    Math.round(e.getBoundingClientRect().right))""",
                viewport,
            )
            raise AssertionError(f"{name}: {width}px wide on a {viewport}px phone: {wide}")
        result = run_axe(page, AXE)
        problems = [
            f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"]
        ]
        assert problems == [], f"{name}: axe found {problems}"
        self.checked += 1
        keep(page, self.artifacts / f"first-time-{name}.png", full_page=False)

    def without_js(self, cookies: list[dict[str, Any]], url: str, name: str) -> None:
        """The page at `url` as a phone without JavaScript gets it, scanned at 320 and 360 px."""
        plain = self.browser.new_context(java_script_enabled=False, viewport=PHONE, locale="nl-NL")
        plain.add_cookies(cookies)
        # The page as the server sends it to this phone (its cookies), without opening a tab.
        answer = plain.request.get(url, headers={"Accept": "text/html", "Accept-Language": "nl"})
        assert answer.ok, f"{name}: {answer.status}"
        html = answer.text()
        plain.close()
        # What a browser without JavaScript shows: <noscript> content, no scripts.
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
        html = html.replace("<noscript>", "").replace("</noscript>", "")
        # One tab for both widths: axe is loaded into it once.
        context = self.browser.new_context(viewport={"width": 320, "height": 740}, locale="nl-NL")
        page = context.new_page()
        page.route(url, lambda route: route.fulfill(content_type="text/html", body=html))
        page.goto(url)
        for width in (320, 360):
            page.set_viewport_size({"width": width, "height": 740})
            self.heights[f"{name}-{width}"] = page.evaluate("document.documentElement.scrollHeight")
            self._check(page, f"nojs-{name}-{width}")
        context.close()


@dataclass
class Count:
    """Taps and key presses of one resident, per ballot."""

    taps: int = 0
    keys: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def tap(self, page: Any, selector: str) -> None:
        page.locator(selector).first.click()
        self.taps += 1

    def type(self, page: Any, text: str) -> None:
        page.keyboard.type(text)
        self.keys += len(text)


def _phone(browser: Any) -> Any:
    """A phone whose clock the test moves on: its timers (the poll that follows the meeting,
    Zeven's next step, a retry) fire when the test jumps to their moment instead of after a
    wait in real time; meanwhile the clock runs as a real one does."""
    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    context.clock.install()
    return context


# vote.js asks after the meeting every 2 s, then 1.5 times longer up to 5 s, each +-20%.
POLL_MS = 6_000
# Zeven shows the next measure 600 ms after one is decided.
NEXT_STEP_MS = 600


def _polled(*pages: Any) -> None:
    """Each phone's waiting poll goes now, not up to 6 s from now (the facilitator just opened
    or closed a round)."""
    for page in pages:
        page.clock.fast_forward(POLL_MS)


def _next_step(page: Any) -> None:
    """The 600 ms after a Zeven measure is decided pass at once: the next one is shown."""
    page.clock.fast_forward(NEXT_STEP_MS)


def _join(page: Any, base: str, code: str, meeting_id: int) -> None:
    page.goto(f"{base}/join")
    page.fill("#code", code)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/m/{meeting_id}/welcome")
    page.click("label.choice:has-text('bewoner')")
    page.click("button:has-text('Verder')")
    page.wait_for_url(f"**/m/{meeting_id}")


def _rate(page: Any, measure: ballots_service.MeasureView, score: int) -> None:
    for effect in measure.effect_ids:
        page.locator(
            f"label:has(input[name='score-{measure.id}-{effect}'][value='{score}'])"
        ).click()


def _step_shows(page: Any, measure: ballots_service.MeasureView) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"#measure-{measure.id}")).to_be_visible()
    expect(page.locator("article.measure:visible")).to_have_count(1)


def test_a_first_time_resident_and_the_taps_a_ballot_takes(
    browser: Any, live_server: str, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    if not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    night = _night()
    base, meeting = live_server, night.meeting_id
    axe = Axe(browser, artifacts)
    first_context, other_context = _phone(browser), _phone(browser)
    phone, other = first_context.new_page(), other_context.new_page()
    sieved = [m for m in night.menu.measures if m.effect_ids]
    assert len(sieved) == 22
    counts: dict[str, Count] = {"wegen": Count(), "zeven": Count(), "kiezen": Count()}
    try:
        axe.without_js([], f"{base}/join", "join")
        _join(phone, base, night.codes[0], meeting)
        _join(other, base, night.codes[1], meeting)
        axe.check(phone, "waiting")

        # --- Wegen ---------------------------------------------------------------------------
        _round(night, RoundKind.WEGEN, "open")
        _polled(phone, other)
        phone.wait_for_selector("input[name^=points-]", timeout=15_000)
        other.wait_for_selector("input[name^=points-]", timeout=15_000)
        axe.check(phone, "wegen")
        axe.without_js(first_context.cookies(), f"{base}/m/{meeting}", "wegen")
        points = phone.locator("input[name^=points-]")
        points.nth(0).fill("-10")
        points.nth(1).fill("110")
        first_problem = phone.locator(".field-problem").first
        expect(first_problem).to_contain_text("niet -10")
        expect(phone.locator("#tally-text")).not_to_contain_text("Alle 100")
        expect(phone.locator("#tally button.send")).to_be_disabled()
        expect(points.nth(0)).to_have_attribute("aria-invalid", "true")
        axe.check(phone, "wegen-minus-ten")
        points.nth(0).fill("45")
        points.nth(1).fill("30")
        expect(phone.locator(".field-problem:visible")).to_have_count(0)
        expect(points.nth(0)).not_to_have_attribute("aria-invalid", "true")
        expect(phone.locator("#tally button.send")).to_contain_text("nog 25 punten te verdelen")
        # The one field left blank is offered the rest in one tap; then -5 and +5.
        phone.locator("button.rest").click()
        expect(points.nth(2)).to_have_value("25")
        expect(phone.locator("#tally-text")).to_contain_text("Alle 100 punten zijn verdeeld")
        phone.locator("button.step[data-step='-5']").nth(2).click()
        expect(points.nth(2)).to_have_value("20")
        expect(phone.locator("#tally-text")).to_contain_text("Nog 5 punten te verdelen")
        phone.locator("button.step[data-step='5']").nth(0).click()
        expect(points.nth(0)).to_have_value("50")
        expect(phone.locator("#tally-text")).to_contain_text("Alle 100 punten zijn verdeeld")
        axe.check(phone, "wegen-filled")
        phone.click("#tally button.send")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        expect(phone.locator(".receipt-help summary")).to_contain_text("Waar is dit bewijs voor?")
        phone.click(".receipt-help summary")
        axe.check(phone, "wegen-receipt")

        # The shortest path, counted: two numbers typed, the rest in one tap, send.
        wegen = counts["wegen"]
        wegen.tap(other, "input[name^=points-] >> nth=0")
        wegen.type(other, "50")
        wegen.tap(other, "input[name^=points-] >> nth=1")
        wegen.type(other, "30")
        expect(other.locator("button.rest")).to_contain_text("20 punten")
        wegen.tap(other, "button.rest")
        expect(other.locator("#tally-text")).to_contain_text("Alle 100 punten zijn verdeeld")
        wegen.tap(other, "#tally button.send")
        expect(other.locator("#receipt-title")).to_contain_text("Uw stem telt")
        _round(night, RoundKind.WEGEN, "close")

        # --- Zeven ---------------------------------------------------------------------------
        _round(night, RoundKind.ZEVEN, "open")
        _polled(phone, other)
        phone.wait_for_selector("article.measure", timeout=15_000)
        _step_shows(phone, sieved[0])
        expect(phone.locator(".step-where")).to_have_text("Maatregel 1 van 22")
        expect(phone.locator("#tally-text")).to_contain_text("0 van 22 beoordeeld")
        axe.check(phone, "zeven-step-1")
        axe.without_js(first_context.cookies(), f"{base}/m/{meeting}", "zeven")
        # Measure 1 rated: the next follows by itself. Measure 2: "weet ik niet".
        _rate(phone, sieved[0], 2)
        _next_step(phone)
        _step_shows(phone, sieved[1])
        phone.click(f"label:has(input[name='skip-{sieved[1].id}'])")
        _next_step(phone)
        _step_shows(phone, sieved[2])
        expect(phone.locator("#tally-text")).to_contain_text("1 van 22 beoordeeld")
        expect(phone.locator("#tally-text")).to_contain_text("1× weet ik niet")
        # Back to measure 2: its "weet ik niet" is still there; a number replaces it.
        phone.click("button[data-go=prev]")
        _step_shows(phone, sieved[1])
        expect(phone.locator(f"input[name='skip-{sieved[1].id}']")).to_be_checked()
        phone.click("button[data-go=next]")
        for measure in sieved[2:5]:
            _step_shows(phone, measure)
            _rate(phone, measure, 1)
            _next_step(phone)
        _step_shows(phone, sieved[5])
        axe.check(phone, "zeven-step-6")
        # The connection drops, the page reloads: the answers and the place are back.
        phone.reload()
        expect(phone.locator("#draft-restored")).to_be_visible()
        _step_shows(phone, sieved[5])
        expect(phone.locator("#tally-text")).to_contain_text("4 van 22 beoordeeld")
        for measure in sieved[2:5]:
            for effect in measure.effect_ids:
                expect(
                    phone.locator(f"input[name='score-{measure.id}-{effect}'][value='1']")
                ).to_be_checked()
        expect(phone.locator(f"input[name='skip-{sieved[1].id}']")).to_be_checked()
        axe.check(phone, "zeven-restored")
        # A measure with two effects rated on one only, then on to the end and send.
        half = next(m for m in sieved[5:] if len(m.effect_ids) == 2)
        index = sieved.index(half)
        while phone.locator(".step-where").inner_text() != f"Maatregel {index + 1} van 22":
            phone.click("button[data-go=next]")
        phone.locator(
            f"label:has(input[name='score-{half.id}-{half.effect_ids[0]}'][value='3'])"
        ).click()
        phone.click("#tally button.send")
        # Refused: said at the top (the link has the focus) and beside the measure, shown.
        expect(phone.locator("#ballot-error")).to_contain_text("1 maatregel is nog niet af")
        expect(phone.locator("#ballot-error a").first).to_be_focused()
        expect(phone.locator(f"#measure-{half.id} .problem")).to_be_visible()
        expect(phone.locator(f"#measure-{half.id} .problem")).to_contain_text("kies ook een cijfer")
        axe.check(phone, "zeven-problem")
        phone.locator(
            f"label:has(input[name='score-{half.id}-{half.effect_ids[1]}'][value='0'])"
        ).click()
        phone.click("#tally button.send")
        expect(phone.locator("#receipt-title")).to_contain_text("Uw stem telt")
        axe.check(phone, "zeven-receipt")

        # The shortest path, counted: 22 decisions, each on a screen of its own.
        zeven = counts["zeven"]
        other.wait_for_selector("article.measure", timeout=15_000)
        scroll: list[int] = []
        for i, measure in enumerate(sieved):
            _step_shows(other, measure)
            # How far this screen must be scrolled to see the measure and the buttons under it
            # above the bar that stays at the bottom (count and send button).
            scroll.append(
                other.evaluate(
                    "Math.max(0, Math.round(document.querySelector('.step-nav')"
                    ".getBoundingClientRect().bottom - document.querySelector('#tally')"
                    ".getBoundingClientRect().top))"
                )
            )
            if i == 7:
                zeven.tap(other, f"label:has(input[name='skip-{measure.id}'])")
            else:
                for effect in measure.effect_ids:
                    radio = f"input[name='score-{measure.id}-{effect}'][value='{1 + i % 3}']"
                    zeven.tap(other, f"label:has({radio})")
            _next_step(other)
        expect(other.locator("#tally-text")).to_contain_text("21 van 22 beoordeeld")
        expect(other.locator("#tally button.send")).to_be_focused()
        zeven.tap(other, "#tally button.send")
        expect(other.locator("#receipt-title")).to_contain_text("Uw stem telt")
        zeven.extra = {
            "screens": len(sieved),
            "scroll_px_max": max(scroll),
            "scroll_px_first": scroll[0],
            "scroll_px_others_max": max(scroll[1:]),
            # The full list (without JavaScript, or "alle maatregelen onder elkaar"), at 360 px.
            "list_page_px": axe.heights["zeven-360"],
        }
        _round(night, RoundKind.ZEVEN, "close")

        # --- Kiezen --------------------------------------------------------------------------
        _round(night, RoundKind.KIEZEN, "open")
        _polled(phone, other)
        phone.wait_for_selector("label.pick", timeout=15_000)
        other.wait_for_selector("label.pick", timeout=15_000)
        axe.check(phone, "kiezen")
        axe.without_js(first_context.cookies(), f"{base}/m/{meeting}", "kiezen")
        floreshuis = next(m for m in night.menu.measures if m.key == "floreshuis")
        streets = next(m for m in night.menu.measures if m.key == "herinrichting-straten")
        mediation = next(m for m in night.menu.measures if m.key == "buurtbemiddeling")
        expect(
            phone.locator(f"label.pick:has(input[value='{floreshuis.id}']) .pick-rank")
        ).to_contain_text("bij Zeven")
        phone.click(f"label.pick:has(input[value='{floreshuis.id}'])")
        expect(phone.locator(f"#fit-{streets.id}")).to_have_text(
            "past niet meer (€\u00a0247.000 te kort)"
        )
        expect(phone.locator(f"#fit-{mediation.id}")).to_have_text("")
        axe.check(phone, "kiezen-what-fits")
        phone.click(f"label.pick:has(input[value='{streets.id}'])")
        expect(phone.locator("#tally-text")).to_contain_text("€\u00a0247.000 boven het budget")
        expect(phone.locator("svg.meter.over")).to_be_visible()
        expect(phone.locator("#tally button.send")).to_be_disabled()
        expect(phone.locator("#tally button.send")).to_contain_text("te veel")
        axe.check(phone, "kiezen-over-budget")

        # The shortest path, counted: two measures, send; then the form opened again to change.
        kiezen = counts["kiezen"]
        kiezen.tap(other, f"label.pick:has(input[value='{floreshuis.id}'])")
        expect(other.locator("#tally-text")).to_contain_text("Nog over: €\u00a0240.000")
        kiezen.tap(other, f"label.pick:has(input[value='{mediation.id}'])")
        expect(other.locator("#tally-text")).to_contain_text("Nog over: €\u00a0160.000")
        # The server is too busy the first time (503, Retry-After: 1): the phone says so and
        # sends the same form again by itself; it counts once.
        busy: list[str] = []

        def busy_once(route: Any) -> None:
            if route.request.method == "POST" and not busy:
                busy.append(route.request.url)
                route.fulfill(status=503, headers={"Retry-After": "1"}, body="busy")
            else:
                route.continue_()

        ballot_url = f"**/m/{meeting}/rounds/{night.rounds['kiezen']}/ballot"
        other.route(ballot_url, busy_once)
        kiezen.tap(other, "#tally button.send")
        expect(other.locator("#send-status")).to_contain_text("Het is druk")
        other.clock.fast_forward(1_000)  # the Retry-After's second
        expect(other.locator("#receipt-title")).to_contain_text("Uw stem telt")
        other.unroute(ballot_url)
        assert len(busy) == 1
        other.click("a:has-text('Mijn stem aanpassen')")
        other.wait_for_selector("label.pick")

        # The round closes under both open forms: each phone says what it means for them.
        _round(night, RoundKind.KIEZEN, "close")
        _polled(phone, other)
        expect(phone.locator(".closed-notice")).to_contain_text(
            "U had in deze ronde nog niet gestemd", timeout=15_000
        )
        expect(phone.locator(".closed-notice")).to_be_focused()
        axe.check(phone, "kiezen-closed-not-voted")
        expect(other.locator(".closed-notice")).to_contain_text(
            "Uw eerdere stem (van", timeout=15_000
        )
        axe.check(other, "kiezen-closed-voted")
        # Nothing more can be sent from it, and it no longer says "what you send replaces...".
        expect(other.locator("#tally button.send")).to_be_disabled()
        expect(other.locator("p.notice[role=status]:visible")).to_have_count(0)
        expect(other.locator("body")).not_to_contain_text("te laat")

        # Every resident page once more as a phone without JavaScript renders it.
        cookies = first_context.cookies()
        axe.without_js(cookies, f"{base}/m/{meeting}", "meeting")
        axe.without_js(
            cookies, f"{base}/m/{meeting}/rounds/{night.rounds['zeven']}/outcome", "zeven-outcome"
        )
        assert axe.checked >= 40
    finally:
        first_context.close()
        other_context.close()

    figures = {kind: {"taps": c.taps, "keys": c.keys, **c.extra} for kind, c in counts.items()}
    (artifacts / "ballot-taps.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    # Before (issue 13): Wegen 5 taps and about 6 key presses; Zeven 26 questions on 10 screens.
    assert figures["wegen"]["taps"] + figures["wegen"]["keys"] < 5 + 6
    # Before: the Zeven page was 7,606 px high at 360x740, 6,866 px to scroll. Now each measure
    # is a screen of its own: after the first (below the page's introduction) hardly any scroll.
    assert figures["zeven"]["scroll_px_first"] < 740
    assert figures["zeven"]["scroll_px_others_max"] < 740 // 4
