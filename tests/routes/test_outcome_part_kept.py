"""The phones' outcome page renders the outcome's tables once for the many phones that open it
after a close (issue 15), and never shows a kept table of another outcome."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import templating
from app.domain.vocabulary import RoundKind
from app.routes import vote
from tests.routes.meeting_night import form_key, night, resident, soup


def _rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts the outcome pages render to keep, from now on."""
    vote._outcome_parts.clear()
    made: list[str] = []
    real = templating.render_part

    def counting(request: Any, template: str, context: dict[str, Any]) -> Any:
        if template == "console/_outcome.html":  # not the ballot forms
            made.append(template)
        return real(request, template, context)

    monkeypatch.setattr(vote, "render_part", counting)
    return made


def _choose(phone: TestClient, meeting_id: int, round_id: int, measure_id: int) -> None:
    key = form_key(phone.get(f"/m/{meeting_id}").text)
    sent = phone.post(
        f"/m/{meeting_id}/rounds/{round_id}/ballot",
        data={"idempotency_key": key, "measure": str(measure_id)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text


def _chosen(html: str, title: str) -> str:
    row = next(r for r in soup(html).select("tr") if title in r.get_text())
    return re.sub(r"\s+", " ", row.get_text()).strip()


def test_phones_opening_the_outcome_share_one_rendered_table_and_the_same_page(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    assert client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).is_redirect
    ann, bob = resident(session, korrewegwijk), resident(session, korrewegwijk)
    wip = n.measure("wip")
    _choose(ann, n.meeting_id, round_id, wip.id)
    _choose(bob, n.meeting_id, round_id, wip.id)
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    made = _rendered(monkeypatch)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/outcome"
    first, second = ann.get(url), bob.get(url)
    assert first.status_code == second.status_code == 200
    assert made == ["console/_outcome.html"]
    # Each phone still finds its own receipt on the page.
    codes = {str(soup(p.text).select_one(".my-receipt .receipt-code")) for p in (first, second)}
    assert len(codes) == 2
    # The same page as one rendered whole.
    monkeypatch.setattr(vote, "_outcome_part", lambda *_args: None)
    whole = bob.get(url)
    assert whole.text[whole.text.index("<body>") :] == second.text[second.text.index("<body>") :]
    assert wip.title in _chosen(second.text, wip.title)


def test_a_new_ballot_under_shown_results_is_in_the_next_outcome_page(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    assert client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).is_redirect
    client.post(f"/console/rounds/{round_id}/visibility", data={"visible": "1"})
    made = _rendered(monkeypatch)
    wip = n.measure("wip")
    ann = resident(session, korrewegwijk)
    _choose(ann, n.meeting_id, round_id, wip.id)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/outcome"
    before = ann.get(url).text
    assert ann.get(url).text == before
    assert len(made) == 1
    _choose(resident(session, korrewegwijk), n.meeting_id, round_id, wip.id)
    after = ann.get(url).text
    assert len(made) == 2
    assert _chosen(after, wip.title) != _chosen(before, wip.title)
    # Closing the round changes the page too (final, no longer "so far").
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    closed = ann.get(url).text
    assert len(made) == 3
    assert closed != after
