"""What became of the plan, in Debian's Chromium: the public follow-up page at a phone's width
(360 px) and a laptop's, with its charts; it fits, and axe-core finds nothing. The wijkteam's page
too. Screenshots go to test-artifacts/follow-up-*.png with `make screenshots`."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.domain import follow_up as fu
from app.domain.vocabulary import Role
from app.domain.waardenzeef import RankBy, Rule
from app.services import follow_up as follow_up_service
from app.services import menus as menus_service
from app.services import plans as plans_service
from app.services import schedules as schedules_service
from app.services import users as users_service
from tests.browser.conftest import keep, loaded, log_in, run_axe, writing_session
from tests.conftest import REPO, unavailable
from tests.factories import meeting_night
from tests.routes.test_follow_up import MONITOR

pytestmark = pytest.mark.browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "voortgang-wachtwoord-123"
EMAIL = "voortgang-browser@example.org"


@pytest.fixture(scope="module")
def followed(live_server: str) -> int:
    """A process of its own: a night, the plan and its schedule adopted, a year followed."""
    document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
    document = dataclasses.replace(document, seed_key="follow-up-browser", title="Bewonersplan")
    with writing_session() as session, session.begin():
        pid = menus_service.load_menu(session, document=document).process_id
        meeting_night(session, pid, participants=24, paper=3)
        user, _ = users_service.create_user(
            session, email=EMAIL, role=Role.WIJKTEAM, password=PASSWORD
        )
        plans_service.adopt(
            session, process_id=pid, rule=Rule.GREEDY, ranked_by=RankBy.CONTRIBUTION, user=user
        )
        schedules_service.adopt(session, process_id=pid, user=user)
        follow_up_service.set_first_year(session, process_id=pid, year=2008, user=user)
        keys = [m.key for m in follow_up_service.content(session, process_id=pid).measures]
        changes = [
            fu.ExecutionChange(
                status="bezig",
                progress=40,
                organisation="Gemeente Groningen, afdeling Wijkzaken",
                milestones=[
                    fu.Milestone(date(2008, 3, 12), "Eerste bewonersavond gehouden"),
                    fu.Milestone(date(2008, 6, 30), "Twee buurtbemiddelaars opgeleid"),
                ],
                spent={2008: 30_000},
            ),
            fu.ExecutionChange(status="klaar", spent={2008: 48_000}),
            fu.ExecutionChange(
                status="gaat-niet-door",
                reason="Het pand is verkocht. Het geld gaat naar het nieuwe buurthuis.",
            ),
            fu.ExecutionChange(
                status="uitgesteld",
                progress=20,
                reason="De aannemer is failliet gegaan. Een nieuwe begint in maart 2009.",
                spent={2008: 12_500},
            ),
        ]
        for key, change in zip(keys, changes, strict=False):
            follow_up_service.update_measure(
                session, process_id=pid, key=key, change=change, user=user
            )
        result = follow_up_service.import_file(
            session,
            process_id=pid,
            filename="monitor.csv",
            data=MONITOR.encode("utf-8"),
            user=user,
        )
        assert result.ok, result.read.problems
        follow_up_service.set_public(session, process_id=pid, public=True, user=user)
    return pid


def _fits_and_axe(page: Any, name: str) -> None:
    keep(page, REPO / "test-artifacts" / f"follow-up-check-{name}.png", full_page=True)
    overflow = loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the window"
    result = run_axe(page, AXE)
    problems = [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]
    assert problems == [], f"{name}: axe found {problems}"


@pytest.mark.parametrize("width", [360, 1280])
def test_residents_read_the_follow_up_on_a_phone_and_a_laptop(
    browser: Any, live_server: str, artifacts: Path, followed: int, width: int
) -> None:
    if not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    context = browser.new_context(viewport={"width": width, "height": 740}, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{live_server}/processes/{followed}/voortgang")
    assert page.locator("li.fu-measure").count() >= 4
    assert page.locator("svg.fu-chart").count() == 13
    _fits_and_axe(page, f"public-{width}")
    keep(page, artifacts / f"follow-up-{width}.png")
    keep(page, artifacts / f"follow-up-{width}-full.png", full_page=True)
    drugs = page.locator("#indicator-drugsoverlast")
    drugs.scroll_into_view_if_needed()
    keep(drugs, artifacts / f"follow-up-{width}-drugsoverlast.png")
    keep(
        page.locator("#indicator-cijfer-sociale-samenhang"),
        artifacts / f"follow-up-{width}-samenhang.png",
    )
    keep(
        page.locator("li.fu-measure.fu-stopped").first, artifacts / f"follow-up-{width}-stopped.png"
    )
    # The feed is linked for feed readers, and parses.
    feed = page.locator("link[rel=alternate][type='application/atom+xml']").get_attribute("href")
    assert feed == f"/processes/{followed}/voortgang.atom"
    context.close()


def test_the_wijkteam_page_on_a_phone(
    browser: Any, live_server: str, artifacts: Path, followed: int
) -> None:
    if not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL")
    page = context.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/wijkteam/processes/{followed}/voortgang")
    _fits_and_axe(page, "wijkteam-360")
    keep(page, artifacts / "follow-up-wijkteam-360.png", full_page=True)
    # A postponed measure without its reason is refused beside the field.
    page.locator("a[href*='/voortgang/maatregelen/']").first.click()
    page.select_option("#status", "uitgesteld")
    page.fill("#reason", "")
    page.click("form[action*='/maatregelen/'] button[type=submit]")
    expect(page.locator("#reason-error")).to_contain_text("reden", ignore_case=True)
    _fits_and_axe(page, "measure-360")
    keep(page, artifacts / "follow-up-measure-360.png", full_page=True)
    context.close()
