"""Menu files: each format gives back the same menu; Dutch spreadsheet CSVs are read as is."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain.menu import MenuDocument
from app.domain.menu.cells import column_letter
from app.domain.menu.files import read_menu_file
from app.domain.menu.problems import Problem
from app.domain.vocabulary import Role, RoundKind
from app.errors import MenuFrozen
from app.exports import menu as menu_export
from app.models import Measure, Meeting, Process, Round, User, utcnow
from app.services import editor, imports
from app.services import menus as menus_service
from app.services import processes as processes_service
from app.services import users as users_service

MENUS = Path(__file__).resolve().parent.parent / "fixtures" / "menus"


@pytest.fixture
def wijkteam(session: Session) -> User:
    user, _ = users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM)
    return user


def _document(session: Session, user: User, process_id: int) -> MenuDocument:
    return editor.menu_document(session, user=user, process_id=process_id)


def _english(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


@pytest.mark.parametrize("file_format", menu_export.FORMATS)
def test_every_format_round_trips_the_menu(
    file_format: str, session: Session, korrewegwijk: int, wijkteam: User
) -> None:
    original = _document(session, wijkteam, korrewegwijk)
    data = menu_export.menu_file(original, file_format)
    read = read_menu_file(filename=f"menu.{file_format}", data=data)
    assert read.problems == []
    assert read.document == original
    # Loaded as a new process, the menu is the same again, figure for figure.
    copy = replace(original, seed_key="korrewegwijk-copy", title="Kopie")
    result = imports.import_menu(
        session,
        user=wijkteam,
        filename=f"menu.{file_format}",
        data=menu_export.menu_file(copy, file_format),
    )
    assert result.ok, _english(result.read.problems)
    assert result.process_id is not None
    assert _document(session, wijkteam, result.process_id) == copy
    before = processes_service.get_menu(session, process_id=korrewegwijk)
    after = processes_service.get_menu(session, process_id=result.process_id)
    assert after.totals == before.totals
    assert [w.code for w in after.warnings] == [w.code for w in before.warnings]
    assert [(e.key, [m.key for m in e.measures]) for e in after.effects] == [
        (e.key, [m.key for m in e.measures]) for e in before.effects
    ]


def test_the_seed_file_round_trips_through_csv_and_xlsx_with_its_totals() -> None:
    seed = menus_service.read_menu_file(Path("seeds/korrewegwijk.yaml"))
    for file_format in ("csv", "xlsx", "yaml", "json"):
        data = menu_export.menu_file(seed, file_format)
        read = read_menu_file(filename=f"k.{file_format}", data=data)
        assert read.document == replace(seed, source=seed.source), file_format
        palaver = [w for w in read.warnings if w.params.get("measure") == "Palaver"]
        assert len(palaver) == 1, file_format


def test_a_dutch_excel_csv_is_read_with_its_separator_encoding_and_number_style() -> None:
    read = read_menu_file(filename="menu.csv", data=(MENUS / "good-excel-ansi.csv").read_bytes())
    assert read.problems == []
    assert read.document is not None
    notes = " ".join(_english(read.notes))
    assert "Windows-1252" in notes
    assert "semicolon" in notes
    assert read.document.effects[0].title == "Gröen en schoon"
    [indicator] = read.document.effects[0].indicators
    assert str(indicator.baseline) == "6.5"
    bankjes = read.document.measures[0]
    assert bankjes.costs.as_tuple() == (5000, 20000, 40000)
    assert bankjes.effects == ("groen", "bomen")
    # A key left empty is made from the title; 'hoort_bij' may name an effect by its title.
    assert read.document.measures[1].key == "buurtfeest"
    assert read.document.measures[1].group == "samen"


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ",", b""), ("utf-8", "\t", b"\xef\xbb\xbf"), ("utf-16", "\t", b"")],
)
def test_other_csv_flavours_are_read_too(encoding: str, delimiter: str, bom: bytes) -> None:
    good = (MENUS / "good.csv").read_bytes().decode("utf-8-sig")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(good), delimiter=";"))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    read = read_menu_file(filename="menu.txt", data=bom + buffer.getvalue().encode(encoding))
    assert read.problems == [], _english(read.problems)
    assert read.document is not None
    assert read.document.budget_eur == 300_000


def test_rows_above_the_column_names_are_skipped_with_a_warning() -> None:
    good = (MENUS / "good.csv").read_bytes().decode("utf-8-sig")
    data = ("Menukaart Oosterparkwijk;;\r\n\r\n" + good).encode()
    read = read_menu_file(filename="menu.csv", data=data)
    assert read.problems == []
    assert [w.where.row for w in read.warnings] == [1]
    broken = data.replace(b"12.345", b"x").replace(b";Bankjes op het plein;", b";;")
    read = read_menu_file(filename="menu.csv", data=broken)
    # Row numbers stay those of the spreadsheet, counting the rows above the column names.
    assert [(p.where.row, p.where.column) for p in read.problems] == [(9, "titel")]


def test_suspicious_costs_are_warnings_that_do_not_stop_the_import(
    session: Session, wijkteam: User
) -> None:
    good = (MENUS / "good.csv").read_bytes().decode("utf-8-sig")
    data = good.replace("20.000;40000", "20.000;4000").replace("5000;", "500000;", 1)
    result = imports.import_menu(session, user=wijkteam, filename="m.csv", data=data.encode())
    assert result.ok
    assert result.written
    messages = _english(result.read.warnings)
    assert any("row 7, column kosten_10_jaar" in m and "is lower than" in m for m in messages)
    assert any("row 7, column kosten_4_jaar" in m and "year 1" in m for m in messages)


def test_a_measure_dearer_than_the_budget_is_a_warning(session: Session, wijkteam: User) -> None:
    good = (MENUS / "good.csv").read_bytes().decode("utf-8-sig")
    data = good.replace("20.000;40000", "2.000.000;4.000.000")
    read = read_menu_file(filename="m.csv", data=data.encode())
    assert read.problems == []
    assert any("can never be chosen" in m for m in _english(read.warnings))


def test_a_dry_run_reports_but_writes_nothing(session: Session, wijkteam: User) -> None:
    count = session.exec(select(func.count()).select_from(Process)).one()
    result = imports.import_menu(
        session,
        user=wijkteam,
        filename="good.csv",
        data=(MENUS / "good.csv").read_bytes(),
        dry_run=True,
    )
    assert result.ok
    assert not result.written
    assert result.created > 0
    assert session.exec(select(func.count()).select_from(Process)).one() == count


def test_a_new_process_may_not_take_an_existing_key(
    session: Session, korrewegwijk: int, wijkteam: User
) -> None:
    data = (MENUS / "good.csv").read_bytes().replace(b"oosterpark-2026", b"korrewegwijk-2007")
    result = imports.import_menu(session, user=wijkteam, filename="m.csv", data=data)
    assert not result.ok
    assert "exists already" in _english(result.read.problems)[0]
    assert session.get(Process, korrewegwijk).title.startswith("Collectief")  # type: ignore[union-attr]


def test_importing_into_a_process_replaces_its_menu(
    session: Session, korrewegwijk: int, wijkteam: User
) -> None:
    result = imports.import_menu(
        session,
        user=wijkteam,
        filename="good.csv",
        data=(MENUS / "good.csv").read_bytes(),
        process_id=korrewegwijk,
    )
    assert result.ok
    assert result.process_id == korrewegwijk
    keys = session.exec(select(Measure.key).where(Measure.process_id == korrewegwijk)).all()
    assert sorted(keys) == ["bankjes", "buurtfeest"]


def test_a_frozen_process_refuses_an_import_and_keeps_its_menu(
    session: Session, korrewegwijk: int, wijkteam: User
) -> None:
    meeting = Meeting(process_id=korrewegwijk, title="Bewonersavond")
    session.add(meeting)
    session.flush()
    session.add(Round(meeting_id=meeting.id or 0, kind=RoundKind.WEGEN, opened_at=utcnow()))
    session.flush()
    before = _document(session, wijkteam, korrewegwijk)
    with pytest.raises(MenuFrozen):
        imports.import_menu(
            session,
            user=wijkteam,
            filename="good.csv",
            data=(MENUS / "good.csv").read_bytes(),
            process_id=korrewegwijk,
        )
    assert _document(session, wijkteam, korrewegwijk) == before
    # The same menu again changes nothing, so it is allowed.
    same = menu_export.menu_file(before, "csv")
    result = imports.import_menu(
        session, user=wijkteam, filename="same.csv", data=same, process_id=korrewegwijk
    )
    assert result.ok


def test_the_template_imports_as_it_is(session: Session, wijkteam: User) -> None:
    for file_format in ("csv", "xlsx"):
        read = read_menu_file(filename=f"t.{file_format}", data=menu_export.template(file_format))
        assert read.problems == []
        assert read.warnings == []
        assert read.document is not None
        assert read.document.neighbourhood_name == "Voorbeeldwijk"


def test_a_plain_explanation_is_read_from_its_column_and_too_long_is_refused_in_place() -> None:
    good = (MENUS / "good.csv").read_bytes().decode("utf-8-sig")
    lines = good.splitlines()
    header = lines[0].split(";")
    measure_row = next(i for i, line in enumerate(lines) if line.startswith("maatregel;"))
    width = len(header)
    lines[0] += ";uitleg_bewoners"
    for i in range(1, len(lines)):
        if lines[i].strip():
            cells = lines[i].split(";")
            lines[i] = ";".join(cells + [""] * (width - len(cells)))
            lines[i] += ";Er komen bankjes waar u kunt zitten." if i == measure_row else ";"
    read = read_menu_file(filename="menu.csv", data="\r\n".join(lines).encode())
    assert read.problems == [], _english(read.problems)
    assert read.document is not None
    assert read.document.measures[0].plain_explanation == "Er komen bankjes waar u kunt zitten."
    lines[measure_row] = lines[measure_row].rsplit(";", 1)[0] + ";" + "x" * 401
    read = read_menu_file(filename="menu.csv", data="\r\n".join(lines).encode())
    assert [(p.code, p.where.row, p.where.column) for p in read.problems] == [
        ("plain_too_long", measure_row + 1, "uitleg_bewoners")
    ]
    assert "401" in _english(read.problems)[0]
    assert read.problems[0].where.column_letter == column_letter(width)
