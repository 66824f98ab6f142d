"""A short schemathesis fuzz of the whole JSON API, in process, on SQLite and PostgreSQL.

Every operation of the OpenAPI document gets generated requests (valid and invalid) as the
wijkteam and as a facilitator, each also a resident who joined with a card, and as an anonymous
visitor (whose refusals must be documented too); every answer must
be no server error and match the document (status code, content type, headers, body). The long
run, 10,000 requests per database against a served app, is `python -m benchmarks.fuzz`
(benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup
from sqlmodel import Session

from app.domain.vocabulary import Role, RoundKind
from app.main import app
from app.models import ProcessFacilitator
from app.services import codes as codes_service
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from app.services import users as users_service

PASSWORD = "correct horse battery"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# They would end the identities the fuzz runs as; tests elsewhere cover them.
LEFT_OUT = ("/api/logout", "/api/users/{user_id}/deactivate")


def _cookies(client: TestClient, email: str, code: str) -> str:
    assert client.post("/api/login", json={"email": email, "password": PASSWORD}).is_success
    assert client.post("/api/join", json={"code": code}).is_success
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@pytest.fixture
def identities(client: TestClient, session: Session, korrewegwijk: int) -> list[str]:
    """Cookie headers of the wijkteam and of a facilitator, each with a resident's cookie."""
    users_service.create_user(
        session, email="fuzz-w@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    facilitator, _ = users_service.create_user(
        session, email="fuzz-f@example.org", role=Role.FACILITATOR, password=PASSWORD
    )
    session.add(ProcessFacilitator(process_id=korrewegwijk, user_id=facilitator.id or 0))
    session.flush()
    meeting = meetings_service.create_meeting(
        session, user=facilitator, process_id=korrewegwijk, title="Fuzzavond"
    )
    rounds = {r.kind: r for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)}
    rounds_service.open_round(session, user=facilitator, round_id=rounds[RoundKind.WEGEN].id or 0)
    cards = codes_service.issue_codes(session, process_id=korrewegwijk, count=2)
    return [
        _cookies(TestClient(app), "fuzz-w@example.org", cards[0].code),
        _cookies(TestClient(app), "fuzz-f@example.org", cards[1].code),
        "",  # an anonymous visitor: every refusal of one must be documented too
    ]


# Building the document takes seconds on a loaded machine: more than schemathesis' 10 s default.
SCHEMA = schemathesis.openapi.from_asgi("/api/openapi.json", app, timeout=120)
OPERATIONS = [
    operation
    for result in SCHEMA.get_all_operations()
    if (operation := result.ok()).path not in LEFT_OUT  # type: ignore[union-attr]
]
EXAMPLES = 3  # per operation, generation mode and identity; the long run makes 10,000 per database


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 35


def test_no_request_gets_a_server_error_or_an_undocumented_answer(identities: list[str]) -> None:
    failures: list[str] = []
    requests = 0

    for operation in OPERATIONS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def fuzz(case: Any) -> None:
                nonlocal requests
                for cookie in identities:
                    requests += 1
                    try:
                        case.call_and_validate(
                            headers={"Cookie": cookie} if cookie else {}, checks=CHECKS
                        )
                    except (AssertionError, FailureGroup) as failure:  # one failure, or several
                        where = f"{case.method} {case.formatted_path}"
                        failures.append(f"{where}: {failure}"[:600])

            try:
                fuzz()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing there to get wrong
    assert requests >= len(OPERATIONS) * 2 * 2
    assert failures == [], "\n".join(failures[:20])
