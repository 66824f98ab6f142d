"""A facilitator of process A gets a 404 for every page and API call of process B.

The routes are discovered from the application itself (`app.routes`): every route whose path
takes a `{process_id}`, `{meeting_id}`, `{round_id}` or `{code_id}` is called with the objects
of process B, by a facilitator assigned only to process A, with a body that passes validation
so that the access check is what answers. Routes added later are covered without changing this
test. Routes for people without an account (the menu, the residents' ballot pages) answer the
facilitator exactly as they answer an anonymous visitor: the account opens nothing there.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.domain.vocabulary import Role, RoundKind
from app.main import app
from app.models import (
    Effect,
    Indicator,
    Measure,
    Meeting,
    PlanSnapshot,
    ProcessFacilitator,
    Round,
    User,
)
from app.routes.deps import current_user
from app.services import codes as codes_service
from app.services import users as users_service
from app.services.imports import import_menu
from tests.services.test_imports_catalogue import MENUS

SCOPED = ("{process_id", "{meeting_id", "{round_id", "{code_id")
NOT_THERE = re.compile(r"There is no (process|meeting|round|voting card|code|effect|measure)")
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Endpoint:
    """One method of one route."""

    method: str
    path: str
    route: APIRoute

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def scoped_endpoints() -> list[Endpoint]:
    """Every route (also of included routers) whose path names a process, meeting, round or code."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        if isinstance(route, APIRoute) and any(p in path for p in SCOPED):
            for method in sorted((context.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append(Endpoint(method, path, route))
    return found


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def needs_an_account(endpoint: Endpoint) -> bool:
    """Whether the route depends (directly or through others) on the logged-in user."""
    return any(d.call is current_user for d in _dependants(endpoint.route.dependant))


def _path_param_types(endpoint: Endpoint) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for dependant in _dependants(endpoint.route.dependant):
        for field in dependant.path_params:
            types[field.name] = field.field_info.annotation
    return types


def _dummy(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _dummy(args[0]) if args else None
    if origin in (list, tuple, set):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, bool):
            return False
        if issubclass(annotation, int | float):
            return 1
        if issubclass(annotation, BaseModel):
            return {
                name: _dummy(field.annotation)
                for name, field in annotation.model_fields.items()
                if field.is_required()
            }
    return "x"


def _body(endpoint: Endpoint) -> dict[str, Any]:
    """Request arguments that pass validation, so that the access check decides."""
    fields = endpoint.route.dependant.body_params
    if not fields:
        return {}
    if any(isinstance(f.field_info, params.File) for f in fields):
        files = {
            f.name: ("menu.csv", (MENUS / "good.csv").read_bytes(), "text/csv")
            for f in fields
            if isinstance(f.field_info, params.File)
        }
        fields_data = {
            f.name: str(_dummy(f.field_info.annotation))
            for f in fields
            if not isinstance(f.field_info, params.File)
        }
        return {"files": files, "data": fields_data}
    if any(isinstance(f.field_info, params.Form) for f in fields):
        data: dict[str, Any] = {}
        for f in fields:
            value = _dummy(f.field_info.annotation)
            if isinstance(value, dict):
                data.update({k: str(v) for k, v in value.items()})
            else:
                data[f.name] = str(value)
        return {"data": data}
    if len(fields) == 1:
        return {"json": _dummy(fields[0].field_info.annotation)}
    return {"json": {f.name: _dummy(f.field_info.annotation) for f in fields}}


@dataclass
class Processes:
    """Process A (with its facilitator) and process B with one of everything."""

    a: int
    b: int
    values: dict[str, Any]
    effect_key: str
    measure_key: str


@pytest.fixture
def processes(session: Session, korrewegwijk: int) -> Processes:
    wijkteam, _ = users_service.create_user(
        session, email="w@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    result = import_menu(
        session, user=wijkteam, filename="good.csv", data=(MENUS / "good.csv").read_bytes()
    )
    b = result.process_id
    assert b is not None
    facilitator_a, _ = users_service.create_user(
        session, email="fa@example.org", role=Role.FACILITATOR, password=PASSWORD
    )
    facilitator_b, _ = users_service.create_user(
        session, email="fb@example.org", role=Role.FACILITATOR, password=PASSWORD
    )
    session.add(ProcessFacilitator(process_id=korrewegwijk, user_id=facilitator_a.id or 0))
    session.add(ProcessFacilitator(process_id=b, user_id=facilitator_b.id or 0))
    meeting = Meeting(process_id=b, title="Bewonersavond Oosterpark")
    session.add(meeting)
    session.flush()
    round_ = Round(meeting_id=meeting.id or 0, kind=RoundKind.WEGEN)
    snapshot = PlanSnapshot(process_id=b, rule="greedy", fingerprint="x")
    session.add_all([round_, snapshot])
    [card] = codes_service.issue_codes(session, process_id=b, count=1)
    session.flush()
    # Without ORDER BY, PostgreSQL may return any effect first: take one that has an indicator.
    indicator = session.exec(
        select(Indicator)
        .join(Effect, col(Effect.id) == Indicator.effect_id)
        .where(Effect.process_id == b)
        .order_by(col(Indicator.id))
    ).first()
    assert indicator is not None
    effect = session.get(Effect, indicator.effect_id)
    measure = session.exec(
        select(Measure).where(Measure.process_id == b).order_by(col(Measure.id))
    ).first()
    assert effect is not None
    assert measure is not None
    values = {
        "process_id": b,
        "meeting_id": meeting.id,
        "round_id": round_.id,
        "code_id": card.id,
        "effect_id": effect.id,
        "measure_id": measure.id,
        "indicator_id": indicator.id,
        "snapshot_id": snapshot.id,
        "user_id": facilitator_b.id,
    }
    return Processes(korrewegwijk, b, values, effect.key, measure.key)


def _url(endpoint: Endpoint, processes: Processes) -> str:
    types = _path_param_types(endpoint)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in processes.values:
            return str(processes.values[name])
        if name == "key":
            return processes.effect_key if "/effects/" in endpoint.path else processes.measure_key
        if name.endswith("_id"):
            return "1"
        return str(_dummy(types.get(name, str)))

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, endpoint.path)


def _request(client: TestClient, endpoint: Endpoint, url: str) -> int:
    response = client.request(endpoint.method, url, follow_redirects=False, **_body(endpoint))
    return int(response.status_code)


def _logged_in(email: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def test_the_routes_are_found() -> None:
    paths = {re.sub(r":\w+\}", "}", e.path) for e in scoped_endpoints()}
    # The workspace's own routes, and those of the meeting night, are among them.
    assert "/wijkteam/processes/{process_id}/measures/{measure_id}/edit" in paths
    assert "/api/codes/{code_id}/revoke" in paths
    assert "/api/processes/{process_id}/menu" in paths
    assert len(paths) >= 40


def test_a_facilitator_of_a_gets_404_for_everything_of_b(
    client: TestClient, processes: Processes
) -> None:
    facilitator_a = _logged_in("fa@example.org")
    anonymous = TestClient(app, base_url="http://testserver")
    wrong: list[str] = []
    for endpoint in scoped_endpoints():
        url = _url(endpoint, processes)
        status = _request(facilitator_a, endpoint, url)
        if needs_an_account(endpoint):
            if status != 404:
                wrong.append(f"{endpoint} -> {status}, not 404")
        else:
            # Open to everyone: the account may not open anything an anonymous visitor
            # cannot see.
            anonymous_status = _request(anonymous, endpoint, url)
            if status != 404 and status != anonymous_status:
                wrong.append(f"{endpoint} -> {status}, anonymous gets {anonymous_status}")
    assert wrong == [], "\n".join(wrong)


def test_the_objects_of_b_do_exist_for_those_who_may_see_them(
    client: TestClient, processes: Processes, session: Session
) -> None:
    # The 404s above come from the access check, not from a wrong id: the wijkteam or B's own
    # facilitator reaches every page that only reads (where this test can make the objects the
    # path names; an adopted plan, say, needs ballots).
    wijkteam = _logged_in("w@example.org")
    facilitator_b = _logged_in("fb@example.org")
    missing = []
    for endpoint in scoped_endpoints():
        if endpoint.method != "GET" or not needs_an_account(endpoint):
            continue
        names = set(re.findall(r"\{(\w+)", endpoint.path))
        if names - (set(processes.values) - {"snapshot_id"}) - {"key", "file_format", "fmt"}:
            continue
        url = _url(endpoint, processes) + "?lang=en"
        answers = [
            wijkteam.get(url, follow_redirects=False),
            facilitator_b.get(url, follow_redirects=False),
        ]
        if all(a.status_code == 404 and NOT_THERE.search(a.text) for a in answers):
            missing.append(str(endpoint))
    assert missing == [], "\n".join(missing)


def test_a_facilitator_sees_only_their_own_process_listed(
    client: TestClient, processes: Processes, session: Session
) -> None:
    facilitator_a = _logged_in("fa@example.org")
    page = facilitator_a.get("/facilitator").text
    assert f"/processes/{processes.a}/menu" in page
    assert f"/processes/{processes.b}/menu" not in page
    assert facilitator_a.get("/wijkteam/users").status_code == 404
    assert facilitator_a.get("/wijkteam/audit").status_code == 404
    assert facilitator_a.get("/api/users").status_code == 404
    user = session.exec(select(User).where(User.email == "fa@example.org")).first()
    assert user is not None
