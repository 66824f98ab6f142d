"""The JSON API: stable paths, costs as integer euros, errors as JSON with a code."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_processes_are_listed(client: TestClient, korrewegwijk: int) -> None:
    response = client.get("/api/processes")
    assert response.status_code == 200
    [process] = [p for p in response.json() if p["id"] == korrewegwijk]
    assert process["budget_eur"] == 1_000_000
    assert process["cost_horizon"] == "years_4"
    assert process["neighbourhood"] == "Korrewegwijk"


def test_the_menu_has_the_sources_numbers(client: TestClient, korrewegwijk: int) -> None:
    menu = client.get(f"/api/processes/{korrewegwijk}/menu").json()
    assert menu["measure_count"] == 22
    assert menu["totals"] == {"year_1": 2_038_500, "years_4": 3_833_000, "years_10": 5_816_500}
    assert menu["binding_total"] == 3_833_000
    totals = {e["key"]: e["totals"]["years_4"] for e in menu["effects"]}
    assert totals == {"veiligheid": 1_142_000, "leefomgeving": 2_691_000, "jongeren": 0}
    measures = [m for e in menu["effects"] for m in e["measures"]]
    assert len(measures) == 22
    assert all(isinstance(m["cost"], int) or m["is_regular"] for m in measures)
    palaver = next(m for m in measures if m["key"] == "palaver")
    assert (palaver["cost_year_1"], palaver["cost_years_4"], palaver["cost_years_10"]) == (
        12_500,
        50_000,
        12_500,
    )
    assert [w["code"] for w in menu["warnings"]] == ["cost_decreases"]


def test_an_unknown_process_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/processes/424242/menu")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no process 424242.", "code": "not_found"}


def test_a_word_where_an_id_belongs_is_a_json_404_like_any_missing_address(
    client: TestClient,
) -> None:
    # Paths take whole-number ids (':int'): a word where an id belongs matches no route, so the
    # answer is the API's 404 in its one error shape, not a route's 422 or an HTML page.
    response = client.get("/api/processes/abc/menu")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "There is no such address.", "code": "not_found"}


def test_the_openapi_description_lists_the_stable_paths(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/processes", "/api/processes/{process_id}/menu"} <= set(spec["paths"])
    assert all(path.startswith("/api/") for path in spec["paths"])
