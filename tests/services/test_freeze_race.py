"""A menu change and the opening of a round cannot pass each other (PostgreSQL row locks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role, RoundKind
from app.errors import MenuFrozen
from app.models import Meeting, Neighbourhood, Process, Round, User
from app.services import editor, menus
from app.services import rounds as rounds_service
from app.services import users as users_service

SEED = Path(__file__).resolve().parents[2] / "seeds" / "korrewegwijk.yaml"


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[int, int, int]]:
    """A process with a draft round, committed so that other connections see it."""
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite serialises all writers with BEGIN IMMEDIATE; row locks are PostgreSQL's"
        )
    with Session(engine, expire_on_commit=False) as session, session.begin():
        document = menus.read_menu_file(SEED)
        report = menus.load_menu(session, document=document)
        user, _ = users_service.create_user(session, email="race@example.org", role=Role.WIJKTEAM)
        meeting = Meeting(process_id=report.process_id, title="Race")
        session.add(meeting)
        session.flush()
        round_ = Round(meeting_id=meeting.id or 0, kind=RoundKind.WEGEN)
        session.add(round_)
        session.flush()
        ids = (report.process_id, round_.id or 0, user.id or 0)
    yield ids
    with Session(engine) as session, session.begin():
        process = session.get(Process, ids[0])
        hood = process.neighbourhood_id if process else None
        session.execute(delete(Process).where(col(Process.id) == ids[0]))
        session.execute(delete(Neighbourhood).where(col(Neighbourhood.id) == hood))
        session.execute(delete(User).where(col(User.id) == ids[2]))


def test_opening_a_round_waits_for_a_menu_change_under_way(
    engine: Engine, committed: tuple[int, int, int]
) -> None:
    process_id, round_id, user_id = committed
    with Session(engine) as editing:
        process = editing.get(Process, process_id)
        assert process is not None
        editor.ensure_unfrozen(editing, process)  # the editor checked: not frozen, and holds it
        with Session(engine) as opening:
            opening.execute(text("SET lock_timeout = '300ms'"))
            user = opening.get(User, user_id)
            assert user is not None
            with pytest.raises(OperationalError, match="lock timeout"):
                rounds_service.open_round(opening, user=user, round_id=round_id)
            opening.rollback()
        editing.commit()
    with Session(engine) as opening, opening.begin():
        user = opening.get(User, user_id)
        assert user is not None
        rounds_service.open_round(opening, user=user, round_id=round_id)
    with Session(engine) as late:
        process = late.get(Process, process_id)
        assert process is not None
        assert late.exec(select(Round.state).where(Round.id == round_id)).one() == "open"
        with pytest.raises(MenuFrozen):
            editor.ensure_unfrozen(late, process)
