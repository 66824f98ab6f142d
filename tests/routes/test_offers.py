"""Meedoen: residents offer help, see it and withdraw it; the wijkteam sees, exports and deletes.

Offers are personal data and never linked to how anyone voted: the tables share no key, and the
wijkteam's page, export and API hold nothing of any ballot.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app.domain.vocabulary import Role
from app.models import AuditEvent, HelpOffer, Measure, PlanSnapshot, ProcessFacilitator, utcnow
from app.services import offers as offers_service
from app.services import users as users_service
from tests.factories import meeting_night
from tests.routes.meeting_night import alert, card, resident, soup

PASSWORD = "correct horse battery"
BALLOT_SIDE = ("participant", "participant_code", "ballot", "ballot_line", "ballot_submission")


def _wijkteam(client: TestClient, session: Session, role: Role = Role.WIJKTEAM) -> int:
    user, _ = users_service.create_user(
        session, email=f"{role}-offers@example.org", role=role, password=PASSWORD
    )
    response = client.post(
        "/login",
        data={"email": f"{role}-offers@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return user.id or 0


def _measure(session: Session, process_id: int, key: str) -> Measure:
    return session.exec(
        select(Measure).where(Measure.process_id == process_id, Measure.key == key)
    ).one()


def _offer_form(*measure_ids: int, **fields: str) -> dict[str, object]:
    return {
        "measure": [str(m) for m in measure_ids],
        "name": "Anna de Vries",
        "contact_kind": "phone",
        "contact": "06 1234 5678",
        "note": "Ik kan flyers rondbrengen.",
        "consent": "on",
        **fields,
    }


@pytest.fixture
def process_id(session: Session, korrewegwijk: int) -> int:
    meeting_night(session, korrewegwijk, participants=6, paper=0)
    return korrewegwijk


def test_the_offer_tables_share_no_key_with_anything_that_holds_a_vote() -> None:
    tables = SQLModel.metadata.tables
    offer = tables["help_offer"]
    assert {fk.column.table.name for fk in offer.foreign_keys} == {"process", "measure"}
    for name in BALLOT_SIDE:
        assert all(fk.column.table.name != "help_offer" for fk in tables[name].foreign_keys)
    # No column of an offer names a participant, card, device, ballot or round.
    vote_keys = {"participant_id", "code_id", "ballot_id", "round_id", "device_hash"}
    vote_keys |= {"code_hash", "token_hash", "idempotency_key", "receipt"}
    assert not vote_keys & set(offer.columns.keys())


def test_a_holder_is_found_in_no_column_of_the_ballot_side(
    client: TestClient, session: Session, process_id: int
) -> None:
    phone = resident(session, process_id)
    drainage = _measure(session, process_id, "drainage-vensterpark")
    response = phone.post("/meedoen", data=_offer_form(drainage.id or 0), follow_redirects=False)
    assert response.status_code == 303
    session.expire_all()
    [offer] = session.exec(select(HelpOffer)).all()
    connection = session.connection()
    inspector = inspect(connection)
    for name in BALLOT_SIDE:
        table = SQLModel.metadata.tables[name]
        for column in table.columns:
            if isinstance(column.type, String):
                hit = connection.execute(sa_select(column).where(column == offer.holder)).first()
                assert hit is None, f"{name}.{column.name}"
        assert name in inspector.get_table_names()


def test_a_resident_offers_help_with_two_measures_and_withdraws_one(
    client: TestClient, session: Session, process_id: int
) -> None:
    phone = resident(session, process_id)
    drainage = _measure(session, process_id, "drainage-vensterpark")
    palaver = _measure(session, process_id, "palaver")
    page = phone.get("/meedoen")
    assert page.status_code == 200
    consent = soup(page.text).select_one(".consent p")
    assert consent is not None
    assert "Het wijkteam van Korrewegwijk, Groningen ziet uw naam" in consent.get_text()
    assert "nooit gekoppeld aan hoe u hebt gestemd" in consent.get_text()

    made = phone.post(
        "/meedoen", data=_offer_form(drainage.id or 0, palaver.id or 0), follow_redirects=False
    )
    assert made.status_code == 303
    mine = soup(phone.get("/meedoen").text).select("#mine li")
    assert [li.select_one("strong").get_text() for li in mine] == [  # type: ignore[union-attr]
        "Drainage Vensterpark",
        "Palaver",
    ]
    rows = session.exec(select(HelpOffer).order_by(col(HelpOffer.id))).all()
    assert [r.contact for r in rows] == ["06 12345678", "06 12345678"]
    assert rows[0].consent.startswith("Het wijkteam van Korrewegwijk")

    # Another resident sees none of it and cannot withdraw it.
    other = resident(session, process_id)
    assert soup(other.get("/meedoen").text).select("#mine li") == []
    assert other.post(f"/meedoen/{rows[0].id}/withdraw").status_code == 404

    withdrawn = phone.post(f"/meedoen/{rows[1].id}/withdraw", follow_redirects=False)
    assert withdrawn.status_code == 303
    session.expire_all()
    left = session.exec(select(HelpOffer)).all()
    assert [(r.measure_id, r.name) for r in left] == [(drainage.id, "Anna de Vries")]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"contact": "0612345"}, "geen telefoonnummer dat we kunnen bellen"),
        ({"contact_kind": "email", "contact": "anna@voorbeeld"}, "geen e-mailadres"),
        ({"consent": ""}, "vink aan dat u akkoord gaat"),
        ({"name": "  "}, "vul uw naam in"),
        ({"measure": []}, "vink minstens één maatregel aan"),
        ({"note": "x" * 501}, "hoogstens 500 tekens"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_kept(
    client: TestClient, session: Session, process_id: int, fields: dict[str, object], words: str
) -> None:
    phone = resident(session, process_id)
    drainage = _measure(session, process_id, "drainage-vensterpark")
    response = phone.post("/meedoen", data={**_offer_form(drainage.id or 0), **fields})
    assert response.status_code == 422
    assert words in alert(response.text)
    assert session.exec(select(HelpOffer)).first() is None


def test_a_measure_of_another_process_cannot_be_offered(
    client: TestClient, session: Session, process_id: int
) -> None:
    phone = resident(session, process_id)
    response = phone.post("/meedoen", data=_offer_form(10**6))
    assert response.status_code == 422
    assert "staat niet op dit menu" in alert(response.text)


def test_without_a_card_the_page_says_how_to_come_in(client: TestClient, process_id: int) -> None:
    page = client.get("/meedoen")
    assert page.status_code == 200
    assert soup(page.text).select_one("a[href='/join']") is not None
    assert client.post("/meedoen", data=_offer_form(1), follow_redirects=False).status_code == 303


def test_the_wijkteam_sees_exports_marks_and_deletes_without_anything_of_a_ballot(
    client: TestClient, session: Session, process_id: int
) -> None:
    phone = resident(session, process_id)
    drainage = _measure(session, process_id, "drainage-vensterpark")
    phone.post(
        "/meedoen",
        data=_offer_form(drainage.id or 0, name='=HYPERLINK("x")', contact="+44 20 7946 0958"),
    )
    user_id = _wijkteam(client, session)
    page = client.get(f"/wijkteam/processes/{process_id}/offers")
    assert page.status_code == 200
    section = soup(page.text).select_one(f"#measure-{drainage.id}")
    assert section is not None
    assert "1 bewoner wil meehelpen" in section.get_text()
    assert "+44 20 7946 0958" in section.get_text()

    exported = client.get(f"/wijkteam/processes/{process_id}/offers.csv")
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Maatregel",
        "Naam",
        "Bereikbaar via",
        "Telefoon of e-mail",
        "Wat ze zouden kunnen doen",
        "Aangeboden op",
        "Bewaard tot",
        "Benaderd op",
    ]
    assert rows[1][:5] == [
        "Drainage Vensterpark",
        '\'=HYPERLINK("x")',
        "telefoon",
        "'+44 20 7946 0958",
        "Ik kan flyers rondbrengen.",
    ]
    assert len(rows) == 2

    [offer] = session.exec(select(HelpOffer)).all()
    marked = client.post(
        f"/wijkteam/processes/{process_id}/offers/{offer.id}/contacted",
        data={"contacted": "true"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    session.expire_all()
    assert session.get(HelpOffer, offer.id).contacted_at is not None  # type: ignore[union-attr]
    deleted = client.post(
        f"/wijkteam/processes/{process_id}/offers/{offer.id}/delete", follow_redirects=False
    )
    assert deleted.status_code == 303
    session.expire_all()
    assert session.get(HelpOffer, offer.id) is None

    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action).startswith("offer"))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.user_id) for e in events] == [
        ("offer.made", None),
        ("offer.contacted", user_id),
        ("offer.deleted", user_id),
    ]
    logged = " ".join(str(e.detail) + e.object_id for e in events)
    for personal in ("HYPERLINK", "7946", "flyers", "Anna"):
        assert personal not in logged
    made = events[0].at
    assert (made.hour, made.minute, made.second) == (0, 0, 0)  # the day only


def test_the_offers_are_for_the_wijkteam(
    client: TestClient, session: Session, process_id: int
) -> None:
    assert client.get(f"/api/processes/{process_id}/offers").status_code == 401
    user_id = _wijkteam(client, session, Role.FACILITATOR)
    session.add(ProcessFacilitator(process_id=process_id, user_id=user_id))
    session.commit()
    for url in (
        f"/wijkteam/processes/{process_id}/offers",
        f"/wijkteam/processes/{process_id}/offers.csv",
        f"/api/processes/{process_id}/offers",
    ):
        assert client.get(url).status_code == 404, url


def test_the_api_offer_list_and_withdrawal(
    client: TestClient, session: Session, process_id: int
) -> None:
    drainage = _measure(session, process_id, "drainage-vensterpark")
    wip = _measure(session, process_id, "wip")
    body = {
        "measure_ids": [drainage.id, wip.id],
        "name": "Bram",
        "contact_kind": "email",
        "contact": "bram@voorbeeld.nl",
        "note": "",
        "consent": True,
    }
    assert client.post("/api/offers", json=body).status_code == 401

    phone = TestClient(client.app, base_url="http://testserver")
    assert phone.post("/api/join", json={"code": card(session, process_id).code}).status_code == 200
    assert phone.post("/api/offers", json={**body, "consent": False}).status_code == 422
    made = phone.post("/api/offers", json=body)
    assert made.status_code == 201
    offers = made.json()
    assert [o["measure_key"] for o in offers] == ["drainage-vensterpark", "wip"]
    assert offers[0]["kept_until"] == str(offers_service.today() + timedelta(days=730))

    stranger = TestClient(client.app, base_url="http://testserver")
    stranger.post("/api/join", json={"code": card(session, process_id).code})
    assert stranger.delete(f"/api/offers/{offers[0]['id']}").status_code == 404
    assert phone.delete(f"/api/offers/{offers[0]['id']}").status_code == 204

    _wijkteam(client, session)
    listed = client.get(f"/api/processes/{process_id}/offers").json()
    counts = {m["key"]: m["count"] for m in listed}
    assert counts["wip"] == 1
    assert counts["drainage-vensterpark"] == 0
    assert set(listed[0]) == {"measure_id", "key", "title", "count", "offers"}
    assert client.delete(f"/api/offers/{offers[1]['id']}").status_code == 204
    assert session.exec(select(HelpOffer)).first() is None


def test_offers_are_kept_a_year_after_the_plans_adoption_then_purged(
    client: TestClient, session: Session, process_id: int
) -> None:
    phone = resident(session, process_id)
    drainage = _measure(session, process_id, "drainage-vensterpark")
    phone.post("/meedoen", data=_offer_form(drainage.id or 0))
    today = offers_service.today()
    [offer] = session.exec(select(HelpOffer)).all()
    assert offer.keep_until == today + timedelta(days=730)

    # The plan is adopted later: the offer is then kept until a year after that.
    session.add(
        PlanSnapshot(
            process_id=process_id,
            rule="greedy",
            fingerprint="f",
            adopted_at=utcnow(),
        )
    )
    session.flush()
    rule = offers_service.retention(session, process_id=process_id)
    assert offers_service.kept_until(offer, rule) == rule.adopted_on + timedelta(days=365)  # type: ignore[operator]
    assert offers_service.due(session, on=today + timedelta(days=365)) == []
    assert offers_service.due(session, on=today + timedelta(days=366)) == [offer]
    purged = offers_service.purge(session, on=today + timedelta(days=366))
    assert purged == {process_id: 1}
    assert session.exec(select(HelpOffer)).first() is None
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "offers.purged")).all()
    assert event.detail == {"count": 1}


@pytest.mark.parametrize(
    ("adopted_at", "adopted_on"),
    [
        # 23:30 UTC on 3 December is half past midnight on the 4th in Amsterdam (CET, +1).
        (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), date(2026, 12, 4)),
        (datetime(2026, 12, 3, 22, 30, tzinfo=UTC), date(2026, 12, 3)),
        # Summer time (+2): 22:30 UTC on 30 June is already 1 July.
        (datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_the_adoption_day_is_counted_in_the_service_time_zone_as_today_is(
    session: Session, process_id: int, adopted_at: datetime, adopted_on: date
) -> None:
    # The purge compares with `today()` in the service's time zone (Europe/Amsterdam), so the day
    # of adoption must be that zone's too: counted in UTC, a plan adopted in the hour after
    # midnight (two hours in summer) purged the offers a day early (the suite failed between
    # 23:00 and 24:00 UTC).
    session.add(
        PlanSnapshot(process_id=process_id, rule="greedy", fingerprint="f", adopted_at=adopted_at)
    )
    session.flush()
    assert offers_service.retention(session, process_id=process_id).adopted_on == adopted_on


def test_the_projector_shows_after_kiezen_how_many_want_to_help_and_no_names(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    meeting = meeting_night(session, korrewegwijk, participants=6, paper=0)
    wijkatelier = _measure(session, korrewegwijk, "wijkatelier")
    wip = _measure(session, korrewegwijk, "wip")
    for name, chosen in (("Anna", [wijkatelier, wip]), ("Bram", [wijkatelier])):
        phone = resident(session, korrewegwijk)
        response = phone.post(
            "/meedoen",
            data=_offer_form(*[m.id or 0 for m in chosen], name=name),
            follow_redirects=False,
        )
        assert response.status_code == 303
    user_id = _wijkteam(client, session, Role.FACILITATOR)
    session.add(ProcessFacilitator(process_id=korrewegwijk, user_id=user_id))
    session.commit()
    screen = client.get(f"/console/meetings/{meeting.id}/screen")
    assert screen.status_code == 200
    line = soup(screen.text).select_one("p.screen-helpers")
    assert line is not None
    assert line.get_text(" ", strip=True).startswith(
        "2 bewoners willen meehelpen : Wijkatelier (2), WIP (1)."
    )
    for personal in ("Anna", "Bram", "1234"):
        assert personal not in screen.text
