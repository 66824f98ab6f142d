"""Bringing a database to the newest schema with the Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.settings import ROOT


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """The Alembic configuration of this project, on a given connection or URL."""
    config = Config(str(Path(ROOT) / "alembic.ini"))
    if connection is not None:
        config.attributes["connection"] = connection
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(*, connection: Connection | None = None, url: str | None = None) -> None:
    """Apply every migration that has not been applied yet."""
    command.upgrade(alembic_config(connection, url), "head")
