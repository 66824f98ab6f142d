"""The resident's phone: joining by code or QR, waiting, the three ballots, receipts, replacing."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.domain.vocabulary import BallotChannel, RoundKind, StakeholderGroup
from app.main import app
from app.models import Ballot, BallotLine, Participant
from app.routes.meeting_deps import DEVICE_COOKIE, PARTICIPANT_COOKIE
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from tests.conftest import statements_run
from tests.routes.meeting_night import (
    alert,
    ballots_in,
    card,
    form_key,
    night,
    resident,
    run_again,
    soup,
)


def test_the_start_page_has_the_code_form_and_still_lists_the_menus(
    client: TestClient, korrewegwijk: int
) -> None:
    page = soup(client.get("/").text)
    form = page.select_one("form[action='/join'][method=post]")
    assert form is not None
    assert form.select_one("input[name=code]") is not None
    label = page.select_one("label[for=code]")
    assert label is not None
    assert "code" in label.get_text()
    assert page.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is not None


def test_a_code_typed_in_lower_case_with_spaces_joins(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    issued = card(session, korrewegwijk)
    phone = TestClient(app, base_url="http://testserver")
    typed = "  " + issued.code.lower().replace("-", " ") + " "
    response = phone.post("/join", data={"code": typed}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/{n.meeting_id}/welcome"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{PARTICIPANT_COOKIE}=")
    assert "httponly" in cookie.lower()
    assert issued.code not in cookie
    waiting = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert waiting.select_one("#waiting-title") is not None


def test_a_wrong_code_is_refused_on_the_form(client: TestClient, korrewegwijk: int) -> None:
    unknown = client.post("/join", data={"code": "ABCD-EFGH-JKMN-PQ"}, follow_redirects=False)
    assert unknown.status_code == 404
    assert "onbekend of niet meer geldig" in alert(unknown.text)
    assert PARTICIPANT_COOKIE not in unknown.headers.get("set-cookie", "")
    malformed = client.post("/join", data={"code": "1234"}, follow_redirects=False)
    assert malformed.status_code == 422
    page = soup(malformed.text)
    code = page.select_one("input[name=code]")
    assert code is not None
    assert code["value"] == "1234"
    assert code.get("aria-invalid") == "true"


def test_the_qr_token_becomes_a_cookie_and_the_address_loses_the_token(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    issued = card(session, korrewegwijk, StakeholderGroup.ONDERNEMER)
    phone = TestClient(app, base_url="http://testserver")
    response = phone.get(f"/j/{issued.token}", follow_redirects=False)
    assert response.status_code == 303
    # The card names the group, so the group question is skipped.
    assert response.headers["location"] == f"/m/{n.meeting_id}"
    assert issued.token not in response.headers["location"]
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert issued.token not in cookie
    followed = phone.get(response.headers["location"])
    assert issued.token not in str(followed.url)
    assert soup(followed.text).select_one("#waiting-title") is not None
    participant = session.exec(select(Participant)).one()
    assert participant.stakeholder_group == StakeholderGroup.ONDERNEMER
    assert phone.get("/j/not-a-token", follow_redirects=False).status_code == 404


def test_the_group_is_optional_and_remembered(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    phone = resident(session, korrewegwijk)
    page = soup(phone.get(f"/m/{n.meeting_id}/welcome").text)
    assert {str(i["value"]) for i in page.select("input[name=group]")} == {
        "",
        "bewoner",
        "ondernemer",
        "student",
        "werker",
    }
    response = phone.post(
        f"/m/{n.meeting_id}/welcome", data={"group": "student"}, follow_redirects=False
    )
    assert response.headers["location"] == f"/m/{n.meeting_id}"
    assert session.exec(select(Participant)).one().stakeholder_group == "student"
    refused = phone.post(f"/m/{n.meeting_id}/welcome", data={"group": "alien"})
    assert refused.status_code == 422


def test_the_waiting_page_follows_the_meeting(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    phone = resident(session, korrewegwijk)
    page = soup(phone.get(f"/m/{n.meeting_id}").text)
    poll = page.select_one("[data-follow^='/m/']")
    assert poll is not None
    # With JavaScript vote.js asks every 2 to 5 s; without it the resident taps "check again" (a
    # page that reloads itself every 10 s disturbs a screen reader: axe's meta-refresh).
    assert page.select_one("meta[http-equiv=refresh]") is None
    assert "Kijk opnieuw" in page.select_one("noscript").get_text()  # type: ignore[union-attr]
    assert page.select_one(f"a[href$='/m/{n.meeting_id}']") is not None
    assert "Wegen" in page.select_one("#waiting-title").get_text()  # type: ignore[union-attr]
    status_url = str(poll["data-follow"])
    unchanged = phone.get(status_url)
    assert unchanged.status_code == 204
    # Or asked with the ETag of an earlier answer: 304, also without the page's signature.
    etag = unchanged.headers["ETag"]
    bare = status_url.split("?")[0]
    assert phone.get(bare, headers={"If-None-Match": etag}).status_code == 304
    assert phone.get(bare, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert phone.get(bare, headers={"If-None-Match": '"other"'}).status_code == 200
    client.post(f"/console/rounds/{n.round_id(RoundKind.WEGEN)}/open")
    changed = phone.get(status_url)
    assert changed.status_code == 200
    assert changed.headers["HX-Refresh"] == "true"
    assert changed.headers["ETag"] != etag
    assert phone.get(bare, headers={"If-None-Match": etag}).status_code == 200
    ballot = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert len(ballot.select("input[name^=points-]")) == 3


def _open(client: TestClient, round_id: int) -> None:
    assert (
        client.post(f"/console/rounds/{round_id}/open", follow_redirects=False).status_code == 303
    )


def test_wegen_shows_the_points_left_and_refuses_a_total_other_than_100(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    safety, living, youth = n.effect_ids()
    values = {"idempotency_key": key, f"points-{safety}": "50", f"points-{living}": "40"}
    # Without JavaScript, "add up" asks the server, which shows the whole page again.
    preview = phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/preview", data=values)
    page = soup(preview.text)
    assert "Nog 10 punten te verdelen" in page.select_one("#tally-text").get_text()  # type: ignore[union-attr]
    assert page.select_one(f"input[name=points-{safety}]")["value"] == "50"  # type: ignore[index]
    # With htmx only the tally comes back.
    fragment = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/preview", data=values, headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div class="tally" id="tally">')
    assert soup(fragment.text).select_one("button[type=submit][disabled]") is not None
    refused = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert refused.status_code == 422
    assert alert(refused.text) == (
        "Uw punten tellen op tot 90, niet tot 100: u hebt nog 10 punten te verdelen."
    )
    assert ballots_in(session, round_id) == 0
    values[f"points-{youth}"] = "10"
    counted = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert counted.status_code == 303
    receipt = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert "Uw stem telt" in receipt.select_one("#receipt-title").get_text()  # type: ignore[union-attr]
    assert receipt.select_one(".receipt-code") is not None
    assert ballots_in(session, round_id) == 1


def test_the_same_form_sent_twice_counts_once(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    values = {"idempotency_key": key, **{f"points-{e}": "0" for e in n.effect_ids()}}
    values[f"points-{n.effect_ids()[0]}"] = "100"
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    first = phone.post(url, data=values, follow_redirects=False)
    again = phone.post(url, data=values, follow_redirects=False)
    assert (first.status_code, again.status_code) == (303, 303)
    assert ballots_in(session, round_id) == 1
    assert len(session.exec(select(BallotLine)).all()) == 1


def test_a_new_vote_replaces_the_earlier_one_until_the_round_closes(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    floreshuis, wip = n.measure("floreshuis").id, n.measure("wip").id
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    phone.post(url, data={"idempotency_key": key, "measure": [str(floreshuis)]})
    change = soup(phone.get(url).text)
    checked = [str(i["value"]) for i in change.select("input[name=measure][checked]")]
    assert checked == [str(floreshuis)]
    assert change.select_one(".notice") is not None  # "what you send now replaces..."
    new_key = form_key(str(change))
    assert new_key != key
    phone.post(url, data={"idempotency_key": new_key, "measure": [str(wip)]})
    ballot = session.exec(select(Ballot).where(Ballot.round_id == round_id)).one()
    lines = session.exec(select(BallotLine).where(BallotLine.ballot_id == ballot.id)).all()
    assert [ln.measure_id for ln in lines] == [wip]
    assert ballot.updated_at is not None
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    late = phone.post(
        url,
        data={"idempotency_key": "after-close", "measure": [str(floreshuis)]},
        follow_redirects=False,
    )
    assert late.status_code == 409
    # Never "too late, does not count" to someone whose earlier vote counts: it says that it does.
    said = alert(late.text)
    assert said.startswith("De gespreksleider heeft deze ronde gesloten (Kiezen).")
    assert re.search(r"Uw eerdere stem \(van \d\d:\d\d\) telt\.", said)
    assert "te laat" not in said
    lines = session.exec(select(BallotLine).where(BallotLine.ballot_id == ballot.id)).all()
    assert [ln.measure_id for ln in lines] == [wip]
    assert ballots_in(session, round_id) == 1


def test_kiezen_shows_the_money_left_and_refuses_a_package_over_the_budget(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    page = phone.get(f"/m/{n.meeting_id}")
    assert len(soup(page.text).select("input[type=checkbox][name=measure]")) == 22
    key = form_key(page.text)
    floreshuis, streets = n.measure("floreshuis").id, n.measure("herinrichting-straten").id
    one = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/preview",
        data={"idempotency_key": key, "measure": [str(floreshuis)]},
        headers={"HX-Request": "true"},
    )
    tally = soup(one.text).select_one("#tally-text")
    assert tally is not None
    assert " ".join(tally.get_text().split(" ")).strip() == (
        "Nog over: €\u00a0240.000 van €\u00a01.000.000"
    )
    both = {"idempotency_key": key, "measure": [str(floreshuis), str(streets)]}
    over = phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/preview", data=both)
    assert "€\u00a0247.000 boven het budget" in soup(over.text).select_one("#tally-text").get_text()  # type: ignore[union-attr]
    refused = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=both, follow_redirects=False
    )
    assert refused.status_code == 422
    assert alert(refused.text) == (
        "Uw pakket kost €\u00a01.247.000, dat is €\u00a0247.000 meer dan het budget van "
        "€\u00a01.000.000. Haal er iets uit."
    )
    kept = {str(i["value"]) for i in soup(refused.text).select("input[name=measure][checked]")}
    assert kept == {str(streets), str(floreshuis)}
    assert ballots_in(session, round_id) == 0


def test_zeven_rates_linked_effects_grouped_by_effect_and_skips(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.ZEVEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    page = soup(phone.get(f"/m/{n.meeting_id}").text)
    groups = [h.get_text() for h in page.select("section.sieve-group > h2")]
    assert groups == ["Veiligheid", "Leefomgeving"]
    assert "0 van 22 beoordeeld" in page.select_one("#tally-text").get_text()  # type: ignore[union-attr]
    ib, wip, mediation = n.measure("ib-paraat"), n.measure("wip"), n.measure("buurtbemiddeling")
    card_ = page.select_one(f"article[aria-labelledby=m-{ib.id}]")
    assert card_ is not None
    assert "€\u00a0100.000" in card_.get_text()
    assert len(card_.select("fieldset.score")) == 2  # veiligheid and jongeren
    # Per effect only the numbers; "weet ik niet" once, for the whole measure.
    scale = card_.select("fieldset.score")[0].select("input")
    assert [str(i["value"]) for i in scale] == ["0", "1", "2", "3"]
    skip = card_.select("input[type=checkbox]")
    assert [str(i["name"]) for i in skip] == [f"skip-{ib.id}"]
    assert "Weet ik niet" in card_.select_one("label.skip-measure").get_text()  # type: ignore[union-attr]
    veiligheid, jongeren = ib.effect_ids
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    values = {
        "idempotency_key": form_key(str(page)),
        f"score-{ib.id}-{veiligheid}": "3",  # IB paraat on both its effects
        f"score-{ib.id}-{jongeren}": "1",
        f"score-{mediation.id}-{mediation.effect_ids[0]}": "2",  # then "weet ik niet" after all
        f"skip-{mediation.id}": "1",
    }
    response = phone.post(url, data=values, follow_redirects=False)
    assert response.status_code == 303
    lines = session.exec(select(BallotLine)).all()
    assert {(ln.measure_id, ln.effect_id, ln.value) for ln in lines} == {
        (ib.id, veiligheid, 3),
        (ib.id, jongeren, 1),
    }
    # Changing the vote: the measures it did not rate come back as "weet ik niet".
    again = soup(phone.get(url).text)
    assert again.select_one(f"input[name=skip-{mediation.id}][checked]") is not None
    assert again.select_one(f"input[name=skip-{ib.id}][checked]") is None
    assert again.select_one(f"input[name=skip-{wip.id}][checked]") is not None


def test_every_unfinished_measure_is_shown_at_once_beside_itself(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.ZEVEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    two = [m for m in n.menu.measures if len(m.effect_ids) == 2][:2]
    assert len(two) == 2
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    for measure in two:  # each rated on its first effect only
        values[f"score-{measure.id}-{measure.effect_ids[0]}"] = "2"
    refused = phone.post(url, data=values, follow_redirects=False)
    assert refused.status_code == 422
    page = soup(refused.text)
    summary = page.select_one("#ballot-error")
    assert summary is not None
    links = summary.select("a")
    assert [str(a["href"]) for a in links] == [f"#m-{m.id}" for m in two]
    assert links[0].has_attr("autofocus")
    assert not links[1].has_attr("autofocus")
    for measure in two:
        beside = page.select_one(f"#measure-{measure.id} .problem")
        assert beside is not None
        other = n.menu.effect(measure.effect_ids[1])
        assert other is not None
        assert f"kies ook een cijfer voor {other.title}" in beside.get_text()
        # What was ticked is still ticked.
        ticked = page.select_one(f"input[name=score-{measure.id}-{measure.effect_ids[0]}][checked]")
        assert ticked is not None
        assert ticked["value"] == "2"
    assert ballots_in(session, round_id) == 0
    # Fixed: one finished, one skipped. The first submit after that counts.
    values[f"score-{two[0].id}-{two[0].effect_ids[1]}"] = "0"
    values[f"skip-{two[1].id}"] = "1"
    assert phone.post(url, data=values, follow_redirects=False).status_code == 303
    assert ballots_in(session, round_id) == 1


def test_a_round_without_codes_takes_one_ballot_per_device_marked_as_weaker(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    phone = TestClient(app, base_url="http://testserver")
    assert (
        soup(phone.get(f"/m/{n.meeting_id}").text).select_one(
            f"form[action='/m/{n.meeting_id}/device']"
        )
        is None
    )
    client.post(f"/console/rounds/{round_id}/codes", data={"required": "0"})
    _open(client, round_id)
    join = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert join.select_one(f"form[action='/m/{n.meeting_id}/device']") is not None
    assert join.select_one(".weak") is not None
    joined = phone.post(f"/m/{n.meeting_id}/device", follow_redirects=False)
    assert joined.status_code == 303
    assert DEVICE_COOKIE in joined.headers.get("set-cookie", "")
    page = phone.get(f"/m/{n.meeting_id}")
    assert soup(page.text).select_one(".weak") is not None
    values = {"idempotency_key": form_key(page.text)}
    values.update({f"points-{e}": "0" for e in n.effect_ids()})
    values[f"points-{n.effect_ids()[1]}"] = "100"
    phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values)
    # The same phone joining again is the same participant: still one ballot.
    phone.post(f"/m/{n.meeting_id}/device")
    assert len(session.exec(select(Participant)).all()) == 1
    turnout = rounds_service.turnout(session, round_id=round_id)
    assert (turnout.ballots, turnout.without_code) == (1, 1)


def test_results_are_hidden_from_residents_while_open_unless_shown(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    url = f"/m/{n.meeting_id}/rounds/{round_id}/outcome"
    assert phone.get(url).status_code == 403
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    values.update({f"points-{e}": "0" for e in n.effect_ids()})
    values[f"points-{n.effect_ids()[0]}"] = "100"
    phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values)
    # After voting, the receipt links to the results only when the facilitator shows them.
    assert soup(phone.get(f"/m/{n.meeting_id}").text).select_one(f"a[href='{url}']") is None
    client.post(f"/console/rounds/{round_id}/visibility", data={"visible": "1"})
    assert phone.get(url).status_code == 200
    shown = soup(phone.get(f"/m/{n.meeting_id}").text).select_one(f"a[href='{url}']")
    assert shown is not None
    assert "tot nu toe" in shown.get_text()
    client.post(f"/console/rounds/{round_id}/visibility", data={"visible": "0"})
    assert phone.get(url).status_code == 403
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    shown = phone.get(url)
    assert shown.status_code == 200
    assert soup(shown.text).select_one(".outcome") is not None
    waiting = soup(phone.get(f"/m/{n.meeting_id}").text)
    assert waiting.select_one(f"a[href='{url}']") is not None


def test_a_ballot_post_takes_the_write_lock_before_anything_else(
    client: TestClient, session: Session, korrewegwijk: int, engine: Engine
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    values.update({f"points-{e}": "0" for e in n.effect_ids()})
    values[f"points-{n.effect_ids()[0]}"] = "100"
    session.commit()  # what the test set up is committed before the request starts
    with statements_run(engine) as statements:
        phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values)
    if engine.dialect.name == "sqlite":
        # SQLite: a write first, so that the request waits for the lock instead of failing.
        assert statements[0] == "UPDATE round SET id = id WHERE 0"
    else:
        # PostgreSQL: the round's row is held in share mode (other ballots do not wait; a close
        # does) before the ballot is written.
        lock = next(i for i, s in enumerate(statements) if s.rstrip().endswith("FOR SHARE"))
        assert "FROM round" in statements[lock]
        assert not any(s.rstrip().endswith("FOR UPDATE") and "FROM round" in s for s in statements)
        write = next(i for i, s in enumerate(statements) if s.startswith(("INSERT", "UPDATE")))
        assert lock < write, statements[: write + 1]
    assert session.exec(select(Ballot)).one().channel == BallotChannel.PHONE


def test_a_participant_goes_to_tonights_meeting(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    phone = TestClient(app, base_url="http://testserver")
    assert phone.get("/vote", follow_redirects=False).headers["location"] == "/join"
    issued = card(session, korrewegwijk)
    joined = phone.post("/join", data={"code": issued.code}, follow_redirects=False)
    assert joined.headers["location"] == "/vote"  # no meeting yet
    assert soup(phone.get("/vote").text).select_one("a[href='/vote']") is not None
    n = night(session, korrewegwijk, client)
    assert meetings_service.current_meeting(session, process_id=korrewegwijk) == n.meeting
    assert phone.get("/vote", follow_redirects=False).headers["location"] == f"/m/{n.meeting_id}"


def test_a_code_posted_with_an_unknown_meeting_goes_to_tonights(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    issued = card(session, korrewegwijk, StakeholderGroup.STUDENT)
    response = TestClient(app, base_url="http://testserver").post(
        "/join", data={"code": issued.code, "meeting": "999999"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/m/{n.meeting_id}"


def test_wegen_tally_and_server_agree_and_the_steppers_work_without_javascript(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    safety, living, youth = n.effect_ids()
    preview = f"/m/{n.meeting_id}/rounds/{round_id}/preview"
    url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    # -10 and 110 add up to 100, but the tally never says "all 100 divided".
    values = {"idempotency_key": key, f"points-{safety}": "-10", f"points-{living}": "110"}
    live = soup(phone.post(preview, data=values, headers={"HX-Request": "true"}).text)
    tally = live.select_one("#tally-text").get_text()  # type: ignore[union-attr]
    assert "Alle 100" not in tally
    assert "tussen 0 en 100 punten, niet -10" in tally
    beside = live.select_one(f"#points-problem-{safety}[hx-swap-oob]")
    assert beside is not None
    assert "niet -10" in beside.get_text()
    assert "niet 110" in live.select_one(f"#points-problem-{living}").get_text()  # type: ignore[union-attr]
    assert live.select_one("button.send[disabled]") is not None
    refused = phone.post(url, data=values, follow_redirects=False)
    assert refused.status_code == 422
    assert "niet -10" in alert(refused.text)
    page = soup(refused.text)
    assert page.select_one(f"#points-{safety}[aria-invalid=true]") is not None
    # A decimal: the same words on both sides.
    values = {"idempotency_key": key, f"points-{safety}": "12,5", f"points-{living}": "87,5"}
    live = soup(phone.post(preview, data=values, headers={"HX-Request": "true"}).text)
    assert "'12,5' is geen heel aantal punten" in live.select_one("#tally-text").get_text()  # type: ignore[union-attr]
    assert "'12,5' is geen heel aantal punten" in alert(
        phone.post(url, data=values, follow_redirects=False).text
    )
    # -5 / +5 without JavaScript: the server adds up; + never goes past the 100.
    values = {"idempotency_key": key, f"points-{safety}": "60", f"points-{living}": "37"}
    stepped = soup(phone.post(preview, data={**values, "step": f"{youth}:+"}).text)
    assert stepped.select_one(f"#points-{youth}")["value"] == "3"  # type: ignore[index]
    assert "Alle 100 punten zijn verdeeld" in stepped.select_one("#tally-text").get_text()  # type: ignore[union-attr]
    down = soup(phone.post(preview, data={**values, "step": f"{safety}:-"}).text)
    assert down.select_one(f"#points-{safety}")["value"] == "55"  # type: ignore[index]
    # The send button says what is still missing.
    assert "nog 8 punten te verdelen" in down.select_one("button.send").get_text()  # type: ignore[union-attr]
    assert len(down.select(f"button[name=step][value='{safety}:-']")) == 1
    # htmx sends the last button clicked along with each tally: vote.js has already applied it.
    live = soup(
        phone.post(
            preview,
            data={**values, f"points-{youth}": "3", "step": f"{youth}:+"},
            headers={"HX-Request": "true"},
        ).text
    )
    assert "Alle 100 punten zijn verdeeld" in live.select_one("#tally-text").get_text()  # type: ignore[union-attr]


def test_kiezen_marks_what_no_longer_fits_also_without_javascript(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    floreshuis, streets = n.measure("floreshuis"), n.measure("herinrichting-straten")
    mediation = n.measure("buurtbemiddeling")
    preview = f"/m/{n.meeting_id}/rounds/{round_id}/preview"
    # Floreshuis leaves 240,000: the streets (487,000) no longer fit, mediation (80,000) does.
    page = soup(
        phone.post(preview, data={"idempotency_key": key, "measure": [str(floreshuis.id)]}).text
    )
    streets_mark = page.select_one(f"#fit-{streets.id}")
    assert streets_mark is not None
    assert streets_mark.get_text() == "past niet meer (€\u00a0247.000 te kort)"
    assert page.select_one(f"#fit-{mediation.id}").get_text() == ""  # type: ignore[union-attr]
    assert page.select_one(f"#fit-{floreshuis.id}").get_text() == ""  # type: ignore[union-attr]
    # Over the budget: the bar turns (class over) and the text says how much.
    both = {"idempotency_key": key, "measure": [str(floreshuis.id), str(streets.id)]}
    live = soup(phone.post(preview, data=both, headers={"HX-Request": "true"}).text)
    assert live.select_one("svg.meter.over") is not None
    assert "€\u00a0247.000 te veel" in live.select_one("button.send").get_text()  # type: ignore[union-attr]
    # Over the budget nothing more is marked: the bar and its text say what to do.
    assert live.select_one(f"#fit-{mediation.id}[hx-swap-oob]").get_text() == ""  # type: ignore[union-attr]
    # With htmx the marks come along with the tally.
    one = {"idempotency_key": key, "measure": [str(floreshuis.id)]}
    live = soup(phone.post(preview, data=one, headers={"HX-Request": "true"}).text)
    assert live.select_one(f"#fit-{streets.id}[hx-swap-oob]").get_text() == (  # type: ignore[union-attr]
        "past niet meer (€\u00a0247.000 te kort)"
    )


def test_a_form_left_open_hears_that_the_round_closed_and_what_that_means(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    voted, not_voted = resident(session, korrewegwijk), resident(session, korrewegwijk)
    page = soup(voted.get(f"/m/{n.meeting_id}").text)
    poll = page.select_one("#round-state[data-follow][data-then]")
    assert poll is not None
    state_url = str(poll["data-then"])
    assert voted.get(state_url).status_code == 204  # open: nothing to say
    key = form_key(str(page))
    mediation = n.measure("buurtbemiddeling").id
    ballot_url = f"/m/{n.meeting_id}/rounds/{round_id}/ballot"
    assert (
        voted.post(
            ballot_url,
            data={"idempotency_key": key, "measure": [str(mediation)]},
            follow_redirects=False,
        ).status_code
        == 303
    )
    not_voted.get(f"/m/{n.meeting_id}")
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    mine = voted.get(state_url, headers={"HX-Request": "true"})
    assert mine.status_code == 200
    said = alert(mine.text)
    assert "De gespreksleider heeft deze ronde gesloten (Kiezen)." in said
    assert re.search(r"Uw eerdere stem \(van \d\d:\d\d\) telt\.", said)
    theirs = alert(not_voted.get(state_url, headers={"HX-Request": "true"}).text)
    assert "U had in deze ronde nog niet gestemd." in theirs
    # The late submit says the same, to each.
    late = not_voted.post(
        ballot_url,
        data={"idempotency_key": "late", "measure": [str(mediation)]},
        follow_redirects=False,
    )
    assert late.status_code == 409
    assert "U had in deze ronde nog niet gestemd." in alert(late.text)
    assert "te laat" not in alert(late.text)


def _sieve(phone: TestClient, n: Any, round_id: int, scores: dict[str, int]) -> None:
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    for key, score in scores.items():
        measure = n.measure(key)
        for effect_id in measure.effect_ids:
            values[f"score-{measure.id}-{effect_id}"] = str(score)
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_a_rerun_marks_the_discussed_measures_and_kiezen_shows_the_places(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    zeven = n.round_id(RoundKind.ZEVEN)
    _open(client, zeven)
    ann, bob = resident(session, korrewegwijk), resident(session, korrewegwijk)
    # They disagree on buurtbemiddeling and drainage, and agree on wip.
    _sieve(ann, n, zeven, {"buurtbemiddeling": 0, "drainage-vensterpark": 3, "wip": 2})
    _sieve(bob, n, zeven, {"buurtbemiddeling": 3, "drainage-vensterpark": 0, "wip": 2})
    client.post(f"/console/rounds/{zeven}/close", data={"confirm": "1"})
    rerun = run_again(client, session, n, RoundKind.ZEVEN)
    _open(client, rerun)
    page = soup(ann.get(f"/m/{n.meeting_id}").text)
    marked = {
        str(p.find_parent("article")["data-measure"])  # type: ignore[index]
        for p in page.select("p.discussed")
    }
    assert str(n.measure("buurtbemiddeling").id) in marked
    assert str(n.measure("drainage-vensterpark").id) in marked
    assert str(n.measure("wip").id) not in marked
    # Ann's answers of the first run are filled in.
    wip = n.measure("wip")
    assert page.select_one(f"input[name=score-{wip.id}-{wip.effect_ids[0]}][value='2'][checked]")
    client.post(f"/console/rounds/{rerun}/close", data={"confirm": "1"})
    kiezen = n.round_id(RoundKind.KIEZEN)
    _open(client, kiezen)
    rows = soup(ann.get(f"/m/{n.meeting_id}").text)
    wip_row = rows.select_one(f"label.pick:has(input[value='{wip.id}']) .pick-rank")
    assert wip_row is not None
    assert re.fullmatch(r"Plaats \d+ bij Zeven", wip_row.get_text())


def test_the_receipt_is_found_on_the_outcome_page_once_published(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    _open(client, round_id)
    phone = resident(session, korrewegwijk)
    key = form_key(phone.get(f"/m/{n.meeting_id}").text)
    phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot",
        data={"idempotency_key": key, "measure": [str(n.measure("wip").id)]},
    )
    receipt_page = soup(phone.get(f"/m/{n.meeting_id}").text)
    code = receipt_page.select_one(".receipt-code").get_text()  # type: ignore[union-attr]
    assert "Waar is dit bewijs voor?" in receipt_page.select_one(".receipt-help").get_text()  # type: ignore[union-attr]
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    outcome_url = f"/m/{n.meeting_id}/rounds/{round_id}/outcome"
    before = soup(phone.get(outcome_url).text).select_one(".my-receipt")
    assert before is not None
    assert code in before.get_text()
    assert "kan de lijst met alle bewijzen" in before.get_text()
    client.post(f"/console/rounds/{round_id}/receipts")
    after = soup(phone.get(outcome_url).text).select_one(".my-receipt")
    assert after is not None
    assert "Uw bewijs staat op de lijst van deze ronde (1 bewijs): uw stem is geteld." in (
        " ".join(after.get_text().split())
    )
    # Someone else's phone, which did not vote, sees no receipt.
    other = resident(session, korrewegwijk)
    assert soup(other.get(outcome_url).text).select_one(".my-receipt") is None
