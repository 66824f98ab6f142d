"""Two requests creating the same neighbourhood at once: the second uses the first's, no 500.

On PostgreSQL both look, both find nothing, both insert: the second insert waits for the first
transaction on the unique constraint and fails when it commits. The service then takes the
neighbourhood the other request made. (SQLite serialises writers, so there is no race there.)
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.models import Neighbourhood
from app.services import editor


def test_the_second_of_two_simultaneous_creations_uses_the_first(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises all writers with BEGIN IMMEDIATE: no race to lose")
    name = f"Race {uuid.uuid4().hex[:8]}"
    first = Session(engine, expire_on_commit=False)
    second = Session(engine, expire_on_commit=False)
    try:
        # Both have looked before either inserts: the second's look found nothing either.
        assert second.exec(select(Neighbourhood).where(Neighbourhood.name == name)).first() is None
        made = editor._neighbourhood(first, name, "Groningen")
        found: list[Neighbourhood] = []
        failed: list[BaseException] = []

        def create() -> None:
            try:
                found.append(editor._neighbourhood(second, name, "Groningen"))
                second.commit()
            except BaseException as error:  # the test reports it below
                failed.append(error)

        racer = threading.Thread(target=create)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second insert should wait for the first transaction"
        first.commit()
        racer.join(timeout=10)
        assert failed == []
        assert [h.id for h in found] == [made.id]
        with Session(engine) as check:
            rows = check.exec(select(Neighbourhood).where(Neighbourhood.name == name)).all()
            assert len(rows) == 1
    finally:
        first.close()
        second.close()
        with Session(engine) as cleanup, cleanup.begin():
            cleanup.execute(delete(Neighbourhood).where(col(Neighbourhood.name) == name))
