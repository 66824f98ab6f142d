"""The menu page at a phone's width: nothing sticks out sideways, everything can be read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import keep, loaded

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [320, 360])
def test_the_menu_fits_a_phone(browser: Any, live_server: str, artifacts: Path, width: int) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 740},
        device_scale_factor=1,
        java_script_enabled=False,
        locale="nl-NL",
    )
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.click("text=Collectief bewonersspoor Korrewegwijk")
    page.wait_for_url("**/processes/*/menu")
    assert page.locator("ol.measures > li").count() == 22
    assert "Niet alles past" in page.inner_text("section.budget")
    overflow = loaded(page).evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px phone"
    # Touch targets: the effect links are at least 44 px high.
    heights = page.eval_on_selector_all("nav.effects a", "els => els.map(e => e.offsetHeight)")
    assert heights
    assert min(heights) >= 44
    keep(page, artifacts / f"menu-{width}.png", full_page=True)
    page.click("text=English")
    expect(page.locator("section.budget")).to_contain_text("Not everything fits")
    keep(page, artifacts / f"menu-{width}-en.png")
    context.close()
