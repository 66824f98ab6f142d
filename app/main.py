"""The web application: pages for residents, facilitators and the wijkteam, and the JSON API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app import i18n
from app.errors import DomainError
from app.routes import (
    api,
    api_meeting,
    auth,
    console,
    pages,
    vote,
    workspace,
    workspace_accounts,
    workspace_api,
    workspace_audit,
    workspace_codes,
    workspace_files,
)
from app.routes import plan as plan_routes
from app.settings import get_settings
from app.templating import render

LANGUAGE_COOKIE = "lang"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def create_app() -> FastAPI:
    """Build the application with its routes, error handlers and middleware."""
    settings = get_settings()
    app = FastAPI(
        title="Waardenzeef",
        version="1",
        summary="Participatory budget voting for neighbourhood meetings.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.mount(
        "/static",
        StaticFiles(directory=Path(__file__).resolve().parent / "static"),
        name="static",
    )
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(plan_routes.router)
    app.include_router(plan_routes.api)
    app.include_router(api_meeting.router)
    app.include_router(vote.router)
    app.include_router(console.router)
    for router in (
        workspace.router,
        workspace_files.router,
        workspace_codes.router,
        workspace_accounts.router,
        workspace_audit.router,
        workspace_api.router,
    ):
        app.include_router(router)

    @app.middleware("http")
    async def language_and_origin(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        requested = request.query_params.get("lang")
        language = i18n.pick_language(
            requested, request.cookies.get(LANGUAGE_COOKIE), settings.default_language
        )
        i18n.current_language.set(language)
        if request.method not in SAFE_METHODS and _cross_site(request):
            return JSONResponse(
                {"detail": "Cross-site request refused.", "code": "cross_site"}, status_code=403
            )
        response = await call_next(request)
        if requested in i18n.LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        message = error.message if request.url.path.startswith("/api/") else error.localized()
        return _error_response(request, error.status, error.code, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else "Error"
        if error.status_code == 404:
            message = i18n.gettext("This page does not exist.")
        return _error_response(request, error.status_code, "http_error", message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
            for e in error.errors()
        ]
        return _error_response(request, 422, "invalid_input", "; ".join(problems))

    return app


def _cross_site(request: Request) -> bool:
    # Browsers say where a form post comes from; anything not from this site is refused.
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin == "null"
    return origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}"


def _error_response(request: Request, status: int, code: str, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message, "code": code}, status_code=status)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        fragment="_error.html",
        status_code=status,
    )


app = create_app()
