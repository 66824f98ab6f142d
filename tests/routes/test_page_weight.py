"""Light pages on venue wifi: the resident's pages, counted in bytes as they travel (compressed).

Budgets (issue 15): a resident's first ballot page, with everything it loads (CSS, JS), at most
30 KB on the wire; every later page at most 10 KB, counted as a phone counts it: the page and
whatever static file it has not loaded before (they are cached under hashed names for a year).
The resident's pages load no htmx (vote.js does the little they need), and the status poll says
"nothing changed" without a body. The figures are printed (`pytest -s`).
"""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import RoundKind
from app.static_assets import IMMUTABLE, PHONE_STYLESHEETS, hashed_url, phone_styles
from app.templating import STYLES_COOKIE
from tests.routes.meeting_night import Night, form_key, night, resident, soup

FIRST_LOAD_BUDGET = 30 * 1024
LATER_PAGE_BUDGET = 10 * 1024
GZIP = {"Accept-Encoding": "gzip"}


class Phone:
    """A resident's phone that counts the bytes it receives and keeps the static files it loaded."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cached: set[str] = set()

    def sent(self, url: str) -> tuple[int, str, dict[str, str]]:
        """The body's size as sent (compressed), its text and the headers: one request."""
        with self.client.stream("GET", url, headers=GZIP) as response:
            assert response.status_code == 200, url
            raw = b"".join(response.iter_raw())
            headers = dict(response.headers)
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        return len(raw), body.decode("utf-8"), headers

    def load(self, url: str) -> tuple[int, str]:
        """A page with the static files it names that are not cached yet: bytes on the wire."""
        size, html, headers = self.sent(url)
        assert headers.get("content-encoding") == "gzip", url
        total = size
        for asset in assets(html):
            assert re.search(r"\.[0-9a-f]{10}\.(css|js)$", asset), f"{asset} has no hash"
            if asset in self.cached:
                continue
            asset_size, _text, asset_headers = self.sent(asset)
            assert asset_headers["cache-control"] == IMMUTABLE
            self.cached.add(asset)
            total += asset_size
        return total, html


def assets(html: str) -> list[str]:
    """The static files a page makes the phone load: scripts, stylesheets and prefetches."""
    page = soup(html)
    return [str(s["src"]) for s in page.select("script[src]")] + [
        str(link["href"]) for link in page.select("link[rel~=stylesheet], link[rel~=prefetch]")
    ]


def _vote(phone: TestClient, n: Night, kind: RoundKind, html: str) -> None:
    values: dict[str, str | list[str]] = {"idempotency_key": form_key(html)}
    if kind == RoundKind.WEGEN:
        for i, effect_id in enumerate(n.effect_ids()):
            values[f"points-{effect_id}"] = "100" if i == 0 else "0"
    elif kind == RoundKind.ZEVEN:
        measure = n.measure("buurtbemiddeling")
        for effect_id in measure.effect_ids:
            values[f"score-{measure.id}-{effect_id}"] = "2"
    else:
        values["measure"] = [str(n.measure("buurtbemiddeling").id)]
    url = f"/m/{n.meeting_id}/rounds/{n.round_id(kind)}/ballot"
    response = phone.post(url, data=values, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.mark.one_database(
    "the bytes of a resident's pages on the wire; voting, closing and the outcome are tested on"
    " both databases in test_vote"
)
@pytest.mark.parametrize("kind", [RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN])
def test_a_round_on_a_phone_stays_within_its_budgets(
    client: TestClient, session: Session, korrewegwijk: int, kind: RoundKind
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(kind)
    assert (
        client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).status_code == 303
    )
    phone = Phone(resident(session, korrewegwijk))
    meeting = f"/m/{n.meeting_id}"
    # The first page this phone ever loads: the ballot, with all its CSS and JS.
    first, html = phone.load(meeting)
    assert soup(html).select_one("form.ballot") is not None
    assert not [a for a in assets(html) if "htmx" in a]
    later = {"ballot again": phone.load(f"{meeting}/rounds/{round_id}/ballot")[0]}
    _vote(phone.client, n, kind, html)
    later["receipt"], receipt = phone.load(meeting)
    assert soup(receipt).select_one(".receipt-code") is not None
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    later["waiting"] = phone.load(meeting)[0]
    later["outcome"] = phone.load(f"{meeting}/rounds/{round_id}/outcome")[0]
    print(
        f"\n{kind}: first load {first} B; later pages "
        + ", ".join(f"{k} {v} B" for k, v in later.items())
    )
    assert first <= FIRST_LOAD_BUDGET, f"first load {first} bytes"
    over = {page: size for page, size in later.items() if size > LATER_PAGE_BUDGET}
    assert over == {}, f"later pages over {LATER_PAGE_BUDGET} bytes: {over}"


def test_joining_and_waiting_are_light_and_the_poll_has_no_body(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    phone = Phone(resident(session, korrewegwijk))
    first, html = phone.load(f"/m/{n.meeting_id}")  # waiting for the first round
    assert first <= FIRST_LOAD_BUDGET
    later = phone.load(f"/m/{n.meeting_id}")[0]
    assert later <= LATER_PAGE_BUDGET
    print(f"\nwaiting: first load {first} B, again {later} B")
    poll = soup(html).select_one("[data-follow*='/status']")
    assert poll is not None
    unchanged = phone.client.get(str(poll["data-follow"]), headers=GZIP)
    assert unchanged.status_code == 204
    assert unchanged.content == b""
    etag = unchanged.headers["etag"]
    bare = str(poll["data-follow"]).split("?")[0]
    revalidated = phone.client.get(bare, headers={**GZIP, "If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    joining = Phone(client)
    size, _html = joining.load("/join")
    assert size <= FIRST_LOAD_BUDGET


def test_a_phone_first_page_carries_its_stylesheets_and_later_pages_link_them(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    phone = resident(session, korrewegwijk)
    meeting = f"/m/{n.meeting_id}"
    styles = phone_styles()
    files = [hashed_url(name) for name in PHONE_STYLESHEETS]

    first = phone.get(meeting)
    page = soup(first.text)
    inline = page.select("style")
    assert [s.string for s in inline] == [styles.text]  # one <style>: the policy's hash is of it
    assert [str(link["href"]) for link in page.select("link[rel=prefetch]")] == files
    assert page.select("link[rel~=stylesheet]") == []
    assert phone.cookies.get(STYLES_COOKIE) == styles.version

    later = soup(phone.get(meeting).text)
    assert later.select("style") == []
    assert [str(link["href"]) for link in later.select("link[rel~=stylesheet]")] == files

    # A phone that has older files (their hashes in its cookie) gets the styles in the page again.
    (kept,) = [c for c in phone.cookies.jar if c.name == STYLES_COOKIE]
    phone.cookies.set(STYLES_COOKIE, "0000000000-0000000000", domain=kept.domain)
    again = soup(phone.get(meeting).text)
    assert [s.string for s in again.select("style")] == [styles.text]
    assert phone.cookies.get(STYLES_COOKIE) == styles.version
