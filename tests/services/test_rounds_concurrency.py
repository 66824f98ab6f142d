"""Many phones submit at once while the facilitator closes the round, through the real routes.

Every ballot either arrives before the close and counts, or gets 409 and does not; a double tap
counts once; nothing fails with a 500 (on SQLite, a request that read before writing could be
refused its write: the routes take the write lock first). Runs on a database of its own, with
committed transactions, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import schema
from app.db import build_engine, get_db
from app.domain.vocabulary import Role, RoundKind, RoundState
from app.main import app
from app.models import Ballot, BallotSubmission, Round
from app.services import ballots as ballots_service
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import menus as menus_service
from app.services import rounds as rounds_service
from app.services import users as users_service
from tests.conftest import REPO, _drop_postgres, _fresh_postgres

PHONES = 24
PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database of each kind, whose commits are real."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
        schema.upgrade(url=url)
        engine = build_engine(url)
        yield engine
        engine.dispose()
        return
    url, admin = _fresh_postgres(request.getfixturevalue("postgres_admin_url"))
    try:
        schema.upgrade(url=url)
        engine = build_engine(url)
        yield engine
        engine.dispose()
    finally:
        _drop_postgres(admin, url)


def test_ballots_racing_the_close_count_once_or_are_refused(own_engine: Engine) -> None:
    with Session(own_engine, expire_on_commit=False) as session, session.begin():
        document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
        process_id = menus_service.load_menu(session, document=document).process_id
        user, _ = users_service.create_user(
            session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD
        )
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process_id, title="Wijkavond"
        )
        wegen = next(
            r
            for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)
            if r.kind == RoundKind.WEGEN
        )
        rounds_service.open_round(session, user=user, round_id=wegen.id or 0)
        cards = codes_service.issue_codes(session, process_id=process_id, count=PHONES)
        effects = [
            e.id for e in ballots_service.load_menu(session, process_id=process_id).desired_effects
        ]
    round_id, meeting_id = wegen.id, meeting.id

    def own_db() -> Iterator[Session]:
        with Session(own_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app.dependency_overrides[get_db] = own_db
    try:
        facilitator = TestClient(app, base_url="http://testserver")
        facilitator.post("/login", data={"email": "w@example.org", "password": PASSWORD})
        phones = []
        for card in cards:
            phone = TestClient(app, base_url="http://testserver")
            assert phone.post("/join", data={"code": card.code}).status_code == 200
            phones.append(phone)

        outcomes: dict[int, list[int]] = {i: [] for i in range(PHONES)}
        failures: list[BaseException] = []
        start = threading.Barrier(PHONES + PHONES // 4 + 1)

        def vote(index: int, phone: TestClient) -> None:
            form = {"idempotency_key": f"key-{index}", f"points-{effects[index % 3]}": "100"}
            start.wait()
            try:
                response = phone.post(
                    f"/m/{meeting_id}/rounds/{round_id}/ballot", data=form, follow_redirects=False
                )
                outcomes[index].append(response.status_code)
            except BaseException as error:  # a 500 raises in the test client
                failures.append(error)

        def close() -> None:
            start.wait()
            threading.Event().wait(random.uniform(0.005, 0.05))
            try:
                response = facilitator.post(
                    f"/console/rounds/{round_id}/close",
                    data={"confirm": "1"},
                    follow_redirects=False,
                )
                assert response.status_code == 303
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=vote, args=(i, phone)) for i, phone in enumerate(phones)]
        # A quarter of the phones tap twice: a second copy of the same form, at the same time.
        for i in range(PHONES // 4):
            twin = TestClient(app, base_url="http://testserver", cookies=phones[i].cookies)
            threads.append(threading.Thread(target=vote, args=(i, twin)))
        threads.append(threading.Thread(target=close))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        app.dependency_overrides.clear()

    assert failures == []
    with Session(own_engine) as session:
        round_ = session.get(Round, round_id)
        assert round_ is not None
        assert round_.state == RoundState.CLOSED
        assert round_.closed_at is not None
        ballots = session.exec(select(Ballot).where(Ballot.round_id == round_id)).all()
    counted = {i for i, codes in outcomes.items() if 303 in codes}
    refused = {i for i, codes in outcomes.items() if codes and set(codes) == {409}}
    assert counted | refused == set(range(PHONES))
    assert not counted & refused
    # Each phone's twin saw the same: counted both times, or refused both times.
    assert all(len(set(codes)) == 1 for codes in outcomes.values())
    assert len(ballots) == len(counted)
    assert len({b.participant_id for b in ballots}) == len(ballots)
    keys = session.exec(
        select(BallotSubmission.idempotency_key).where(BallotSubmission.round_id == round_id)
    ).all()
    assert set(keys) == {f"key-{i}" for i in counted}
    closed_at = round_.closed_at.replace(tzinfo=None)
    assert all(b.submitted_at.replace(tzinfo=None) <= closed_at for b in ballots)
