"""Helpers for the meeting-night route tests: a facilitator with a meeting, residents with cards."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain.codes import IssuedCode
from app.domain.vocabulary import Role, RoundKind, StakeholderGroup
from app.main import app
from app.models import Ballot, Meeting, ProcessFacilitator, Round, User
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import users as users_service

PASSWORD = "correct horse battery"


@dataclass
class Night:
    """A meeting with its three rounds, run by a logged-in facilitator."""

    facilitator: User
    meeting: Meeting
    rounds: dict[RoundKind, Round]
    menu: ballots_service.MenuView

    @property
    def meeting_id(self) -> int:
        assert self.meeting.id is not None
        return self.meeting.id

    def round_id(self, kind: RoundKind) -> int:
        round_id = self.rounds[kind].id
        assert round_id is not None
        return round_id

    def effect_ids(self) -> list[int]:
        return [e.id for e in self.menu.desired_effects]

    def measure(self, key: str) -> ballots_service.MeasureView:
        return next(m for m in self.menu.measures if m.key == key)


def facilitator(session: Session, process_id: int | None, email: str = "f@example.org") -> User:
    """A facilitator account, assigned to the process when one is given."""
    user, _ = users_service.create_user(
        session, email=email, role=Role.FACILITATOR, password=PASSWORD
    )
    assert user.id is not None
    if process_id is not None:
        session.add(ProcessFacilitator(process_id=process_id, user_id=user.id))
    session.flush()
    return user


def log_in(client: TestClient, email: str) -> None:
    """Log the client in (the session cookie stays in its jar)."""
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


def night(session: Session, process_id: int, client: TestClient) -> Night:
    """A facilitator, logged in on `client`, with a meeting of three draft rounds."""
    user = facilitator(session, process_id)
    meeting = meetings_service.create_meeting(
        session, user=user, process_id=process_id, title="Wijkavond"
    )
    assert meeting.id is not None
    rounds = {r.kind: r for r in meetings_service.rounds_of(session, meeting_id=meeting.id)}
    log_in(client, user.email)
    return Night(user, meeting, rounds, ballots_service.load_menu(session, process_id=process_id))


def card(session: Session, process_id: int, group: StakeholderGroup | None = None) -> IssuedCode:
    """A fresh code card."""
    [issued] = codes_service.issue_codes(
        session, process_id=process_id, count=1, stakeholder_group=group
    )
    return issued


def resident(
    session: Session, process_id: int, group: StakeholderGroup | None = None
) -> TestClient:
    """A phone that has joined with a fresh card (a client of its own, with its own cookies)."""
    phone = TestClient(app, base_url="http://testserver")
    issued = card(session, process_id, group)
    response = phone.post("/join", data={"code": issued.code}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return phone


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def form_key(html: str) -> str:
    """The idempotency key of the ballot form on a page."""
    field = soup(html).select_one("input[name=idempotency_key]")
    assert field is not None
    return str(field["value"])


def alert(html: str) -> str:
    """The text of the page's alert (the error message)."""
    found = soup(html).select_one("[role=alert]")
    assert found is not None, "no alert on the page"
    return re.sub(r"[ \t\r\n]+", " ", found.get_text()).strip()


def ballots_in(session: Session, round_id: int) -> int:
    """How many ballots a round holds."""
    return session.exec(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
    ).one()


def run_again(client: TestClient, session: Session, n: Night, kind: RoundKind) -> int:
    """The facilitator runs a closed round again (confirmed): the id of its new run."""
    again = client.post(
        f"/console/rounds/{n.round_id(kind)}/again", data={"confirm": "1"}, follow_redirects=False
    )
    assert again.status_code == 303, again.text
    runs = [
        r for r in meetings_service.rounds_of(session, meeting_id=n.meeting_id) if r.kind == kind
    ]
    rerun = max(runs, key=lambda r: r.run).id
    assert rerun is not None
    return rerun
