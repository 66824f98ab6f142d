"""Bodies over their limit are refused with 413 before parsing; deep JSON with 422."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.limits import MAX_FORM_BYTES, MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_UPLOAD_BYTES, json_depth
from app.models import AuditEvent


def _failed_logins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed")
    ).one()


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b'{"a": 1}') == 1
    assert json_depth(b'[[1], {"b": [2]}]') == 3
    assert json_depth(b'"[[[[["') == 0
    assert json_depth(b'{"k": "]]]\\"[[[", "l": [[]]}') == 3
    assert json_depth(b"12") == 0


def test_a_json_body_over_2_mb_is_refused_before_the_route_runs(
    client: TestClient, session: Session
) -> None:
    before = _failed_logins(session)
    padding = "x" * MAX_JSON_BYTES
    response = client.post("/api/login", json={"email": "a@b.nl", "password": padding})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request is too large (at most 2 MB).",
        "code": "too_large",
    }
    assert _failed_logins(session) == before  # the login was never tried
    # Just under the limit, the route answers as usual.
    small = client.post("/api/login", json={"email": "a@b.nl", "password": "x" * 1000})
    assert small.status_code == 401


def test_a_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "a@b.nl", "password": "'
        for _ in range(3):
            yield b"x" * MAX_JSON_BYTES
        yield b'"}'

    response = client.post(
        "/api/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    form = client.post(
        "/login",
        content=iter([b"email=a%40b.nl&password=", b"x" * (MAX_FORM_BYTES + 1)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 413


def test_a_page_refusal_is_a_page_in_the_readers_language(client: TestClient) -> None:
    response = client.post(
        "/login", data={"email": "a@b.nl", "password": "x" * (MAX_FORM_BYTES + 1)}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "te veel om in één keer te versturen (hoogstens 1 MB)" in response.text


def test_an_upload_over_the_menu_file_limit_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/processes/import",
        files={"file": ("menu.csv", b"x" * (MAX_UPLOAD_BYTES + 1), "text/csv")},
    )
    assert response.status_code == 413


def test_json_nested_too_deep_is_refused_and_at_the_limit_it_is_not(client: TestClient) -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    response = client.post("/api/join", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["code"] == "too_deep"
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = client.post(
        "/api/join", content=at_limit, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"  # the model's own check answered
