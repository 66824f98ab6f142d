"""The Korrewegwijk demo after the vote: the wijkteam keeps up what became of each measure and
imports two years of table 4.1's indicators; residents read it on the public page and its feed."""

from __future__ import annotations

import io
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role
from app.models import (
    AuditEvent,
    ExecutionMilestone,
    ExecutionSpending,
    FollowUpEvent,
    IndicatorValue,
    MeasureExecution,
)
from app.services import users as users_service
from tests.factories import meeting_night

PASSWORD = "correct horse battery"
ATOM = "{http://www.w3.org/2005/Atom}"

# Two years of the liveability monitor for table 4.1's indicators, as a monitor delivers them:
# no 'soort', the indicator by its name, percentages with their sign.
MONITOR = """titel;jaar;waarde;bron
Onveiligheidsgevoelens buurt;2007;25%;Leefbaarheidsmonitor 2007
Onveiligheidsgevoelens buurt;2008;23%;Leefbaarheidsmonitor 2008
Perceptie vermogensdelicten;2007;3,9;Leefbaarheidsmonitor 2007
Perceptie vermogensdelicten;2008;3,8;Leefbaarheidsmonitor 2008
Perceptie dreigende voorvallen;2007;2,6;Leefbaarheidsmonitor 2007
Perceptie dreigende voorvallen;2008;2,5;Leefbaarheidsmonitor 2008
Cijfer sociale samenhang;2007;5,3;Leefbaarheidsmonitor 2007
Cijfer sociale samenhang;2008;5,4;Leefbaarheidsmonitor 2008
Evaluatie buurt;2007;6,5;Leefbaarheidsmonitor 2007
Evaluatie buurt;2008;6,7;Leefbaarheidsmonitor 2008
Cijfer woonomgeving;2007;6,9;Leefbaarheidsmonitor 2007
Cijfer woonomgeving;2008;7,0;Leefbaarheidsmonitor 2008
Medeverantwoordelijk buurt;2007;83%;Leefbaarheidsmonitor 2007
Medeverantwoordelijk buurt;2008;84%;Leefbaarheidsmonitor 2008
Overlastcijfer;2007;4,4;Leefbaarheidsmonitor 2007
Overlastcijfer;2008;4,4;Leefbaarheidsmonitor 2008
Overlast groepen jongeren;2007;14%;Leefbaarheidsmonitor 2007
Overlast groepen jongeren;2008;13%;Leefbaarheidsmonitor 2008
Drugsoverlast;2007;22%;Leefbaarheidsmonitor 2007
Drugsoverlast;2008;21%;Leefbaarheidsmonitor 2008
Verloederingscijfer;2007;3,7;Leefbaarheidsmonitor 2007
Verloederingscijfer;2008;3,6;Leefbaarheidsmonitor 2008
Oordeel woonomgeving (vooruit);2007;44%;Leefbaarheidsmonitor 2007
Oordeel woonomgeving (vooruit);2008;47%;Leefbaarheidsmonitor 2008
Toekomstverwachting (vooruit);2007;57%;Leefbaarheidsmonitor 2007
Toekomstverwachting (vooruit);2008;58%;Leefbaarheidsmonitor 2008
"""


def _log_in(client: TestClient, session: Session) -> None:
    users_service.create_user(
        session, email="wijkteam@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    response = client.post(
        "/login",
        data={"email": "wijkteam@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.fixture
def adopted(client: TestClient, session: Session, korrewegwijk: int) -> dict[str, Any]:
    """The demo after a meeting night, its plan and its schedule adopted, first year 2008."""
    meeting_night(session, korrewegwijk, participants=24, paper=3, seed=7)
    _log_in(client, session)
    plan = client.post(f"/api/processes/{korrewegwijk}/plan/adopt")
    assert plan.status_code == 201
    schedule = client.post(f"/api/processes/{korrewegwijk}/plan/schedule/adopt")
    assert schedule.status_code == 201, schedule.text
    settings = client.patch(f"/api/processes/{korrewegwijk}/follow-up", json={"first_year": 2008})
    assert settings.status_code == 200, settings.text
    return {"id": korrewegwijk, "plan": plan.json(), "schedule": schedule.json()}


def _selected(adopted: dict[str, Any]) -> list[str]:
    return [
        m["key"]
        for m in sorted(adopted["plan"]["measures"], key=lambda m: m["rank"])
        if m["selected"]
    ]


def _counts(session: Session) -> dict[str, int]:
    tables = (
        MeasureExecution,
        ExecutionMilestone,
        ExecutionSpending,
        IndicatorValue,
        FollowUpEvent,
    )
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


def test_the_demo_followed_on_the_public_page_and_its_feed(
    client: TestClient, session: Session, adopted: dict[str, Any]
) -> None:
    pid = adopted["id"]
    first, second, third, fourth = _selected(adopted)[:4]

    busy = client.put(
        f"/api/processes/{pid}/follow-up/measures/{first}",
        json={
            "status": "bezig",
            "progress": 40,
            "organisation": "Gemeente Groningen",
            "planned_start": "2008-01-01",
            "actual_start": "2008-02-15",
            "milestones": [
                {"date": "2008-03-12", "text": "Eerste bewonersavond gehouden"},
                {"date": "2008-06-30", "text": "Twee buurtbemiddelaars opgeleid"},
            ],
            "spent": {"2008": 30000},
        },
    )
    assert busy.status_code == 200, busy.text
    assert busy.json()["progress"] == 40
    assert busy.json()["spent_by_year"] == {"2008": 30000}

    done = client.put(f"/api/processes/{pid}/follow-up/measures/{second}", json={"status": "klaar"})
    assert done.json()["progress"] == 100

    # "Gaat niet door" needs a reason: refused without one, with the field named.
    refused = client.put(
        f"/api/processes/{pid}/follow-up/measures/{third}", json={"status": "gaat-niet-door"}
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert refused.json()["detail"].startswith("reason: A measure with the status")
    reason = "Het pand is verkocht; het geld gaat naar het nieuwe buurthuis."
    dropped = client.put(
        f"/api/processes/{pid}/follow-up/measures/{third}",
        json={"status": "gaat-niet-door", "reason": reason},
    )
    assert dropped.status_code == 200, dropped.text
    client.put(
        f"/api/processes/{pid}/follow-up/measures/{fourth}",
        json={"status": "bezig", "spent": {"2008": 12500, "2009": 20000}},
    )

    imported = client.put(
        f"/api/processes/{pid}/follow-up/file",
        files={"file": ("monitor-2008.csv", MONITOR.encode("cp1252"), "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["values_changed"] == 26

    # Not public yet: residents get 404, the API too.
    assert client.get(f"/processes/{pid}/voortgang").status_code == 404
    assert client.patch(f"/api/processes/{pid}/follow-up", json={"published": True}).is_success
    client.post(f"/wijkteam/processes/{pid}/plan/publish", data={"public": "true"})
    client.cookies.clear()

    # The public plan links to what became of it.
    plan_page = BeautifulSoup(client.get(f"/processes/{pid}/plan").text, "html.parser")
    assert plan_page.select(f"a[href='/processes/{pid}/voortgang']")

    page = client.get(f"/processes/{pid}/voortgang")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    cards = {str(li["id"]).removeprefix("measure-"): li for li in soup.select("li.fu-measure")}
    assert list(cards) == _selected(adopted)
    assert _one(cards[first], ".fu-status").get_text(strip=True) == "bezig"
    assert _one(cards[first], "progress")["value"] == "40"
    assert "30-06-2008: Twee buurtbemiddelaars opgeleid" in cards[first].get_text(" ", strip=True)
    assert _one(cards[second], "progress")["value"] == "100"
    assert _one(cards[third], ".fu-status").get_text(strip=True) == "gaat niet door"
    assert reason in _one(cards[third], ".fu-reason").get_text(" ", strip=True)
    assert _one(cards[fourth], ".fu-status").get_text(strip=True) == "bezig"

    money = {
        row.select("td")[0].get_text(strip=True): [td.get_text(strip=True) for td in row("td")]
        for row in soup.select("table.fu-money tbody tr")
    }
    planned_2008 = sum(m["by_year"][0] for m in adopted["schedule"]["measures"])
    assert money["2008"] == ["2008", f"€\xa0{planned_2008:,}".replace(",", "."), "€\xa042.500"]
    assert money["2009"][2] == "€\xa020.000"
    assert set(money) == {"2008", "2009", "2010", "2011"}

    drugs = _one(soup, "#indicator-drugsoverlast")
    assert _one(drugs, ".fu-judgement").get_text(strip=True) == "Op koers"
    sentence = _one(drugs, ".fu-sentence").get_text(" ", strip=True)
    assert "In 2008 was het 21%" in sentence
    assert "20% in 2010" in sentence
    assert "21,5% of lager" in sentence
    assert "Lager is beter" in sentence
    assert _one(drugs, "svg.fu-chart title").get_text() == "Drugsoverlast"
    assert len(drugs.select("svg circle.value")) == 2
    # Higher is better: Evaluatie buurt 6,5 -> 6,8 in 2010 is 6,65 in 2008; 6,7 is on course.
    evaluation = _one(soup, "#indicator-evaluatie-buurt")
    assert _one(evaluation, ".fu-judgement").get_text(strip=True) == "Op koers"
    surroundings = _one(soup, "#indicator-cijfer-sociale-samenhang")
    # 5,2 -> 5,8 in 2010 is 5,5 in 2008; 5,4 is behind.
    assert _one(surroundings, ".fu-judgement").get_text(strip=True) == "Achter"

    history = soup.select("ol.fu-history > li")
    assert len(history) == 4 + 13
    assert "Laatste wijziging" in soup.get_text()

    feed = client.get(f"/processes/{pid}/voortgang.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    _assert_valid_atom(root)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 17
    texts = " ".join(e.findtext(f"{ATOM}content") or "" for e in entries)
    assert reason in texts
    assert "gemeten in 2008: 21%" in texts
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Drugsoverlast" in titles

    api = client.get(f"/api/processes/{pid}/follow-up").json()
    course = next(
        i["course"] for e in api["effects"] for i in e["indicators"] if i["key"] == "drugsoverlast"
    )
    assert course == {
        "judgement": "on_course",
        "year": 2008,
        "value": 21.0,
        "expected": 21.5,
        "target_year": 2010,
        "target": 20.0,
    }


def _one(node: Tag | None, selector: str) -> Tag:
    assert node is not None
    found = node.select_one(selector)
    assert found is not None, selector
    return found


def _assert_valid_atom(root: ET.Element) -> None:
    """The elements RFC 4287 requires of a feed and its entries, in the Atom namespace."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None  # so entries need none of their own
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    ids = set()
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        ids.add(entry.findtext(f"{ATOM}id"))
        assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")
        # RFC 3339 timestamps.
        assert (entry.findtext(f"{ATOM}updated") or "").endswith("Z")
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    assert len(ids) == len(root.findall(f"{ATOM}entry"))


def test_a_broken_file_names_every_problem_and_changes_nothing(
    client: TestClient, session: Session, adopted: dict[str, Any]
) -> None:
    pid = adopted["id"]
    key = _selected(adopted)[0]
    client.put(f"/api/processes/{pid}/follow-up/measures/{key}", json={"status": "bezig"})
    before = _counts(session)
    audit_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    broken = (
        "soort;sleutel;titel;status;voortgang;reden;begin;eind;datum;tekst;jaar;waarde;bron\n"
        f"maatregel;{key};;uitgesteld;150;;01-05-2008;01-02-2008;;;;;\n"
        "maatregel;verzonnen;;bezig;;;;;;;;;\n"
        f"mijlpaal;{key};;;;;;;31-02-2008;Opgeleid;;;\n"
        "meting;drugsoverlast;;;;;;;;;2008;veel;\n"
        "meting;drugsoverlast;;;;;;;;;2008;21;\n"
        "meting;drugoverlast;;;;;;;;;2009;20;\n"
        "afspraak;x;;;;;;;;;;;\n"
    )
    response = client.put(
        f"/api/processes/{pid}/follow-up/file",
        files={"file": ("voortgang.csv", broken.encode(), "text/csv")},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_file"
    found = [(p["row"], p["column"], p["column_letter"], p["code"]) for p in body["problems"]]
    assert sorted(found, key=lambda f: (f[0], f[1] or "")) == [
        (2, "eind", "H", "end_before_start"),
        (2, "reden", "F", "reason_required"),
        (2, "voortgang", "E", "not_a_progress"),
        (3, "sleutel", "B", "unknown_plan_measure"),
        (4, "datum", "I", "not_a_date"),
        (5, "waarde", "L", "not_a_number"),
        (6, "jaar", "K", "duplicate_measurement"),
        (7, "sleutel", "B", "unknown_indicator"),
        (8, "soort", "A", "unknown_kind"),
    ]
    assert all(p["message"] for p in body["problems"])
    suggestion = next(p for p in body["problems"] if p["code"] == "unknown_indicator")
    assert "drugsoverlast" in suggestion["message"]
    assert _counts(session) == before
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before

    # The wijkteam's page lists the same problems, in Dutch, by row and column.
    page = client.post(
        f"/wijkteam/processes/{pid}/voortgang/import",
        files={"file": ("voortgang.csv", broken.encode(), "text/csv")},
    )
    assert page.status_code == 422
    soup = BeautifulSoup(page.text, "html.parser")
    listed = [li.get_text(" ", strip=True) for li in soup.select("#import-title ~ .error li")]
    assert len(listed) == 9
    assert listed[0].startswith("Regel 2, kolom")
    assert _counts(session) == before


def test_the_export_is_the_import_format(
    client: TestClient, session: Session, adopted: dict[str, Any]
) -> None:
    pid = adopted["id"]
    key = _selected(adopted)[0]
    client.put(
        f"/api/processes/{pid}/follow-up/measures/{key}",
        json={
            "status": "uitgesteld",
            "progress": 30,
            "reason": '=HYPERLINK("x") de aannemer is failliet',
            "milestones": [{"date": "2008-04-01", "text": "Aanbesteding gestart"}],
            "spent": {"2008": 1000},
        },
    )
    client.put(
        f"/api/processes/{pid}/indicators/drugsoverlast/values/2008",
        json={"value": "21.5", "source": "Monitor"},
    )
    for file_format in ("csv", "xlsx"):
        exported = client.get(f"/api/processes/{pid}/follow-up/file?format={file_format}")
        assert exported.status_code == 200
        before = _counts(session)
        again = client.put(
            f"/api/processes/{pid}/follow-up/file",
            files={"file": (f"v.{file_format}", exported.content, "application/octet-stream")},
        )
        assert again.status_code == 200, again.text
        assert again.json()["measures_changed"] == 0, file_format
        assert again.json()["values_changed"] == 0, file_format
        assert _counts(session) == before
    csv_text = client.get(f"/api/processes/{pid}/follow-up/file?format=csv").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in csv_text  # neutralised, and read back without the apostrophe
    assert "21,5" in csv_text
    book = load_workbook(
        io.BytesIO(client.get(f"/api/processes/{pid}/follow-up/file?format=xlsx").content)
    )
    assert book.sheetnames == ["Voortgang", "Uitleg"]
    # A change made in the file comes back.
    changed = csv_text.replace(";uitgesteld;30;", ";bezig;60;")
    response = client.put(
        f"/api/processes/{pid}/follow-up/file",
        files={"file": ("v.csv", changed.encode("utf-8"), "text/csv")},
    )
    assert response.json()["measures_changed"] == 1
    measure = next(
        m
        for m in client.get(f"/api/processes/{pid}/follow-up").json()["measures"]
        if m["key"] == key
    )
    assert (measure["status"], measure["progress"]) == ("bezig", 60)


def test_not_public_until_published_and_only_the_wijkteam_changes(
    client: TestClient, session: Session, adopted: dict[str, Any]
) -> None:
    pid = adopted["id"]
    key = _selected(adopted)[0]
    assert client.get(f"/api/processes/{pid}/follow-up").status_code == 200
    client.cookies.clear()
    assert client.get(f"/api/processes/{pid}/follow-up").status_code == 404
    assert client.get(f"/processes/{pid}/voortgang").status_code == 404
    assert client.get(f"/processes/{pid}/voortgang.atom").status_code == 404
    change = client.put(f"/api/processes/{pid}/follow-up/measures/{key}", json={"progress": 5})
    assert change.status_code == 401
    value = client.put(
        f"/api/processes/{pid}/indicators/drugsoverlast/values/2008", json={"value": 1}
    )
    assert value.status_code == 401


def test_every_change_is_in_the_audit_log(
    client: TestClient, session: Session, adopted: dict[str, Any]
) -> None:
    pid = adopted["id"]
    key = _selected(adopted)[0]
    client.put(f"/api/processes/{pid}/follow-up/measures/{key}", json={"status": "bezig"})
    client.put(f"/api/processes/{pid}/indicators/drugsoverlast/values/2008", json={"value": 21})
    client.put(f"/api/processes/{pid}/indicators/drugsoverlast/values/2008", json={"value": None})
    actions = session.exec(
        select(AuditEvent.action)
        .where(col(AuditEvent.action).startswith("follow_up."))
        .order_by(col(AuditEvent.id))
    ).all()
    assert actions == [
        "follow_up.first_year",
        "follow_up.measure_changed",
        "follow_up.value_set",
        "follow_up.value_removed",
    ]
