"""Every setting is documented in the README; unsafe secrets are refused outside development."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, normalise_database_url

README = Path(__file__).resolve().parent.parent / "README.md"


def _documented_settings() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z_]+)`\s*\|", section, flags=re.MULTILINE))


def test_every_setting_is_in_the_readme_table() -> None:
    names = {name.upper() for name in Settings.model_fields}
    documented = _documented_settings()
    assert names - documented == set(), "settings missing from the README table"
    assert documented - names == set(), "README documents settings that do not exist"


def test_placeholder_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="change-me")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="short-but-not-a-placeholder")


def test_long_random_secret_is_accepted_in_production() -> None:
    settings = Settings(environment="production", secret_key="x" * 20 + "9f8e7d6c5b4a3210fedcba")
    assert settings.environment == "production"


def test_placeholder_secret_is_fine_in_development() -> None:
    assert Settings(environment="development").secret_key == "development-only"


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
