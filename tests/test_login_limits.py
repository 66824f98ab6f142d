"""Login limits slow down and then stop the source of wrong passwords, never the account.

An attacker who knows a facilitator's e-mail address types wrong passwords during the meeting;
the facilitator must still get in with the right password, from their own laptop (a new address,
or the same address as the attacker behind the venue's wifi, with the browser they logged in
with before). Every refusal says when to try again (Retry-After).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role
from app.main import app
from app.models import AuditEvent
from app.routes.deps import LOGIN_DEVICE_COOKIE
from app.services import users as users_service

PASSWORD = "correct horse battery"
EMAIL = "gespreksleider@example.org"
ATTACKER = ("203.0.113.66", 40000)
FACILITATOR = ("198.51.100.10", 40001)


@pytest.fixture
def facilitator(session: Session) -> None:
    users_service.create_user(session, email=EMAIL, role=Role.FACILITATOR, password=PASSWORD)


def _from(address: tuple[str, int]) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=address)


def _page_login(client: TestClient, password: str, email: str = EMAIL) -> int:
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return int(response.status_code)


def _age_failures(session: Session, seconds: int) -> None:
    """Let time pass for the failures so far (the slow-down waits are seconds long)."""
    for event in session.exec(
        select(AuditEvent).where(col(AuditEvent.action).in_(["login.failed", "login.refused"]))
    ):
        event.at -= timedelta(seconds=seconds)
    session.commit()


def _five_wrong_passwords(client: TestClient, session: Session, email: str = EMAIL) -> None:
    for attempt in range(5):
        assert _page_login(client, f"wrong guess {attempt}", email) == 401
        _age_failures(session, 31)  # waits out the slow-down, not the limit


def test_an_attackers_five_wrong_passwords_do_not_keep_the_facilitator_out(
    client: TestClient, session: Session, facilitator: None
) -> None:
    attacker = _from(ATTACKER)
    _five_wrong_passwords(attacker, session)
    # The attacker's source is stopped, even with the right password ...
    refused = attacker.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 429
    # 15 minutes after the first of the five (which the slow-down spread over 2.5 minutes).
    assert 12 * 60 < int(refused.headers["Retry-After"]) <= 13 * 60
    # ... while the facilitator, from their own laptop, logs in at once.
    laptop = _from(FACILITATOR)
    assert _page_login(laptop, PASSWORD) == 303
    assert laptop.get("/facilitator").status_code == 200
    # The attacker guesses on during the meeting; the facilitator's next login still works.
    _age_failures(session, 16 * 60)
    _five_wrong_passwords(attacker, session)
    assert _page_login(_from(FACILITATOR), PASSWORD) == 303


def test_behind_the_same_wifi_the_browser_that_logged_in_before_gets_in(
    client: TestClient, session: Session, facilitator: None
) -> None:
    # Attacker and facilitator share the venue's one public address.
    laptop = _from(ATTACKER)
    assert _page_login(laptop, PASSWORD) == 303
    assert laptop.cookies.get(LOGIN_DEVICE_COOKIE)
    laptop.post("/logout")
    attacker = _from(ATTACKER)
    _five_wrong_passwords(attacker, session)
    for i in range(20):  # and everything else from that address too
        _page_login(attacker, "guess", email=f"someone{i}@example.org")
    assert _page_login(attacker, PASSWORD) == 429
    assert _page_login(laptop, PASSWORD) == 303
    # The device cookie is bound to the account and signed: copying or forging it does not help.
    forged = _from(ATTACKER)
    value = str(laptop.cookies.get(LOGIN_DEVICE_COOKIE))
    forged.cookies.set(LOGIN_DEVICE_COOKIE, value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert _page_login(forged, PASSWORD) == 429


def test_wrong_passwords_slow_down_before_they_stop_the_source(
    client: TestClient, session: Session, facilitator: None
) -> None:
    attacker = _from(ATTACKER)
    for attempt in range(3):
        assert _page_login(attacker, f"wrong {attempt}") == 401
    slowed = attacker.post("/login", data={"email": EMAIL, "password": "wrong 3"})
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= users_service.SLOW_DOWN[3]
    assert "Wacht" in slowed.text
    _age_failures(session, users_service.SLOW_DOWN[3])
    assert _page_login(attacker, "wrong 3") == 401
    api = _from(ATTACKER).post("/api/login", json={"email": EMAIL, "password": "wrong 4"})
    assert api.status_code == 429
    assert api.json()["code"] == "too_many_attempts"
    assert 1 <= int(api.headers["Retry-After"]) <= users_service.SLOW_DOWN[4]
    assert api.json()["detail"].startswith("Too many failed attempts. Wait ")


def test_every_refusal_carries_retry_after(
    client: TestClient, session: Session, facilitator: None
) -> None:
    attacker = _from(ATTACKER)
    _five_wrong_passwords(attacker, session)
    page = attacker.post("/login", data={"email": EMAIL, "password": "x"})
    api = attacker.post("/api/login", json={"email": EMAIL, "password": "x"})
    for refusal in (page, api):
        assert refusal.status_code == 429
        assert int(refusal.headers["Retry-After"]) > 60
    assert api.json()["code"] == "too_many_attempts"
    assert re.search(r"Probeer het over 1[23] minuten opnieuw \(om \d\d:\d\d\)", page.text)


def test_unknown_addresses_are_limited_the_same_way(client: TestClient, session: Session) -> None:
    # Otherwise the limit would tell which e-mail addresses have an account.
    attacker = _from(ATTACKER)
    _five_wrong_passwords(attacker, session, email="nobody@example.org")
    assert _page_login(attacker, "anything", email="nobody@example.org") == 429


def test_the_limit_ends_when_the_failures_leave_the_window(
    client: TestClient, session: Session, facilitator: None
) -> None:
    attacker = _from(ATTACKER)
    _five_wrong_passwords(attacker, session)
    assert _page_login(attacker, PASSWORD) == 429
    _age_failures(session, 15 * 60)
    assert _page_login(attacker, PASSWORD) == 303
