"""Every page and API answer carries the security headers, and no page has inline script or style.

The routes are discovered from the application (as in test_access_control.py), so a page added
later is checked without changing this test. Each GET route is called by the wijkteam, a
facilitator, a resident who joined with a card and an anonymous visitor, also as htmx asks for
fragments, with the objects of a meeting night (closed rounds with ballots, an open round):
every answer, whatever its status, must carry the headers; every HTML answer must do without
inline scripts, `style` attributes and elements, and event-handler attributes, which the
Content-Security-Policy would block in the browser.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role, RoundKind, RoundState
from app.main import app
from app.models import (
    Effect,
    Indicator,
    Measure,
    Meeting,
    PlanSnapshot,
    ProcessFacilitator,
    Round,
    User,
)
from app.security import CONTENT_SECURITY_POLICY, HSTS, security_headers
from app.services import address_checks
from app.services import codes as codes_service
from app.services import users as users_service
from app.settings import get_settings
from app.static_assets import phone_styles
from tests.factories import meeting_night

PASSWORD = "correct horse battery"
SKIPPED_FORMATS = {"pdf"}  # PDFs take seconds each; their headers come from the same middleware


@dataclass(frozen=True)
class Page:
    """One GET route with its path filled in."""

    route: str
    url: str


def get_routes(method: str = "GET") -> list[str]:
    """Every route of the application for a method, also of included routers."""
    return sorted(
        {
            context.path or ""
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute) and method in (context.methods or ())
        }
    )


@dataclass
class World:
    """A process with a meeting of closed rounds, a meeting with an open round, and a card;
    after the vote its plan and schedule adopted and public, receipts and follow-up published,
    an offer of help; and an editable new version of its menu for the editor's pages."""

    values: dict[str, list[Any]]
    token: str
    code: str


def after_the_vote(client: TestClient, session: Session, process_id: int, code: str) -> int:
    """Everything a process has after its meeting night, through the API; returns the id of
    an editable new version of its menu."""
    staff = _client("w@example.org")
    for url in (
        f"/api/processes/{process_id}/plan/adopt",
        f"/api/processes/{process_id}/plan/schedule/adopt",
    ):
        assert staff.post(url).status_code == 201, url
    settings = {"first_year": 2027, "published": True}
    assert staff.patch(f"/api/processes/{process_id}/follow-up", json=settings).is_success
    publish = staff.post(
        f"/wijkteam/processes/{process_id}/plan/publish",
        data={"public": "true"},
        follow_redirects=False,
    )
    assert publish.status_code == 303, publish.text
    keys = session.exec(
        select(Measure.key).where(Measure.process_id == process_id).order_by(col(Measure.id))
    ).all()
    status = {"status": "bezig", "organisation": "Wijkteam"}
    assert staff.put(
        f"/api/processes/{process_id}/follow-up/measures/{keys[0]}", json=status
    ).is_success
    facilitator = _client("f@example.org")
    for round_id in session.exec(
        select(Round.id).where(Round.state == RoundState.CLOSED).order_by(col(Round.id))
    ).all():
        facilitator.post(f"/api/rounds/{round_id}/receipts/publish")
    phone = _resident(code)
    measure = session.exec(select(Measure.id).where(Measure.key == keys[0])).first()
    offer = {
        "measure_ids": [measure],
        "name": "Bewoner",
        "contact_kind": "email",
        "contact": "bewoner@example.org",
        "consent": True,
    }
    assert phone.post("/api/offers", json=offer).status_code == 201
    version = staff.post(f"/api/processes/{process_id}/versions")
    assert version.status_code == 201, version.text
    return int(version.json()["id"])


@dataclass(frozen=True)
class People:
    """The wijkteam (w@example.org), the process's facilitator (f@example.org) and a card."""

    code: str
    token: str


@pytest.fixture
def people(client: TestClient, session: Session, korrewegwijk: int) -> People:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    facilitator, _ = users_service.create_user(
        session, email="f@example.org", role=Role.FACILITATOR, password=PASSWORD
    )
    session.add(ProcessFacilitator(process_id=korrewegwijk, user_id=facilitator.id or 0))
    [card] = codes_service.issue_codes(session, process_id=korrewegwijk, count=1)
    session.flush()
    return People(card.code, card.token)


@pytest.fixture
def world(client: TestClient, session: Session, korrewegwijk: int, people: People) -> World:
    closed = meeting_night(session, korrewegwijk)
    tonight = Meeting(process_id=korrewegwijk, title="Vanavond")
    session.add(tonight)
    session.flush()
    # Two meetings with an open round each: the Zeven form, and the Kiezen form with its meter.
    choosing = Meeting(process_id=korrewegwijk, title="Ook vanavond")
    session.add(choosing)
    session.flush()
    open_round = Round(meeting_id=tonight.id or 0, kind=RoundKind.ZEVEN, state=RoundState.OPEN)
    open_kiezen = Round(meeting_id=choosing.id or 0, kind=RoundKind.KIEZEN, state=RoundState.OPEN)
    session.add_all([open_round, open_kiezen])
    session.flush()
    closed_rounds = session.exec(
        select(Round).where(Round.meeting_id == closed.id).order_by(col(Round.id))
    ).all()
    editable = after_the_vote(client, session, korrewegwijk, people.code)
    indicator = session.exec(
        select(Indicator.id)
        .join(Effect, col(Effect.id) == Indicator.effect_id)
        .where(Effect.process_id == editable)
        .order_by(col(Indicator.id))
    ).first()
    effect = session.exec(
        select(Effect.id).where(Effect.process_id == editable).order_by(col(Effect.id))
    ).first()
    measure = session.exec(
        select(Measure.id).where(Measure.process_id == editable).order_by(col(Measure.id))
    ).first()
    # The measure after_the_vote followed up: the follow-up pages are of the adopted plan.
    key = session.exec(
        select(Measure.key).where(Measure.process_id == korrewegwijk).order_by(col(Measure.id))
    ).first()
    snapshot = session.exec(
        select(PlanSnapshot.id).where(PlanSnapshot.process_id == korrewegwijk)
    ).first()
    pairs = [(closed.id, r.id) for r in closed_rounds] + [
        (tonight.id, open_round.id),
        (choosing.id, open_kiezen.id),
    ]
    check_token = address_checks.state(session, meeting_id=tonight.id or 0).url.rsplit("/", 1)[-1]
    return World(
        values={
            # The process after its vote, and the editable version for the editor's pages.
            "process_id": [korrewegwijk, editable],
            "meeting_round": pairs,
            "effect_id": [effect],
            "measure_id": [measure],
            "indicator_id": [indicator],
            "snapshot_id": [snapshot],
            "key": [key],
            "file_format": ["csv", "xlsx"],
            "fmt": ["csv", "json", "xlsx", "pb", "pdf"],
            "check_token": [check_token],
        },
        token=people.token,
        code=people.code,
    )


def pages(world: World, method: str = "GET") -> Iterator[Page]:
    """Every route with each combination of the world's objects its path names."""
    pairs = world.values["meeting_round"]
    for route in get_routes(method):
        names = set(re.findall(r"\{(\w+)(?::\w+)?\}", route))
        combos: list[dict[str, Any]] = [{}]
        if {"meeting_id", "round_id"} <= names:
            combos = [{"meeting_id": m, "round_id": r} for m, r in pairs]
        elif "meeting_id" in names:
            combos = [{"meeting_id": m} for m in dict.fromkeys(m for m, _ in pairs)]
        elif "round_id" in names:
            combos = [{"round_id": r} for _, r in pairs]
        for name in sorted(names - {"meeting_id", "round_id"}):
            choices = world.values.get(name, ["1"])
            if name == "token":
                checking = route.startswith("/check/")
                choices = world.values["check_token"] if checking else [world.token]
            combos = [{**c, name: v} for c in combos for v in choices if v not in SKIPPED_FORMATS]
        for combo in combos:
            yield Page(route, _fill(route, combo))


def _fill(route: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), route)


def _client(login: str | None = None, *, https: bool = False) -> TestClient:
    client = TestClient(app, base_url="https://testserver" if https else "http://testserver")
    if login:
        answer = client.post(
            "/login", data={"email": login, "password": PASSWORD}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
    return client


def _resident(code: str, *, https: bool = False) -> TestClient:
    client = _client(https=https)
    assert client.post("/join", data={"code": code}, follow_redirects=False).status_code == 303
    return client


@functools.cache  # many answers are the same page (a refusal, a login form): parsed once
def inline_problems(html: str) -> tuple[str, ...]:
    """What in a page the Content-Security-Policy would block: inline script, style, handlers."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for script in soup.find_all("script"):
        if not script.get("src"):
            found.append("inline <script>")
        elif not str(script["src"]).startswith("/static/"):
            found.append(f"script from {script['src']}")
    for style in soup.find_all("style"):
        # The one inline style the policy admits, by its hash: a phone page's own stylesheets.
        if style.string != phone_styles().text:
            found.append("<style> element")
    for element in soup.find_all(True):
        for attribute, value in element.attrs.items():
            if attribute == "style":
                found.append(f"style= on <{element.name}>")
            elif attribute.startswith(("on", "hx-on")):
                found.append(f"{attribute}= on <{element.name}>")
            elif attribute in ("href", "src", "action") and str(value).strip().lower().startswith(
                "javascript:"
            ):
                found.append(f"javascript: URL on <{element.name}>")
    for link in soup.select("link[rel~=stylesheet]"):
        if not str(link.get("href", "")).startswith("/static/"):
            found.append(f"stylesheet from {link.get('href')}")
    return tuple(found)


def check(response: Any, expected: dict[str, str], where: str) -> list[str]:
    """What is wrong with one answer's headers and, for a page, its HTML."""
    problems = [
        f"{where}: {name} is {response.headers.get(name)!r}"
        for name, value in expected.items()
        if response.headers.get(name) != value
    ]
    if "Strict-Transport-Security" not in expected and "strict-transport-security" in (
        response.headers
    ):
        problems.append(f"{where}: HSTS over plain http")
    if response.headers.get("content-type", "").startswith("text/html"):
        problems.extend(f"{where}: {p}" for p in inline_problems(response.text))
    return problems


def test_the_policy_allows_nothing_inline_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    # Styles from this site's files, and the phone pages' inline stylesheets by their hash only.
    assert directives["style-src"] == f"'self' {phone_styles().csp_source}"
    expected = hashlib.sha256(phone_styles().text.encode()).digest()
    assert phone_styles().csp_source == f"'sha256-{base64.b64encode(expected).decode()}'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_page_has_the_headers_and_nothing_inline(
    client: TestClient, world: World, database_url: str
) -> None:
    expected = security_headers(https=False)
    anonymous = _client()
    visitors = {
        "wijkteam": _client("w@example.org"),
        "facilitator": _client("f@example.org"),
        "resident": _resident(world.code),
        "anonymous": anonymous,
    }
    htmx_too = {"wijkteam", "resident"}
    if database_url.startswith("postgresql"):
        # The headers and the HTML are the app's whichever database answers; what PostgreSQL
        # adds is that every page opens on it with the after-vote world (this test once found a
        # row order PostgreSQL changes after updates). So there: each page once by the wijkteam,
        # who is shown every page, and once by the resident (the card's cookie), without the htmx
        # doubles: 440 requests there instead of the SQLite run's 1,050.
        visitors = {who: visitors[who] for who in ("wijkteam", "resident")}
        htmx_too = set()
    problems: list[str] = []
    seen_html = 0
    shown: set[str] = set()
    all_pages = list(pages(world))
    assert len({p.route for p in all_pages}) >= 55
    for page in all_pages:
        if page.route == "/api/docs":
            continue
        for who, visitor in visitors.items():
            for htmx in (False, True) if who in htmx_too else (False,):
                headers = {"HX-Request": "true"} if htmx else {}
                response = visitor.get(page.url, headers=headers, follow_redirects=False)
                assert response.status_code < 500, f"{who} GET {page.url}: {response.status_code}"
                if response.is_success:
                    shown.add(page.route)
                html = response.headers.get("content-type", "").startswith("text/html")
                seen_html += html
                problems.extend(check(response, expected, f"{who} GET {page.url}"))
                if not html:
                    # htmx asks for a page's fragment; an answer that is no page (a redirect,
                    # JSON, a file) has none to give. Asked again as htmx on this world, all 268
                    # such answers came with the same status, 256 byte for byte (the others
                    # an API ballot, the audit file and the plan's workbook).
                    break
    # Static files and the error page for an unknown address carry them too.
    for url in ("/static/site.css", "/static/vendor/htmx-2.0.11.min.js", "/nowhere", "/api/x"):
        problems.extend(check(anonymous.get(url), expected, f"GET {url}"))
    assert problems == [], "\n".join(problems)
    assert seen_html > 100  # the pages were really rendered, not all refused
    # Every page was shown to someone with its content, not only as a refusal or a 404 (a new
    # page whose objects the world lacks fails here until the world has them).
    redirects = {"/j/{token}", "/vote", "/api/docs"}
    assert {p.route for p in all_pages} - shown - redirects == set()


def test_every_answer_to_a_form_has_the_headers_and_nothing_inline(
    client: TestClient, session: Session, world: World
) -> None:
    # Each page's form sent empty (its refusal, naming the fields, is a page too) and a few sent
    # in earnest: a reset password, a broken follow-up file and a broken menu file.
    expected = security_headers(https=False)
    staff = _client("w@example.org")
    facilitator = session.exec(select(User.id).where(User.email == "f@example.org")).one()
    world.values["user_id"] = [facilitator]
    world.values["offer_id"] = [1]
    problems: list[str] = []
    html = 0
    ending = ("/logout", "/users/{user_id}/deactivate")
    for page in pages(world, "POST"):
        if page.route.startswith("/api/") or page.route.endswith(ending):
            continue
        response = staff.post(page.url, data={}, follow_redirects=False)
        assert response.status_code < 500, f"POST {page.url}: {response.status_code}"
        html += response.headers.get("content-type", "").startswith("text/html")
        problems.extend(check(response, expected, f"POST {page.url}"))
    pid = world.values["process_id"][0]
    broken = {"file": ("voortgang.csv", b"soort;sleutel\r\nonzin;x\r\n", "text/csv")}
    for url, files in (
        (f"/wijkteam/users/{facilitator}/reset-password", None),
        (f"/wijkteam/processes/{pid}/voortgang/import", broken),
        ("/wijkteam/import", {"file": ("menu.csv", b"=1+1;\x00\r\n", "text/csv")}),
    ):
        response = staff.post(url, files=files, follow_redirects=False)
        assert response.status_code in (200, 422), (url, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), url
        problems.extend(check(response, expected, f"POST {url}"))
    assert problems == [], "\n".join(problems)
    assert html > 20  # pages were rendered, not only redirects


def test_the_api_docs_have_their_own_strict_policy(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    assert len(scripts) == 1
    assert "'sha256-" in policy


def test_the_api_docs_are_off_in_production_unless_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.main import create_app

    settings = get_settings()
    monkeypatch.setattr(settings, "environment", "production")
    monkeypatch.setattr(settings, "secret_key", "p" * 48)
    monkeypatch.setattr(settings, "api_docs", None)
    production = TestClient(create_app())
    assert production.get("/api/docs").status_code == 404
    assert production.get("/api/openapi.json").status_code == 200
    monkeypatch.setattr(settings, "api_docs", True)
    assert TestClient(create_app()).get("/api/docs").status_code == 200


@pytest.fixture
def https(monkeypatch: pytest.MonkeyPatch) -> None:
    """The public address is https (a hosted server behind TLS)."""
    monkeypatch.setattr(get_settings(), "public_base_url", "https://wijk.example.nl")


def _set_cookies(response: Any) -> list[str]:
    return list(response.headers.get_list("set-cookie"))


def test_over_https_hsts_and_every_cookie_is_a_host_cookie(
    client: TestClient, people: People, https: None
) -> None:
    expected = security_headers(https=True)
    assert expected["Strict-Transport-Security"] == HSTS
    assert expected["Content-Security-Policy"].endswith("upgrade-insecure-requests")
    staff = _client(https=True)
    login = staff.post(
        "/login", data={"email": "w@example.org", "password": PASSWORD}, follow_redirects=False
    )
    api = _client(https=True)
    api_login = api.post("/api/login", json={"email": "f@example.org", "password": PASSWORD})
    phone = _client(https=True)
    joined = phone.post("/join", data={"code": people.code}, follow_redirects=False)
    language = phone.get("/?lang=en")
    cookies = [c for r in (login, api_login, joined, language) for c in _set_cookies(r)]
    assert len(cookies) >= 4
    for cookie in cookies:
        name, rest = cookie.split("=", 1)
        flags = {f.strip().lower() for f in rest.split(";")[1:]}
        assert name.startswith("__Host-"), cookie
        assert {"secure", "httponly", "path=/"} <= flags, cookie
        # Lax, or Strict for the login-device cookie, which only the login form reads.
        assert flags & {"samesite=lax", "samesite=strict"}, cookie
        assert not any(f.startswith("domain") for f in flags), cookie
    # The cookies work: the pages behind them open.
    assert staff.get("/wijkteam").status_code == 200
    assert api.get("/console").status_code == 200
    assert phone.get("/vote", follow_redirects=False).status_code in (200, 303)
    problems: list[str] = []
    for url in ("/", "/login", "/wijkteam", "/api/processes", "/static/site.css", "/nowhere"):
        problems.extend(check(staff.get(url), expected, f"GET {url}"))
    assert problems == [], "\n".join(problems)
    # Logging out removes the __Host- cookie.
    out = staff.post("/logout", follow_redirects=False)
    assert any(c.startswith("__Host-wz_session=") for c in _set_cookies(out))
    assert staff.get("/wijkteam", follow_redirects=False).status_code == 303


def test_over_plain_http_cookies_are_not_secure(client: TestClient, people: People) -> None:
    # The LAN mode of a meeting on a laptop: phones reach it over http, so no Secure, no prefix.
    phone = _client()
    joined = phone.post("/join", data={"code": people.code}, follow_redirects=False)
    [cookie] = _set_cookies(joined)
    assert cookie.startswith("wz_participant=")
    assert "secure" not in cookie.lower()
    assert "httponly" in cookie.lower()
