"""No figure, chart or what-if for a group of fewer than 5 people, in any output.

A meeting of 12: 6 residents, 3 students, an entrepreneur, a worker and someone without a group.
Only the residents may be shown apart; everyone else counts in the totals and appears as "kleine
groep (minder dan 5)". Every output is walked: the wijkteam's page, PDF, XLSX, CSV, JSON and
ballots file, the public plan, and the round outcomes the console and the projector show.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.domain.pabulib import parse_pabulib
from app.domain.vocabulary import Role
from app.exports import plan_pdf
from app.models import Meeting, Round
from app.services import outcomes as outcomes_service
from app.services import users as users_service
from tests.factories import meeting_night
from tests.pdf_text import pdf_text

PASSWORD = "correct horse battery"
SMALL = ("studenten", "ondernemers", "werkers in de wijk", "groep niet opgegeven")
SMALL_KEYS = {"student", "ondernemer", "werker", "", None}
LABEL = "kleine groep (minder dan 5)"


@pytest.fixture
def night(client: TestClient, session: Session, korrewegwijk: int) -> int:
    meeting_night(session, korrewegwijk, participants=12, paper=2)
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    session.commit()
    login = client.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    assert login.status_code in (200, 303)
    return korrewegwijk


def _no_small_group_on_the_page(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    support = [th.get_text(strip=True) for th in soup.select("table.support-table thead th")]
    assert support == ["Maatregel", "bewoners", LABEL]
    for selector in ("#sensitivity li", "#turnout li", "ul.support li"):
        for item in soup.select(selector):
            text = item.get_text(" ", strip=True)
            assert not any(text.startswith(f"{name}:") for name in SMALL), text
            assert not any(f"weegt zoals de {name}" in text for name in SMALL), text
    assert LABEL in soup.select_one("#turnout").get_text()  # type: ignore[union-attr]


@pytest.mark.one_database(
    "what the plan's page and files (PDF, XLSX, CSV, .pb) print of small groups; the same"
    " plan's figures from either database are checked by the other tests of this file"
)
def test_the_plan_and_its_downloads_show_no_small_group(client: TestClient, night: int) -> None:
    base = f"/wijkteam/processes/{night}/plan"
    _no_small_group_on_the_page(client.get(base).text)

    plan = client.get(f"{base}.json").json()
    assert plan["groups_apart"] == ["bewoner"]
    assert plan["small_groups"] is True
    assert {g["group"] for m in plan["measures"] for g in m["support_by_group"]} == {"bewoner"}
    assert {s["group"] for s in plan["scenarios"]} == {None, "bewoner"}
    assert {g["group"] for t in plan["turnout"] for g in t["by_group"]} == {"bewoner"}
    # Counted in the totals all the same.
    assert [t["phone"] + t["paper"] for t in plan["turnout"]] == [12, 12, 12]

    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))
    support = [c.value for c in book["Steun per groep"][1]]
    assert support == ["Maatregel", "bewoners: bijdrage", "bewoners: pakketten", LABEL]
    groups_in_turnout = {r[3] for r in book["Opkomst"].iter_rows(min_row=2, values_only=True)}
    assert groups_in_turnout <= {"alle", "bewoners", LABEL, None}
    what_if = [r[0] for r in book["Wat als"].iter_rows(min_row=2, values_only=True)]
    assert not [w for w in what_if if any(name in str(w) for name in SMALL)]

    header = next(csv.reader(io.StringIO(client.get(f"{base}.csv").text), delimiter=";"))
    assert not [h for h in header if any(name in h for name in SMALL)]

    ballots = parse_pabulib(client.get(f"{base}.pb").text)
    assert {v.fields.get("group", "") for v in ballots.votes} <= {"bewoner", ""}

    if plan_pdf.unavailable() is None:
        text = pdf_text(client.get(f"{base}.pdf").content)
        assert LABEL in text
        for name in SMALL:
            assert f"weegt zoals de {name}" not in text
            assert f"{name}: " not in text


def test_the_public_plan_shows_no_small_group(client: TestClient, night: int) -> None:
    base = f"/wijkteam/processes/{night}/plan"
    assert client.post(f"{base}/adopt", data={"rule": "greedy"}).status_code in (200, 303)
    assert client.post(f"{base}/publish", data={"public": "true"}).status_code in (200, 303)
    public = f"/processes/{night}/plan"
    _no_small_group_on_the_page(client.get(public).text)
    plan = client.get(f"{public}.json").json()
    assert plan["groups_apart"] == ["bewoner"]
    assert {g["group"] for m in plan["measures"] for g in m["support_by_group"]} == {"bewoner"}


def test_the_round_outcomes_show_no_small_group(session: Session, night: int) -> None:
    meeting = session.exec(select(Meeting).where(Meeting.process_id == night)).one()
    rounds = session.exec(select(Round).where(Round.meeting_id == meeting.id)).all()
    assert len(rounds) == 3
    for round_ in rounds:
        outcome = outcomes_service.outcome(session, round_=round_)
        assert outcome.groups == ["bewoner"], round_.kind
        assert outcome.small_groups_hidden
        for rows in (outcome.weights, outcome.ranking, outcome.choices):
            for row in rows:
                assert set(row.by_group) <= {"bewoner"}, round_.kind


def _text_of(response_content: bytes, kind: str) -> str:
    if kind == "xlsx":
        book = load_workbook(io.BytesIO(response_content))
        return "\n".join(
            " ".join(str(v) for v in row if v is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if kind == "html":
        return BeautifulSoup(response_content.decode("utf-8"), "html.parser").get_text(" ")
    return response_content.decode("utf-8")


def _groups_in_json(found: object, path: str = "") -> list[str]:
    """Every place a JSON document names a small group as a value of a field about groups."""
    if isinstance(found, dict):
        return [
            f"{path}.{key}"
            for key, value in found.items()
            if "group" in str(key) and isinstance(value, str) and value in SMALL_KEYS
        ] + [hit for key, value in found.items() for hit in _groups_in_json(value, f"{path}.{key}")]
    if isinstance(found, list):
        return [
            hit for i, value in enumerate(found) for hit in _groups_in_json(value, f"{path}[{i}]")
        ]
    return []


def test_the_schedule_follow_up_and_offers_show_no_small_group(
    client: TestClient, night: int
) -> None:
    # The outputs after the vote: the schedule, the follow-up (wijkteam and public, its feed and
    # files) and the offers of help (counts per measure only). None names a small group.
    assert client.post(f"/api/processes/{night}/plan/adopt").status_code == 201
    assert client.post(f"/api/processes/{night}/plan/schedule/adopt").status_code == 201
    assert (
        client.patch(f"/api/processes/{night}/follow-up", json={"first_year": 2008}).status_code
        == 200
    )
    published = client.post(
        f"/wijkteam/processes/{night}/voortgang/publish", data={"public": "true"}
    )
    assert published.status_code in (200, 303)
    pages = {
        f"/wijkteam/processes/{night}/plan": "html",
        f"/wijkteam/processes/{night}/plan/schedule": "html",
        f"/wijkteam/processes/{night}/voortgang": "html",
        f"/wijkteam/processes/{night}/voortgang.csv": "text",
        f"/wijkteam/processes/{night}/voortgang.xlsx": "xlsx",
        f"/processes/{night}/voortgang": "html",
        f"/processes/{night}/voortgang.atom": "text",
        f"/wijkteam/processes/{night}/offers": "html",
        f"/wijkteam/processes/{night}/offers.csv": "text",
    }
    for url, kind in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text_of(response.content, kind)
        for name in SMALL:
            assert not re.search(rf"\b{name}\b", text), (url, name)
    for url in (
        f"/api/processes/{night}/plan/schedule",
        f"/api/processes/{night}/follow-up",
        f"/api/processes/{night}/plan/adopted",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _groups_in_json(response.json()) == [], url
