"""The Wegen weights and the Kiezen counts of a round are worked out once per state of its
ballots (issue 15): phones that open the outcome at once after a close share one, and another
ballot is another outcome."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import RoundKind
from app.models import Round
from app.services import outcomes, sieves
from tests.routes.meeting_night import form_key, night, resident


class _Session:
    """What `_by_ballots` asks of a session before it counts: which database it is."""

    def get_bind(self) -> Any:
        return SimpleNamespace(engine=SimpleNamespace(url="sqlite:///herd"))


@pytest.mark.parametrize(
    ("ask", "maker", "made_of"),
    [
        (outcomes._weights, "_weigh", ({1: Fraction(1)}, {}, [])),
        (outcomes._choices, "_choose", ({}, {}, [3], [])),
    ],
)
def test_phones_opening_a_wegen_or_kiezen_outcome_at_once_wait_for_one(
    monkeypatch: pytest.MonkeyPatch, ask: Any, maker: str, made_of: Any
) -> None:
    outcomes.forget()
    made = []

    def make(*_args: Any) -> Any:
        made.append(threading.get_ident())
        time.sleep(0.2)  # the others arrive while this one works
        return made_of

    monkeypatch.setattr(outcomes, maker, make)
    monkeypatch.setattr(
        sieves, "versions", lambda _s, *, round_ids: dict.fromkeys(round_ids, ("state",))
    )
    round_ = SimpleNamespace(id=41)
    menu: Any = object()

    def phone(_: int) -> Any:
        return ask(_Session(), round_, menu)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(phone, range(20)))
    assert len(made) == 1
    assert all(a == made_of for a in answers)
    assert outcomes._TALLIES.making == {}
    # Other ballots (another state) are worked out again; so is another menu.
    monkeypatch.setattr(
        sieves, "versions", lambda _s, *, round_ids: dict.fromkeys(round_ids, ("other",))
    )
    phone(0)
    assert len(made) == 2
    ask(_Session(), round_, object())
    assert len(made) == 3
    outcomes.forget()


def test_a_replaced_kiezen_ballot_changes_the_kept_outcome(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    outcomes.forget()
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    opened = client.post(f"/console/rounds/{round_id}/open", follow_redirects=False)
    assert opened.status_code == 303
    phone = resident(session, korrewegwijk)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    wip, drainage = n.measure("wip"), n.measure("drainage-vensterpark")

    def choose(measure_id: int) -> dict[int, int]:
        key = form_key(phone.get(url).text)
        sent = phone.post(
            url, data={"idempotency_key": key, "measure": str(measure_id)}, follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
        round_ = session.get(Round, round_id)
        assert round_ is not None
        session.refresh(round_)
        return {r.measure_id: r.chosen for r in outcomes.outcome(session, round_=round_).choices}

    first = choose(wip.id)
    assert first[wip.id] == 1
    assert first[drainage.id] == 0
    assert len(outcomes._TALLIES) == 1
    then = choose(drainage.id)  # the same phone changes its vote: its ballot's lines are new
    assert then[wip.id] == 0
    assert then[drainage.id] == 1
    outcomes.forget()
