"""The public menu page: readable HTML for residents, Dutch by default, English on request."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.static_assets import hashed_url


def _soup(client: TestClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def _text(node: object) -> str:
    return " ".join(node.get_text(" ").split())  # type: ignore[attr-defined]


def test_the_menu_shows_every_measure_under_its_effect(
    client: TestClient, korrewegwijk: int
) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    assert soup.html is not None
    assert soup.html["lang"] == "nl"
    sections = {s["id"]: s for s in soup.select("section.effect")}
    assert list(sections) == ["effect-veiligheid", "effect-leefomgeving", "effect-jongeren"]
    assert len(soup.select("ol.measures > li")) == 22
    assert len(sections["effect-veiligheid"].select("ol.measures > li")) == 8
    assert "8 maatregelen, samen € 1.142.000 over 4 jaar" in _text(sections["effect-veiligheid"])
    assert "14 maatregelen, samen € 2.691.000 over 4 jaar" in _text(sections["effect-leefomgeving"])
    youth = sections["effect-jongeren"]
    assert [a["href"] for a in youth.select("a[href^='#measure-']")] == [
        "#measure-ib-paraat",
        "#measure-voorlichting-jeugd",
        "#measure-kinderwerk",
        "#measure-jeugd-jongerenwerk",
    ]
    assert len(youth.select("ul.subeffects li")) == 4


def test_the_budget_stands_beside_the_menu_total(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    budget = soup.select_one("section.budget")
    assert budget is not None
    text = _text(budget)
    assert "€ 1.000.000" in text
    assert "€ 3.833.000" in text
    assert "Niet alles past: het budget dekt 26% van de menukaart." in text
    assert "jaar 1 € 2.038.500" in text
    assert "10 jaar € 5.816.500" in text
    chart = budget.select_one("svg[role=img]")
    assert chart is not None
    assert str(chart["aria-label"]).startswith("Het budget is 26%")


def test_a_measure_shows_all_three_costs(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    item = soup.select_one("#measure-floreshuis")
    assert item is not None
    assert _text(item.select_one(".measure-cost")) == "€ 760.000"
    assert _text(item.select_one(".measure-costs")) == (
        "jaar 1: € 500.000 · 4 jaar: € 760.000 · 10 jaar: € 760.000"
    )
    regular = soup.select_one("#measure-geluidsoverlast .measure-cost")
    assert regular is not None
    assert _text(regular) == "geen extra kosten"


def test_indicators_show_baseline_city_and_targets(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    first = soup.select_one("#effect-veiligheid ul.indicators li")
    assert first is not None
    assert _text(first) == (
        "Onveiligheidsgevoelens buurt (lager is beter) nu (2006): 26% stad: 15% "
        "doel 2010: 22% doel 2014: 18%"
    )
    grades = soup.select("#effect-leefomgeving ul.indicators li")
    assert "nu (2006): 5,2" in _text(grades[0])


def test_the_data_quality_remark_is_shown(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    notes = soup.select("details.notes li")
    assert len(notes) == 1
    assert (
        "Palaver: de kosten over 10 jaar (€ 12.500) zijn lager dan over 4 jaar (€ 50.000)"
        in _text(notes[0])
    )


def test_english_is_available_and_remembered(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu?lang=en")
    assert soup.html is not None
    assert soup.html["lang"] == "en"
    assert "8 measures, together €1,142,000 over 4 years" in soup.get_text()
    again = _soup(client, f"/processes/{korrewegwijk}/menu")
    assert again.html is not None
    assert again.html["lang"] == "en"
    back = _soup(client, f"/processes/{korrewegwijk}/menu?lang=nl")
    assert back.html is not None
    assert back.html["lang"] == "nl"


def test_the_page_needs_no_javascript(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, f"/processes/{korrewegwijk}/menu")
    # Everything is in the HTML; the only scripts are htmx and its companion (hold.js), loaded
    # deferred as an enhancement.
    htmx = hashed_url("vendor/htmx-2.0.11.min.js")
    assert [s["src"] for s in soup.select("script")] == [htmx, hashed_url("hold.js")]
    assert not soup.select("[hx-get], [hx-post]")


def test_the_start_page_links_the_menu(client: TestClient, korrewegwijk: int) -> None:
    soup = _soup(client, "/")
    assert soup.select_one(f"a[href='/processes/{korrewegwijk}/menu']") is not None


def test_an_unknown_process_is_a_plain_404_page(client: TestClient) -> None:
    response = client.get("/processes/999999/menu")
    assert response.status_code == 404
    soup = BeautifulSoup(response.text, "html.parser")
    alert = soup.select_one("[role=alert]")
    assert alert is not None
    assert "Er is geen proces 999999." in alert.get_text()


def test_static_htmx_is_served(client: TestClient) -> None:
    response = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:200]
