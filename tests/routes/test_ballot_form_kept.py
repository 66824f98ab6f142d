"""A blank ballot form is rendered once per round and kept (issue 15): the second phone's page
does not render the form again, the page is the same as one rendered whole, and a new round, a
new menu version or another language never gets a kept form of something else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import templating
from app.domain.vocabulary import RoundKind
from app.models import Measure
from app.routes import vote
from app.services import editor
from app.services import meetings as meetings_service
from tests.routes.meeting_night import form_key, night, resident, run_again, soup


def _open(client: TestClient, round_id: int) -> None:
    response = client.post(f"/console/rounds/{round_id}/open", follow_redirects=False)
    assert response.status_code == 303, response.text


def _close(client: TestClient, round_id: int) -> None:
    response = client.post(
        f"/console/rounds/{round_id}/close", data={"confirm": "1"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fragments the ballot pages render into a kept form, from now on."""
    vote._forms.clear()
    made: list[str] = []
    real = templating.render_part

    def counting(request: Any, template: str, context: dict[str, Any]) -> Any:
        made.append(template)
        return real(request, template, context)

    monkeypatch.setattr(vote, "render_part", counting)
    return made


def _without_per_phone_parts(html: str) -> str:
    # What differs per phone whatever is kept: its form's key and its draft's name; and in the
    # head its stylesheets (inline on a phone's first page, linked later).
    html = html[html.index("<body>") :]
    html = re.sub(r'name="idempotency_key" value="[^"]+"', 'name="idempotency_key" value=""', html)
    return re.sub(r'data-draft="wz-draft:\d+:\d+"', 'data-draft=""', html)


@pytest.mark.parametrize("kind", [RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN])
def test_the_second_phone_gets_the_kept_form_and_the_same_page(
    client: TestClient,
    session: Session,
    korrewegwijk: int,
    monkeypatch: pytest.MonkeyPatch,
    kind: RoundKind,
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(kind)
    _open(client, round_id)
    made = _rendered(monkeypatch)
    page = f"/m/{n.meeting_id}"
    first, second = resident(session, korrewegwijk), resident(session, korrewegwijk)
    first_page = first.get(page)
    assert first_page.status_code == 200
    assert made == [f"vote/_{kind}_fields.html", "vote/_tally.html"]
    kept = second.get(page)
    assert kept.status_code == 200
    assert len(made) == 2, made  # the second phone's page did not render the form again
    assert form_key(kept.text) != form_key(first_page.text)
    # The same page as one rendered whole, with nothing kept (but the phone's own key and draft).
    monkeypatch.setattr(vote, "_form_parts", lambda *_args: None)
    whole = second.get(f"/m/{n.meeting_id}/rounds/{round_id}/ballot")
    assert whole.status_code == 200
    assert _without_per_phone_parts(kept.text) == _without_per_phone_parts(whole.text)
    assert f"wz-draft:{round_id}:" in kept.text
    # Each page has its own phone's draft.
    drafts = {
        str(soup(p.text).select_one("form.ballot")["data-draft"])  # type: ignore[index]
        for p in (first_page, kept)
    }
    assert len(drafts) == 2


def test_earlier_answers_and_another_language_are_not_given_the_kept_form(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    made = _rendered(monkeypatch)
    page = f"/m/{n.meeting_id}"
    phone = resident(session, korrewegwijk)
    dutch = phone.get(page).text
    assert "punten" in dutch
    english = resident(session, korrewegwijk).get(f"{page}?lang=en").text
    assert len(made) == 4, made  # a form per language
    assert "points" in english
    english_form = soup(english).select_one("form.ballot")
    assert english_form is not None
    assert "punten" not in english_form.get_text()
    effect = n.effect_ids()[1]
    voted = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot",
        data={"idempotency_key": form_key(dutch), f"points-{effect}": "100"},
        follow_redirects=False,
    )
    assert voted.status_code == 303
    # Changing the vote: the form shows this phone's answers, rendered for it alone.
    changing = soup(phone.get(f"/m/{n.meeting_id}/rounds/{round_id}/ballot").text)
    points = changing.select_one(f"input[name=points-{effect}]")
    assert points is not None
    assert points["value"] == "100"
    assert len(made) == 4, made
    # And the next blank page of the round still gets the kept, blank form.
    blank = soup(resident(session, korrewegwijk).get(page).text)
    assert blank.select_one(f"input[name=points-{effect}]")["value"] == ""  # type: ignore[index]


def test_a_measure_changed_in_a_new_menu_version_shows_in_that_versions_next_round(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    made = _rendered(monkeypatch)
    old_title = n.measure("wip").title
    first = soup(resident(session, korrewegwijk).get(f"/m/{n.meeting_id}").text)
    assert old_title in {t.get_text() for t in first.select(".pick-title")}
    _close(client, round_id)
    # The menu is frozen now; a new version of the process may change it.
    newer = editor.new_version(session, user=n.facilitator, process_id=korrewegwijk)
    assert newer.id is not None
    measure = session.exec(
        select(Measure).where(Measure.process_id == newer.id, Measure.key == "wip")
    ).one()
    measure.title = "Wip voor de kleintjes (nieuw)"
    session.add(measure)
    session.flush()
    meeting = meetings_service.create_meeting(
        session, user=n.facilitator, process_id=newer.id, title="Tweede avond"
    )
    assert meeting.id is not None
    kiezen = next(
        r.id
        for r in meetings_service.rounds_of(session, meeting_id=meeting.id)
        if r.kind == RoundKind.KIEZEN
    )
    assert kiezen is not None
    _open(client, kiezen)
    page = soup(resident(session, newer.id).get(f"/m/{meeting.id}").text)
    titles = {t.get_text() for t in page.select(".pick-title")}
    assert "Wip voor de kleintjes (nieuw)" in titles
    assert old_title not in titles
    assert len(made) == 4, made  # the new round's form was rendered, not the kept one taken


def test_a_rerun_of_zeven_gives_new_phones_the_discussion_list(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = night(session, korrewegwijk, client)
    zeven = n.round_id(RoundKind.ZEVEN)
    _open(client, zeven)
    made = _rendered(monkeypatch)
    ann, bob = resident(session, korrewegwijk), resident(session, korrewegwijk)
    for phone, score in ((ann, 0), (bob, 3)):
        measure = n.measure("buurtbemiddeling")
        values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
        values |= {f"score-{measure.id}-{e}": str(score) for e in measure.effect_ids}
        sent = phone.post(
            f"/m/{n.meeting_id}/rounds/{zeven}/ballot", data=values, follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
    assert len(made) == 2  # the first run's blank form, once
    first_run = soup(resident(session, korrewegwijk).get(f"/m/{n.meeting_id}").text)
    assert not first_run.select("p.discussed")
    _close(client, zeven)
    rerun = run_again(client, session, n, RoundKind.ZEVEN)
    _open(client, rerun)
    # A phone that did not vote in the first run: the blank form of the rerun, with the list.
    page = soup(resident(session, korrewegwijk).get(f"/m/{n.meeting_id}").text)
    marked = {p.find_parent("article")["data-measure"] for p in page.select("p.discussed")}  # type: ignore[index]
    assert str(n.measure("buurtbemiddeling").id) in marked
    assert len(made) == 4, made
