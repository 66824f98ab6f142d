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


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def test_upgrading_and_downgrading_an_sqlite_database_keeps_every_row(tmp_path: object) -> None:
    # Batch migrations on SQLite copy a table and drop the old one: with foreign keys on, the
    # drop used to cascade and delete every ballot of the rounds and every indicator's targets.
    from alembic import command

    url = f"sqlite:///{tmp_path}/kept.sqlite3"
    config = schema.alembic_config(url=url)
    command.upgrade(config, "0002")
    engine = build_engine(url)
    now = "2026-11-23 20:00:00.000000+00:00"
    rows = [
        "INSERT INTO neighbourhood (id, name, municipality, created_at) "
        f"VALUES (1, 'Korrewegwijk', 'Groningen', '{now}')",
        "INSERT INTO process (id, title, description, budget_eur, cost_horizon, state, "
        "neighbourhood_id, version, budget_note, plan_is_public, created_at) "
        f"VALUES (1, 'Plan', '', 1000, 'years_4', 'draft', 1, 1, '', 0, '{now}')",
        "INSERT INTO effect (id, process_id, key, title, description, position) "
        "VALUES (1, 1, 'veiligheid', 'Veiligheid', '', 0)",
        "INSERT INTO indicator (id, effect_id, name, unit, lower_is_better, baseline_year, "
        "baseline_value, position) VALUES (1, 1, 'Drugsoverlast', 'percent', 1, 2006, 23, 0)",
        "INSERT INTO indicator_target (id, indicator_id, year, value) VALUES (1, 1, 2010, 20)",
        "INSERT INTO meeting (id, process_id, title, location, created_at) "
        f"VALUES (1, 1, 'Avond', '', '{now}')",
        "INSERT INTO round (id, meeting_id, kind, run, state, requires_code, results_visible, "
        f"created_at) VALUES (1, 1, 'wegen', 1, 'closed', 0, 0, '{now}')",
        f"INSERT INTO participant (id, process_id, created_at) VALUES (1, 1, '{now}')",
        "INSERT INTO ballot (id, round_id, participant_id, channel, submitted_at) "
        f"VALUES (1, 1, 1, 'phone', '{now}')",
        "INSERT INTO ballot_line (id, ballot_id, effect_id, value) VALUES (1, 1, 1, 100)",
    ]
    with engine.begin() as connection:
        for row in rows:
            connection.exec_driver_sql(row)
    kept = {"ballot": 1, "ballot_line": 1, "indicator_target": 1, "round": 1}

    command.upgrade(config, "head")
    assert {table: _count(engine, table) for table in kept} == kept
    command.downgrade(config, "0002")
    assert {table: _count(engine, table) for table in kept} == kept
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()
