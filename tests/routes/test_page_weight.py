"""Light pages on venue wifi: the resident's pages, counted in bytes as they travel (compressed).

Budgets (issue 15): a resident's first ballot page, with everything it loads (CSS, JS, htmx), at
most 30 KB on the wire; a later page at most 10 KB, its static files being cached under hashed
names for a year. The status poll says "nothing changed" without a body.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import RoundKind
from app.static_assets import IMMUTABLE
from tests.routes.meeting_night import night, resident, soup

FIRST_LOAD_BUDGET = 30 * 1024
LATER_PAGE_BUDGET = 10 * 1024
GZIP = {"Accept-Encoding": "gzip"}


def wire_bytes(client: TestClient, url: str) -> tuple[int, int, dict[str, str]]:
    """The body's size as sent (compressed) and as read, and the headers."""
    with client.stream("GET", url, headers=GZIP) as response:
        assert response.status_code == 200, url
        sent = sum(len(chunk) for chunk in response.iter_raw())
        headers = dict(response.headers)
    read = len(client.get(url, headers=GZIP).content)
    return sent, read, headers


def assets(html: str) -> list[str]:
    page = soup(html)
    return [str(s["src"]) for s in page.select("script[src]")] + [
        str(link["href"]) for link in page.select("link[rel~=stylesheet]")
    ]


@pytest.mark.parametrize("kind", [RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN])
def test_a_ballot_page_stays_within_its_budget(
    client: TestClient, session: Session, korrewegwijk: int, kind: RoundKind
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(kind)
    assert (
        client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).status_code == 303
    )
    phone = resident(session, korrewegwijk)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    sent, read, headers = wire_bytes(phone, url)
    assert headers.get("content-encoding") == "gzip"
    assert sent < read / 2  # compressed: HTML shrinks to a fraction
    first_load = sent
    for asset in assets(phone.get(url).text):
        assert re.search(r"\.[0-9a-f]{10}\.(css|js)$", asset), f"{asset} has no hash in its name"
        asset_sent, _read, asset_headers = wire_bytes(phone, asset)
        assert asset_headers["cache-control"] == IMMUTABLE
        first_load += asset_sent
    assert first_load <= FIRST_LOAD_BUDGET, f"first load {first_load} bytes"
    assert sent <= LATER_PAGE_BUDGET, f"the page itself {sent} bytes"


def test_the_meeting_page_and_the_poll_are_light(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    phone = resident(session, korrewegwijk)
    sent, _read, _headers = wire_bytes(phone, f"/m/{n.meeting_id}")
    assert sent <= LATER_PAGE_BUDGET
    poll = soup(phone.get(f"/m/{n.meeting_id}").text).select_one("[hx-get*='/status']")
    assert poll is not None
    unchanged = phone.get(str(poll["hx-get"]), headers=GZIP)
    assert unchanged.status_code == 204
    assert unchanged.content == b""
