"""Overload is an answer, not a hang: requests take turns, and a long wait ends in 503.

A request that has begun holds a database connection (and on SQLite perhaps the write lock)
while it waits for a thread for its next step; if hundreds begin at once, the ones holding
connections wait behind the ones waiting for connections, and everything stalls until the pool's
timeout. So at most WORKER_THREADS requests are at work at once; the others wait their turn before
anything starts, for at most QUEUE_SECONDS, and when QUEUE_LENGTH are waiting already the next is
answered 503 with Retry-After at once. The count is per process, as the threads and the
connections are: nothing here is shared state between instances.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from html import escape

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app import i18n
from app.errors import N_
from app.security import read_cookie

RETRY_AFTER_SECONDS = 2
BUSY = N_("It is very busy right now. Nothing was lost: try again in a few seconds.")
BUSY_API = "The server is busy. Nothing was done: try again after Retry-After seconds."
# Static files are served from memory-cheap file reads and never touch the database.
UNCOUNTED_PREFIXES = ("/static/",)
# A phone's "has anything changed?" poll is asked again in a few seconds anyway: when requests
# are already waiting it is answered 503 at once instead of queueing in front of ballots.
SHED_WHEN_BUSY = re.compile(r"^/m/\d+/status$")


def busy_headers() -> dict[str, str]:
    """The headers of every 503 for overload."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def busy_page(language: str, *, reload: bool) -> str:
    """A small page that says the server is busy (and, for a page view, reloads itself)."""
    text = escape(i18n.translations(language).gettext(BUSY))
    refresh = f'<meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">' if reload else ""
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{refresh}<title>503</title></head><body><p>{text}</p></body></html>"
    )


class Admission:
    """ASGI middleware: at most `at_work` requests at once; others wait, or get 503."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        at_work: int,
        queue_seconds: float,
        queue_length: int,
        default_language: str,
    ) -> None:
        self.app = app
        self.at_work = at_work
        self.queue_seconds = queue_seconds
        self.queue_length = queue_length
        self.default_language = default_language
        self.waiting = 0
        # One gate per event loop (a server has one; the test client starts several).
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.at_work)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNCOUNTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        if gate.locked():
            if self.waiting >= self.queue_length or SHED_WHEN_BUSY.match(scope["path"]):
                await self._busy(scope, send)
                return
            self.waiting += 1
            try:
                await asyncio.wait_for(gate.acquire(), self.queue_seconds)
            except TimeoutError:
                await self._busy(scope, send)
                return
            finally:
                self.waiting -= 1
        else:
            await gate.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()

    async def _busy(self, scope: Scope, send: Send) -> None:
        request = Request(scope)
        if scope["path"].startswith("/api/"):
            body = json.dumps({"detail": BUSY_API, "code": "busy"}).encode()
            content_type = "application/json"
        else:
            language = i18n.pick_language(
                request.query_params.get("lang"),
                read_cookie(request, "lang"),
                self.default_language,
            )
            page = busy_page(language, reload=scope["method"] in ("GET", "HEAD"))
            body = page.encode()
            content_type = "text/html; charset=utf-8"
        headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
        headers += [(k.lower().encode(), v.encode()) for k, v in busy_headers().items()]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
