"""`waardenzeef recount`: a Pabulib file in, the outcome out as a table or as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.i18n import current_language
from tests.domain.test_exactness import EXPECTED, require_pabulib

runner = CliRunner()

SMALL = """META
key;value
description;Klein voorbeeld
budget;30
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name
A;20;Bankjes
B;10;Boom
C;15;"Speeltuin; klein"
VOTES
voter_id;vote
1;A,C
2;A,C
3;B,C
"""


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "klein.pb"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(cli, ["recount", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("rule", "selected"),
    [
        ("greedy", ["C", "B"]),
        ("mes", ["C"]),
        ("mes-add1", ["C", "B"]),
        ("mes-add1-only", ["C"]),
        ("mes-add1-compare", ["C", "B"]),
        ("optimal", ["B", "C"]),
    ],
)
def test_each_rule_on_a_small_file(small_file: Path, rule: str, selected: list[str]) -> None:
    data = _json([str(small_file), "--rule", rule])
    assert data["selected"] == selected
    assert data["rule"] == rule
    assert data["satisfaction"] == "cost"


def test_the_comparison_step_says_how_the_voters_were_counted(small_file: Path) -> None:
    # Equal shares with add one and greedy gives C, B; so does greedy: every voter likes both
    # alike, and equal shares' outcome stays.
    data = _json([str(small_file), "--rule", "mes-add1-compare"])
    assert data["comparison"] == {
        "prefer_equal_shares": 0,
        "prefer_greedy": 0,
        "measure": "projects",
        "greedy_taken": False,
    }
    assert _json([str(small_file), "--rule", "mes-add1"])["comparison"] is None
    result = runner.invoke(cli, ["recount", str(small_file), "--rule", "mes-add1-compare"])
    assert result.exit_code == 0, result.output
    assert "0 stemmers hebben liever die van gelijke delen" in result.stdout


def test_json_is_exact_and_explains_every_project(small_file: Path) -> None:
    data = _json([str(small_file), "--rule", "mes"])
    assert data["budget"] == "30"
    assert data["total_cost"] == "15"
    assert data["voters"] == 3
    projects = {p["id"]: p for p in data["projects"]}
    assert projects["C"]["name"] == "Speeltuin; klein"
    assert projects["C"]["price"] == "1/3"
    assert projects["A"]["verdict"] == "supporters_short"
    assert projects["A"]["shortfall"] == "10"
    assert projects["A"]["supporters_needed"] == 2
    assert data["equal_shares"] == {
        "share": "10",
        "per_voter_budget": "10",
        "increments": 0,
        "runs": 1,
    }


def test_default_rule_is_the_files_own_and_sat_follows_the_vote_type(small_file: Path) -> None:
    data = _json([str(small_file)])
    assert (data["rule"], data["satisfaction"]) == ("greedy", "cost")
    assert _json([str(small_file), "--sat", "cardinality"])["satisfaction"] == "cardinality"


@pytest.mark.parametrize(
    ("meta_rule", "rule"),
    [
        ("equalshares", "mes"),
        ("equalshares/add1", "mes-add1"),
        ("equalshares/add1-only", "mes-add1-only"),
        ("equalshares/add1-compare", "mes-add1-compare"),
    ],
)
def test_a_files_equal_shares_rule_is_recounted_with_its_completion(
    small_file: Path, tmp_path: Path, meta_rule: str, rule: str
) -> None:
    # The names a bewonersplan's ballots file gives the completions (Pabulib's and ours).
    text = small_file.read_text(encoding="utf-8")
    assert "rule;greedy" in text
    changed = tmp_path / "changed.pb"
    changed.write_text(text.replace("rule;greedy", f"rule;{meta_rule}"), encoding="utf-8")
    assert _json([str(changed)])["rule"] == rule


def test_the_table_reads_as_a_table_in_dutch_by_default(small_file: Path) -> None:
    result = runner.invoke(cli, ["recount", str(small_file), "--rule", "greedy"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Budget 30, besteed 25, over 5; 3 stemmers; welvaart 55" in lines
    assert any(
        "paste niet, 15 over toen het aan de beurt was, 5 te weinig" in line for line in lines
    )


def test_the_table_reads_as_a_table(small_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    try:
        result = runner.invoke(cli, ["recount", str(small_file), "--rule", "greedy"])
    finally:
        current_language.set("nl")  # the command set it for this thread; later tests expect Dutch
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Klein voorbeeld"
    assert "Budget 30, spent 25, left 5; 3 voters; welfare 55" in lines
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#"))
    assert lines[header + 1].split()[:3] == ["1", "C", "15"]
    assert lines[header + 2].split()[:3] == ["2", "B", "10"]
    assert "did not fit, 15 left at its turn, 5 short" in lines[header + 3]


def test_shared_instances_give_the_reference_and_the_official_outcomes() -> None:
    folder = require_pabulib()
    assen = EXPECTED["Netherlands_Assen_2024"]
    data = _json([str(folder / assen["file"])])
    assert data["rule"] == "mes-add1"  # the file says equalshares/add1
    assert data["selected"] == assen["rules"]["mes_Cost_Sat_add1_greedy"]["selected_in_order"]
    # What Assen funded is the add-one outcome without the greedy step.
    only = _json([str(folder / assen["file"]), "--rule", "mes-add1-only"])
    assert sorted(only["selected"]) == assen["official_selected_sorted"]
    # Katowice ranked by total points: greedy with points times cost.
    katowice = EXPECTED["Poland_Katowice_2023_Ligota_-_Panewniki"]
    by_points = _json([str(folder / katowice["file"]), "--rule", "greedy", "--sat", "cost"])
    assert sorted(by_points["selected"]) == katowice["official_selected_sorted"]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (SMALL.replace("3;B,C", "3;B,X"), [], "line 16: voter '3' votes for unknown project 'X'"),
        (SMALL, ["--rule", "best"], "Unknown rule 'best'"),
        (SMALL, ["--sat", "happiness"], "Unknown satisfaction 'happiness'"),
        (SMALL, ["--sat", "cardinal"], "cardinal satisfaction needs points"),
        ("not a pabulib file\n", [], "line 1: expected the META section first"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_code_2(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    path = tmp_path / "bad.pb"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["recount", str(path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["recount", str(tmp_path / "nothing.pb")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    directory = runner.invoke(cli, ["recount", str(tmp_path)])
    assert directory.exit_code == 2
    assert "is a directory" in directory.output


LEAN_CHECK = """
import sys
from app.__main__ import main
sys.argv = ["waardenzeef", *sys.argv[1:]]
try:
    main()
except SystemExit as end:
    assert not end.code, end.code
heavy = sorted(m for m in ("fastapi", "sqlalchemy", "sqlmodel", "pydantic") if m in sys.modules)
print("heavy:", heavy, file=sys.stderr)
slow = sorted(m for m in ("dataclasses", "inspect", "babel") if m in sys.modules)
print("slow:", slow, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["recount", "FILE", "--rule", "mes"], ["recount", "FILE", "--json"], ["recount", "--help"]],
)
def test_recount_starts_without_the_web_stack(small_file: Path, args: list[str]) -> None:
    # Start-up time: FastAPI, SQLAlchemy, SQLModel and pydantic took longer to import than a
    # recount takes. A fresh interpreter, as a user runs the command. Nor the standard library's
    # slow starters: dataclasses loads inspect (and ast, dis, tokenize), and each frozen
    # dataclass made costs about four times a NamedTuple (together 10% of Warszawa Ochota's
    # whole `mes` command); babel (the table's translations: 19 ms for its numbers alone, and
    # compiling the catalogue from its .po took 22 ms more).
    arguments = [str(small_file) if a == "FILE" else a for a in args]
    done = subprocess.run(
        [sys.executable, "-c", LEAN_CHECK, *arguments], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stderr
    assert "slow: []" in done.stderr
    assert done.stdout  # it did print the outcome (or the help)
