"""SQL statements per request do not grow with the ballots: a ballot, the plan page (issue 15).

Counted with SQLAlchemy's `before_cursor_execute` event on the test engine (savepoints of the
test's own transaction left out). A statement inside a loop over ballots or measures would make
the second count larger than the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.domain.vocabulary import Role, RoundKind
from app.services import users as users_service
from tests.factories import meeting_night
from tests.routes.meeting_night import form_key, night, resident

# Ceilings with a little room above the counts of today.
BALLOT_STATEMENTS = 20  # now 15 on SQLite, 13 on PostgreSQL
PLAN_STATEMENTS = 25  # now 18


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The statements run on this engine while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_ballot_costs_the_same_statements_the_first_time_and_the_twentieth(
    client: TestClient, session: Session, korrewegwijk: int, engine: Engine
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    opened = client.post(f"/console/rounds/{round_id}/open", follow_redirects=False)
    assert opened.status_code == 303
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    effect = n.effect_ids()[0]

    def vote(phone: TestClient) -> Callable[[], None]:
        values = {"idempotency_key": form_key(phone.get(url).text), f"points-{effect}": "100"}

        def send() -> None:
            response = phone.post(url, data=values, follow_redirects=False)
            assert response.status_code == 303, response.text

        return send

    first = vote(resident(session, korrewegwijk))
    with counted(engine) as statements_first:
        first()
    for _ in range(18):
        vote(resident(session, korrewegwijk))()
    twentieth = vote(resident(session, korrewegwijk))
    with counted(engine) as statements_twentieth:
        twentieth()
    assert len(statements_first) <= BALLOT_STATEMENTS, statements_first
    assert len(statements_twentieth) == len(statements_first), statements_twentieth


def test_the_plan_page_costs_the_same_statements_for_6_and_for_40_participants(
    client: TestClient, session: Session, korrewegwijk: int, engine: Engine
) -> None:
    users_service.create_user(
        session, email="plan@example.org", role=Role.WIJKTEAM, password="correct horse battery"
    )
    logged_in = client.post(
        "/login",
        data={"email": "plan@example.org", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303
    url = f"/wijkteam/processes/{korrewegwijk}/plan"
    meeting_night(session, korrewegwijk, participants=6, paper=1)
    with counted(engine) as small:
        assert client.get(url).status_code == 200
    later = datetime(2026, 11, 27, 19, 30, tzinfo=UTC)
    meeting_night(session, korrewegwijk, participants=40, paper=3, seed=8, start=later)
    with counted(engine) as large:
        page = client.get(url)
    assert page.status_code == 200
    assert "40" in page.text
    assert len(small) <= PLAN_STATEMENTS, small
    assert len(large) == len(small), large
