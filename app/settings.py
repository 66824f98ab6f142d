"""Every setting of the service, read from the environment (and an optional `.env` file)."""

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
    """The settings; each field is documented in the README's settings table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="`development` allows the placeholder secret key; `production` refuses it.",
    )
    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'waardenzeef.sqlite3'}",
        description="SQLAlchemy URL. SQLite file under `var/` by default; "
        "`postgresql://user@host/db` uses PostgreSQL through psycopg 3.",
    )
    secret_key: str = Field(
        default="development-only",
        description="Signs cookies and derives code hashes. Must be a long random string "
        "outside development.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address residents' phones reach; printed in QR codes and join links.",
    )
    default_language: Literal["nl", "en"] = Field(
        default="nl", description="Language of pages when the visitor has not chosen one."
    )
    host: str = Field(default="127.0.0.1", description="Address `waardenzeef serve` binds to.")
    port: int = Field(default=8000, description="Port `waardenzeef serve` listens on.")
    time_zone: str = Field(
        default="Europe/Amsterdam", description="Time zone in which pages and plans show times."
    )
    session_hours: int = Field(
        default=12, description="Hours a wijkteam or facilitator login stays valid."
    )
    api_docs: bool | None = Field(
        default=None,
        description="Serve the browsable API description at /api/docs; by default everywhere "
        "but in production.",
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
