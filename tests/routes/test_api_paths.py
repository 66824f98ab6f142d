"""The JSON API's paths are stable: the OpenAPI document lists exactly these, whichever module
serves them (the API was split by resource beside its pages; scripts must not notice)."""

from __future__ import annotations

from app.main import app

PUBLISHED = {
    ("DELETE", "/api/offers/{offer_id}"),
    ("DELETE", "/api/processes/{process_id}/effects/{key}"),
    ("DELETE", "/api/processes/{process_id}/facilitators/{user_id}"),
    ("DELETE", "/api/processes/{process_id}/measures/{key}"),
    ("GET", "/api/audit"),
    ("GET", "/api/meetings/{meeting_id}"),
    ("GET", "/api/menu-template"),
    ("GET", "/api/processes"),
    ("GET", "/api/processes/{process_id}/codes"),
    ("GET", "/api/processes/{process_id}/menu"),
    ("GET", "/api/processes/{process_id}/menu/file"),
    ("GET", "/api/processes/{process_id}/offers"),
    ("GET", "/api/processes/{process_id}/plan"),
    ("GET", "/api/processes/{process_id}/plan/adopted"),
    ("GET", "/api/processes/{process_id}/plan/schedule"),
    ("GET", "/api/rounds/{round_id}"),
    ("GET", "/api/rounds/{round_id}/ballot"),
    ("GET", "/api/rounds/{round_id}/outcome"),
    ("GET", "/api/rounds/{round_id}/receipts"),
    ("GET", "/api/users"),
    ("PATCH", "/api/processes/{process_id}"),
    ("POST", "/api/codes/{code_id}/revoke"),
    ("POST", "/api/join"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("POST", "/api/meetings/{meeting_id}/rounds"),
    ("POST", "/api/offers"),
    ("POST", "/api/processes"),
    ("POST", "/api/processes/import"),
    ("POST", "/api/processes/{process_id}/codes"),
    ("POST", "/api/processes/{process_id}/meetings"),
    ("POST", "/api/processes/{process_id}/plan/adopt"),
    ("POST", "/api/processes/{process_id}/plan/schedule/adopt"),
    ("POST", "/api/processes/{process_id}/versions"),
    ("POST", "/api/rounds/{round_id}/ballot"),
    ("POST", "/api/rounds/{round_id}/close"),
    ("POST", "/api/rounds/{round_id}/open"),
    ("POST", "/api/rounds/{round_id}/paper-ballots"),
    ("POST", "/api/rounds/{round_id}/receipts/publish"),
    ("POST", "/api/users"),
    ("POST", "/api/users/{user_id}/activate"),
    ("POST", "/api/users/{user_id}/deactivate"),
    ("PUT", "/api/processes/{process_id}/effects/{key}"),
    ("PUT", "/api/processes/{process_id}/facilitators/{user_id}"),
    ("PUT", "/api/processes/{process_id}/measures/{key}"),
    ("PUT", "/api/processes/{process_id}/menu"),
    ("PUT", "/api/processes/{process_id}/plan/schedule"),
}


def test_the_openapi_document_lists_exactly_the_published_paths() -> None:
    document = app.openapi()
    listed = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert listed == PUBLISHED


def test_every_api_error_is_one_model() -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert [name for name in schemas if name.endswith("ErrorPublic")] == ["ErrorPublic"]
