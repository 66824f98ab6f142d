"""Loading the seed is idempotent, writes nothing when the file is broken, and respects freezing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain.menu import MenuProblems
from app.domain.vocabulary import RoundKind, RoundState
from app.errors import MenuFrozen
from app.models import (
    Effect,
    Indicator,
    IndicatorTarget,
    Measure,
    MeasureEffect,
    Meeting,
    Process,
    Round,
)
from app.services import menus as menus_service
from app.services import processes as processes_service

SEED = Path(__file__).resolve().parents[2] / "seeds" / "korrewegwijk.yaml"
TABLES = (Process, Effect, Indicator, IndicatorTarget, Measure, MeasureEffect)


def _counts(session: Session) -> dict[str, int]:
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def test_loading_twice_changes_nothing(session: Session, korrewegwijk: int) -> None:
    before = _counts(session)
    report = menus_service.load_menu(session, document=menus_service.read_menu_file(SEED))
    assert report.process_id == korrewegwijk
    assert not report.changed
    assert _counts(session) == before
    assert before["Measure"] == 22
    assert [w.code for w in report.warnings] == ["cost_decreases"]


def test_the_menu_has_the_sources_totals(session: Session, korrewegwijk: int) -> None:
    menu = processes_service.get_menu(session, process_id=korrewegwijk)
    assert menu.measure_count == 22
    assert (menu.totals.year_1, menu.totals.years_4, menu.totals.years_10) == (
        2_038_500,
        3_833_000,
        5_816_500,
    )
    by_key = {e.key: e for e in menu.effects}
    assert by_key["veiligheid"].totals.years_4 == 1_142_000
    assert by_key["leefomgeving"].totals.years_4 == 2_691_000
    assert by_key["jongeren"].contributing_measure_keys == [
        "ib-paraat",
        "voorlichting-jeugd",
        "kinderwerk",
        "jeugd-jongerenwerk",
    ]
    assert menu.budget_eur == 1_000_000
    assert menu.binding_total == 3_833_000


def test_a_changed_seed_updates_in_place(
    session: Session, korrewegwijk: int, tmp_path: Path
) -> None:
    changed = tmp_path / "k.yaml"
    changed.write_text(
        SEED.read_text(encoding="utf-8").replace("budget_eur: 1000000", "budget_eur: 900000"),
        encoding="utf-8",
    )
    report = menus_service.load_menu(session, document=menus_service.read_menu_file(changed))
    assert report.updated == 1
    assert report.created == 0
    assert session.get(Process, korrewegwijk).budget_eur == 900_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file_empty"),
        (b"\xff\xfe\x00k\x00e\x00y", "seed_not_utf8"),
        (b"format: [unclosed\n", "seed_invalid"),
        (b"- just\n- a list\n", "not_a_mapping"),
    ],
)
def test_a_broken_file_names_the_file_and_writes_nothing(
    session: Session, tmp_path: Path, content: bytes, expected: str
) -> None:
    before = _counts(session)
    path = tmp_path / "broken.yaml"
    path.write_bytes(content)
    with pytest.raises(MenuProblems) as caught:
        menus_service.load_menu(session, document=menus_service.read_menu_file(path))
    assert str(path) in str(caught.value)
    assert expected in [p.code for p in caught.value.problems]
    assert _counts(session) == before


def test_a_frozen_menu_refuses_changes_and_keeps_what_it_had(
    session: Session, korrewegwijk: int, tmp_path: Path
) -> None:
    meeting = Meeting(process_id=korrewegwijk, title="Bewonersavond")
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    session.add(
        Round(
            meeting_id=meeting.id,
            kind=RoundKind.WEGEN,
            state=RoundState.OPEN,
            opened_at=datetime.now(UTC),
        )
    )
    session.flush()
    changed = tmp_path / "k.yaml"
    changed.write_text(
        SEED.read_text(encoding="utf-8").replace("[48000, 192000, 384000]", "[1, 2, 3]", 1),
        encoding="utf-8",
    )
    nested = session.begin_nested()
    with pytest.raises(MenuFrozen, match="frozen"):
        menus_service.load_menu(session, document=menus_service.read_menu_file(changed))
    nested.rollback()
    measure = session.exec(select(Measure).where(Measure.key == "drugsbanden")).one()
    assert measure.cost_years_4 == 192_000
    # The unchanged seed still loads: nothing to change, so nothing is refused.
    assert not menus_service.load_menu(session, document=menus_service.read_menu_file(SEED)).changed


def test_removing_an_effect_with_sub_effects_removes_them_cleanly(
    session: Session, korrewegwijk: int, tmp_path: Path
) -> None:
    import yaml

    raw = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    raw["effects"] = [e for e in raw["effects"] if e["key"] != "jongeren"]
    for measure in raw["measures"]:
        measure["effects"] = [e for e in measure["effects"] if e != "jongeren"]
    changed = tmp_path / "k.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    report = menus_service.load_menu(session, document=menus_service.read_menu_file(changed))
    assert report.removed == 5  # jongeren and its four sub-effects
    keys = set(session.exec(select(Effect.key).where(Effect.process_id == korrewegwijk)))
    assert "jongeren" not in keys
    assert "jongeren-werk" not in keys


def test_a_frozen_menu_loads_a_seed_whose_plain_explanations_differ_and_keeps_its_own(
    session: Session, korrewegwijk: int, tmp_path: Path
) -> None:
    # A database whose Korrewegwijk menu froze before plain explanations existed (migration 0008
    # gave its rows empty ones): starting the server loads the seed again, which must not fail.
    for measure in session.exec(select(Measure)).all():
        measure.plain_explanation = ""
    for effect in session.exec(select(Effect)).all():
        effect.plain_explanation = ""
    meeting = Meeting(process_id=korrewegwijk, title="Bewonersavond")
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    session.add(
        Round(
            meeting_id=meeting.id,
            kind=RoundKind.WEGEN,
            state=RoundState.OPEN,
            opened_at=datetime.now(UTC),
        )
    )
    session.flush()
    report = menus_service.load_menu(session, document=menus_service.read_menu_file(SEED))
    assert not report.changed
    assert [(w.code, w.params) for w in report.warnings if w.code == "plain_kept_frozen"] == [
        ("plain_kept_frozen", {"count": 25})
    ]
    assert {m.plain_explanation for m in session.exec(select(Measure)).all()} == {""}
    # A real change beside them is still refused.
    changed = tmp_path / "k.yaml"
    changed.write_text(
        SEED.read_text(encoding="utf-8").replace("[48000, 192000, 384000]", "[1, 2, 3]", 1),
        encoding="utf-8",
    )
    with pytest.raises(MenuFrozen, match="frozen"):
        menus_service.load_menu(session, document=menus_service.read_menu_file(changed))
