"""The facilitator's console: meetings, rounds, live turnout, paper ballots, outcomes, projector."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import segno
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.main import app
from app.models import AuditEvent, Ballot, Meeting, Process, Round
from app.services import meetings as meetings_service
from tests.routes.meeting_night import (
    Night,
    alert,
    ballots_in,
    card,
    facilitator,
    form_key,
    log_in,
    night,
    resident,
    soup,
)


def test_a_facilitator_creates_a_meeting_with_the_three_rounds(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    user = facilitator(session, korrewegwijk)
    log_in(client, user.email)
    home = soup(client.get("/console").text)
    form = home.select_one(f"form[action='/console/processes/{korrewegwijk}/meetings']")
    assert form is not None
    refused = client.post(
        f"/console/processes/{korrewegwijk}/meetings", data={"title": "  ", "with_rounds": "1"}
    )
    assert refused.status_code == 422
    assert "naam" in alert(refused.text)
    created = client.post(
        f"/console/processes/{korrewegwijk}/meetings",
        data={"title": "Wijkavond", "location": "Floreshuis", "with_rounds": "1"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    meeting = session.exec(select(Meeting)).one()
    assert created.headers["location"] == f"/console/meetings/{meeting.id}"
    page = soup(client.get(created.headers["location"]).text)
    rows = page.select("table.rounds tbody tr")
    assert [r.select_one("th").get_text(strip=True) for r in rows] == ["Wegen", "Zeven", "Kiezen"]  # type: ignore[union-attr]
    assert all(r.select_one("form[action$='/open']") for r in rows)
    # A wijkteam member sees every process; the facilitator only their own (tested below).
    assert page.select_one(f"a[href='/console/meetings/{meeting.id}/screen']") is not None


def test_opening_and_closing_with_live_turnout(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/open")
    process = session.get(Process, korrewegwijk)
    assert process is not None
    assert process.frozen_at is not None
    page = soup(client.get(f"/console/meetings/{n.meeting_id}").text)
    live = page.select_one(f"td[hx-get='/console/rounds/{round_id}/turnout']")
    assert live is not None
    assert live["hx-trigger"] == "every 1s"
    assert "0 stemmen" in live.get_text()
    phone = resident(session, korrewegwijk)
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    values.update({f"points-{e}": "0" for e in n.effect_ids()})
    values[f"points-{n.effect_ids()[0]}"] = "100"
    phone.post(f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values)
    turnout = client.get(f"/console/rounds/{round_id}/turnout", headers={"HX-Request": "true"})
    assert "1 stem" in soup(turnout.text).select_one(".turnout-count").get_text()  # type: ignore[union-attr]
    closed = client.post(
        f"/console/rounds/{round_id}/close", data={"confirm": "1"}, follow_redirects=False
    )
    assert closed.headers["location"] == f"/console/rounds/{round_id}"
    assert session.get(Round, round_id).state == RoundState.CLOSED  # type: ignore[union-attr]
    assert (
        client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"}).status_code == 200
    )  # twice: harmless
    reopened = client.post(f"/console/rounds/{round_id}/open")
    assert reopened.status_code == 409


def _vote_wegen(phone: TestClient, n: Night, points: list[int]) -> None:
    round_id = n.round_id(RoundKind.WEGEN)
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    values.update({f"points-{e}": str(p) for e, p in zip(n.effect_ids(), points, strict=True)})
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_a_paper_ballot_counts_exactly_like_a_phone_ballot(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/open")
    _vote_wegen(resident(session, korrewegwijk), n, [80, 20, 0])
    issued = card(session, korrewegwijk)
    form = client.get(f"/console/rounds/{round_id}/paper")
    page = soup(form.text)
    assert page.select_one("input[name=code]") is not None
    assert len(page.select("input[name^=points-]")) == 3
    values = {
        "idempotency_key": form_key(form.text),
        "code": issued.code.lower(),
        "group": "bewoner",
    }
    values.update({f"points-{e}": "0" for e in n.effect_ids()})
    values[f"points-{n.effect_ids()[1]}"] = "100"
    counted = client.post(f"/console/rounds/{round_id}/paper", data=values, follow_redirects=False)
    assert counted.status_code == 303
    notice = soup(client.get(counted.headers["location"]).text).select_one(".notice")
    assert notice is not None
    assert "Geteld" in notice.get_text()
    # The same form sent again (a double click) does not count twice.
    client.post(f"/console/rounds/{round_id}/paper", data=values)
    assert ballots_in(session, round_id) == 2
    paper = session.exec(select(Ballot).where(Ballot.channel == BallotChannel.PAPER)).one()
    assert paper.entered_by_id == n.facilitator.id
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    outcome = soup(client.get(f"/console/rounds/{round_id}").text)
    weights = {
        row.select_one("th").get_text(strip=True): row.select_one("td.weight strong").get_text()  # type: ignore[union-attr]
        for row in outcome.select("table.outcome-table tbody tr")
    }
    # (80 + 0) / 2 = 40 and (20 + 100) / 2 = 60: the paper ballot weighs like the phone one.
    assert weights == {"Leefomgeving": "60,0%", "Veiligheid": "40,0%", "Jongeren": "0,0%"}
    assert "1 met de telefoon, 1 op papier" in outcome.select_one(".turnout-line").get_text()  # type: ignore[union-attr]


def test_a_paper_ballot_is_refused_clearly(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.KIEZEN)
    client.post(f"/console/rounds/{round_id}/open")
    form = client.get(f"/console/rounds/{round_id}/paper")
    values = {"idempotency_key": form_key(form.text), "code": "nonsense"}
    values["measure"] = str(n.measure("floreshuis").id)
    refused = client.post(f"/console/rounds/{round_id}/paper", data=values)
    assert refused.status_code == 422
    assert "code" in alert(refused.text)
    assert ballots_in(session, round_id) == 0


def _score(phone: TestClient, n: Night, round_id: int, scores: dict[str, int]) -> None:
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text)}
    for key, score in scores.items():
        measure = n.measure(key)
        for effect_id in measure.effect_ids:
            values[f"score-{measure.id}-{effect_id}"] = str(score)
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _choose(phone: TestClient, n: Night, round_id: int, keys: list[str]) -> None:
    values = {
        "idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text),
        "measure": [str(n.measure(k).id) for k in keys],
    }
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{round_id}/ballot", data=values, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_the_outcomes_of_the_three_rounds_and_what_moved(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    ann = resident(session, korrewegwijk, StakeholderGroup.BEWONER)
    bob = resident(session, korrewegwijk, StakeholderGroup.STUDENT)
    client.post(f"/console/rounds/{n.round_id(RoundKind.WEGEN)}/open")
    _vote_wegen(ann, n, [100, 0, 0])
    _vote_wegen(bob, n, [0, 100, 0])
    client.post(f"/console/rounds/{n.round_id(RoundKind.WEGEN)}/close", data={"confirm": "1"})

    zeven = n.round_id(RoundKind.ZEVEN)
    client.post(f"/console/rounds/{zeven}/open")
    # Ann weighs only safety, Bob only living: buurtbemiddeling (safety) splits them.
    _score(ann, n, zeven, {"buurtbemiddeling": 3, "drainage-vensterpark": 1})
    _score(bob, n, zeven, {"buurtbemiddeling": 0, "drainage-vensterpark": 3})
    client.post(f"/console/rounds/{zeven}/close", data={"confirm": "1"})
    page = soup(client.get(f"/console/rounds/{zeven}").text)
    ranking = [
        [c.get_text(strip=True) for c in row.select("td, th")][:3]
        for row in page.select("table.outcome-table tbody tr")
    ]
    # V: drainage (0*1 + 1*3) / 2 = 1.5 and buurtbemiddeling (1*3 + 0*0) / 2 = 1.5; on a tie the
    # cheaper one first (60.000 < 80.000). Both split the two completely: both are to discuss.
    assert ranking[:2] == [
        ["1", "Drainage Vensterparkbespreken", "1,50"],
        ["2", "Buurtbemiddelingbespreken", "1,50"],
    ]
    discussion = [li.select_one("strong").get_text() for li in page.select(".discussion li")]  # type: ignore[union-attr]
    assert sorted(discussion) == ["Buurtbemiddeling", "Drainage Vensterpark"]

    # Run Zeven again after the discussion: now Bob agrees that buurtbemiddeling matters.
    again = client.post(
        f"/console/rounds/{zeven}/again", data={"confirm": "1"}, follow_redirects=False
    )
    assert again.status_code == 303
    rerun = session.exec(select(Round).where(Round.kind == RoundKind.ZEVEN, Round.run == 2)).one()
    assert rerun.id is not None
    client.post(f"/console/rounds/{rerun.id}/open")
    _score(ann, n, rerun.id, {"buurtbemiddeling": 3, "drainage-vensterpark": 0})
    _score(bob, n, rerun.id, {"buurtbemiddeling": 3, "drainage-vensterpark": 1})
    client.post(f"/console/rounds/{rerun.id}/close", data={"confirm": "1"})
    moved = soup(client.get(f"/console/rounds/{rerun.id}").text)
    head = [th.get_text(strip=True) for th in moved.select("table.outcome-table thead th")]
    assert "Sinds Zeven" in head
    first = moved.select("table.outcome-table tbody tr")[0]
    assert "Buurtbemiddeling" in first.get_text()
    assert "▲ 1 plaats" in first.get_text()

    kiezen = n.round_id(RoundKind.KIEZEN)
    client.post(f"/console/rounds/{kiezen}/open")
    _choose(ann, n, kiezen, ["floreshuis", "buurtbemiddeling"])
    _choose(bob, n, kiezen, ["herinrichting-straten", "buurtbemiddeling", "geluidsoverlast"])
    client.post(f"/console/rounds/{kiezen}/close", data={"confirm": "1"})
    choices = soup(client.get(f"/console/rounds/{kiezen}").text)
    # A measure where the bewonersplan differs from what fits is marked ≠ (the reasons below it).
    rows = {
        row.select_one("th").get_text(strip=True).removeprefix("≠"): (  # type: ignore[union-attr]
            row.select("td")[0].get_text(strip=True),
            row.select("td")[2].get_text(strip=True),
        )
        for row in choices.select("table.outcome-table tbody tr")
    }
    # Most chosen first: buurtbemiddeling (2), then by cost: geluidsoverlast (regular, 0),
    # herinrichting straten 487.000 fits (567.000), floreshuis 760.000 no longer does.
    assert rows["Buurtbemiddeling"] == ("2 van 2", "✓ ja")
    assert rows["Hogere prioriteit geluidsoverlast"] == ("1 van 2", "✓ ja")
    assert rows["Herinrichting/fundering straten"] == ("1 van 2", "✓ ja")
    assert rows["Herontwikkeling Floreshuis"] == ("1 van 2", "nee")
    summary = choices.select_one(".fits-summary")
    assert summary is not None
    assert "€\u00a0567.000 van €\u00a01.000.000" in summary.get_text()


def test_the_projector_shows_the_qr_code_of_the_join_address_then_the_outcome(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    before = soup(client.get(f"/console/meetings/{n.meeting_id}/screen").text)
    address = meetings_service.join_address(n.meeting_id)
    svg = before.select_one(".screen-qr svg")
    assert svg is not None
    expected = segno.make(address, error="m").svg_inline(scale=1, border=2, omitsize=True)
    assert re.search(r' d="([^"]+)"', expected).group(1) == svg.select_one("path")["d"]  # type: ignore[union-attr,index]
    assert before.select_one(".screen-address").get_text() == meetings_service.short_address(  # type: ignore[union-attr]
        n.meeting_id
    )
    round_id = n.round_id(RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/open")
    live = soup(client.get(f"/console/meetings/{n.meeting_id}/screen").text)
    assert live.select_one(f".screen-turnout[hx-get^='/console/rounds/{round_id}/turnout']")
    assert live.select_one(".screen-table") is None  # hidden while open
    _vote_wegen(resident(session, korrewegwijk), n, [50, 25, 25])
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    after = soup(client.get(f"/console/meetings/{n.meeting_id}/screen").text)
    assert after.select_one("table.screen-table") is not None
    assert after.select_one(".screen-qr") is None


def test_every_facilitator_action_is_in_the_audit_log(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/codes", data={"required": "0"})
    client.post(f"/console/rounds/{round_id}/open")
    client.post(f"/console/rounds/{round_id}/visibility", data={"visible": "1"})
    client.post(f"/console/rounds/{round_id}/close", data={"confirm": "1"})
    client.post(f"/console/rounds/{round_id}/again", data={"confirm": "1"})
    actions = [
        e.action
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.user_id == n.facilitator.id)
        ).all()
    ]
    for action in (
        "meeting.created",
        "round.added",
        "round.codes_not_required",
        "round.opened",
        "round.results_shown",
        "round.closed",
    ):
        assert action in actions
    assert actions.count("round.added") == 4


def test_a_facilitator_of_another_process_gets_404_on_every_meeting_and_round_route(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    round_id = n.round_id(RoundKind.WEGEN)
    client.post(f"/console/rounds/{round_id}/open")
    stranger = facilitator(session, None, "other@example.org")
    other = TestClient(app, base_url="http://testserver")
    log_in(other, stranger.email)
    m, r = n.meeting_id, round_id
    gets = [
        f"/console/meetings/{m}",
        f"/console/meetings/{m}/screen",
        f"/console/rounds/{r}",
        f"/console/rounds/{r}/turnout",
        f"/console/rounds/{r}/paper",
        f"/console/rounds/{r}/close",
        f"/console/rounds/{r}/reopen",
        f"/console/rounds/{r}/again",
        f"/console/meetings/{m}/address-check",
        f"/console/meetings/{m}/preflight",
    ]
    posts = [
        (f"/console/processes/{korrewegwijk}/meetings", {"title": "x", "with_rounds": "1"}),
        (f"/console/meetings/{m}/rounds", {"kind": "wegen"}),
        (f"/console/rounds/{r}/open", {}),
        (f"/console/rounds/{r}/close", {"confirm": "1"}),
        (f"/console/rounds/{r}/reopen", {"confirm": "1"}),
        (f"/console/rounds/{r}/again", {"confirm": "1"}),
        (f"/console/rounds/{r}/paper/undo", {}),
        (f"/console/rounds/{r}/visibility", {"visible": "1"}),
        (f"/console/rounds/{r}/codes", {"required": "0"}),
        (f"/console/rounds/{r}/paper", {"code": card(session, korrewegwijk).code}),
        (f"/console/rounds/{r}/paper/preview", {}),
    ]
    api_posts = [
        (f"/api/processes/{korrewegwijk}/meetings", {"title": "x"}),
        (f"/api/meetings/{m}/rounds", {"kind": "zeven"}),
        (f"/api/rounds/{r}/open", {}),
        (f"/api/rounds/{r}/close", {}),
        (f"/api/rounds/{r}/reopen", {}),
        (f"/api/rounds/{r}/paper-ballots/undo", {}),
        (
            f"/api/rounds/{r}/paper-ballots",
            {"code": card(session, korrewegwijk).code, "idempotency_key": "k", "points": {}},
        ),
    ]
    for url in gets:
        assert other.get(url).status_code == 404, url
    for url, data in posts:
        assert other.post(url, data=data).status_code == 404, url
    for url, body in api_posts:
        response = other.post(url, json=body)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    # Nothing changed.
    assert session.get(Round, r).state == RoundState.OPEN  # type: ignore[union-attr]
    assert ballots_in(session, r) == 0
    assert len(session.exec(select(Meeting)).all()) == 1
    # Without a login, the console sends people to the login page.
    anonymous = TestClient(app, base_url="http://testserver")
    assert anonymous.get(f"/console/meetings/{m}", follow_redirects=False).status_code == 303


def test_the_start_time_is_read_as_dutch_time(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    user = facilitator(session, korrewegwijk)
    log_in(client, user.email)
    refused = client.post(
        f"/console/processes/{korrewegwijk}/meetings",
        data={"title": "Avond", "starts_at": "morgen"},
    )
    assert refused.status_code == 422
    assert "morgen" in alert(refused.text)
    client.post(
        f"/console/processes/{korrewegwijk}/meetings",
        data={"title": "Avond", "starts_at": "2026-03-12T19:30"},
    )
    meeting = session.exec(select(Meeting)).one()
    assert meeting.starts_at is not None
    # 19:30 in Groningen in March (CET) is 18:30 UTC.
    assert meeting.starts_at.replace(tzinfo=None) == datetime(2026, 3, 12, 18, 30) or (
        meeting.starts_at.astimezone(UTC).replace(tzinfo=None) == datetime(2026, 3, 12, 18, 30)
    )
    page = soup(client.get("/console").text)
    assert "12-03-2026 19:30" in page.get_text()


def test_every_console_page_has_the_staff_navigation(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    wegen = n.round_id(RoundKind.WEGEN)
    for path in (
        "/console",
        f"/console/meetings/{n.meeting_id}",
        f"/console/meetings/{n.meeting_id}/preflight",
        f"/console/rounds/{wegen}",
    ):
        nav = soup(client.get(path).text).select_one("nav.ws-nav")
        assert nav is not None, path
        links = {a["href"] for a in nav.select("a")}
        assert {"/console", "/account/password"} <= links, path
        assert nav.select_one("form[action='/logout']") is not None, path
