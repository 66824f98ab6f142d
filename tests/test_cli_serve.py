"""`waardenzeef serve` starts as many server processes as WORKERS or --workers says (one when
unset), one with --reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    monkeypatch.delenv("WORKERS", raising=False)
    # serve writes its --host and --port to the environment: put back what was there after.
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8000")
    get_settings.cache_clear()
    yield seen
    get_settings.cache_clear()


def test_unset_it_is_one_process(started: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["serve", "--port", "8099"])
    assert result.exit_code == 0, result.output
    assert started["workers"] == 1
    assert started["app"] == "app.main:app"
    assert "1 server process(es)" in result.output


def test_workers_and_the_option_say_how_many(
    started: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKERS", "3")
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert started["workers"] == 3
    assert runner.invoke(cli, ["serve", "--workers", "1"]).exit_code == 0
    assert started["workers"] == 1
    assert runner.invoke(cli, ["serve", "--reload"]).exit_code == 0
    assert started["workers"] == 1
    assert started["reload"] is True


def test_a_wrong_number_is_refused(started: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "workers" in result.output.lower()
    assert started == {}
