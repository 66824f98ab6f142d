"""The migrations build the schema of the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from app import schema
from app.db import build_engine


def test_autogenerate_finds_no_difference_from_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_constraints_follow_the_naming_convention(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in SQLModel.metadata.tables:
        for fk in inspector.get_foreign_keys(table):
            assert fk["name"] is None or fk["name"].startswith(f"fk_{table}_")
        for unique in inspector.get_unique_constraints(table):
            assert unique["name"] is None or unique["name"].startswith(f"uq_{table}_")


def test_downgrade_to_nothing_and_up_again(tmp_path: object) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/roundtrip.sqlite3"
    schema.upgrade(url=url)
    command.downgrade(schema.alembic_config(url=url), "base")
    engine = build_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    schema.upgrade(url=url)
    assert "measure" in inspect(engine).get_table_names()
    engine.dispose()
