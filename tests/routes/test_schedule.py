"""The plan in time after a played meeting: proposal, ledger, outlook, changes, adoption, access."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role
from app.exports import plan_pdf
from app.models import AuditEvent, Measure, PlanSchedule, ProcessFacilitator
from app.services import users as users_service
from tests.factories import meeting_night
from tests.pdf_text import pdf_pages
from tests.routes.meeting_night import resident

PASSWORD = "correct horse battery"


def _log_in(client: TestClient, session: Session, role: Role = Role.WIJKTEAM) -> int:
    user, _ = users_service.create_user(
        session, email=f"{role}@example.org", role=role, password=PASSWORD
    )
    response = client.post(
        "/login",
        data={"email": f"{role}@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return user.id or 0


def _played(session: Session, process_id: int, seed: int = 7) -> int:
    meeting_night(session, process_id, participants=24, paper=3, seed=seed)
    return process_id


def _adopt_plan(client: TestClient, process_id: int) -> dict:  # type: ignore[type-arg]
    response = client.post(f"/api/processes/{process_id}/plan/adopt")
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


def _schedule(client: TestClient, process_id: int) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/processes/{process_id}/plan/schedule")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_demo_after_a_night_gets_a_four_year_schedule_within_250000_a_year(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk)
    _log_in(client, session)
    plan = _adopt_plan(client, pid)
    schedule = _schedule(client, pid)
    assert schedule["state"] == "proposed"
    assert schedule["years"] == 4
    assert schedule["money"] == [250_000] * 4
    assert schedule["overspent_years"] == []
    assert all(year["planned"] <= 250_000 for year in schedule["ledger"])
    # The ledger adds up to the plan's total over 4 years.
    assert sum(year["planned"] for year in schedule["ledger"]) == plan["ledger"]["spent"]
    assert schedule["plan_total"] == plan["ledger"]["spent"] == 964_000
    assert [m["key"] for m in schedule["measures"]] == [
        m["key"] for m in plan["measures"] if m["selected"]
    ]
    # The 10-year outlook: years 5 to 10, what the measures' 10-year figures add.
    assert [year["year"] for year in schedule["outlook"]] == [5, 6, 7, 8, 9, 10]
    ten_years = sum(m["cost_years_10"] or 0 for m in plan["measures"] if m["selected"])
    assert schedule["ten_year_total"] == ten_years
    assert (
        schedule["after_period"]
        == ten_years - 964_000
        == sum(year["planned"] for year in schedule["outlook"])
    )


def test_later_starts_move_money_past_the_period_and_moving_into_a_full_year_is_refused(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk, seed=1)
    _log_in(client, session)
    plan = _adopt_plan(client, pid)
    schedule = _schedule(client, pid)
    starts = {m["key"]: m["start_year"] for m in schedule["measures"]}
    assert starts["wijkatelier"] == 2
    assert starts["ouderenwerk"] == 3
    assert [year["planned"] for year in schedule["ledger"]] == [245_500, 235_500, 218_834, 218_833]
    assert (
        schedule["in_period"] + schedule["after_period_binding"]
        == plan["ledger"]["spent"]
        == 982_000
    )

    # Wijkatelier costs 50,000 in its first year: in year 3 that makes 265,500.
    refused = client.put(f"/api/processes/{pid}/plan/schedule", json={"starts": {"wijkatelier": 3}})
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Too much is planned in year 3: the schedule was not saved.",
        "code": "overspent",
    }
    after = _schedule(client, pid)
    assert {**after, "computed_at": None} == {**schedule, "computed_at": None}
    assert session.exec(select(PlanSchedule)).all() == []

    # With carry-over the money year 1 and 2 leave covers it.
    moved = client.put(
        f"/api/processes/{pid}/plan/schedule",
        json={"starts": {"wijkatelier": 3}, "carry_over": True},
    )
    assert moved.status_code == 200
    assert moved.json()["state"] == "draft"
    assert moved.json()["ledger"][2]["planned"] == 265_500
    assert moved.json()["ledger"][2]["carried_in"] == 4_500 + (250_000 - 235_500 + 50_000)
    assert _schedule(client, pid)["fingerprint"] == moved.json()["fingerprint"]


def test_bad_changes_name_the_field_and_change_nothing(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk)
    _log_in(client, session)
    _adopt_plan(client, pid)
    url = f"/api/processes/{pid}/plan/schedule"
    for body, words in (
        ({"money": [250_000, 250_000]}, "money: give an amount for each of the 4 years"),
        ({"money": [250_000, -1, 0, 0]}, "money, year 2: give whole euros"),
        ({"starts": {"geen-maatregel": 1}}, "starts: 'geen-maatregel' is not a measure"),
        ({"starts": {"kinderwerk": 5}}, "starts, kinderwerk: the start year is 1 to 4"),
        ({"starts": {"kinderwerk": "soon"}}, "starts.kinderwerk"),
    ):
        response = client.put(url, json=body)
        assert response.status_code == 422, body
        assert words in response.json()["detail"], response.json()
    assert session.exec(select(PlanSchedule)).all() == []


def test_adopting_keeps_the_schedule_as_it_was_with_its_fingerprint(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk, seed=1)
    user_id = _log_in(client, session)
    _adopt_plan(client, pid)
    proposal = _schedule(client, pid)
    adopted = client.post(f"/api/processes/{pid}/plan/schedule/adopt")
    assert adopted.status_code == 201
    body = adopted.json()
    assert body["state"] == "adopted"
    assert body["fingerprint"] == proposal["fingerprint"]
    assert body["schedule_id"] is not None
    assert _schedule(client, pid) == body

    # A later change is a draft; the adopted one stays as adopted.
    client.put(f"/api/processes/{pid}/plan/schedule", json={"starts": {"wijkatelier": None}})
    assert _schedule(client, pid)["state"] == "draft"
    row = session.get(PlanSchedule, body["schedule_id"])
    assert row is not None
    assert row.content["fingerprint"] == body["fingerprint"]
    assert row.starts["wijkatelier"] == 2
    actions = [
        (e.action, e.user_id)
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.process_id == pid).order_by(col(AuditEvent.id))
        )
        if e.action.startswith("schedule.")
    ]
    assert actions == [("schedule.adopted", user_id), ("schedule.saved", user_id)]


def test_a_schedule_needs_an_adopted_plan(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk)
    _log_in(client, session)
    response = client.get(f"/api/processes/{pid}/plan/schedule")
    assert response.status_code == 409
    assert response.json()["code"] == "no_adopted_plan"
    page = client.get(f"/wijkteam/processes/{pid}/plan/schedule")
    assert page.status_code == 200
    assert "Stel eerst het plan vast" in page.text or "no adopted plan" in page.text


def test_the_schedule_is_for_the_wijkteam(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk)
    assert client.get(f"/api/processes/{pid}/plan/schedule").status_code == 401
    user_id = _log_in(client, session, Role.FACILITATOR)
    session.add(ProcessFacilitator(process_id=pid, user_id=user_id))
    session.commit()
    assert client.get(f"/api/processes/{pid}/plan/schedule").status_code == 404
    assert client.put(f"/api/processes/{pid}/plan/schedule", json={}).status_code == 404
    assert client.post(f"/api/processes/{pid}/plan/schedule/adopt").status_code == 404
    assert client.get(f"/wijkteam/processes/{pid}/plan/schedule").status_code == 404


@pytest.fixture
def schedule_page(client: TestClient, session: Session, korrewegwijk: int) -> str:
    pid = _played(session, korrewegwijk, seed=1)
    _log_in(client, session)
    _adopt_plan(client, pid)
    return f"/wijkteam/processes/{pid}/plan/schedule"


def _form(page: str, client: TestClient) -> dict[str, str]:
    soup = BeautifulSoup(client.get(page).text, "html.parser")
    form = soup.select_one("form.schedule-form")
    assert form is not None
    values = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    values.pop("carry_over", None)
    for select_ in form.select("select"):
        chosen = select_.select_one("option[selected]")
        values[str(select_["name"])] = str(chosen["value"]) if chosen else ""
    return {str(k): str(v) for k, v in values.items()}


def test_the_page_checks_each_change_at_once_and_shows_an_overspent_year_red(
    client: TestClient, session: Session, schedule_page: str
) -> None:
    form = _form(schedule_page, client)
    assert form["start-wijkatelier"] == "2"
    checked = client.post(
        schedule_page, data={**form, "start-wijkatelier": "3"}, headers={"HX-Request": "true"}
    )
    assert checked.status_code == 200
    soup = BeautifulSoup(checked.text, "html.parser")
    assert soup.select_one("#schedule-check") is not None
    assert soup.select_one("form") is None  # only the fragment
    red = [row.select_one("td").get_text(" ", strip=True) for row in soup.select("tr.overspent")]  # type: ignore[union-attr]
    assert len(red) == 1
    assert red[0].startswith("Jaar 3")
    assert soup.select_one("button[value=adopt]").has_attr("disabled")  # type: ignore[union-attr]
    assert soup.select_one("[role=alert]") is not None

    # Saving or adopting it anyway is refused, and nothing is stored.
    for action in ("save", "adopt"):
        response = client.post(
            schedule_page, data={**form, "start-wijkatelier": "3", "action": action}
        )
        assert response.status_code == 409
        error = BeautifulSoup(response.text, "html.parser").select_one(".error")
        assert error is not None
        assert "In jaar 3 is te veel gepland" in error.get_text()
    assert session.exec(select(PlanSchedule)).all() == []


def test_the_page_saves_and_adopts_a_schedule_that_fits(
    client: TestClient, session: Session, schedule_page: str
) -> None:
    form = _form(schedule_page, client)
    saved = client.post(
        schedule_page,
        data={**form, "start-wijkatelier": "", "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert _form(schedule_page, client)["start-wijkatelier"] == ""
    adopted = client.post(
        schedule_page,
        data={**_form(schedule_page, client), "action": "adopt"},
        follow_redirects=False,
    )
    assert adopted.status_code == 303
    assert "/plan/adopted/" in adopted.headers["location"]
    rows = session.exec(select(PlanSchedule)).all()
    assert [(r.adopted_at is not None, r.starts["wijkatelier"]) for r in rows] == [(True, None)]


def test_money_typed_the_dutch_way_is_read_and_bad_money_is_named(
    client: TestClient, session: Session, schedule_page: str
) -> None:
    form = _form(schedule_page, client)
    checked = client.post(schedule_page, data={**form, "money-1": "€ 300.000,-"})
    assert checked.status_code == 200
    soup = BeautifulSoup(checked.text, "html.parser")
    assert "300.000" in soup.select("table.ledger-table tbody tr")[0].get_text()
    bad = client.post(schedule_page, data={**form, "money-2": "veel", "action": "save"})
    assert bad.status_code == 422
    error = BeautifulSoup(bad.text, "html.parser").select_one(".error")
    assert error is not None
    assert "jaar 2" in error.get_text()
    assert BeautifulSoup(bad.text, "html.parser").select_one("#money-2")["value"] == "veel"  # type: ignore[index]


@pytest.mark.one_database(
    "the schedule in the adopted plan's page and files (PDF, XLSX, CSV); adopting a schedule"
    " is tested on both databases (test_adopting_keeps_the_schedule_as_it_was...)"
)
def test_the_adopted_schedule_is_in_the_plans_page_and_every_download(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk, seed=1)
    _log_in(client, session)
    plan = _adopt_plan(client, pid)
    snapshot = plan["snapshot_id"]
    schedule = client.post(f"/api/processes/{pid}/plan/schedule/adopt").json()
    base = f"/wijkteam/processes/{pid}/plan/adopted/{snapshot}"

    page = BeautifulSoup(client.get(base).text, "html.parser")
    section = page.select_one("section#schedule")
    assert section is not None
    bars = section.select(".tl-row:not(.tl-axis)")
    assert len(bars) == len(schedule["measures"]) == 9
    assert len(section.select("table.ledger-table tbody tr")) == 4
    assert section.select_one("code.fingerprint").get_text() == schedule["fingerprint"]  # type: ignore[union-attr]
    words = section.select_one("ul.public-schedule").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "Dit jaar:" in words
    assert "Vanaf het 2e jaar: Wijkatelier" in words
    assert "Vanaf het 3e jaar: Uitbreiding ouderenwerk" in words

    assert client.get(f"{base}.json").json()["schedule"] == schedule
    assert client.get(f"/api/processes/{pid}/plan/adopted").json()["schedule"] == schedule

    rows = list(
        csv.reader(
            io.StringIO(client.get(f"{base}.csv").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    header = rows[0]
    assert header[-6:] == ["Startjaar", "Jaar 1", "Jaar 2", "Jaar 3", "Jaar 4", "Na de periode"]
    first_year = header.index("Jaar 1")
    by_title = {row[1]: row for row in rows[1:]}
    assert by_title["Wijkatelier"][first_year - 1 : first_year + 4] == [
        "2",
        "0",
        "50000",
        "3334",
        "3333",
    ]
    planned = by_title["Gepland"]
    assert planned[first_year : first_year + 4] == [str(y["planned"]) for y in schedule["ledger"]]

    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))
    assert "Fasering" in book.sheetnames
    sheet = book["Fasering"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Plaats", "Maatregel", "Startjaar", "Jaar 1"]
    assert any(row[:4] == [1, 250_000, 245_500, 4_500] for row in values)
    assert any(row[1] == schedule["fingerprint"] for row in values if len(row) > 1)

    if plan_pdf.unavailable() is None:
        text = "".join(pdf_pages(client.get(f"{base}.pdf").content))
        assert "Het plan in de tijd" in text
        assert "Wanneer begint wat?" in text
        assert schedule["fingerprint"][:16] in text.replace("\n", "")


def test_residents_see_the_schedule_in_plain_words_and_only_counts_of_helpers(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pid = _played(session, korrewegwijk, seed=1)
    _log_in(client, session)
    _adopt_plan(client, pid)
    client.post(f"/api/processes/{pid}/plan/schedule/adopt")
    client.post(f"/wijkteam/processes/{pid}/plan/publish", data={"public": "true"})
    phone = resident(session, pid)
    wijkatelier = next(m for m in _schedule(client, pid)["measures"] if m["key"] == "wijkatelier")
    measure_id = session.exec(
        select(Measure.id).where(Measure.process_id == pid, Measure.key == wijkatelier["key"])
    ).one()
    made = phone.post(
        "/meedoen",
        data={
            "measure": [str(measure_id)],
            "name": "Dirk Jansen",
            "contact_kind": "email",
            "contact": "dirk@voorbeeld.nl",
            "consent": "on",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303

    public = BeautifulSoup(TestClient(client.app).get(f"/processes/{pid}/plan").text, "html.parser")
    words = public.select_one("section#schedule ul.public-schedule").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "Vanaf het 2e jaar: Wijkatelier" in words
    row = public.select_one("#line-wijkatelier")
    assert row is not None
    assert "1 bewoner wil meehelpen" in row.get_text()
    assert "Dirk" not in public.get_text()
    assert "dirk@voorbeeld.nl" not in public.get_text()
    wijkteam_page = client.get(f"/wijkteam/processes/{pid}/plan").text
    assert "1 bewoner wil meehelpen" in wijkteam_page
    assert "Dirk" not in wijkteam_page
