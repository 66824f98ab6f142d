"""The wijkteam's pages as plain HTML forms: errors beside fields in Dutch, freezing, cards, log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.domain.vocabulary import Role, RoundKind
from app.exports import cards as cards_export
from app.main import app
from app.models import (
    AuditEvent,
    Effect,
    Indicator,
    IndicatorTarget,
    Measure,
    MeasureEffect,
    Meeting,
    ParticipantCode,
    Process,
    ProcessFacilitator,
    Round,
    User,
    utcnow,
)
from app.routes.workspace import EffectForm
from app.services import codes as codes_service
from app.services import editor
from app.services import users as users_service

PASSWORD = "correct horse battery"


def _page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def wijkteam(client: TestClient, session: Session) -> TestClient:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    _log_in(client, "w@example.org")
    return client


def _field_error(page: BeautifulSoup, name: str) -> str:
    """The error shown beside a field: inside the field's own block, tied to the input."""
    control = page.select_one(f"#f-{name}")
    assert control is not None, name
    block = control.find_parent(class_="field")
    assert block is not None
    error = block.select_one(".field-error")
    assert error is not None, f"no error beside {name}"
    assert control.get("aria-invalid") == "true"
    assert str(error["id"]) in str(control.get("aria-describedby", ""))
    return error.get_text(" ", strip=True)


def _freeze(session: Session, process_id: int) -> None:
    meeting = Meeting(process_id=process_id, title="Bewonersavond")
    session.add(meeting)
    session.flush()
    session.add(Round(meeting_id=meeting.id or 0, kind=RoundKind.WEGEN, opened_at=utcnow()))
    session.flush()


def test_a_new_process_form_shows_each_error_beside_its_field_in_dutch(
    wijkteam: TestClient, session: Session
) -> None:
    response = wijkteam.post(
        "/wijkteam/processes/new",
        data={"neighbourhood": "", "municipality": "Groningen", "title": "x" * 201,
              "budget_eur": "1.000,50", "cost_horizon": "years_4"},
    )  # fmt: skip
    assert response.status_code == 422
    page = _page(response.text)
    assert _field_error(page, "neighbourhood") == "Fout: Vul dit in."
    assert "201 tekens" in _field_error(page, "title")
    assert "geen heel aantal euro's" in _field_error(page, "budget_eur")
    summary = page.select_one(".error.summary")
    assert summary is not None
    assert len(summary.select("li a")) == 3
    # What was typed stays in the form.
    municipality = page.select_one("#f-municipality")
    assert municipality is not None
    assert municipality["value"] == "Groningen"
    assert session.exec(select(Process)).all() == []


def test_a_process_with_effects_indicators_and_measures_is_built_in_the_browser(
    wijkteam: TestClient, session: Session
) -> None:
    response = wijkteam.post(
        "/wijkteam/processes/new",
        data={"neighbourhood": "Oosterparkwijk", "municipality": "Groningen",
              "title": "Bewonersbudget Oosterpark", "budget_eur": "€ 300.000",
              "cost_horizon": "years_10", "budget_note": "Gemeente"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    process = session.exec(select(Process)).one()
    assert (process.budget_eur, process.cost_horizon) == (300_000, "years_10")
    base = f"/wijkteam/processes/{process.id}"
    wijkteam.post(f"{base}/effects/new", data={"title": "Groen en schoon"})
    wijkteam.post(f"{base}/effects/new", data={"title": "Meer bomen", "parent": "groen-en-schoon"})
    effect = session.exec(select(Effect).where(Effect.key == "groen-en-schoon")).one()
    sub = session.exec(select(Effect).where(Effect.key == "meer-bomen")).one()
    assert sub.parent_id == effect.id
    # An indicator with targets; a bad target is named beside its own field.
    bad = wijkteam.post(
        f"{base}/effects/{effect.id}/indicators/new",
        data={"name": "Cijfer woonomgeving", "effect": "groen-en-schoon", "unit": "grade",
              "baseline_year": "2025", "baseline": "6,5",
              "target_year": ["2028", "2030"], "target_value": ["7,1", "7,25,"]},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "geen getal" in _field_error(_page(bad.text), "target_value_1")
    good = wijkteam.post(
        f"{base}/effects/{effect.id}/indicators/new",
        data={"name": "Cijfer woonomgeving", "effect": "groen-en-schoon", "unit": "grade",
              "lower_is_better": "", "baseline_year": "2025", "baseline": "6,5", "city": "7,4",
              "target_year": ["2030", "2028", ""], "target_value": ["7,25", "7,1", ""]},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    indicator = session.exec(select(Indicator)).one()
    targets = session.exec(select(IndicatorTarget).order_by(IndicatorTarget.year)).all()  # type: ignore[arg-type]
    assert [(t.year, str(t.value)) for t in targets] == [(2028, "7.10"), (2030, "7.25")]
    assert str(indicator.baseline_value) == "6.50"
    # A measure with all its fields and its links to effects.
    response = wijkteam.post(
        f"{base}/measures/new",
        data={"title": "Bankjes op het plein", "group": "groen-en-schoon",
              "effects": ["groen-en-schoon", "meer-bomen"], "cost_year_1": "5000",
              "cost_years_4": "20.000", "cost_years_10": "40.000,-", "regular": "",
              "organisation": "Gemeente", "description": "Vijf bankjes.",
              "plain_explanation": "Er komen vijf bankjes op het plein."},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    measure = session.exec(select(Measure)).one()
    assert measure.plain_explanation == "Er komen vijf bankjes op het plein."
    assert (measure.cost_year_1, measure.cost_years_4, measure.cost_years_10) == (
        5000,
        20000,
        40000,
    )
    links = session.exec(select(MeasureEffect.effect_id)).all()
    assert sorted(links) == sorted([effect.id or 0, sub.id or 0])
    # The process page lists it all, and the public menu too.
    page = _page(wijkteam.get(base).text)
    assert page.select_one(f"#measure-{measure.id} .row-title").get_text() == "Bankjes op het plein"  # type: ignore[union-attr]
    menu = wijkteam.get(f"/api/processes/{process.id}/menu").json()
    assert menu["binding_total"] == 40000
    # Editing keeps what is not changed, and the audit log has every step.
    edit = _page(wijkteam.get(f"{base}/measures/{measure.id}/edit").text)
    assert edit.select_one("#f-cost_years_4")["value"] == "20000"  # type: ignore[index]
    plain = edit.select_one("#f-plain_explanation")
    assert plain is not None
    assert plain.get_text() == "Er komen vijf bankjes op het plein."
    assert {c["value"] for c in edit.select("input[name=effects][checked]")} == {
        "groen-en-schoon",
        "meer-bomen",
    }
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.process_id == process.id))
    assert {"process.created", "effect.created", "indicator.created", "measure.created"} <= set(
        actions
    )


def test_a_measure_form_names_wrong_costs_and_an_unknown_group(
    wijkteam: TestClient, korrewegwijk: int
) -> None:
    response = wijkteam.post(
        f"/wijkteam/processes/{korrewegwijk}/measures/new",
        data={"title": "Buurtbemiddeling", "group": "nergens", "cost_year_1": "-1",
              "cost_years_4": "12,5", "cost_years_10": "veel", "plain_explanation": "x" * 401},
    )  # fmt: skip
    assert response.status_code == 422
    page = _page(response.text)
    assert "negatief" in _field_error(page, "cost_year_1")
    assert "heel aantal" in _field_error(page, "cost_years_4")
    assert "geen bedrag" in _field_error(page, "cost_years_10")
    assert "al gebruikt" in _field_error(page, "key")  # buurtbemiddeling exists
    assert "401 tekens" in _field_error(page, "plain_explanation")
    group = page.select_one("#e-group")
    assert group is not None
    assert "geen gewenst effect" in group.get_text()


def test_an_effect_with_measures_cannot_be_deleted(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    effect = session.exec(select(Effect).where(Effect.key == "veiligheid")).one()
    confirm = _page(
        wijkteam.get(f"/wijkteam/processes/{korrewegwijk}/effects/{effect.id}/delete").text
    )
    assert confirm.select_one("button.danger") is None
    response = wijkteam.post(f"/wijkteam/processes/{korrewegwijk}/effects/{effect.id}/delete")
    assert response.status_code == 422
    assert session.get(Effect, effect.id) is not None
    sub = session.exec(select(Effect).where(Effect.key == "jongeren-werk")).one()
    response = wijkteam.post(
        f"/wijkteam/processes/{korrewegwijk}/effects/{sub.id}/delete", follow_redirects=False
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Effect, sub.id) is None


def test_a_frozen_menu_is_refused_with_an_explanation_until_a_new_version(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    _freeze(session, korrewegwijk)
    measure = session.exec(select(Measure).where(Measure.key == "palaver")).one()
    base = f"/wijkteam/processes/{korrewegwijk}"
    response = wijkteam.post(
        f"{base}/measures/{measure.id}/edit",
        data={"title": "Palaver", "group": "leefomgeving", "cost_years_10": "50000"},
    )
    assert response.status_code == 409
    page = _page(response.text)
    assert "bevroren" in page.get_text() or "ligt vast" in page.get_text()
    assert page.select_one(f"form[action='{base}/versions'] button") is not None
    assert session.get(Measure, measure.id).cost_years_10 == 12_500  # type: ignore[union-attr]
    # The budget is frozen too; the title is not.
    edit = wijkteam.post(
        f"{base}/edit",
        data={"neighbourhood": "Korrewegwijk", "municipality": "Groningen",
              "title": "Collectief bewonersspoor", "budget_eur": "1000000",
              "cost_horizon": "years_4"},
        follow_redirects=False,
    )  # fmt: skip
    assert edit.status_code == 303
    budget = wijkteam.post(
        f"{base}/edit",
        data={"neighbourhood": "Korrewegwijk", "municipality": "Groningen",
              "title": "Collectief bewonersspoor", "budget_eur": "1200000",
              "cost_horizon": "years_4"},
    )  # fmt: skip
    assert budget.status_code == 409
    # The API says the same with a stable code.
    api = wijkteam.put(
        f"/api/processes/{korrewegwijk}/measures/palaver",
        json={"title": "Palaver", "group": "leefomgeving", "cost_years_10": 50000},
    )
    assert api.status_code == 409
    assert api.json()["code"] == "menu_frozen"
    # The process page offers the way out; the new version copies the menu, unfrozen.
    hub = _page(wijkteam.get(base).text)
    assert hub.select_one("#frozen form button") is not None
    assert hub.select_one(f"a[href='{base}/measures/{measure.id}/edit']") is None
    response = wijkteam.post(f"{base}/versions", follow_redirects=False)
    assert response.status_code == 303
    copy = session.exec(select(Process).where(Process.previous_version_id == korrewegwijk)).one()
    assert copy.version == 2
    assert copy.budget_eur == 1_000_000
    assert len(session.exec(select(Measure).where(Measure.process_id == copy.id)).all()) == 22
    new_palaver = session.exec(
        select(Measure).where(Measure.process_id == copy.id, Measure.key == "palaver")
    ).one()
    response = wijkteam.post(
        f"/wijkteam/processes/{copy.id}/measures/{new_palaver.id}/edit",
        data={"title": "Palaver", "group": "leefomgeving", "cost_year_1": "12500",
              "cost_years_4": "50000", "cost_years_10": "125000"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert session.get(Measure, measure.id).cost_years_10 == 12_500  # type: ignore[union-attr]
    # A second new version from the old one is refused: change the newest.
    again = wijkteam.post(f"{base}/versions")
    assert again.status_code == 422


def test_cards_are_issued_as_csv_and_revoked_by_number_or_code(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    base = f"/wijkteam/processes/{korrewegwijk}/codes"
    response = wijkteam.post(
        base,
        data={
            "allow_local": "1",
            "count": "3",
            "stakeholder_group": "student",
            "batch": "Studenten",
            "output": "csv",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["groep"] for r in rows] == ["student"] * 3
    assert all(r["link"].startswith("http://127.0.0.1:8000/j/") for r in rows)
    stored = " ".join(
        f"{c.code_hash} {c.token_hash}" for c in session.exec(select(ParticipantCode))
    )
    assert all(r["code"] not in stored for r in rows)
    # Revoking by number, then by the typed code (any spelling).
    wijkteam.post(f"{base}/revoke", data={"card": rows[0]["kaart"]})
    wijkteam.post(f"{base}/revoke", data={"card": rows[1]["code"].lower().replace("-", " ")})
    assert codes_service.count_used(session, process_id=korrewegwijk) == (1, 0)
    wrong = wijkteam.post(f"{base}/revoke", data={"card": "1234"})
    assert wrong.status_code == 404
    assert "Zo'n kaart is er niet" in _field_error(_page(wrong.text), "card")
    # A batch is revoked only when the box is ticked.
    refused = wijkteam.post(f"{base}/revoke-batch", data={"batch": "Studenten"})
    assert refused.status_code == 422
    wijkteam.post(f"{base}/revoke-batch", data={"batch": "Studenten", "confirm": "1"})
    assert codes_service.count_used(session, process_id=korrewegwijk) == (0, 0)
    page = _page(wijkteam.get(base).text)
    cells = [td.get_text(strip=True) for td in page.select("table.stack tbody td")]
    assert cells[:6] == ["Studenten", "student", cells[2], "3", "0", "3"]


def test_a_count_out_of_range_is_named_beside_the_field(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    response = wijkteam.post(
        f"/wijkteam/processes/{korrewegwijk}/codes",
        data={"allow_local": "1", "count": "0", "output": "csv"},
    )
    assert response.status_code == 422
    assert "tussen 1 en 5000" in _field_error(_page(response.text), "count").lower()
    assert session.exec(select(ParticipantCode)).all() == []


def test_without_weasyprint_the_pdf_option_says_what_is_missing(
    wijkteam: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cards_export, "pdf_unavailable", lambda: "OSError: no libpango-1.0-0")
    base = f"/wijkteam/processes/{korrewegwijk}/codes"
    page = _page(wijkteam.get(base).text)
    pdf = page.select_one("#o-pdf")
    assert pdf is not None
    assert pdf.has_attr("disabled")
    assert "libpango" in page.select_one("fieldset .warn-box").get_text()  # type: ignore[union-attr]
    response = wijkteam.post(base, data={"allow_local": "1", "count": "5", "output": "pdf"})
    assert response.status_code == 422
    assert session.exec(select(ParticipantCode)).all() == []
    # The rest of the workspace works as before.
    assert wijkteam.get(f"/wijkteam/processes/{korrewegwijk}").status_code == 200


def test_accounts_are_made_with_a_one_time_password_shown_once(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    response = wijkteam.post(
        "/wijkteam/users", data={"email": "f@example.org", "name": "Fatima", "role": "facilitator"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = _page(response.text).select_one(".password-once").get_text(strip=True)  # type: ignore[union-attr]
    assert len(password) == 19
    assert password not in wijkteam.get("/wijkteam/users").text
    twice = wijkteam.post("/wijkteam/users", data={"email": "F@example.org", "role": "facilitator"})
    assert twice.status_code == 422
    assert "al een account" in _field_error(_page(twice.text), "email")
    facilitator = users_service.log_in(session, email="f@example.org", password=password, hours=1)[
        0
    ]
    # Assign from the process page; the facilitator then sees that process.
    wijkteam.post(
        f"/wijkteam/processes/{korrewegwijk}/facilitators", data={"user_id": str(facilitator.id)}
    )
    assert session.get(ProcessFacilitator, (korrewegwijk, facilitator.id)) is not None
    other = TestClient(app, base_url="http://testserver")
    _log_in(other, "f@example.org", password)
    landing = _page(other.get("/facilitator").text)
    assert landing.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is not None
    assert landing.select_one(".warn-box a[href='/account/password']") is not None
    # Deactivating ends the facilitator's session at once.
    wijkteam.post(f"/wijkteam/users/{facilitator.id}/deactivate")
    assert other.get("/facilitator", follow_redirects=False).status_code == 303


def test_changing_the_password_logs_out_the_other_sessions(
    wijkteam: TestClient, session: Session
) -> None:
    elsewhere = TestClient(app, base_url="http://testserver")
    _log_in(elsewhere, "w@example.org")
    wrong = wijkteam.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "kort", "confirm_password": "kort"},
    )
    assert wrong.status_code == 422
    page = _page(wrong.text)
    assert "niet uw huidige wachtwoord" in _field_error(page, "current_password")
    assert "minstens 12 tekens" in _field_error(page, "new_password")
    response = wijkteam.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "een veel langer wachtwoord",
              "confirm_password": "een veel langer wachtwoord"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "1 andere sessie is beëindigd" in response.text
    assert wijkteam.get("/wijkteam").status_code == 200
    assert elsewhere.get("/wijkteam", follow_redirects=False).status_code == 303


def test_too_many_failed_logins_say_when_to_try_again(client: TestClient, session: Session) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    for _ in range(5):
        assert (
            client.post("/login", data={"email": "w@example.org", "password": "x"}).status_code
            == 401
        )
        for event in session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")):
            event.at -= timedelta(seconds=30)  # past the slow-down between attempts
        session.commit()
    response = client.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 12 * 60
    alert = _page(response.text).select_one("[role=alert]")
    assert alert is not None
    assert "Probeer het over 13 minuten opnieuw" in alert.get_text()
    api = client.post("/api/login", json={"email": "w@example.org", "password": PASSWORD})
    assert api.status_code == 429
    assert api.json()["code"] == "too_many_attempts"


def test_the_audit_log_is_paged_filtered_and_exported(
    wijkteam: TestClient, session: Session, korrewegwijk: int
) -> None:
    # One effect added on the page, as the wijkteam does; 59 more by the service call that page
    # makes, which writes each one's audit event (60 requests were 3.4 of the test's 3.6 s).
    added = wijkteam.post(
        f"/wijkteam/processes/{korrewegwijk}/effects/new",
        data={"title": "Effect 0"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    user = session.exec(select(User).where(User.email == "w@example.org")).one()
    for i in range(1, 60):
        form = EffectForm(title=f"Effect {i}").model_dump()
        editor.save_effect(session, user=user, process_id=korrewegwijk, data=form)
    page = _page(wijkteam.get(f"/wijkteam/audit?process={korrewegwijk}").text)
    rows = page.select("table.stack tbody tr")
    assert len(rows) == 50
    assert "voegde een effect toe" in rows[0].get_text()
    assert "w@example.org" in rows[0].get_text()
    assert page.select_one(".pager a[href*='page=2']") is not None
    second = _page(wijkteam.get(f"/wijkteam/audit?process={korrewegwijk}&page=2").text)
    assert len(second.select("table.stack tbody tr")) == 10
    logins = _page(wijkteam.get("/wijkteam/audit?action=login").text)
    assert "logde in" in logins.get_text()
    exported = wijkteam.get(f"/wijkteam/audit.csv?process={korrewegwijk}")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 60
    assert {line["actie"] for line in lines} == {"effect.created"}
    assert lines[0]["account"] == "w@example.org"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).first()
