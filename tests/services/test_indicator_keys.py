"""Indicators have a stable key: optional in menu files (made from the name), unique in a process,
kept when the indicator changes, and given to existing indicators by the migration."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, col, select

from app import schema
from app.domain.menu.files import read_menu_file
from app.domain.menu.seed import parse_menu_document
from app.exports import menu as menu_export
from app.models import Effect, Indicator, IndicatorTarget
from app.services import menu_read
from app.services import menus as menus_service
from app.services import processes as processes_service

SEED = Path(__file__).resolve().parents[2] / "seeds" / "korrewegwijk.yaml"
HEADER = (
    "soort;sleutel;titel;hoort_bij;eenheid;lager_is_beter;basisjaar;basiswaarde;stad;doel_2010;"
    "wijk;gemeente;budget;horizon"
)


def _csv(*rows: str) -> bytes:
    lines = [
        HEADER,
        "proces;test-keys;Test;;;;;;;;Wijk;Stad;1000;4",
        "effect;veiligheid;Veiligheid;;;;;;;;;;;",
        "effect;leefomgeving;Leefomgeving;;;;;;;;;;;",
        *rows,
        "maatregel;m1;Maatregel;veiligheid;;;;;;;;;;",
    ]
    return ("\n".join(lines) + "\n").encode()


def test_a_table_gives_a_key_or_one_is_made_from_the_name() -> None:
    read = read_menu_file(
        filename="menu.csv",
        data=_csv(
            "indicator;drugs;Drugsoverlast;veiligheid;procent;ja;2006;23;8;20;;;;",
            "indicator;;Cijfer woonomgeving;leefomgeving;cijfer;nee;2006;6,8;7,4;7,2;;;;",
        ),
    )
    assert read.problems == []
    assert read.document is not None
    keys = [i.key for e in read.document.effects for i in e.indicators]
    assert keys == ["drugs", "cijfer-woonomgeving"]


def test_a_key_used_twice_is_named_by_row_and_column() -> None:
    read = read_menu_file(
        filename="menu.csv",
        data=_csv(
            "indicator;drugs;Drugsoverlast;veiligheid;procent;ja;2006;23;8;20;;;;",
            "indicator;;Drugs;leefomgeving;procent;ja;2006;23;8;20;;;;",
            "indicator;drugs;Drugsoverlast (nieuw);leefomgeving;procent;ja;2006;23;8;20;;;;",
        ),
    )
    found = [(p.code, p.where.row, p.where.column, p.where.column_letter) for p in read.problems]
    assert found == [
        ("duplicate_indicator", 6, "titel", "C"),
        ("duplicate_indicator", 7, "sleutel", "B"),
    ]
    assert read.problems[0].params["first"] == 5


def test_the_seed_format_reads_and_writes_the_key(session: Session, korrewegwijk: int) -> None:
    document = menus_service.read_menu_file(SEED)
    keys = [i.key for e in document.effects for i in e.indicators]
    assert "drugsoverlast" in keys
    assert "onveiligheidsgevoelens-buurt" in keys
    assert len(set(keys)) == 13
    # Every file format writes the keys and reads them back.
    for file_format in ("csv", "xlsx", "yaml", "json"):
        content = menu_export.menu_file(document, file_format)
        again = read_menu_file(filename=f"menu.{file_format}", data=content)
        assert again.problems == [], file_format
        assert again.document is not None
        assert [i.key for e in again.document.effects for i in e.indicators] == keys


def test_the_seed_format_refuses_a_key_used_twice() -> None:
    import yaml

    raw = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    raw["effects"][1]["indicators"][0]["key"] = "onveiligheidsgevoelens-buurt"
    try:
        parse_menu_document(raw)
    except Exception as error:  # MenuProblems
        problems = error.problems  # type: ignore[attr-defined]
    else:
        raise AssertionError("a duplicate indicator key was accepted")
    assert [(p.code, p.where.field) for p in problems] == [("seed_duplicate_indicator", "key")]


def test_loading_a_changed_indicator_keeps_its_row(session: Session, korrewegwijk: int) -> None:
    menu = menu_read.read_menu(session, process_id=korrewegwijk)
    drugs = next(i for i in menu.rows.indicators if i.key == "drugsoverlast")
    document = menus_service.read_menu_file(SEED)
    effects = list(document.effects)
    # Renamed, a target changed, and moved to another effect: the same row, by its key.
    leefomgeving = effects[1]
    moved = dataclasses.replace(
        next(i for i in leefomgeving.indicators if i.key == "drugsoverlast"),
        name="Drugsoverlast (monitor)",
        targets=((2010, Decimal(19)), (2014, Decimal(15))),
    )
    effects[1] = dataclasses.replace(
        leefomgeving, indicators=tuple(i for i in leefomgeving.indicators if i.key != moved.key)
    )
    effects[0] = dataclasses.replace(effects[0], indicators=(*effects[0].indicators, moved))
    report = menus_service.load_menu(
        session, document=dataclasses.replace(document, effects=tuple(effects))
    )
    assert (report.created, report.removed) == (0, 0)
    assert report.updated >= 1
    row = session.get(Indicator, drugs.id)
    assert row is not None
    assert row.name == "Drugsoverlast (monitor)"
    effect = session.get(Effect, row.effect_id)
    assert effect is not None
    assert effect.key == "veiligheid"
    targets = session.exec(
        select(IndicatorTarget)
        .where(IndicatorTarget.indicator_id == drugs.id)
        .order_by(col(IndicatorTarget.year))
    ).all()
    assert [(t.year, Decimal(t.value)) for t in targets] == [
        (2010, Decimal(19)),
        (2014, Decimal(15)),
    ]


def test_the_api_shows_each_indicators_key(session: Session, korrewegwijk: int) -> None:
    menu = processes_service.get_menu(session, process_id=korrewegwijk)
    keys = [i.key for e in menu.effects for i in e.indicators]
    assert keys[:3] == [
        "onveiligheidsgevoelens-buurt",
        "perceptie-vermogensdelicten",
        "perceptie-dreigende-voorvallen",
    ]


def test_the_migration_gives_existing_indicators_unique_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.sqlite3"
    config = schema.alembic_config(url=url)
    command.upgrade(config, "0004")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO neighbourhood (id, name, municipality, created_at) "
                "VALUES (1, 'Wijk', 'Stad', '2026-01-01')"
            )
        )
        for process_id in (1, 2):
            connection.execute(
                sa.text(
                    "INSERT INTO process (id, title, description, budget_eur, cost_horizon, "
                    "state, neighbourhood_id, version, budget_note, plan_is_public, created_at) "
                    "VALUES (:id, 'P', '', 0, 'years_4', 'draft', 1, 1, '', 0, '2026-01-01')"
                ),
                {"id": process_id},
            )
            for effect_id in (process_id * 10, process_id * 10 + 1):
                connection.execute(
                    sa.text(
                        "INSERT INTO effect (id, process_id, key, title, description, position) "
                        "VALUES (:id, :process, :key, 'E', '', :id)"
                    ),
                    {"id": effect_id, "process": process_id, "key": f"e{effect_id}"},
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO indicator (effect_id, name, unit, lower_is_better, "
                        "baseline_year, baseline_value, position) "
                        "VALUES (:effect, 'Drugsoverlast (%)', 'percent', 1, 2006, 23, 0)"
                    ),
                    {"effect": effect_id},
                )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT effect_id, key FROM indicator ORDER BY effect_id")
        ).all()
    engine.dispose()
    # Unique within each process; another process may use the same keys.
    assert [tuple(row) for row in rows] == [
        (10, "drugsoverlast"),
        (11, "drugsoverlast-2"),
        (20, "drugsoverlast"),
        (21, "drugsoverlast-2"),
    ]


def test_the_editor_makes_a_free_key_once_and_keeps_it(session: Session) -> None:
    from app.domain.vocabulary import Role
    from app.services import editor
    from app.services import users as users_service

    document = dataclasses.replace(menus_service.read_menu_file(SEED), seed_key="editor-keys")
    process_id = menus_service.load_menu(session, document=document).process_id
    user, _ = users_service.create_user(
        session, email="keys@example.org", role=Role.WIJKTEAM, password="correct horse battery"
    )
    data = {
        "name": "Drugsoverlast",
        "effect": "veiligheid",
        "unit": "percent",
        "lower_is_better": "on",
        "baseline_year": "2006",
        "baseline": "23",
        "city": "8",
    }
    created = editor.save_indicator(session, user=user, process_id=process_id, data=data)
    assert created.key == "drugsoverlast-2"  # the seed's Drugsoverlast has "drugsoverlast"
    renamed = editor.save_indicator(
        session,
        user=user,
        process_id=process_id,
        data={**data, "name": "Overlast van drugs"},
        indicator_id=created.id,
    )
    assert (renamed.id, renamed.key) == (created.id, "drugsoverlast-2")
