"""When a round closes, the phones that open its outcome at once share one ranking."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from app.services import outcomes, sieves


class _Session:
    """What `_ranking` asks of a session before it ranks: which database it is."""

    def get_bind(self) -> Any:
        return SimpleNamespace(engine=SimpleNamespace(url="sqlite:///herd"))


def test_phones_opening_an_outcome_at_once_wait_for_one_ranking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes.forget()
    made = []

    def rank(*_args: Any) -> outcomes.Ranking:
        made.append(threading.get_ident())
        time.sleep(0.2)  # the others arrive while this one works
        return ([], [7], 0, ["huurder"])

    monkeypatch.setattr(outcomes, "_rank", rank)
    monkeypatch.setattr(
        sieves, "versions", lambda _s, *, round_ids: dict.fromkeys(round_ids, ("state",))
    )
    round_ = SimpleNamespace(id=41)
    menu: Any = object()

    def phone(_: int) -> outcomes.Ranking:
        return outcomes._ranking(_Session(), round_, None, menu)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(phone, range(20)))
    assert len(made) == 1
    assert all(a == ([], [7], 0, ["huurder"]) for a in answers)
    assert outcomes._RANKINGS.making == {}

    # Other ballots (another state) are another ranking.
    monkeypatch.setattr(
        sieves, "versions", lambda _s, *, round_ids: dict.fromkeys(round_ids, ("other",))
    )
    phone(0)
    assert len(made) == 2
    outcomes.forget()
