"""Every setting of the service, read from the environment (and an optional `.env` file).

A setting is documented once, in its field's `description`: the README's settings table is made
from these (`make docs` writes it; a test fails while the README differs). A default that
depends on the machine shows `shown_default` instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Secret keys that ship in examples and must never guard a real meeting.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})


class Settings(BaseSettings):
    """The settings; each field's description is its line in the README's settings table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="`development`, `test` or `production`. Outside development a placeholder "
        "or short `SECRET_KEY` is refused at start.",
    )
    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'waardenzeef.sqlite3'}",
        description="SQLAlchemy URL. `postgresql://user@host:5432/db` uses PostgreSQL through "
        "psycopg 3.",
        json_schema_extra={"shown_default": "sqlite:///<repo>/var/waardenzeef.sqlite3"},
    )
    secret_key: str = Field(
        default="development-only",
        description="Long random string (at least 32 characters) outside development: "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address residents' phones reach; used in QR codes and join links.",
    )
    default_language: Literal["nl", "en"] = Field(
        default="nl",
        description="Page language when the visitor has not chosen one (`nl` or `en`; "
        "`?lang=en` switches and is remembered).",
    )
    host: str = Field(default="127.0.0.1", description="Address `waardenzeef serve` binds to.")
    port: int = Field(default=8000, description="Port `waardenzeef serve` listens on.")
    time_zone: str = Field(
        default="Europe/Amsterdam",
        description="Time zone in which pages and plans show times (stored times are UTC).",
    )
    session_hours: int = Field(
        default=12, description="Hours a wijkteam or facilitator login stays valid."
    )
    offer_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days a resident's offer of help is kept after the plan's first adoption (and "
        "never more than twice that after the offer); `waardenzeef purge-offers` deletes older "
        "ones.",
    )
    api_docs: bool | None = Field(
        default=None,
        description="`true` serves the browsable API description at `/api/docs` (Swagger UI) "
        "also in production, `false` never; `/api/openapi.json` is always served.",
        json_schema_extra={"shown_default": "on outside production"},
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SECRET_KEY is a placeholder or shorter than 32 characters; set a long random "
                "value (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return self

    @property
    def api_docs_enabled(self) -> bool:
        """Whether /api/docs is served (API_DOCS, else outside production only)."""
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named for PostgreSQL."""
        return normalise_database_url(self.database_url)


def normalise_database_url(url: str) -> str:
    """Name the psycopg 3 driver in a PostgreSQL URL (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()


README_START = "<!-- settings: written by `make docs` from app/settings.py -->"
README_END = "<!-- /settings -->"


def settings_table() -> str:
    """The README's settings table: each field's name, default and description."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = extra.get("shown_default", info.default)
        lines.append(f"| `{name.upper()}` | `{default}` | {info.description} |")
    return "\n".join(lines)


def with_settings_table(readme: str) -> str:
    """The README's text with its settings table (between the markers) written anew."""
    before, rest = readme.split(README_START, 1)
    _old, after = rest.split(README_END, 1)
    return f"{before}{README_START}\n{settings_table()}\n{README_END}{after}"


if __name__ == "__main__":  # make docs
    import sys

    path = Path(sys.argv[1])
    path.write_text(with_settings_table(path.read_text(encoding="utf-8")), encoding="utf-8")
