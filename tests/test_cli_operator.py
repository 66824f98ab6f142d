"""What an operator does without a browser: import a menu, print code cards, export a plan."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_engine
from app.domain.vocabulary import Role
from app.exports import cards as cards_export
from app.models import AuditEvent, ParticipantCode, Process
from app.services import codes as codes_service
from app.services import users as users_service
from tests.factories import meeting_night
from tests.test_cli import database  # noqa: F401  (a migrated database of its own)

runner = CliRunner()
SEED = Path(__file__).resolve().parent.parent / "seeds" / "korrewegwijk.yaml"
AS = ["--as", "ops@wijkteam.example"]


@pytest.fixture
def operator(database: str) -> str:  # noqa: F811
    with Session(get_engine()) as session, session.begin():
        users_service.create_user(session, email="ops@wijkteam.example", role=Role.WIJKTEAM)
    assert runner.invoke(cli, ["seed", "korrewegwijk"]).exit_code == 0
    return "ops@wijkteam.example"


def _count(table: type) -> int:
    with Session(get_engine()) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_import_menu_creates_a_process_and_check_writes_nothing(
    operator: str, tmp_path: Path
) -> None:
    menu = tmp_path / "hoogte.yaml"
    menu.write_text(
        SEED.read_text(encoding="utf-8")
        .replace("seed_key: korrewegwijk-2007", "seed_key: de-hoogte")
        .replace("title: Collectief bewonersspoor Korrewegwijk", "title: Bewonersspoor De Hoogte"),
        encoding="utf-8",
    )
    checked = runner.invoke(cli, ["import-menu", str(menu), *AS, "--check"])
    assert checked.exit_code == 0, checked.output
    assert "checked, nothing written" in checked.output
    assert _count(Process) == 1
    done = runner.invoke(cli, ["import-menu", str(menu), *AS])
    assert done.exit_code == 0, done.output
    assert "imported into process" in done.output
    assert "warning:" in done.output  # the Palaver row, kept as it is
    assert _count(Process) == 2
    with Session(get_engine()) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "menu.imported")).one()
        assert event.user_id is not None


def test_import_menu_lists_every_problem_and_writes_nothing(operator: str, tmp_path: Path) -> None:
    menu = tmp_path / "broken.yaml"
    menu.write_text(
        SEED.read_text(encoding="utf-8")
        .replace("seed_key: korrewegwijk-2007", "seed_key: kapot")
        .replace("[35000, 45000, 60000]", "[35000, -45000, 60000]")
        .replace(
            '[25000, 100000, 200000], description: "Achterpaden',
            '[25000, 1.5, 200000], description: "Achterpaden',
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["import-menu", str(menu), *AS])
    assert result.exit_code == 2
    assert result.output.count("problem:") == 2
    assert "nothing was written" in result.output
    assert _count(Process) == 1


def test_an_unknown_operator_is_refused(operator: str) -> None:
    result = runner.invoke(cli, ["import-menu", str(SEED), "--as", "nobody@example.org"])
    assert result.exit_code == 2
    assert "is geen actief account van het wijkteam" in result.output


def test_cards_are_written_and_their_codes_work(operator: str, tmp_path: Path) -> None:
    out = tmp_path / "kaarten.csv"
    result = runner.invoke(
        cli,
        [
            "cards",
            "1",
            "--count",
            "3",
            "--out",
            str(out),
            *AS,
            "--allow-local",
            "--group",
            "student",
            "--batch",
            "Studentenavond",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    code = next(v for v in rows[0].values() if v and v.count("-") == 3 and len(v) == 17)
    with Session(get_engine()) as session:
        card = codes_service.find_by_code(session, typed=code)
        assert card.stakeholder_group == "student"
        assert card.batch == "Studentenavond"


@pytest.mark.skipif(cards_export.pdf_unavailable() is not None, reason="WeasyPrint cannot load")
def test_cards_as_pdf(operator: str, tmp_path: Path) -> None:
    out = tmp_path / "kaarten.pdf"
    result = runner.invoke(
        cli, ["cards", "1", "--count", "2", "--out", str(out), *AS, "--allow-local"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_cards_to_a_wrong_file_issue_nothing(operator: str, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["cards", "1", "--count", "2", "--out", str(tmp_path / "x.txt"), *AS]
    )
    assert result.exit_code == 2
    assert "must end in .pdf or .csv" in result.output
    unwritable = runner.invoke(
        cli,
        [
            "cards",
            "1",
            "--count",
            "2",
            "--out",
            str(tmp_path / "no" / "such" / "x.csv"),
            *AS,
            "--allow-local",
        ],
    )
    assert unwritable.exit_code == 2
    assert "no card was issued" in unwritable.output
    assert _count(ParticipantCode) == 0


def test_export_plan_writes_each_format_and_the_ballots_recount(
    operator: str, tmp_path: Path
) -> None:
    with Session(get_engine()) as session, session.begin():
        meeting_night(session, 1, participants=10)
    for fmt in ("json", "csv", "xlsx", "pb"):
        out = tmp_path / f"plan.{fmt}"
        result = runner.invoke(cli, ["export-plan", "1", "--out", str(out), "--rule", "optimal"])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["rule"] == "optimal"
    recount = runner.invoke(cli, ["recount", str(tmp_path / "plan.pb"), "--json"])
    assert json.loads(recount.output)["fingerprint"] == plan["fingerprint"]
    none_adopted = runner.invoke(
        cli, ["export-plan", "1", "--out", str(tmp_path / "a.json"), "--adopted"]
    )
    assert none_adopted.exit_code == 2
    assert "no adopted plan" in none_adopted.output
    wrong = runner.invoke(cli, ["export-plan", "1", "--out", str(tmp_path / "plan.docx")])
    assert wrong.exit_code == 2
