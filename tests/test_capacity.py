"""Overload is an answer: requests beyond the process's threads wait their turn, briefly, or get
503 with Retry-After at once; a database that stays busy is a 503 too, never a 500 after 30 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.capacity import Admission

T = TypeVar("T")


def _slow_app(*, at_work: int, queue_seconds: float, queue_length: int) -> Admission:
    async def slow(_request: Request) -> PlainTextResponse:
        await asyncio.sleep(0.3)
        return PlainTextResponse("done")

    inner = Starlette(
        routes=[Route("/m/1", slow), Route("/api/x", slow), Route("/m/1/status", slow)]
    )
    return Admission(
        inner,
        at_work=at_work,
        queue_seconds=queue_seconds,
        queue_length=queue_length,
        default_language="nl",
    )


async def _at_once(gate: Admission, paths: list[str]) -> list[tuple[httpx.Response, float]]:
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def timed(path: str) -> tuple[httpx.Response, float]:
            start = time.perf_counter()
            response = await client.get(path)
            return response, time.perf_counter() - start

        return await asyncio.gather(*(timed(p) for p in paths))


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the requests in an event loop of their own, on a thread of its own: in a pytest worker
    that ran a browser test before, Playwright's loop is running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_full_queue_is_answered_503_at_once() -> None:
    gate = _slow_app(at_work=1, queue_seconds=10, queue_length=1)
    answers = _run(_at_once(gate, ["/m/1", "/m/1", "/m/1", "/api/x"]))
    statuses = sorted(r.status_code for r, _ in answers)
    assert statuses == [200, 200, 503, 503]
    for response, seconds in answers:
        if response.status_code == 503:
            assert seconds < 0.25  # not after the others' work: at once
            assert response.headers["retry-after"] == "2"
    api = next(r for r, _ in answers if r.request.url.path == "/api/x")
    assert api.json() == {
        "detail": "The server is busy. Nothing was done: try again after Retry-After seconds.",
        "code": "busy",
    }
    page = next(r for r, _ in answers if r.status_code == 503 and r.request.url.path == "/m/1")
    assert "druk" in page.text  # Dutch by default
    assert 'http-equiv="refresh"' in page.text  # a page view tries again by itself


def test_a_long_wait_ends_in_503_not_a_hang() -> None:
    gate = _slow_app(at_work=1, queue_seconds=0.1, queue_length=10)
    answers = _run(_at_once(gate, ["/m/1", "/m/1"]))
    assert sorted(r.status_code for r, _ in answers) == [200, 503]
    assert max(seconds for _, seconds in answers) < 1


def test_a_poll_does_not_queue_in_front_of_ballots() -> None:
    gate = _slow_app(at_work=1, queue_seconds=10, queue_length=100)
    answers = _run(_at_once(gate, ["/m/1", "/m/1/status", "/m/1"]))
    by_path = [(r.request.url.path, r.status_code) for r, _ in answers]
    assert by_path == [("/m/1", 200), ("/m/1/status", 503), ("/m/1", 200)]
    alone = _run(_at_once(gate, ["/m/1/status"]))
    assert alone[0][0].status_code == 200  # when nobody waits, a poll is answered as usual


def test_requests_within_capacity_all_pass() -> None:
    gate = _slow_app(at_work=4, queue_seconds=5, queue_length=0)
    answers = _run(_at_once(gate, ["/m/1"] * 4))
    assert [r.status_code for r, _ in answers] == [200] * 4


def test_no_free_connection_is_a_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import participants as participants_service

    def exhausted(*_args: object, **_kwargs: object) -> None:
        raise PoolTimeout("QueuePool limit of size 40 overflow 5 reached")

    monkeypatch.setattr(participants_service, "join_by_code", exhausted)
    response = client.post("/join", data={"code": "x"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"


def test_a_database_that_refuses_connections_is_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import participants as participants_service

    def refused(*_args: object, **_kwargs: object) -> None:
        raise OperationalError(
            "connect", None, Exception("FATAL:  sorry, too many clients already")
        )

    monkeypatch.setattr(participants_service, "join_by_code", refused)
    response = client.post("/join", data={"code": "x"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
