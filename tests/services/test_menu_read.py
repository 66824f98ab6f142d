"""The menu read model: what everyone reads, and the frozen menu read from memory."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Measure, Process, utcnow
from app.services import menu_read
from tests.conftest import statements_run


def test_the_korrewegwijk_menu_reads_as_the_seed_has_it(
    session: Session, korrewegwijk: int
) -> None:
    menu = menu_read.read_menu(session, process_id=korrewegwijk)
    assert [e.key for e in menu.desired_effects] == ["veiligheid", "leefomgeving", "jongeren"]
    assert len(menu.measures) == 22
    ib = next(m for m in menu.measures if m.key == "ib-paraat")
    assert menu.keys_of(ib) == ["veiligheid", "jongeren"]
    assert menu.group_key(ib) == "veiligheid"
    assert [w.code for w in menu.warnings()] == ["cost_decreases"]
    assert not menu.frozen
    assert ib.plain_explanation.startswith("Aanpak van overlast door jongeren")
    assert menu.desired_effects[0].plain_explanation.startswith("U voelt zich veiliger")
    assert all(m.plain_explanation for m in menu.measures)
    document = menu.document()
    assert document.measures[2].plain_explanation == ib.plain_explanation
    assert document.effects[0].plain_explanation == menu.desired_effects[0].plain_explanation


def test_an_open_menu_is_read_afresh(session: Session, korrewegwijk: int) -> None:
    menu_read.read_menu(session, process_id=korrewegwijk)
    measure = session.exec(select(Measure).where(Measure.key == "palaver")).one()
    measure.title = "Palaver in de wijk"
    session.flush()
    menu = menu_read.read_menu(session, process_id=korrewegwijk)
    assert "Palaver in de wijk" in [m.title for m in menu.measures]


def test_a_frozen_menu_is_read_from_memory_but_its_process_fresh(
    session: Session, korrewegwijk: int, engine: Engine
) -> None:
    process = session.get(Process, korrewegwijk)
    assert process is not None
    process.frozen_at = utcnow()
    session.flush()
    first = menu_read.read_menu(session, process_id=korrewegwijk)
    process.title = "Een verbeterde titel"  # still allowed once frozen
    session.flush()
    with statements_run(engine) as statements:
        again = menu_read.read_menu(session, process_id=korrewegwijk)
    assert again.rows is first.rows
    assert not [s for s in statements if "FROM measure" in s or "FROM effect" in s]
    assert again.frozen
    assert again.process.title == "Een verbeterde titel"
    assert again.document().title == "Een verbeterde titel"
