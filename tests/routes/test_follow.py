"""Following the meeting cheaply (issue 15): the status poll every phone asks every few seconds.

It is answered from one small query and no template, gives the same signature as the page the
phone shows (else a phone would reload for nothing, or miss a change), and keeps nothing in
process memory: a second instance answers the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.domain.vocabulary import RoundKind, RoundState
from app.models import PaperEntry, Participant, Round
from app.services import meetings as meetings_service
from tests.conftest import statements_run
from tests.routes.meeting_night import night, resident


def test_the_poll_signature_is_the_pages_through_every_change(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    resident(session, korrewegwijk)
    participant = session.exec(select(Participant)).first()
    assert participant is not None
    assert participant.id is not None
    round_ = session.get(Round, n.round_id(RoundKind.WEGEN))
    assert round_ is not None
    assert round_.id is not None
    entry = PaperEntry(round_id=round_.id, participant_id=participant.id)
    steps: list[Callable[[], object]] = [
        lambda: setattr(round_, "state", RoundState.OPEN),
        lambda: setattr(round_, "results_visible", True),
        lambda: setattr(round_, "requires_code", False),
        lambda: session.add(entry),
        lambda: setattr(entry, "undone_at", datetime.now(UTC)),
        lambda: setattr(round_, "state", RoundState.CLOSED),
        lambda: setattr(round_, "receipts_published_at", datetime.now(UTC)),
        lambda: setattr(round_, "position", 7),
    ]
    seen = set()
    unchanged: Callable[[], object] = lambda: None  # noqa: E731
    for step in [unchanged, *steps]:
        step()
        session.flush()
        page = meetings_service.resident_view(session, meeting_id=n.meeting_id).signature
        poll = meetings_service.follow_signature(session, meeting_id=n.meeting_id)
        assert poll == page
        seen.add(poll)
    assert len(seen) == len(steps) + 1  # every change is one a phone hears of


def test_the_poll_is_one_query_and_an_unknown_meeting_a_404(
    client: TestClient, session: Session, korrewegwijk: int, engine: Engine
) -> None:
    n = night(session, korrewegwijk, client)
    phone = resident(session, korrewegwijk)
    signature = meetings_service.resident_view(session, meeting_id=n.meeting_id).signature
    with statements_run(engine) as statements:
        answer = phone.get(f"/m/{n.meeting_id}/status?v={signature}")
    assert answer.status_code == 204
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    assert answer.headers["ETag"] == f'"{signature}"'
    assert answer.headers["Cache-Control"] == "no-cache"
    missing = phone.get("/m/999999/status?v=x")
    assert missing.status_code == 404
    # Nothing is kept between requests: a fresh client with only the ETag gets the same answer.
    other = TestClient(client.app)
    assert (
        other.get(
            f"/m/{n.meeting_id}/status", headers={"If-None-Match": f'"{signature}"'}
        ).status_code
        == 304
    )
