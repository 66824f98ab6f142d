"""Logging in and out; facilitators see only the processes they are assigned to."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import Role
from app.models import ProcessFacilitator
from app.services import users as users_service

PASSWORD = "correct horse battery"


def _log_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return int(response.status_code)


def test_login_and_logout(client: TestClient, session: Session, korrewegwijk: int) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    assert (
        client.get("/wijkteam", follow_redirects=False).headers["location"]
        == "/login?next=/wijkteam"
    )
    assert _log_in(client, "w@example.org") == 303
    page = BeautifulSoup(client.get("/wijkteam").text, "html.parser")
    assert page.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is not None
    client.post("/logout")
    assert client.get("/wijkteam", follow_redirects=False).status_code == 303


def test_a_wrong_password_says_so_without_saying_which(
    client: TestClient, session: Session
) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    response = client.post("/login", data={"email": "w@example.org", "password": "nope"})
    assert response.status_code == 401
    alert = BeautifulSoup(response.text, "html.parser").select_one("[role=alert]")
    assert alert is not None
    assert "Het e-mailadres of wachtwoord klopt niet." in alert.get_text()
    unknown = client.post("/login", data={"email": "x@example.org", "password": "nope"})
    assert unknown.status_code == 401


def test_a_facilitator_sees_only_their_processes(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    user, _ = users_service.create_user(
        session, email="f@example.org", role=Role.FACILITATOR, password=PASSWORD
    )
    _log_in(client, "f@example.org")
    page = BeautifulSoup(client.get("/facilitator").text, "html.parser")
    assert page.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is None
    session.add(ProcessFacilitator(process_id=korrewegwijk, user_id=user.id))  # type: ignore[arg-type]
    session.flush()
    page = BeautifulSoup(client.get("/facilitator").text, "html.parser")
    assert page.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is not None


def test_a_cross_site_form_post_is_refused(client: TestClient, session: Session) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    response = client.post(
        "/login",
        data={"email": "w@example.org", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    other = client.post(
        "/login",
        data={"email": "w@example.org", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other.status_code == 403


def test_next_never_leaves_the_site(client: TestClient, session: Session) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    response = client.post(
        "/login",
        data={"email": "w@example.org", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/wijkteam"
