"""Klaar voor de avond? Each line green or red, with what to do, and green once it is done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import address_checks
from app.services import meetings as meetings_service
from app.settings import get_settings
from tests.routes.meeting_night import card, night, soup


@pytest.fixture
def lan(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A public address phones can reach."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://192.168.1.20:8000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _lines(client: TestClient, meeting_id: int) -> dict[str, bool]:
    page = soup(client.get(f"/console/meetings/{meeting_id}/preflight").text)
    return {
        li.select_one("h2").get_text(" ", strip=True).split(" (")[0]: "ok" in li["class"]  # type: ignore[union-attr]
        for li in page.select("li.preflight-line")
    }


def test_the_preflight_page_turns_green_line_by_line(
    client: TestClient, session: Session, korrewegwijk: int, lan: None
) -> None:
    n = night(session, korrewegwijk, client)
    before = _lines(client, n.meeting_id)
    assert before["Menukaart en budget"]  # ready to be frozen by the first round
    assert before["Gespreksleider"]
    assert before["Rondes in de goede volgorde"]
    assert not before["Stemkaarten"]  # no cards yet, and the rounds need codes
    assert not before["Telefoons bereiken de server"]  # not tested yet
    assert not before["Beamervenster"]
    # "Kijk opnieuw" looks again at the page it stands on (href=""), not the meeting's page; also
    # in the box the page's poll puts in its place.
    for path in ("/preflight", "/address-check"):
        page = soup(client.get(f"/console/meetings/{n.meeting_id}{path}").text)
        buttons = page.select("#address-check a.button")
        again = [a["href"] for a in buttons if a.get_text(strip=True) == "Kijk opnieuw"]
        assert again, path
        assert all(href == "" for href in again), path
    card(session, korrewegwijk)
    session.flush()
    check = address_checks.state(session, meeting_id=n.meeting_id)
    phone = TestClient(client.app, base_url="http://192.168.1.20:8000")
    assert phone.get(check.url.split("8000", 1)[1]).status_code == 200
    assert client.get(f"/console/meetings/{n.meeting_id}/screen").status_code == 200
    after = _lines(client, n.meeting_id)
    assert after["Stemkaarten"]
    assert after["Telefoons bereiken de server"]
    assert after["Beamervenster"]


def test_a_loopback_address_and_rounds_out_of_order_are_red(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    client.post(f"/console/meetings/{n.meeting_id}/rounds", data={"kind": "wegen"})
    lines = _lines(client, n.meeting_id)
    assert not lines["Telefoons bereiken de server"]
    assert lines["Rondes in de goede volgorde"]  # Wegen again at the end: a second run
    page = soup(client.get(f"/console/meetings/{n.meeting_id}/preflight").text)
    assert page.select_one(".address-banner") is not None
    # A meeting that sieves before it weighs: its Wegen line is named.
    other = meetings_service.create_meeting(
        session, user=n.facilitator, process_id=korrewegwijk, title="Omgekeerd", with_rounds=False
    )
    for kind in ("zeven", "wegen"):
        client.post(f"/console/meetings/{other.id}/rounds", data={"kind": kind})
    assert not _lines(client, other.id or 0)["Rondes in de goede volgorde"]
