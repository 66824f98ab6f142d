"""Plain Dutch for residents (issue 13): each measure and effect explained beside its name on the
ballot pages, and no informal 'je' or jargon on the pages residents read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.domain import codes
from app.domain.codes import IssuedCode
from app.domain.vocabulary import Role, RoundKind
from app.exports import cards as cards_export
from app.i18n import LOCALES_DIR, current_language
from app.main import app
from app.models import Measure
from app.services import meetings as meetings_service
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


# Words a resident should not meet: the informal 'je' (pages say 'u'), and the statistics' and
# the allocation rules' jargon (explained in plain words instead).
FORBIDDEN = re.compile(
    r"\b(je|jij|jou|jouw|greedy|spreiding|sd|ika|iqr)\b|gewogen bijdrage", re.IGNORECASE
)
# The English pages are as plain as the Dutch ones ('you' is fine there).
ENGLISH_JARGON = re.compile(r"\b(?:greedy|sd|iqr)\b|weighted contribution", re.IGNORECASE)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
# Every template a resident (or the room, on the projector) reads.
RESIDENT_TEMPLATES = (
    "base.html",
    "start.html",
    "error.html",
    "_error.html",
    "menu.html",
    "_measure.html",
    "_effect.html",
    "_macros.html",
    "vote/*.html",
    "console/screen.html",
    "console/_outcome.html",
    "console/_score_bar.html",
    "console/_screen_turnout.html",
    "offers/meedoen.html",
    "offers/_invite.html",
    "offers/_screen.html",
    "plan/plan.html",
    "plan/_plan.html",
    "plan/_macros.html",
    "schedule/_in_plan.html",
    "schedule/_macros.html",
    "follow_up/public.html",
    "follow_up/_macros.html",
    "workspace/cards_pdf.html",
)


def _forbidden(text: str) -> list[str]:
    words = PLACEHOLDER.sub(" ", " ".join(text.split()))
    return [match.group(0) for match in FORBIDDEN.finditer(words)]


def _translations(message: Message) -> list[str]:
    string = message.string
    return [string] if isinstance(string, str) else list(string or ())


def _visible(html: str) -> str:
    page = soup(html)
    for hidden in page.select("script, style"):
        hidden.decompose()
    labels = " ".join(str(t.get("aria-label", "")) for t in page.select("[aria-label]"))
    return page.get_text(" ") + " " + labels


def test_no_template_a_resident_reads_says_je_or_jargon() -> None:
    with (LOCALES_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        dutch = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}
    found = {}
    for pattern in RESIDENT_TEMPLATES:
        paths = sorted(TEMPLATES.glob(pattern))
        assert paths, pattern
        for path in paths:
            with path.open("rb") as handle:
                messages = extract(
                    "jinja2",
                    handle,
                    keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
                    options={"extensions": "jinja2.ext.i18n"},
                )
                for _line, message, _comments, _context in messages:
                    key = message if isinstance(message, str) else message[0]
                    if bad := [w for t in _translations(dutch[key]) for w in _forbidden(t)]:
                        found[key] = (path.name, bad)
                    if bad := ENGLISH_JARGON.findall(PLACEHOLDER.sub(" ", key)):
                        found[key] = (path.name, bad)
    assert found == {}


@pytest.mark.one_database("the wording of the pages residents read, not how their data is stored")
def test_no_page_a_resident_reads_says_je_or_jargon(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    pages: dict[str, str] = {}
    phone = TestClient(app, base_url="http://testserver")
    pages["start"] = phone.get("/").text
    pages["join"] = phone.get("/join").text
    pages["menu"] = phone.get(f"/processes/{korrewegwijk}/menu").text
    # A meeting night with every round closed: the outcomes, the plan and what became of it.
    done = meeting_night(session, korrewegwijk, participants=12, paper=2)
    phone = resident(session, korrewegwijk)
    pages["meeting"] = phone.get(f"/m/{done.id}").text
    for round_ in meetings_service.rounds_of(session, meeting_id=done.id or 0):
        pages[f"outcome {round_.kind}"] = phone.get(f"/m/{done.id}/rounds/{round_.id}/outcome").text
    pages["meedoen"] = phone.get("/meedoen").text
    # A second night, its rounds open one after the other, on a phone that votes in each.
    n = night(session, korrewegwijk, client)
    for kind in (RoundKind.WEGEN, RoundKind.ZEVEN, RoundKind.KIEZEN):
        _open(client, n.round_id(kind))
        pages[f"ballot {kind}"] = phone.get(f"/m/{n.meeting_id}").text
        pages[f"projector {kind}"] = client.get(f"/console/meetings/{n.meeting_id}/screen").text
        client.post(f"/console/rounds/{n.round_id(kind)}/close", data={"confirm": "1"})
    pages["projector after"] = client.get(f"/console/meetings/{done.id}/screen").text
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    wijkteam = TestClient(app, base_url="http://testserver")
    wijkteam.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    wijkteam.post(f"/api/processes/{korrewegwijk}/plan/adopt")
    wijkteam.post(f"/api/processes/{korrewegwijk}/plan/schedule/adopt")
    wijkteam.patch(f"/api/processes/{korrewegwijk}/follow-up", json={"first_year": 2008})
    wijkteam.patch(f"/api/processes/{korrewegwijk}/follow-up", json={"published": True})
    wijkteam.post(f"/wijkteam/processes/{korrewegwijk}/plan/publish", data={"public": "true"})
    visitor = TestClient(app, base_url="http://testserver")
    pages["plan"] = visitor.get(f"/processes/{korrewegwijk}/plan").text
    pages["voortgang"] = visitor.get(f"/processes/{korrewegwijk}/voortgang").text
    assert "Wat er van het bewonersplan is geworden" in pages["voortgang"]
    token = current_language.set("nl")
    try:
        cards = [IssuedCode(1, codes.new_code(), codes.new_token(), None, "Avond")]
        pages["cards"] = cards_export.cards_html(
            cards, base_url="https://stem.example", process_title="Korrewegwijk"
        )
    finally:
        current_language.reset(token)
    assert all(len(html) > 500 for html in pages.values()), [
        k for k, v in pages.items() if len(v) <= 500
    ]
    found = {name: bad for name, html in pages.items() if (bad := _forbidden(_visible(html)))}
    assert found == {}


def test_the_wijkteam_sees_what_residents_read_about_each_measure_and_effect(
    client: TestClient, session: Session, korrewegwijk: int
) -> None:
    users_service.create_user(session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD)
    client.post("/login", data={"email": "w@example.org", "password": PASSWORD})
    page = soup(client.get(f"/wijkteam/processes/{korrewegwijk}").text)
    shown = [p.get_text(" ", strip=True) for p in page.select(".for-residents")]
    assert len(shown) == 25  # 3 effects and 22 measures
    assert all(text.startswith("Voor bewoners:") for text in shown)
    palaver = session.exec(select(Measure).where(Measure.key == "palaver")).one()
    palaver.plain_explanation = ""
    session.flush()
    page = soup(client.get(f"/wijkteam/processes/{korrewegwijk}").text)
    missing = page.select_one(f"#measure-{palaver.id} .for-residents")
    assert missing is not None
    assert missing.get_text().startswith("Nog geen uitleg voor bewoners")
