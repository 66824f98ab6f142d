"""Request bodies are refused before they are parsed when they are too big or nested too deep.

A body whose Content-Length is over the limit for its kind gets 413 before a byte of it is read;
a body sent without a length is counted as it arrives and refused (413) the moment it passes the
limit. JSON bodies are read whole (they are at most MAX_JSON_BYTES) and refused (422) when their
arrays and objects nest deeper than MAX_JSON_DEPTH, before the JSON parser sees them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from itertools import accumulate

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import N_
from app.services.imports import MAX_FILE_BYTES

MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_FORM_BYTES = 1024 * 1024
# A menu file and the few form fields around it.
MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_OTHER_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 32
# Only the brackets outside strings decide the depth.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")

ErrorResponder = Callable[[Request, int, str, str, dict[str, object]], Awaitable[Response]]


TOO_LARGE = N_("The request is too large (at most %(mb)s MB).")


class BodyTooLarge(HTTPException):
    """The request body is over the limit for its kind (found while it arrives)."""

    def __init__(self, limit: int) -> None:
        self.params: dict[str, object] = {"mb": megabytes(limit)}
        super().__init__(413, detail=TOO_LARGE % self.params)


def body_limit(content_type: str) -> int:
    """The largest body accepted for a content type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return MAX_JSON_BYTES
    if kind == "multipart/form-data":
        return MAX_UPLOAD_BYTES
    if kind == "application/x-www-form-urlencoded":
        return MAX_FORM_BYTES
    return MAX_OTHER_BYTES


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a plain value)."""
    brackets = _BRACKETS.findall(_JSON_STRING.sub(b'""', body))
    if not brackets:
        return 0
    return max(0, *accumulate(1 if b in (b"[", b"{") else -1 for b in brackets))


def megabytes(limit: int) -> str:
    """A limit in whole megabytes, as messages name it."""
    return str(round(limit / 1024 / 1024))


class BodyLimits:
    """ASGI middleware: refuse bodies over their limit (413) or JSON nested too deep (422)."""

    def __init__(self, app: ASGIApp, *, respond: ErrorResponder) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        content_type = request.headers.get("content-type", "")
        limit = body_limit(content_type)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            response = await self.respond(
                request,
                413,
                "too_large",
                TOO_LARGE,
                {"mb": megabytes(limit)},
            )
            await response(scope, receive, send)
            return
        if limit == MAX_JSON_BYTES and request.method not in ("GET", "HEAD", "OPTIONS"):
            body, more = await _read(receive, limit)
            if more:
                response = await self.respond(
                    request,
                    413,
                    "too_large",
                    TOO_LARGE,
                    {"mb": megabytes(limit)},
                )
                await response(scope, receive, send)
                return
            if json_depth(body) > MAX_JSON_DEPTH:
                response = await self.respond(
                    request,
                    422,
                    "too_deep",
                    N_("body: arrays and objects nest more than %(n)s levels deep."),
                    {"n": MAX_JSON_DEPTH},
                )
                await response(scope, receive, send)
                return
            await self.app(scope, _replay(body, receive), send)
            return
        await self.app(scope, _counting(receive, limit), send)


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The whole body, or its first `limit` bytes and True when there is more."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body: wait for the client to go away, as the server's own receive does.
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counting() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return counting
