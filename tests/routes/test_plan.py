"""The plan page and its five downloads, each opened by its own reader; adoption and access."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.domain import plan_file
from app.domain.pabulib import format_pabulib, parse_pabulib
from app.domain.vocabulary import Role
from app.exports import plan_pdf
from app.exports.content import PlanContent
from app.models import ProcessFacilitator
from app.services import users as users_service
from tests.factories import meeting_night
from tests.pdf_text import pdf_pages, pdf_text

PASSWORD = "correct horse battery"


def _log_in(client: TestClient, session: Session, role: Role = Role.WIJKTEAM) -> int:
    user, _ = users_service.create_user(
        session, email=f"{role}@example.org", role=role, password=PASSWORD
    )
    response = client.post(
        "/login",
        data={"email": f"{role}@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return user.id or 0


@pytest.fixture
def night(session: Session, korrewegwijk: int) -> int:
    meeting_night(session, korrewegwijk, participants=12, paper=2)
    return korrewegwijk


def test_the_plan_page_shows_ranking_ledger_rules_and_fingerprint(
    client: TestClient, session: Session, night: int
) -> None:
    _log_in(client, session)
    response = client.get(f"/wijkteam/processes/{night}/plan")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    rows = soup.select("table.plan-table tbody tr")
    assert len(rows) == 22
    assert all(r.select_one("td[data-label='Kosten']") for r in rows)
    ledger = " ".join(soup.select_one("dl.ledger").get_text(" ").split())  # type: ignore[union-attr]
    assert ledger.startswith("Beschikbaar € 1.000.000 In het plan €")
    assert soup.select_one("svg.bar[role=img]") is not None
    assert len(soup.select("table.rules-table thead th")) == 5
    fingerprint = soup.select_one("code.fingerprint")
    assert fingerprint is not None
    assert len(fingerprint.get_text()) == 64
    assert soup.select_one("p.status.current") is not None
    links = {a["href"] for a in soup.select("nav.downloads a")}
    base = f"/wijkteam/processes/{night}/plan"
    assert {
        f"{base}.{f}?rule=greedy&ranked_by=contribution" for f in ("xlsx", "csv", "json", "pb")
    } <= links


def test_another_rule_and_ranking_can_be_shown(
    client: TestClient, session: Session, night: int
) -> None:
    _log_in(client, session)
    soup = BeautifulSoup(
        client.get(f"/wijkteam/processes/{night}/plan?rule=optimal&ranked_by=value_per_euro").text,
        "html.parser",
    )
    assert soup.select_one("#rule option[selected]")["value"] == "optimal"  # type: ignore[index]
    assert "waarde per euro" in soup.select_one("#measures").get_text()  # type: ignore[union-attr]


def test_every_download_opens_in_its_own_reader(
    client: TestClient, session: Session, night: int
) -> None:
    _log_in(client, session)
    base = f"/wijkteam/processes/{night}/plan"
    plan = PlanContent.model_validate(client.get(f"{base}.json").json())
    assert len(plan.measures) == 22

    xlsx = client.get(f"{base}.xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [
        "Samenvatting",
        "Plan",
        "Steun per groep",
        "Opkomst",
        "Geld per effect",
        "Regels naast elkaar",
        "Wat als",
        "Methode",
    ]
    sheet = book["Plan"]
    assert sheet["A1"].value == "Plaats"
    first = plan.measures[0]
    assert sheet["B2"].value == first.title
    assert sheet["G2"].value == first.binding_cost
    assert isinstance(sheet["G2"].value, int)
    assert "€" in sheet["G2"].number_format
    assert sheet["H2"].value == pytest.approx(first.weighted_contribution)
    method = {row[0]: row[1] for row in book["Methode"].iter_rows(min_row=2, values_only=True)}
    assert method["Vingerafdruk van de stemmen (SHA-256)"] == plan.fingerprint

    raw = client.get(f"{base}.csv")
    assert raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Plaats", "Maatregel", "Groep"]
    assert len(rows) == 23
    assert float(rows[1][7].replace(",", ".")) == pytest.approx(
        first.weighted_contribution, abs=1e-4
    )
    assert rows[1][13] in ("ja", "nee")

    ballots = client.get(f"{base}.pb")
    instance = parse_pabulib(ballots.text)
    assert plan_file.is_plan_file(instance)
    assert len(instance.votes) == 12
    assert instance.meta["fingerprint"] == plan.fingerprint
    sieve, rule, ranked_by = plan_file.from_pabulib(instance)
    assert plan_file.fingerprint(sieve, rule, ranked_by) == plan.fingerprint


@pytest.mark.skipif(plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here")
@pytest.mark.one_database("the PDF's page size, language and page numbers, not its data")
def test_the_pdf_is_a4_dutch_with_page_numbers_and_date(
    client: TestClient, session: Session, night: int
) -> None:
    _log_in(client, session)
    response = client.get(f"/wijkteam/processes/{night}/plan.pdf")
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    pages = pdf_pages(response.content)
    assert len(pages) == len(reader.pages)
    text = pages[0]
    assert "Bewonersplan" in text
    assert f"Pagina 1 van {len(reader.pages)}" in text
    assert "afgedrukt" in text
    everything = pdf_text(response.content)
    assert "Herontwikkeling Floreshuis" in everything
    assert "Vingerafdruk van de stemmen" in everything


def test_when_pdf_cannot_be_made_the_link_says_why(
    client: TestClient, session: Session, night: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log_in(client, session)
    monkeypatch.setattr(plan_pdf, "unavailable", lambda: "Pango ontbreekt")
    page = BeautifulSoup(client.get(f"/wijkteam/processes/{night}/plan").text, "html.parser")
    assert "Pango ontbreekt" in page.select_one("nav.downloads").get_text()  # type: ignore[union-attr]
    response = client.get(f"/wijkteam/processes/{night}/plan.pdf")
    assert response.status_code == 503
    assert "Pango ontbreekt" in response.text
    assert client.get(f"/wijkteam/processes/{night}/plan.csv").status_code == 200


def test_adopting_keeps_the_plan_and_its_downloads(
    client: TestClient, session: Session, night: int
) -> None:
    _log_in(client, session)
    response = client.post(
        f"/wijkteam/processes/{night}/plan/adopt",
        data={"rule": "equal_shares", "ranked_by": "contribution"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    adopted_page = response.headers["location"]
    soup = BeautifulSoup(client.get(adopted_page).text, "html.parser")
    assert "Vastgesteld op" in soup.select_one("p.status.adopted").get_text()  # type: ignore[union-attr]
    assert soup.select_one("p.status.newer") is None
    adopted = client.get(f"{adopted_page}.json").json()
    assert adopted["rule"] == "equal_shares"
    assert client.get(f"/api/processes/{night}/plan/adopted").json() == adopted
    meeting_night(session, night, participants=3, seed=99)
    session.commit()
    assert client.get(f"{adopted_page}.json").json() == adopted
    soup = BeautifulSoup(client.get(adopted_page).text, "html.parser")
    assert soup.select_one("p.status.newer") is not None


def test_the_plan_is_for_the_wijkteam(client: TestClient, session: Session, night: int) -> None:
    assert (
        client.get(f"/wijkteam/processes/{night}/plan", follow_redirects=False).status_code == 303
    )
    assert client.get(f"/api/processes/{night}/plan").status_code == 401
    user_id = _log_in(client, session, Role.FACILITATOR)
    session.add(ProcessFacilitator(process_id=night, user_id=user_id))
    session.commit()
    for url in (
        f"/wijkteam/processes/{night}/plan",
        f"/wijkteam/processes/{night}/plan.pb",
        f"/api/processes/{night}/plan",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/wijkteam/processes/{night}/plan/adopt").status_code == 404


def test_the_public_version_is_the_wijkteams_choice(
    client: TestClient, session: Session, night: int
) -> None:
    assert client.get(f"/processes/{night}/plan").status_code == 404
    _log_in(client, session)
    client.post(f"/wijkteam/processes/{night}/plan/adopt", data={"rule": "greedy"})
    assert client.get(f"/processes/{night}/plan").status_code == 404
    client.post(f"/wijkteam/processes/{night}/plan/publish", data={"public": "true"})
    client.post("/logout")
    page = client.get(f"/processes/{night}/plan")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("form[action$='/adopt']") is None
    # The support per group (the measures' plain explanations may name students, the group not).
    support = " ".join(u.get_text() for u in soup.select("#measures ul.support"))
    assert "bewoners" in support
    assert "studenten" not in support
    assert client.get(f"/processes/{night}/plan.json").json()["public"] is True
    assert client.get(f"/processes/{night}/plan.pb").status_code == 404


def test_the_plan_schema_is_in_the_openapi_description(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {
        "/api/processes/{process_id}/plan",
        "/api/processes/{process_id}/plan/adopt",
        "/api/processes/{process_id}/plan/adopted",
    } <= set(spec["paths"])
    assert "PlanContent" in spec["components"]["schemas"]
    assert json.dumps(spec["components"]["schemas"]["PlanLine"]).count("verdict") >= 1


def test_recounting_the_adopted_ballots_file_gives_the_adopted_plan(
    client: TestClient, session: Session, night: int, tmp_path: Path
) -> None:
    _log_in(client, session)
    location = client.post(
        f"/wijkteam/processes/{night}/plan/adopt",
        data={"rule": "equal_shares", "ranked_by": "contribution"},
        follow_redirects=False,
    ).headers["location"]
    adopted = client.get(f"{location}.json").json()
    ballots = tmp_path / "ballots.pb"
    ballots.write_bytes(client.get(f"{location}.pb").content)
    result = CliRunner().invoke(cli, ["recount", str(ballots), "--json"])
    assert result.exit_code == 0, result.output
    recount = json.loads(result.output)
    in_order = sorted(
        (m for m in adopted["measures"] if m["selected"]), key=lambda m: m["position"]
    )
    assert recount["selected"] == [str(m["measure_id"]) for m in in_order]
    assert recount["rule"] == "waardenzeef/equal_shares"
    assert recount["fingerprint"] == adopted["fingerprint"]
    table = CliRunner().invoke(cli, ["recount", str(ballots)])
    assert "(matches the file)" in table.output
    # One changed score and the fingerprint no longer matches: the command says so and fails.
    text = ballots.read_text(encoding="utf-8")
    _head, votes = text.split("\nVOTES\n")
    first = votes.splitlines()[1]
    voter, vote, points, group, weights, scores, package = first.split(";")
    measure, effect, score = scores.split(",")[0].split(":")
    tampered_scores = scores.replace(
        f"{measure}:{effect}:{score}", f"{measure}:{effect}:{3 - int(score)}", 1
    )
    changed = ";".join([voter, vote, points, group, weights, tampered_scores, package])
    ballots.write_text(text.replace(first, changed), encoding="utf-8")
    tampered = CliRunner().invoke(cli, ["recount", str(ballots)])
    assert tampered.exit_code == 1
    # The points outside tools read no longer follow from the changed scores.
    assert f"voter {voter}, column points" in tampered.output
    # Points changed along with the scores (as a careful forger would): the fingerprint differs.
    sieve, rule, ranked_by = plan_file.from_pabulib(parse_pabulib(ballots.read_text("utf-8")))
    forged = plan_file.to_pabulib(
        sieve, description="x", unit="x", rule=rule, ranked_by=ranked_by,
        meta={"fingerprint": adopted["fingerprint"]},
    )  # fmt: skip
    ballots.write_text(format_pabulib(forged), encoding="utf-8")
    forged_result = CliRunner().invoke(cli, ["recount", str(ballots)])
    assert forged_result.exit_code == 1
    assert "DIFFERS from the file" in forged_result.output
