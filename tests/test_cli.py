"""The `waardenzeef` command: migrate, seed, create-user, on a database of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_engine
from app.models import Measure, User
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def _measures() -> int:
    with Session(get_engine()) as session:
        return session.exec(select(func.count()).select_from(Measure)).one()


def test_seed_loads_once_and_reports_the_warning(database: str) -> None:
    first = runner.invoke(cli, ["seed", "korrewegwijk"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert (
        "warning: measure 'palaver' (Palaver): Palaver: the cost over 10 years (€12,500) is lower"
        in first.output
    )
    second = runner.invoke(cli, ["seed", "korrewegwijk"])
    assert second.exit_code == 0
    assert "already up to date, nothing changed" in second.output
    assert _measures() == 22


def test_a_malformed_seed_names_file_entry_and_field_and_writes_nothing(
    database: str, tmp_path: Path
) -> None:
    seed = Path(__file__).resolve().parent.parent / "seeds" / "korrewegwijk.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        seed.read_text(encoding="utf-8").replace(
            "costs: [35000, 45000, 60000]", "costs: [35000, -45000, 60000]"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["seed", str(broken)])
    assert result.exit_code == 2
    assert str(broken) in result.output
    assert "measure 'inbraakpreventie', field costs.years_4: '-45000' is negative" in result.output
    assert "nothing was written" in result.output
    assert _measures() == 0


def test_an_unknown_seed_is_named(database: str) -> None:
    result = runner.invoke(cli, ["seed", "atlantis"])
    assert result.exit_code == 2
    assert "No seed 'atlantis'" in result.output
    assert "korrewegwijk" in result.output


def test_create_user_prints_a_password_once(database: str) -> None:
    result = runner.invoke(cli, ["create-user", "lid@wijkteam.example", "--if-none"])
    assert result.exit_code == 0, result.output
    found = re.search(r"One-time password \(shown only now\): (\S+)", result.output)
    assert found is not None, result.output
    password = found.group(1)
    assert len(password) >= 12
    again = runner.invoke(cli, ["create-user", "ander@wijkteam.example", "--if-none"])
    assert "exists already" in again.output
    with Session(get_engine()) as session:
        [user] = session.exec(select(User)).all()
        assert user.password_hash.startswith("$argon2id$")
        assert password not in user.password_hash


def test_create_user_refuses_a_duplicate(database: str) -> None:
    runner.invoke(cli, ["create-user", "lid@wijkteam.example"])
    result = runner.invoke(cli, ["create-user", "LID@wijkteam.example", "--role", "facilitator"])
    assert result.exit_code == 2
    assert "already exists" in result.output
