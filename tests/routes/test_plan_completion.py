"""The completion of equal shares chosen for the plan: the form, the API, adoption, downloads.

The meeting night of seed 34 is one where the three completions give three different plans on
the values and the comparison step takes greedy's outcome (4 participants against 6).
"""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.domain import plan_file
from app.domain import waardenzeef as wz
from app.domain.allocation import Completion
from app.domain.pabulib import parse_pabulib
from app.domain.vocabulary import RoundKind
from app.exports import plan_pdf, plan_text
from app.exports.content import PlanContent
from app.models import PlanSnapshot, Round, User
from app.services import plans as plans_service
from tests.factories import meeting_night
from tests.pdf_text import pdf_text
from tests.routes.test_plan import _log_in

COMPLETIONS = ("add1", "add1-greedy", "add1-compare")


@pytest.fixture
def night(client: TestClient, session: Session, korrewegwijk: int) -> int:
    meeting_night(session, korrewegwijk, participants=12, paper=2, seed=34)
    _log_in(client, session)
    return korrewegwijk


def _plan(client: TestClient, process_id: int, **query: str) -> PlanContent:
    response = client.get(f"/api/processes/{process_id}/plan", params=query)
    assert response.status_code == 200, response.text
    return PlanContent.model_validate(response.json())


def test_the_form_offers_the_completion_only_with_equal_shares(
    client: TestClient, night: int
) -> None:
    base = f"/wijkteam/processes/{night}/plan"
    greedy = BeautifulSoup(client.get(base).text, "html.parser")
    assert greedy.select_one("select#completion") is None
    assert greedy.select_one("form[action$='/adopt'] input[name=completion]") is None

    soup = BeautifulSoup(client.get(f"{base}?rule=equal_shares").text, "html.parser")
    options = soup.select("select#completion option")
    assert [o["value"] for o in options] == list(COMPLETIONS)
    assert [o["value"] for o in options if o.has_attr("selected")] == ["add1-greedy"]
    assert soup.select_one("label[for=completion]").get_text() == "Aanvulling bij gelijke delen"  # type: ignore[union-attr]

    soup = BeautifulSoup(
        client.get(f"{base}?rule=equal_shares&completion=add1-compare").text, "html.parser"
    )
    chosen = soup.select_one("select#completion option[selected]")
    assert chosen is not None
    assert chosen["value"] == "add1-compare"
    hidden = soup.select_one("form[action$='/adopt'] input[name=completion]")
    assert hidden is not None
    assert hidden["value"] == "add1-compare"
    links = {a["href"] for a in soup.select("nav.downloads a")}
    assert f"{base}.pb?rule=equal_shares&ranked_by=contribution&completion=add1-compare" in links
    method = " ".join(soup.select_one("#method").get_text(" ").split())  # type: ignore[union-attr]
    assert "Vergelijking: 6 deelnemers waren beter af met de gewone telling en 4" in method
    assert "dus dit plan is de uitkomst van de gewone telling" in method


def test_a_completion_with_greedy_is_ignored(client: TestClient, night: int) -> None:
    plain = _plan(client, night, rule="greedy")
    named = _plan(client, night, rule="greedy", completion="add1")
    assert named.completion is None
    assert named.fingerprint == plain.fingerprint
    assert named.parameters["completion"] == "none"


def test_each_completion_makes_its_own_plan_with_true_reasons_and_fingerprint(
    client: TestClient, night: int
) -> None:
    plans = {c: _plan(client, night, rule="equal_shares", completion=c) for c in COMPLETIONS}
    assert _plan(client, night, rule="equal_shares").fingerprint == plans["add1-greedy"].fingerprint
    assert len({p.fingerprint for p in plans.values()}) == 3
    assert len({frozenset(m.key for m in p.measures if m.selected) for p in plans.values()}) == 3
    for completion, plan in plans.items():
        assert plan.completion == completion
        assert plan.parameters["completion"] == completion
        whys = {m.reason.why for m in plan.measures if m.reason}
        if completion == "add1-compare":
            assert plan.comparison is not None
            assert (plan.comparison.prefer_equal_shares, plan.comparison.prefer_greedy) == (4, 6)
            assert plan.comparison.switched
            # The plan is greedy's outcome, and says so for every measure it weighed.
            assert whys <= {
                "greedy_fitted",
                "greedy_did_not_fit",
                "no_cost",
                "unvalued",
                "too_expensive",
            }
            assert "greedy_fitted" in whys
        else:
            assert plan.comparison is None
            assert not whys & {"greedy_fitted", "greedy_did_not_fit"}
        if completion == "add1":
            assert "completion" not in whys
            # Add one alone does not fill up: more is left than with the fill-up.
            assert plan.ledger.left > plans["add1-greedy"].ledger.left
    # The rules side by side: equal shares on the packages is completed as the plan is.
    packages = next(r for r in plans["add1"].rules if r.rule == "equal_shares_packages")
    assert packages.completion == "add1"
    assert next(r for r in plans["add1"].rules if r.rule == "greedy").completion is None


def test_the_page_gives_the_reason_of_the_greedy_outcome(client: TestClient, night: int) -> None:
    plan = _plan(client, night, rule="equal_shares", completion="add1-compare")
    soup = BeautifulSoup(
        client.get(
            f"/wijkteam/processes/{night}/plan?rule=equal_shares&completion=add1-compare"
        ).text,
        "html.parser",
    )
    first = next(m for m in plan.measures if m.reason and m.reason.why == "greedy_fitted")
    row = soup.select_one(f"#line-{first.key} .reason")
    assert row is not None
    text = row.get_text()
    assert text.startswith(f"In het plan, als nummer {first.position}: meer deelnemers waren")
    assert "gewone telling, die de maatregelen afloopt op waarde per euro" in text


def test_an_unknown_completion_is_refused_with_a_clear_message(
    client: TestClient, session: Session, night: int
) -> None:
    page = client.get(f"/wijkteam/processes/{night}/plan?rule=equal_shares&completion=add2")
    assert page.status_code == 422
    assert "completion" in page.text
    assert "add1-compare" in page.text
    api = client.get(f"/api/processes/{night}/plan", params={"completion": "add2"})
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_input"
    assert "completion" in api.json()["detail"]
    assert "'add1', 'add1-greedy' or 'add1-compare'" in api.json()["detail"]
    download = client.get(f"/wijkteam/processes/{night}/plan.pb?completion=")
    assert download.status_code == 422
    adopt = client.post(
        f"/wijkteam/processes/{night}/plan/adopt",
        data={"rule": "equal_shares", "completion": "all"},
        follow_redirects=False,
    )
    assert adopt.status_code == 422
    refused = client.post(f"/api/processes/{night}/plan/adopt?completion=x")
    assert refused.status_code == 422
    # Nothing was adopted.
    assert session.exec(select(PlanSnapshot)).first() is None


def test_adopting_keeps_the_completion_in_the_plan_its_files_and_its_fingerprint(
    client: TestClient, session: Session, night: int
) -> None:
    location = client.post(
        f"/wijkteam/processes/{night}/plan/adopt",
        data={"rule": "equal_shares", "ranked_by": "contribution", "completion": "add1-compare"},
        follow_redirects=False,
    ).headers["location"]
    snapshot = session.exec(select(PlanSnapshot)).one()
    assert snapshot.parameters["completion"] == "add1-compare"
    adopted = PlanContent.model_validate(client.get(f"{location}.json").json())
    current = _plan(client, night, rule="equal_shares", completion="add1-compare")
    assert adopted.completion == "add1-compare"
    assert adopted.fingerprint == current.fingerprint
    assert adopted.comparison == current.comparison
    api = client.get(f"/api/processes/{night}/plan/adopted").json()
    assert api["completion"] == "add1-compare"
    # The ballots have not changed: the adopted page does not call the current outcome newer.
    page = BeautifulSoup(client.get(location).text, "html.parser")
    assert page.select_one("p.status.newer") is None
    status = page.select_one("p.status.adopted").get_text()  # type: ignore[union-attr]
    assert "één erbij, dan aanvullen, dan vergelijken zoals in Wieliczka 2023" in status

    instance = parse_pabulib(client.get(f"{location}.pb").text)
    assert instance.meta["rule"] == "equalshares/add1-compare"
    assert instance.meta["waardenzeef_completion"] == "add1-compare"
    assert instance.meta["fingerprint"] == adopted.fingerprint
    recounted = plan_file.recount(instance)
    assert recounted.ok
    assert [str(m) for m in recounted.selected] == [
        str(m.measure_id)
        for m in sorted((m for m in adopted.measures if m.selected), key=lambda m: m.position or 0)
    ]

    book = load_workbook(io.BytesIO(client.get(f"{location}.xlsx").content))
    method = {row[0]: row[1] for row in book["Methode"].iter_rows(min_row=2, values_only=True)}
    assert "Tot slot de vergelijking, zoals in Wieliczka 2023" in str(method["Aanvullen"])
    assert "dus dit plan is de uitkomst van de gewone telling" in str(method["Aanvullen"])


def test_the_api_adopts_with_a_completion(client: TestClient, night: int) -> None:
    response = client.post(
        f"/api/processes/{night}/plan/adopt", params={"rule": "equal_shares", "completion": "add1"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["completion"] == "add1"
    assert response.json()["parameters"]["completion"] == "add1"


@pytest.mark.skipif(plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here")
@pytest.mark.one_database(
    "the PDF's and the CSV's wording of a completion; the completion's plan is computed and"
    " adopted on both databases by the tests above"
)
def test_the_pdf_and_csv_say_the_completion_and_the_comparison(
    client: TestClient, night: int
) -> None:
    query = "?rule=equal_shares&ranked_by=contribution&completion=add1-compare"
    base = f"/wijkteam/processes/{night}/plan"
    pdf = client.get(f"{base}.pdf{query}")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "één erbij, dan aanvullen, dan vergelijken zoals in Wieliczka 2023" in text
    assert "Vergelijking: 6 deelnemers waren beter af met de gewone telling en 4" in text
    assert "meer deelnemers waren beter af met de gewone telling" in text
    raw = client.get(f"{base}.csv{query}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    plan = _plan(client, night, rule="equal_shares", completion="add1-compare")
    selected = {m.title for m in plan.measures if m.selected}
    reasons = [row for row in rows[1:] if row[1] in selected]
    assert reasons
    assert all(
        any("meer deelnemers waren beter af met de gewone telling" in cell for cell in row)
        or any("kost niets extra" in cell for cell in row)
        for row in reasons
    )


def test_a_free_measure_chosen_in_kiezen_is_explained_under_add_one_alone(
    client: TestClient, night: int
) -> None:
    # On these ballots "Hogere prioriteit geluidsoverlast" costs nothing and is in the Kiezen
    # result; equal shares on the packages counts it at its cost, so add one alone leaves it out.
    plan = _plan(client, night, rule="equal_shares_packages", completion="add1")
    line = next(m for m in plan.measures if m.key == "geluidsoverlast")
    assert line.binding_cost == 0
    assert not line.selected
    assert line.reason is not None
    assert line.reason.why == "free_not_counted"
    assert line.difference == "chosen_but_free_not_counted"
    soup = BeautifulSoup(
        client.get(
            f"/wijkteam/processes/{night}/plan?rule=equal_shares_packages&completion=add1"
        ).text,
        "html.parser",
    )
    reason = soup.select_one("#line-geluidsoverlast .reason")
    assert reason is not None
    assert reason.get_text().startswith("Niet in het plan, al werd hij gekozen bij Kiezen")
    assert "niemand" not in reason.get_text().split(":")[0]
    filled = _plan(client, night, rule="equal_shares_packages", completion="add1-greedy")
    assert next(m for m in filled.measures if m.key == "geluidsoverlast").selected


@pytest.mark.parametrize("completion", COMPLETIONS)
def test_the_console_sets_the_adopted_plan_with_its_completion_beside_kiezen(
    client: TestClient, session: Session, korrewegwijk: int, completion: str
) -> None:
    # The round page (and the projector, from the same outcome) compares Kiezen with the plan as
    # adopted: the same measures differ, with the same sentences, as on the plan's own page.
    meeting = meeting_night(session, korrewegwijk, participants=12, paper=2, seed=34)
    user_id = _log_in(client, session)
    plans_service.adopt(
        session,
        process_id=korrewegwijk,
        rule=wz.Rule.EQUAL_SHARES,
        ranked_by=wz.RankBy.CONTRIBUTION,
        completion=Completion(completion),
        user=session.get_one(User, user_id),
    )
    session.commit()
    plan = _plan(client, korrewegwijk, rule="equal_shares", completion=completion)
    expected = {
        line.title: plan_text.difference(plan, line) for line in plan.measures if line.difference
    }
    kiezen = session.exec(
        select(Round).where(Round.meeting_id == meeting.id, Round.kind == RoundKind.KIEZEN)
    ).one()
    page = BeautifulSoup(client.get(f"/console/rounds/{kiezen.id}").text, "html.parser")
    items = page.select(".beside-plan ul.differing li")
    shown = {
        li.strong.find_next("strong").get_text(): li.get_text(" ", strip=True)  # type: ignore[union-attr]
        for li in items
    }
    assert set(shown) == set(expected)
    for title, sentence in expected.items():
        assert " ".join(sentence.split()) in " ".join(shown[title].split()), title
