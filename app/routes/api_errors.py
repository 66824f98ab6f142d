"""The API's OpenAPI document, honest about errors: one error model on every operation.

FastAPI documents its own validation error (a list of problems) for 422, while every error this
API sends is `{"detail": str, "code": str}`; and it leaves out what the middleware and the
dependencies shared by all routes answer (404 for an id in no table, 413 for a body over its
limit, 401 before login, 403 for a cross-site request, 409 when two writes collide). This module
rewrites the document so that each operation lists exactly those, all with ErrorPublic.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

from app.routes.api_common import ErrorPublic
from app.routes.deps import current_user

ERROR_REF = {"$ref": "#/components/schemas/ErrorPublic"}
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")
UNSAFE = {"post", "put", "patch", "delete"}
# The codes the error handlers give plain HTTP errors (a wrong path, a wrong method...).
HTTP_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_attempts",
}
GENERIC = {
    "400": "The body cannot be read as the form or upload it says it is (`bad_request`).",
    "401": "Not logged in (`login_required`).",
    "403": "A cross-site request from a browser (`cross_site`), or not allowed.",
    "404": "Unknown, not for this account, or an id beyond any row (`not_found`).",
    "409": "The state does not allow it, or another request changed the same thing at once "
    "(`conflict`): send it again.",
    "413": "The body is over its limit: JSON 2 MB, menu files 5 MB (`too_large`).",
    "422": "A field is missing or malformed; the message names it (`invalid_input`, `too_deep`).",
}


# What FastAPI writes as the description of a response it adds itself.
FASTAPI_PHRASES = {"Not Found", "Unprocessable Entity", "Unauthorized", "Forbidden", "Conflict"}


def _dependants(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_dependants(sub))
    return found


def _needs_login(route: APIRoute) -> bool:
    return any(d.call is current_user for d in _dependants(route.dependant))


def _routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """Each operation's route, by the path as the document writes it (`{id}`, not `{id:int}`)."""
    found = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            path = _CONVERTOR.sub(r"{\1}", context.path or "")
            for method in context.methods or ():
                found[(method.lower(), path)] = route
    return found


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def honest_errors(document: dict[str, Any], routes: dict[tuple[str, str], APIRoute]) -> None:
    """Give every operation the errors it can answer, each with the one error model."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in UNSAFE | {"get"}:
                continue
            route = routes.get((method, path))
            responses: dict[str, Any] = operation.setdefault("responses", {})
            wanted = {"422"}
            if re.search(r"\{\w+\}", path):
                wanted.add("404")
            if "requestBody" in operation:
                wanted |= {"400", "413"}
            if method in UNSAFE:
                wanted |= {"403", "409"}
            if route is not None and _needs_login(route):
                wanted |= {"401", "404"}
            for status in sorted(wanted):
                responses.setdefault(status, _error(GENERIC[status]))
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
                    if response.get("description") in (None, *FASTAPI_PHRASES):
                        response["description"] = GENERIC.get(status, "An error.")
                if status == "429":
                    response["headers"] = {
                        "Retry-After": {
                            "description": "Seconds until the next attempt is allowed.",
                            "schema": {"type": "integer", "minimum": 1},
                            "required": True,
                        }
                    }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorPublic"] = ErrorPublic.model_json_schema()


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers at this path (for the Allow header of a 405)."""
    found: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if context.methods and _compiled(context.path or "").fullmatch(path):
            found |= set(context.methods)
    return sorted(found)


@lru_cache(maxsize=512)
def _compiled(route_path: str) -> re.Pattern[str]:
    return compile_path(route_path)[0]


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with honest errors, made once."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        honest_errors(document, _routes(app))
        app.openapi_schema = document
    return app.openapi_schema
