"""The wijkteam's JSON API, as a script uses it: log in, build a process, import, cards, log."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.domain.vocabulary import Role
from app.main import app
from app.models import Measure, Process
from app.routes import workspace_api
from app.services import users as users_service

PASSWORD = "correct horse battery"
MENUS = Path(__file__).resolve().parent.parent / "fixtures" / "menus"
README = Path(__file__).resolve().parent.parent.parent / "README.md"


@pytest.fixture
def script(client: TestClient, session: Session) -> TestClient:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    response = client.post("/api/login", json={"email": "w@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["account"]["role"] == "wijkteam"
    assert "wz_session" in response.cookies
    return client


def test_a_script_logs_in_and_out(client: TestClient, session: Session) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    assert client.get("/api/users").json()["code"] == "login_required"
    wrong = client.post("/api/login", json={"email": "w@example.org", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "login_failed"
    client.post("/api/login", json={"email": "w@example.org", "password": PASSWORD})
    assert client.get("/api/users").status_code == 200
    assert client.post("/api/logout").status_code == 204
    assert client.get("/api/users").status_code == 401


def test_a_process_is_built_through_the_api(script: TestClient, session: Session) -> None:
    response = script.post(
        "/api/processes",
        json={"neighbourhood": "Oosterparkwijk", "municipality": "Groningen",
              "title": "Bewonersbudget", "budget_eur": 300000},
    )  # fmt: skip
    assert response.status_code == 201
    process_id = response.json()["id"]
    assert response.json()["cost_horizon"] == "years_4"
    base = f"/api/processes/{process_id}"
    assert script.put(f"{base}/effects/groen", json={"title": "Groen"}).status_code == 200
    sub = script.put(f"{base}/effects/bomen", json={"title": "Meer bomen", "parent": "groen"})
    assert sub.json()["parent"] == "groen"
    measure = script.put(
        f"{base}/measures/bankjes",
        json={"title": "Bankjes", "group": "groen", "effects": ["groen", "bomen"],
              "cost_year_1": 5000, "cost_years_4": 20000, "cost_years_10": 40000,
              "organisation": "Gemeente"},
    )  # fmt: skip
    assert measure.status_code == 200, measure.text
    assert measure.json()["effects"] == ["groen", "bomen"]
    # PUT again replaces the same measure (by key).
    again = script.put(
        f"{base}/measures/bankjes",
        json={"title": "Bankjes", "group": "groen", "cost_years_4": 25000},
    )
    assert again.json()["id"] == measure.json()["id"]
    assert again.json()["effects"] == ["groen"]
    plain = "Er komen bankjes in het park, waar u even kunt zitten."
    explained = script.put(
        f"{base}/measures/bankjes",
        json={"title": "Bankjes", "group": "groen", "cost_years_4": 25000,
              "plain_explanation": plain},
    )  # fmt: skip
    assert explained.json()["plain_explanation"] == plain
    effect = script.put(
        f"{base}/effects/groen", json={"title": "Groen", "plain_explanation": "Meer groen."}
    )
    assert effect.json()["plain_explanation"] == "Meer groen."
    too_long = script.put(
        f"{base}/measures/bankjes",
        json={"title": "Bankjes", "group": "groen", "plain_explanation": "x" * 401},
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "invalid_input"
    assert "plain_explanation" in too_long.json()["detail"]
    bad = script.put(
        f"{base}/measures/feest", json={"title": "Feest", "group": "nergens", "cost_years_4": 1}
    )
    assert bad.status_code == 422
    assert bad.json() == {
        "detail": "group: 'nergens' is not a desired effect of this process.",
        "code": "invalid_input",
    }
    patched = script.patch(base, json={"budget_eur": 350000, "title": "Bewonersbudget 2026"})
    assert patched.json()["budget_eur"] == 350000
    assert patched.json()["neighbourhood"] == "Oosterparkwijk"
    menu = script.get(f"{base}/menu").json()
    assert menu["binding_total"] == 25000
    assert menu["effects"][0]["plain_explanation"] == "Meer groen."
    assert menu["effects"][0]["measures"][0]["plain_explanation"] == plain
    assert script.delete(f"{base}/measures/bankjes").status_code == 204
    assert script.delete(f"{base}/measures/bankjes").status_code == 404
    assert session.exec(select(Measure).where(Measure.process_id == process_id)).all() == []


def test_a_menu_file_is_imported_and_exported(script: TestClient, session: Session) -> None:
    refused = script.post(
        "/api/processes/import",
        files={"file": ("m.csv", (MENUS / "many-mistakes.xlsx").read_bytes())},
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "invalid_menu_file"
    assert [(p["row"], p["column"]) for p in body["problems"]][:2] == [
        (4, None),
        (4, "kosten_jaar_1"),
    ]
    checked = script.post(
        "/api/processes/import?dry_run=true",
        files={"file": ("good.csv", (MENUS / "good.csv").read_bytes())},
    )
    assert checked.status_code == 200
    assert checked.json()["written"] is False
    assert session.exec(select(Process)).all() == []
    imported = script.post(
        "/api/processes/import", files={"file": ("good.csv", (MENUS / "good.csv").read_bytes())}
    )
    assert imported.status_code == 201, imported.text
    process_id = imported.json()["process_id"]
    assert any("semicolon" in note for note in imported.json()["notes"])
    for file_format in ("csv", "xlsx", "yaml", "json"):
        exported = script.get(f"/api/processes/{process_id}/menu/file?format={file_format}")
        assert exported.status_code == 200
        replaced = script.put(
            f"/api/processes/{process_id}/menu",
            files={"file": (f"menu.{file_format}", exported.content)},
        )
        assert replaced.status_code == 200, replaced.text
        assert (replaced.json()["created"], replaced.json()["updated"]) == (0, 0), file_format
    template = script.get("/api/menu-template?format=xlsx")
    assert template.content[:2] == b"PK"


def test_cards_are_issued_as_csv_counted_and_revoked(script: TestClient, korrewegwijk: int) -> None:
    response = script.post(
        f"/api/processes/{korrewegwijk}/codes",
        json={
            "allow_local": True,
            "count": 4,
            "stakeholder_group": "ondernemer",
            "batch": "Winkeliers",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 4
    assert all(
        re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", r["code"]) for r in rows
    )
    summary = script.get(f"/api/processes/{korrewegwijk}/codes").json()
    assert summary["live"] == 4
    assert summary["batches"][0]["stakeholder_group"] == "ondernemer"
    revoked = script.post(f"/api/codes/{rows[0]['kaart']}/revoke")
    assert revoked.json()["revoked"] is True
    assert script.get(f"/api/processes/{korrewegwijk}/codes").json()["live"] == 3
    too_many = script.post(
        f"/api/processes/{korrewegwijk}/codes", json={"allow_local": True, "count": 5001}
    )
    assert too_many.status_code == 422
    pdf = script.post(
        f"/api/processes/{korrewegwijk}/codes",
        json={"allow_local": True, "count": 2, "format": "pdf"},
    )
    assert pdf.content.startswith(b"%PDF")


def test_accounts_and_the_audit_log_through_the_api(script: TestClient, korrewegwijk: int) -> None:
    created = script.post("/api/users", json={"email": "f@example.org", "name": "Fatima"})
    assert created.status_code == 201
    account = created.json()["account"]
    assert account["role"] == "facilitator"
    assert len(created.json()["password"]) == 19
    facilitator = account["id"]
    put = script.put(f"/api/processes/{korrewegwijk}/facilitators/{facilitator}")
    assert put.status_code == 204
    listed = {a["email"]: a for a in script.get("/api/users").json()}
    assert listed["f@example.org"]["process_ids"] == [korrewegwijk]
    other = TestClient(app, base_url="http://testserver")
    other.post(
        "/api/login", json={"email": "f@example.org", "password": created.json()["password"]}
    )
    assert other.get("/api/users").status_code == 404  # not for facilitators
    deactivated = script.post(f"/api/users/{facilitator}/deactivate")
    assert deactivated.json()["is_active"] is False
    assert other.get(f"/api/processes/{korrewegwijk}/menu").status_code == 200  # public
    log = script.get(f"/api/audit?process_id={korrewegwijk}").json()
    assert [e["action"] for e in log["events"]][:1] == ["facilitator.assigned"]
    assert log["events"][0]["account"] == "w@example.org"
    everything = script.get("/api/audit?format=csv")
    assert everything.headers["content-type"].startswith("text/csv")
    assert "user.deactivated" in everything.content.decode("utf-8-sig")


def test_every_workspace_api_path_is_documented() -> None:
    schema = app.openapi()
    readme = README.read_text(encoding="utf-8").split("## JSON API", 1)[1].split("\n## ", 1)[0]
    for route in workspace_api.router.routes:
        path = getattr(route, "path_format", "")  # without converters ({process_id:int})
        assert path in schema["paths"], path
        # The table writes the first parameter as {id}, as the other rows do.
        documented = re.sub(r"\{\w+\}", "{id}", path, count=1)
        for method in getattr(route, "methods", set()):
            row = f"| `{method} {documented}"
            assert row in readme, f"README's JSON API table lacks {row}"
