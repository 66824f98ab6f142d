"""Every setting is documented once (the README table is made from it); unsafe secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, normalise_database_url, with_settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_table_is_the_settings_own_descriptions() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == with_settings_table(readme), "run `make docs` to write the settings table"
    for name, info in Settings.model_fields.items():
        assert info.description, f"{name.upper()} needs a description (its README line)"
        assert f"| `{name.upper()}` |" in readme


def test_placeholder_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="change-me")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="short-but-not-a-placeholder")


def test_long_random_secret_is_accepted_in_production() -> None:
    settings = Settings(
        environment="production",
        secret_key="x" * 20 + "9f8e7d6c5b4a3210fedcba",
        public_base_url="https://stemmen.example.nl",
    )
    assert settings.environment == "production"


def test_placeholder_secret_is_fine_in_development() -> None:
    assert Settings(environment="development").secret_key == "development-only"


def test_postgresql_urls_use_psycopg_3() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
