"""Request bodies are refused before they are parsed when they are too big or nested too deep.

A body whose Content-Length is over the limit for its kind gets 413 before a byte of it is read;
a body sent without a length is counted as it arrives and refused (413) the moment it passes the
limit. JSON bodies are read whole (they are at most MAX_JSON_BYTES) and refused (422) when their
arrays and objects nest deeper than MAX_JSON_DEPTH, before the JSON parser sees them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

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
LIMITS = {
    "json": MAX_JSON_BYTES,
    "upload": MAX_UPLOAD_BYTES,
    "form": MAX_FORM_BYTES,
    "other": MAX_OTHER_BYTES,
}
MAX_JSON_DEPTH = 32
# C0 controls but tab, newline and carriage return; DEL; halves of surrogate pairs.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Only the brackets outside strings decide the depth.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")

ErrorResponder = Callable[[Request, int, str, str, dict[str, object]], Awaitable[Response]]


TOO_LARGE = N_("The request is too large (at most %(mb)s MB).")
TOO_DEEP = N_("body: arrays and objects nest more than %(n)s levels deep.")
NOT_JSON = N_("body: this is not JSON (%(reason)s).")
UNWRITABLE = N_("%(field)s: contains a control character (%(char)s); remove it and send again.")


class BodyTooLarge(HTTPException):
    """The request body is over the limit for its kind (found while it arrives)."""

    def __init__(self, limit: int) -> None:
        self.params: dict[str, object] = {"mb": megabytes(limit)}
        super().__init__(413, detail=TOO_LARGE % self.params)


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a plain value)."""
    brackets = _BRACKETS.findall(_JSON_STRING.sub(b'""', body))
    if not brackets:
        return 0
    return max(0, *accumulate(1 if b in (b"[", b"{") else -1 for b in brackets))


def megabytes(limit: int) -> str:
    """A limit in whole megabytes, as messages name it."""
    return str(round(limit / 1024 / 1024))


def body_kind(content_type: str) -> str:
    """json, form, upload or other."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return "json"
    if kind == "multipart/form-data":
        return "upload"
    if kind == "application/x-www-form-urlencoded":
        return "form"
    return "other"


def unwritable(text: str) -> str | None:
    """The first character of a text that no field may hold (as U+XXXX), or None."""
    found = _UNWRITABLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def text_problem(value: Any, where: str) -> tuple[str, str] | None:
    """The first field (as a dotted path) of a parsed value holding an unwritable character."""
    if isinstance(value, str):
        bad = unwritable(value)
        return (where, bad) if bad else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = text_problem(str(key), where) or text_problem(item, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = text_problem(item, f"{where}.{index}")
            if found:
                return found
    return None


def _pairs_problem(pairs: list[tuple[str, str]], where: str) -> tuple[str, str] | None:
    for name, value in pairs:
        found = text_problem(name, where) or text_problem(value, f"{where}.{name}")
        if found:
            return found
    return None


class BodyLimits:
    """ASGI middleware: refuse what no route should parse.

    Bodies over their limit (413), JSON nested too deep (422), and control characters or halves
    of surrogate pairs in the path, the query, a form or a JSON body (422 naming the field):
    PostgreSQL cannot store a NUL, and no title needs a control character.
    """

    def __init__(self, app: ASGIApp, *, respond: ErrorResponder) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        kind = body_kind(request.headers.get("content-type", ""))
        limit = LIMITS[kind]
        length = request.headers.get("content-length")

        async def refuse(status: int, code: str, template: str, **params: object) -> None:
            response = await self.respond(request, status, code, template, params)
            await response(scope, receive, send)

        if length is not None and (not length.isdigit() or int(length) > limit):
            await refuse(413, "too_large", TOO_LARGE, mb=megabytes(limit))
            return
        found = text_problem(scope.get("path", ""), "path") or _pairs_problem(
            parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            "query",
        )
        if found:
            await refuse(422, "invalid_input", UNWRITABLE, field=found[0], char=found[1])
            return
        if kind not in ("json", "form") or request.method in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, _counting(receive, limit), send)
            return
        body, more = await _read(receive, limit)
        if more:
            await refuse(413, "too_large", TOO_LARGE, mb=megabytes(limit))
            return
        if kind == "json":
            if json_depth(body) > MAX_JSON_DEPTH:
                await refuse(422, "too_deep", TOO_DEEP, n=MAX_JSON_DEPTH)
                return
            try:
                found = text_problem(json.loads(body), "body") if body.strip() else None
            except ValueError as error:  # not UTF-8, or not JSON
                await refuse(422, "invalid_input", NOT_JSON, reason=str(error)[:120])
                return
        else:
            found = _pairs_problem(
                parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True), "body"
            )
        if found:
            await refuse(422, "invalid_input", UNWRITABLE, field=found[0], char=found[1])
            return
        await self.app(scope, _replay(body, receive), send)


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
