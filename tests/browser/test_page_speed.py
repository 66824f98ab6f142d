"""The ballot pages on a slow phone network (issue 15): largest contentful paint and bytes.

Chromium (Debian's) is throttled through the DevTools protocol as a crowded venue's mobile
network: 400 kbit/s down and up, 400 ms added to every request (Network.emulateNetworkConditions),
and a phone's slower processor (CPU 4x slower, Emulation.setCPUThrottlingRate). For each round a
phone that joined (its cookie set beforehand, nothing cached) opens the meeting's address and
gets the ballot; then it opens the same ballot again, its static files cached.

Recorded per load: the largest contentful paint (PerformanceObserver 'largest-contentful-paint',
from navigation start), the bytes received (DevTools' encodedDataLength: compressed bodies and
headers) and the number of requests. Target: LCP at most 1 s on slow 4G (held to it by
`python -m benchmarks.page_speed`, not by `make test`); first load within the page-weight
budget of tests/routes/test_page_weight.py (30 KB of bodies; here with headers), a later one
without any static file. The figures are printed and written to test-artifacts/page-speed.json
(benchmarks/README.md, "Phone pages on slow 4G", quotes them).

And the poll that follows the meeting: a waiting phone asks less often while nothing changes,
not at all while hidden, at once when shown again, and goes on by itself when a round opens.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from app.db import get_engine
from app.domain.vocabulary import Role, RoundKind
from app.models import Process, ProcessFacilitator, User
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from app.services import users as users_service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}
KBIT = 1000 / 8  # bytes per second in one kbit/s
# Lighthouse's slow 4G (its `mobileSlow4G`: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up,
# CPU 4x), each request one round trip: the phone's connection is open already (a QR code's
# address answers with a redirect to the meeting). This is the one the target is for.
SLOW_4G = {"latency": 150, "down": 1638.4, "up": 750.0}
# Slower still, as a crowded venue's network can be: 400 kbit/s both ways, 400 ms per request.
CROWDED = {"latency": 400, "down": 400.0, "up": 400.0}
PROFILES = {"slow 4G": SLOW_4G, "400 kbit/s, 400 ms": CROWDED}
CPU_SLOWDOWN = 4
LCP_TARGET_MS = 1000
# How long a load may take to report its largest contentful paint before the test fails.
LCP_WAIT_MS = 15_000
# `make test` loads each page once and holds the bytes to their budget; the LCP is recorded. A
# timed target is a benchmark's, not a unit test's (a parallel test run shares the processor):
# `python -m benchmarks.page_speed` runs this test with PAGE_SPEED_TRIES=3 (each load three times
# in a fresh browser profile, the best counts) and PAGE_SPEED_TARGET=1 (the LCP held to 1 s).
TRIES = int(os.environ.get("PAGE_SPEED_TRIES", "1"))
HOLD_TO_TARGET = os.environ.get("PAGE_SPEED_TARGET") == "1"
# Bodies within 30 KB (test_page_weight.py); the headers of the few responses on top.
FIRST_LOAD_BYTES = 32 * 1024
LATER_LOAD_BYTES = 10 * 1024

# Registered before any of the page's scripts run: every LCP candidate, kept on window.
WATCH_LCP = """
window.__lcp = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__lcp.push(entry.startTime);
}).observe({ type: "largest-contentful-paint", buffered: true });
"""


def _night(profile: str) -> tuple[int, int, dict[RoundKind, int], str]:
    """A meeting of its own on the live server's database, and one card."""
    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        process = session.exec(select(Process).where(Process.seed_key == "korrewegwijk-2007")).one()
        assert process.id is not None
        user, _ = users_service.create_user(
            session,
            email="page-speed-" + "".join(c for c in profile if c.isalnum()) + "@example.org",
            role=Role.FACILITATOR,
            password="x" * 20,
        )
        assert user.id is not None
        session.add(ProcessFacilitator(process_id=process.id, user_id=user.id))
        session.flush()
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process.id, title="Snelheid"
        )
        assert meeting.id is not None
        rounds = {
            RoundKind(r.kind): r.id or 0
            for r in meetings_service.rounds_of(session, meeting_id=meeting.id)
        }
        card = codes_service.issue_codes(session, process_id=process.id, count=1, batch=profile)[0]
    return user.id, meeting.id, rounds, card.code


def _round(user_id: int, round_id: int, action: str) -> None:
    with Session(get_engine()) as session, session.begin():
        user = session.get(User, user_id)
        assert user is not None
        step = rounds_service.open_round if action == "open" else rounds_service.close_round
        step(session, user=user, round_id=round_id)


def _joined(base: str, code: str) -> list[dict[str, Any]]:
    """The cookies of a phone that has joined with this code (joined outside the browser, so
    that the browser's cache is still empty when the ballot is measured)."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        response = client.post("/join", data={"code": code}, headers={"Origin": base})
        assert response.status_code == 303, response.text
        return [{"name": n, "value": v, "url": base} for n, v in client.cookies.items()]


class Throttled:
    """A page on the slow network and processor, counting what it receives."""

    def __init__(self, context: Any, network: dict[str, float]) -> None:
        self.page = context.new_page()
        self.page.add_init_script(WATCH_LCP)
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": network["latency"],
                "downloadThroughput": network["down"] * KBIT,
                "uploadThroughput": network["up"] * KBIT,
            },
        )
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        self.received: dict[str, float] = {}
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _cached(self, event: dict[str, Any]) -> None:
        self.cached.add(event["requestId"])

    def _response(self, event: dict[str, Any]) -> None:
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        self.received[event["requestId"]] = event["encodedDataLength"]

    def load(self, url: str) -> dict[str, Any]:
        """Open the address; the LCP, bytes and requests of this load."""
        self.received.clear()
        self.urls.clear()
        self.cached.clear()
        # Until nothing has been asked for 500 ms (Playwright's "networkidle"): what the page
        # loads after its load event (a favicon) is counted and a late LCP candidate, painted
        # from what came, is in; the page's polls (from 1.6 s on) do not count.
        self.page.goto(url, wait_until="networkidle")
        # The observer's callback is a low-priority task: on a loaded machine, with the processor
        # throttled 4x, it can come after the network has gone quiet (CI once read no candidate
        # yet). Its entries carry their own paint times, so waiting for the first changes no figure.
        self.page.wait_for_function("window.__lcp.length > 0", timeout=LCP_WAIT_MS)
        lcp = self.page.evaluate("Math.max(...window.__lcp)")
        loaded = {
            self.urls.get(rid, rid): size
            for rid, size in self.received.items()
            if "/status" not in self.urls.get(rid, "") and rid not in self.cached
        }
        return {
            "lcp_ms": round(lcp),
            "bytes": int(sum(loaded.values())),
            "requests": len(loaded),
            "files": sorted(u.rsplit("/", 1)[-1] for u in loaded),
        }


@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_ballot_paints_within_a_second_on_a_slow_network(
    browser: Any, live_server: str, artifacts: Path, profile: str
) -> None:
    network = PROFILES[profile]
    user_id, meeting_id, rounds, code = _night(profile)
    cookies = _joined(live_server, code)
    figures: dict[str, dict[str, Any]] = {}
    for kind in (RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN):
        _round(user_id, rounds[kind], "open")
        first: list[dict[str, Any]] = []
        later: list[dict[str, Any]] = []
        try:
            while len(first) < TRIES:
                context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True)
                context.add_cookies(cookies)
                try:
                    phone = Throttled(context, network)
                    first.append(phone.load(f"{live_server}/m/{meeting_id}"))
                    assert phone.page.locator("form.ballot").count() == 1
                    ballot = f"{live_server}/m/{meeting_id}/rounds/{rounds[kind]}/ballot"
                    later.append(phone.load(ballot))
                finally:
                    context.close()
        finally:
            _round(user_id, rounds[kind], "close")
        for load, rows in ((f"{kind} first", first), (f"{kind} later", later)):
            lcps = sorted(row["lcp_ms"] for row in rows)
            figures[load] = {**rows[-1], "lcp_ms": lcps[0], "lcp_ms_all": lcps}
    report = {"network": network, "cpu_slowdown": CPU_SLOWDOWN, "loads": figures}
    name = "page-speed-" + "".join(c if c.isalnum() else "-" for c in profile) + ".json"
    (artifacts / name).write_text(json.dumps(report, indent=2))
    print(
        f"\n{profile} (+{network['latency']:g} ms a request, {network['down']:g} kbit/s down, "
        f"CPU {CPU_SLOWDOWN}x slower); LCP best of {TRIES} (all):"
    )
    for load, row in figures.items():
        print(
            f"  {load:13} LCP {row['lcp_ms']:5} ms {row['lcp_ms_all']}  "
            f"{row['bytes']:6} B in {row['requests']} requests ({', '.join(row['files'])})"
        )
    for load, row in figures.items():
        limit = FIRST_LOAD_BYTES if load.endswith("first") else LATER_LOAD_BYTES
        assert row["bytes"] <= limit, f"{load}: {row['bytes']} bytes"
        if load.endswith("later"):
            assert row["requests"] == 1, f"{load}: static files asked again: {row['files']}"
        if network is SLOW_4G and HOLD_TO_TARGET:
            assert row["lcp_ms"] <= LCP_TARGET_MS, f"{load}: LCP {row['lcp_ms_all']} ms"


# Each time the page asks after the meeting (its own clock's time, in ms), and how many of those
# questions are still waiting for their answer.
WATCH_POLLS = """
window.__asked = [];
window.__waiting = 0;
const send = window.fetch;
window.fetch = function (url, init) {
  const answer = send.call(this, url, init);
  if (String(url).includes("/status")) {
    window.__asked.push(Date.now());
    window.__waiting += 1;
    const done = () => { window.__waiting -= 1; };
    answer.then(done, done);
  }
  return answer;
};
"""
# The page's clock starts here (Unix time, s), stands still, and goes on only when the test
# moves it.
START = 1_800_000_000
STEP_MS = 100


def _let_time_pass(page: Any, ms: int) -> None:
    """The page's clock moves on by `ms`, STEP_MS at a time; after each step the questions its
    timers sent are answered before the clock moves on (as they would be in real time: an answer
    takes milliseconds, a step is 100), so each next poll is timed from its answer."""
    for _ in range(ms // STEP_MS):
        page.clock.run_for(STEP_MS)
        deadline = time.monotonic() + 10
        while page.evaluate("window.__waiting") > 0:
            assert time.monotonic() < deadline, "a poll was not answered in 10 s"
            time.sleep(0.002)


def _asked(page: Any) -> list[float]:
    """When the page asked, in seconds since it was opened (by its own clock)."""
    return [t / 1000 - START for t in page.evaluate("window.__asked")]


def test_a_waiting_phone_asks_less_often_while_nothing_changes(
    browser: Any, live_server: str
) -> None:
    """vote.js's poll: after 2 s, then 1.5 times longer up to 5 s (each +-20%); nothing while
    the page is hidden, at once when it is shown again; a change reloads the page.

    The page's clock is Playwright's (page.clock): it stands still and the test moves it on, so
    the 28 s of waiting take about a second and the gaps are measured on the page's own clock."""
    user_id, meeting_id, rounds, code = _night("following")
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    context.add_cookies(_joined(live_server, code))
    try:
        page = context.new_page()
        page.add_init_script(WATCH_POLLS)
        # Installed a minute early and moved on to START: a clock installed at START runs on at
        # once, and on a loaded machine it was past START when told to pause there ("Cannot
        # fast-forward to the past").
        page.clock.install(time=START - 60)
        page.clock.pause_at(START)
        page.goto(f"{live_server}/m/{meeting_id}")
        _let_time_pass(page, 15_000)
        times = _asked(page)
        gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
        # Every 2 s would be 7 polls in 15 s; 2, 3, 4.5, 5 s (+-20%) are 4 or 5.
        assert 3 <= len(times) <= 5, times
        assert gaps[0] >= 1.5, gaps
        assert all(gap <= 6.5 for gap in gaps), gaps
        assert sum(gaps[-2:]) / 2 >= 3.2, gaps
        # Hidden (a phone in a pocket): no polls; shown again: one at once.
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true})"
        )
        _let_time_pass(page, 6_500)  # the poll already waiting may still go, then none
        before = len(_asked(page))
        _let_time_pass(page, 6_000)
        assert len(_asked(page)) == before, "a hidden page kept asking"
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
        _let_time_pass(page, 1_000)
        assert len(_asked(page)) == before + 1, "the page did not ask when shown again"
        # The facilitator opens Wegen: the page goes on to the ballot by itself, at its next
        # poll (3 s +-20% after the last one).
        _round(user_id, rounds[RoundKind.WEGEN], "open")
        try:
            page.clock.run_for(3_600 + STEP_MS)
            page.wait_for_selector("form.ballot-wegen", timeout=12_000)
        finally:
            # Closed again: a later test's resident who joins by code goes to the process's
            # current meeting, which this one would otherwise stay.
            _round(user_id, rounds[RoundKind.WEGEN], "close")
    finally:
        context.close()
