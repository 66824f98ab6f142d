"""Plain Dutch for residents (issue 13): each measure and effect explained beside its name on the
ballot pages, and no informal 'je' or jargon on the pages residents read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.domain.vocabulary import Role, RoundKind
from app.services import users as users_service
from tests.factories import meeting_night
from tests.routes.meeting_night import PASSWORD, night, resident, soup


def _open(client: TestClient, round_id: int) -> None:
    response = client.post(f"/console/rounds/{round_id}/open", follow_redirects=False)
    assert response.status_code == 303


def test_the_ballot_pages_explain_each_measure_and_effect_in_plain_words(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    n = night(session, korrewegwijk, client)
    menu = n.menu
    ib = n.measure("ib-paraat")
    floreshuis = n.measure("floreshuis")

    _open(client, n.round_id(RoundKind.WEGEN))
    phone = resident(session, korrewegwijk)
    wegen = soup(phone.get(f"/m/{n.meeting_id}").text)
    safety = menu.desired_effects[0]
    about = wegen.select_one(f"#plain-e{safety.id}")
    assert about is not None
    assert about.get_text() == safety.plain_explanation
    assert about.get_text().startswith("U voelt zich veiliger")
    # The official sentence of the action plan is the wijkteam's; residents read the plain one.
    assert "indicatoren die nu" not in wegen.get_text()
    points = wegen.select_one(f"input[name=points-{safety.id}]")
    assert points is not None
    assert f"plain-e{safety.id}" in str(points["aria-describedby"]).split()
    client.post(f"/console/rounds/{n.round_id(RoundKind.WEGEN)}/close", data={"confirm": "1"})

    _open(client, n.round_id(RoundKind.ZEVEN))
    zeven = soup(phone.get(f"/m/{n.meeting_id}").text)
    card = zeven.select_one(f"article[aria-labelledby=m-{ib.id}]")
    assert card is not None
    plain = card.select_one(".plain")  # the measure's own comes first, then its effects'
    assert plain is not None
    assert "Paraat betekent" in plain.get_text()
    assert len(zeven.select("article.measure > .plain")) == 22
    assert "Extra formatie" not in zeven.get_text()  # the wijkteam's description, not shown
    client.post(f"/console/rounds/{n.round_id(RoundKind.ZEVEN)}/close", data={"confirm": "1"})

    _open(client, n.round_id(RoundKind.KIEZEN))
    kiezen = soup(phone.get(f"/m/{n.meeting_id}").text)
    pick = kiezen.select_one(f"input[name=measure][value='{floreshuis.id}']")
    assert pick is not None
    assert pick.parent is not None
    plain = pick.parent.select_one(".plain")
    assert plain is not None
    assert "buurthuis" in plain.get_text()
    assert len(kiezen.select("label.pick .plain")) == 22


def test_the_public_plan_explains_each_measure_in_plain_words(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    meeting_night(session, korrewegwijk, participants=12, paper=2)
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    client.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    client.post(f"/wijkteam/processes/{korrewegwijk}/plan/adopt", data={"rule": "greedy"})
    client.post(f"/wijkteam/processes/{korrewegwijk}/plan/publish", data={"public": "true"})
    client.post("/logout")
    page = soup(client.get(f"/processes/{korrewegwijk}/plan").text)
    row = page.select_one("#measures #line-wip")
    assert row is not None
    plain = row.select_one(".plain")
    assert plain is not None
    assert "legt de afkorting WIP niet uit" in plain.get_text()
    assert len(page.select("#measures .plain")) == 22
