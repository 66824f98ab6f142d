"""The web application: pages for residents, facilitators and the wijkteam, and the JSON API."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import capacity, i18n, limits
from app.errors import N_, DomainError
from app.exports import plan_pdf
from app.limits import BodyLimits, BodyTooLarge
from app.routes import (
    api,
    api_meeting,
    auth,
    auth_api,
    console,
    follow_up,
    follow_up_api,
    offers,
    pages,
    receipts,
    schedule,
    vote,
    workspace,
    workspace_accounts,
    workspace_accounts_api,
    workspace_api,
    workspace_audit,
    workspace_audit_api,
    workspace_codes,
    workspace_codes_api,
    workspace_files,
    workspace_files_api,
)
from app.routes import plan as plan_routes
from app.routes.api_errors import HTTP_CODES, allowed_methods, openapi_document
from app.routes.deps import ids_in_range
from app.security import SecurityHeaders, read_cookie, set_cookie
from app.services import users as users_service
from app.settings import get_settings
from app.static_assets import STATIC_DIR, HashedStaticFiles
from app.templating import compile_all, render

LANGUAGE_COOKIE = "lang"
NO_PAGE = N_("This page does not exist.")
CONFLICT = N_("Someone else changed this at the same moment. Nothing was saved: send it again.")
OUT_OF_RANGE = N_("A value is out of range or too long. Nothing was saved.")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
BUSY_DATABASE = ("database is locked", "database is busy", "too many clients")


def create_app() -> FastAPI:
    """Build the application with its routes, error handlers and middleware."""
    settings = get_settings()
    app = FastAPI(
        title="Waardenzeef",
        version="1",
        summary="Participatory budget voting for neighbourhood meetings.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(ids_in_range)],
        lifespan=_lifespan,
    )
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    if settings.api_docs_enabled:
        app.add_api_route("/api/docs", _api_docs, include_in_schema=False)
    app.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(plan_routes.router)
    app.include_router(plan_routes.api)
    app.include_router(schedule.router)
    app.include_router(schedule.api)
    app.include_router(offers.router)
    app.include_router(offers.api)
    app.include_router(follow_up.router)
    app.include_router(follow_up_api.api)
    app.include_router(api_meeting.router)
    app.include_router(vote.router)
    app.include_router(console.router)
    app.include_router(receipts.router)
    app.include_router(console.check_router)
    for router in (
        workspace.router,
        workspace_files.router,
        workspace_codes.router,
        workspace_accounts.router,
        workspace_audit.router,
        auth_api.router,
        workspace_api.router,
        workspace_files_api.router,
        workspace_codes_api.router,
        workspace_accounts_api.router,
        workspace_audit_api.router,
    ):
        app.include_router(router)

    # Inside the language middleware, so that a refusal of a page is in the reader's language.
    app.add_middleware(BodyLimits, respond=_refusal)

    app.add_middleware(LanguageAndOrigin, default_language=settings.default_language)

    # Requests take turns (WORKER_THREADS at work, the rest wait or get 503): see app.capacity.
    app.add_middleware(
        capacity.Admission,
        at_work=settings.worker_threads,
        queue_seconds=settings.queue_seconds,
        queue_length=settings.queue_length,
        default_language=settings.default_language,
    )

    # Added last, so outermost: the headers go on every response, refusals made further in too.
    app.add_middleware(SecurityHeaders)
    # Pages, CSS, JS and JSON compressed on the way out (a ballot page: about a third of its size).
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        message = error.message if request.url.path.startswith("/api/") else error.localized()
        return _error_response(request, error.status, error.code, message, headers=error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if isinstance(error, BodyTooLarge):
            return await _refusal(request, 413, "too_large", limits.TOO_LARGE, error.params)
        api = request.url.path.startswith("/api/")
        message = error.detail if isinstance(error.detail, str) else "Error"
        if error.status_code == 404:
            message = "There is no such address." if api else i18n.gettext(NO_PAGE)
        code = HTTP_CODES.get(error.status_code, "http_error")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names the methods of the first route that matched the path only.
            headers["Allow"] = ", ".join(allowed_methods(app, request.url.path))
        return _error_response(request, error.status_code, code, message, headers=headers)

    @app.exception_handler(IntegrityError)
    async def collision(request: Request, error: IntegrityError) -> Response:
        # A unique constraint (two requests creating the same thing at once) or a reference
        # that vanished meanwhile: nothing was written; sending it again gives a clear answer.
        return await _refusal(request, 409, "conflict", CONFLICT, {})

    @app.exception_handler(PoolTimeout)
    async def no_connection(request: Request, error: PoolTimeout) -> Response:
        # Every connection stayed busy for QUEUE_SECONDS: an answer now, not a hang and a 500.
        return await _busy(request)

    @app.exception_handler(OperationalError)
    async def locked(request: Request, error: OperationalError) -> Response:
        # SQLite's write lock stayed taken for QUEUE_SECONDS (busy_timeout), or the database
        # refused a new connection (PostgreSQL's max_connections, shared by every instance):
        # the same answer, to be tried again, instead of a 500.
        if any(sign in str(error.orig) for sign in BUSY_DATABASE):
            return await _busy(request)
        raise error

    @app.exception_handler(DataError)
    async def out_of_range(request: Request, error: DataError) -> Response:
        # The database refused a value (a number beyond its integer range, say); the models'
        # own limits should have said so first.
        return await _refusal(request, 422, "invalid_input", OUT_OF_RANGE, {})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
            for e in error.errors()
        ]
        return _error_response(request, 422, "invalid_input", "; ".join(problems))

    return app


class LanguageAndOrigin:
    """ASGI middleware: the reader's language for the request (`?lang=`, its cookie, or the
    default; a `?lang=` that is one of ours is remembered in the cookie), and a form sent from
    another site refused with 403. Plain ASGI, not `@app.middleware("http")`: Starlette's
    BaseHTTPMiddleware runs the app in a task of its own with streams between, on every request."""

    def __init__(self, app: ASGIApp, *, default_language: str) -> None:
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        requested = request.query_params.get("lang")
        language = i18n.pick_language(
            requested, read_cookie(request, LANGUAGE_COOKIE), self.default_language
        )
        i18n.current_language.set(language)
        if request.method not in SAFE_METHODS and _cross_site(request):
            refusal = JSONResponse(
                {"detail": "Cross-site request refused.", "code": "cross_site"}, status_code=403
            )
            await refusal(scope, receive, send)
            return
        if requested not in i18n.LANGUAGES:
            await self.app(scope, receive, send)
            return
        remembered = Response()
        set_cookie(remembered, LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600)
        cookie = next(h for h in remembered.raw_headers if h[0] == b"set-cookie")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), cookie]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cross_site(request: Request) -> bool:
    # Browsers say where a form post comes from; anything not from this site is refused.
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin == "null"
    return origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}"


def _error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response: Response
    if request.url.path.startswith("/api/"):
        response = JSONResponse({"detail": message, "code": code}, status_code=status)
    elif status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    elif code == "password_change_required":
        return RedirectResponse("/account/password", status_code=303)
    else:
        response = render(
            request,
            "error.html",
            {"status": status, "message": message},
            fragment="_error.html",
            status_code=status,
        )
    response.headers.update(headers or {})
    return response


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # As many threads as the pool has connections and Admission lets requests in (WORKER_THREADS).
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = get_settings().worker_threads
    # WeasyPrint loaded now, not by the first plan page (it asks whether PDFs can be made): its
    # import takes about 0.9 s, which that page's visitor would wait.
    await anyio.to_thread.run_sync(plan_pdf.unavailable)
    await anyio.to_thread.run_sync(compile_all)
    # The hash a login of an unknown address is checked against, made before the first login.
    await anyio.to_thread.run_sync(users_service.dummy_hash)
    yield


async def _busy(request: Request) -> Response:
    return await _refusal(request, 503, "busy", capacity.BUSY, {}, capacity.busy_headers())


async def _refusal(
    request: Request,
    status: int,
    code: str,
    template: str,
    params: dict[str, object],
    headers: Mapping[str, str] | None = None,
) -> Response:
    # A refusal made before the request reached a route (the body limits): English for the API,
    # the reader's language on pages.
    text = template if request.url.path.startswith("/api/") else i18n.gettext(template)
    return _error_response(request, status, code, text % params, headers=headers)


# The browsable API description (Swagger UI, from its CDN) runs one inline script; the page's
# own policy allows exactly that script by its hash, and the CDN, and nothing else inline.
_SWAGGER_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _api_docs() -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="Waardenzeef API")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode())
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src {_SWAGGER_CDN} {hashes}; "
        f"style-src {_SWAGGER_CDN}; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return page


app = create_app()
