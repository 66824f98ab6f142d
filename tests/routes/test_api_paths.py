"""The JSON API's paths are stable: every path published before the API was split by resource
is still served (scripts must not notice which module serves it), and the README's table lists
exactly what the OpenAPI document serves."""

from __future__ import annotations

import re
from pathlib import Path

from app.main import app

README = Path(__file__).resolve().parents[2] / "README.md"

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
    ("POST", "/api/rounds/{round_id}/reopen"),
    ("POST", "/api/rounds/{round_id}/again"),
    ("POST", "/api/rounds/{round_id}/open"),
    ("POST", "/api/rounds/{round_id}/paper-ballots"),
    ("POST", "/api/rounds/{round_id}/paper-ballots/undo"),
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


def _shape(path: str) -> str:
    # What a script types: the path with its parameters, whatever they are named.
    return re.sub(r"\{[^}]+\}", "{}", path)


def _served() -> set[tuple[str, str]]:
    document = app.openapi()
    return {
        (method.upper(), _shape(path))
        for path, item in document["paths"].items()
        for method in item
    }


def _documented() -> set[tuple[str, str]]:
    section = README.read_text(encoding="utf-8").split("## JSON API", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/[^`?]*)", section, flags=re.M)
    return {(method, _shape(path.strip())) for method, path in rows}


def test_every_published_path_is_still_served() -> None:
    assert {(method, _shape(path)) for method, path in PUBLISHED} - _served() == set()


def test_the_readme_lists_exactly_the_served_paths() -> None:
    served, documented = _served(), _documented()
    assert served - documented == set(), "served but not in the README's JSON API table"
    assert documented - served == set(), "in the README's JSON API table but not served"


def test_every_api_error_is_one_model() -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert [name for name in schemas if name.endswith("ErrorPublic")] == ["ErrorPublic"]
