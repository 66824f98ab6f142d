"""After Kiezen, the projector and the facilitator's round page show the bewonersplan beside what
fits in Kiezen: every measure that differs is marked and explained in one plain sentence."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.domain import waardenzeef as wz
from app.domain.vocabulary import Role, RoundKind, StakeholderGroup
from app.exports import plan_text
from app.models import Round
from app.services import plans as plans_service
from app.services import users as users_service
from tests.routes.meeting_night import Night, form_key, night, resident, soup


def _ballot(phone: TestClient, n: Night, kind: RoundKind, values: dict[str, object]) -> None:
    values = {"idempotency_key": form_key(phone.get(f"/m/{n.meeting_id}").text), **values}
    response = phone.post(
        f"/m/{n.meeting_id}/rounds/{n.round_id(kind)}/ballot", data=values, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _scores(n: Night, scores: dict[str, int]) -> dict[str, object]:
    return {
        f"score-{n.measure(key).id}-{effect}": str(score)
        for key, score in scores.items()
        for effect in n.measure(key).effect_ids
    }


def _evening(client: TestClient, session: Session, process_id: int) -> Night:
    """Both residents choose the Floreshuis in Kiezen, but rate it low in Zeven."""
    n = night(session, process_id, client)
    ann = resident(session, process_id, StakeholderGroup.BEWONER)
    bob = resident(session, process_id, StakeholderGroup.STUDENT)
    ballots: list[tuple[RoundKind, dict[str, object]]] = [
        (
            RoundKind.WEGEN,
            {f"points-{e}": p for e, p in zip(n.effect_ids(), (34, 33, 33), strict=True)},
        ),
        (
            RoundKind.ZEVEN,
            _scores(
                n,
                {
                    "herinrichting-straten": 3,
                    "buurtbemiddeling": 3,
                    "drainage-vensterpark": 3,
                    "floreshuis": 1,
                },
            ),
        ),
        (
            RoundKind.KIEZEN,
            {"measure": [str(n.measure(k).id) for k in ("floreshuis", "buurtbemiddeling")]},
        ),
    ]
    for kind, values in ballots:
        client.post(f"/console/rounds/{n.round_id(kind)}/open")
        for phone in (ann, bob):
            _ballot(phone, n, kind, values)
        client.post(f"/console/rounds/{n.round_id(kind)}/close", data={"confirm": "1"})
    return n


def _projector(client: TestClient, meeting_id: int) -> list[BeautifulSoup]:
    pages: list[BeautifulSoup] = []
    while True:
        page = soup(client.get(f"/console/meetings/{meeting_id}/screen?page={len(pages) + 1}").text)
        pages.append(page)
        if page.select_one("a[rel=next]") is None:
            return pages


def _text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def test_the_projector_shows_where_the_plan_differs_from_kiezen_and_why(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = _evening(client, session, korrewegwijk)
    pages = _projector(client, n.meeting_id)
    # The plan's summary on the first page: the rule, its measures and money, how many differ.
    assert _text(pages[0].select_one(".screen-beside")) == (
        "Het bewonersplan nu, met de regel Van boven naar beneden in de volgorde: 3 maatregelen, "
        "€ 627.000. 3 maatregelen zijn anders dan bij Kiezen: waarom, ziet u na de lijst."
    )
    # The Kiezen list says of every measure whether it is in the plan; the differing are marked.
    rows = {
        _text(row.select_one("th")): [_text(td) for td in row.select("td")][2:]
        for page in pages
        for row in page.select("table.screen-table tbody tr")
    }
    assert len(rows) == 22
    assert rows["≠ Herontwikkeling Floreshuis"] == ["✓ ja", "nee"]
    assert rows["Buurtbemiddeling"] == ["✓ ja", "✓ ja"]
    assert rows["≠ Drainage Vensterpark"] == ["nee", "✓ ja"]
    assert rows["≠ Herinrichting/fundering straten"] == ["nee", "✓ ja"]
    assert sum(title.startswith("≠") for title in rows) == 3
    # Then why, one sentence each: the Floreshuis fitted in Kiezen, but greedy down the Zeven
    # ranking (straten 487.000, buurtbemiddeling 80.000, drainage 60.000) leaves 373.000.
    why = [
        (_text(li.select_one(".differing-head")), _text(li.select_one(".differing-why")))
        for page in pages
        for li in page.select("ul.screen-differing li")
    ]
    assert why == [
        (
            "≠ Herontwikkeling Floreshuis past bij Kiezen, niet in het plan",
            "Het meest gekozen bij Kiezen (2 van de 2), maar bij Zeven gemiddeld lager "
            "beoordeeld dan de maatregelen boven hem (plaats 4): toen hij aan de beurt was, was "
            "het geld op.",
        ),
        (
            "≠ Drainage Vensterpark in het plan, past niet bij Kiezen",
            "Bij Kiezen koos niemand hem, maar bij Zeven kwam hij op plaats 2.",
        ),
        (
            "≠ Herinrichting/fundering straten in het plan, past niet bij Kiezen",
            "Bij Kiezen koos niemand hem, maar bij Zeven kwam hij op plaats 3.",
        ),
    ]
    # The plan (its page and documents) says the same of the Floreshuis.
    content, _ = plans_service.compute(session, process_id=korrewegwijk)
    [floreshuis] = [m for m in content.measures if m.key == "floreshuis"]
    assert plan_text.difference(content, floreshuis) == why[0][1]


def test_the_round_page_lists_the_differences_and_an_adopted_plan_sets_the_rule(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = _evening(client, session, korrewegwijk)
    kiezen = n.round_id(RoundKind.KIEZEN)
    page = soup(client.get(f"/console/rounds/{kiezen}").text)
    marked = [_text(th) for th in page.select("table.outcome-table tr.differs th")]
    assert marked == [
        "≠ Herontwikkeling Floreshuis",
        "≠ Drainage Vensterpark",
        "≠ Herinrichting/fundering straten",
    ]
    items = [_text(li) for li in page.select(".beside-plan ul.differing li")]
    assert len(items) == 3
    assert items[0].startswith("≠ Herontwikkeling Floreshuis (past bij Kiezen, niet in het plan)")
    # Adopted with the optimum, the comparison follows the adopted plan's rule.
    wijkteam, _ = users_service.create_user(
        session, email="wijkteam@example.org", role=Role.WIJKTEAM, password="correct horse battery"
    )
    plans_service.adopt(
        session,
        process_id=korrewegwijk,
        rule=wz.Rule.OPTIMAL,
        ranked_by=wz.RankBy.CONTRIBUTION,
        user=wijkteam,
    )
    session.commit()
    again = soup(client.get(f"/console/rounds/{kiezen}").text)
    assert "met de regel Meeste waarde binnen het budget (optimaal)" in _text(
        again.select_one(".beside-plan")
    )


def test_no_comparison_for_a_kiezen_round_the_plan_is_not_made_from(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = _evening(client, session, korrewegwijk)
    kiezen = n.round_id(RoundKind.KIEZEN)
    # Kiezen is run again: the plan is made from the second run once it closes.
    client.post(f"/console/rounds/{kiezen}/again", data={"confirm": "1"})
    rerun = session.exec(select(Round).where(Round.kind == RoundKind.KIEZEN, Round.run == 2)).one()
    client.post(f"/console/rounds/{rerun.id}/open")
    client.post(f"/console/rounds/{rerun.id}/close", data={"confirm": "1"})
    first = soup(client.get(f"/console/rounds/{kiezen}").text)
    assert first.select_one(".beside-plan") is None
    assert first.select_one("table.outcome-table") is not None


def test_kiezen_before_any_zeven_shows_no_plan_beside_it(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    # Only Kiezen was run (no Zeven closed): there is no plan to set beside it yet; the projector
    # shows the Kiezen result alone, without failing.
    n = night(session, korrewegwijk, client)
    ann = resident(session, korrewegwijk, StakeholderGroup.BEWONER)
    kiezen = n.round_id(RoundKind.KIEZEN)
    client.post(f"/console/rounds/{kiezen}/open")
    _ballot(ann, n, RoundKind.KIEZEN, {"measure": [str(n.measure("floreshuis").id)]})
    client.post(f"/console/rounds/{kiezen}/close", data={"confirm": "1"})
    pages = _projector(client, n.meeting_id)
    assert len(pages) == 5  # the summary and 22 measures in pages of 6
    assert pages[0].select_one(".screen-beside") is None
    assert not [p for p in pages if p.select_one(".screen-differences, .with-plan")]
    assert "Herontwikkeling Floreshuis" in _text(pages[1].select_one("table.screen-table"))
    round_page = soup(client.get(f"/console/rounds/{kiezen}").text)
    assert round_page.select_one(".beside-plan") is None


def test_the_plan_page_plan_is_worked_out_after_the_round_page_and_never_kept_past_a_change(
    client: TestClient, session: Session, korrewegwijk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = _evening(client, session, korrewegwijk)
    kiezen = n.round_id(RoundKind.KIEZEN)
    plans_service.forget()
    wz.forget()
    made = plans_service._build_content

    def not_again(*args: object, **kwargs: object) -> object:
        raise AssertionError("the plan was worked out again")

    # The round page's background task made the plan page's plan: found, not made again.
    assert client.get(f"/console/rounds/{kiezen}").status_code == 200
    monkeypatch.setattr(plans_service, "_build_content", not_again)
    assert plans_service.content_of(session, process_id=korrewegwijk).participants == 2
    monkeypatch.setattr(plans_service, "_build_content", made)
    # A third resident's Kiezen ballot (the round reopened and closed again): another state,
    # so the plan is made again, with it; the round page after the close has made it already.
    late = resident(session, korrewegwijk, StakeholderGroup.WERKER)
    client.post(f"/console/rounds/{kiezen}/reopen", data={"confirm": "1"})
    _ballot(late, n, RoundKind.KIEZEN, {"measure": [str(n.measure("buurtbemiddeling").id)]})
    closed = client.post(f"/console/rounds/{kiezen}/close", data={"confirm": "1"})
    assert closed.url.path == f"/console/rounds/{kiezen}"
    monkeypatch.setattr(plans_service, "_build_content", not_again)
    assert plans_service.content_of(session, process_id=korrewegwijk).participants == 3
    plans_service.forget()
    wz.forget()
    with pytest.raises(AssertionError, match="worked out again"):
        plans_service.content_of(session, process_id=korrewegwijk)
