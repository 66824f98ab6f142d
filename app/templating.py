"""The Jinja2 environment: translations, number formats, and pages that include their fragments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import HTMLResponse

from app import i18n, static_assets
from app.security import read_cookie, set_cookie
from app.settings import get_settings
from app.wording import describe_code, note_text

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
static_assets.install(templates.env)  # /static/x.css -> /static/x.HASH.css, cached for a year
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)
templates.env.filters["euro"] = i18n.euro
templates.env.filters["number"] = i18n.number
templates.env.filters["local_time"] = i18n.local_time
templates.env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
templates.env.filters["contains_key"] = lambda keys, key: key in keys
templates.env.globals["languages"] = i18n.LANGUAGES


templates.env.globals["note_text"] = note_text
templates.env.globals["describe_problem"] = describe_code

# The cookie that says a phone has its stylesheets (static_assets.phone_styles); a meeting night.
STYLES_COOKIE = "styles"
STYLES_COOKIE_AGE = 12 * 3600


@pass_context
def phone_stylesheets(context: Context) -> Markup:
    """A resident page's stylesheets: in the page the first time, linked once the phone has them."""
    request: Request = context["request"]
    styles = static_assets.phone_styles()
    names = static_assets.PHONE_STYLESHEETS
    if read_cookie(request, STYLES_COOKIE) == styles.version:
        links = "".join(
            f'<link rel="stylesheet" href="{static_assets.hashed_url(n)}">' for n in names
        )
        return Markup(links)
    request.state.inlined_styles = True
    prefetch = "".join(f'<link rel="prefetch" href="{static_assets.hashed_url(n)}">' for n in names)
    return Markup(f"<style>{styles.text}</style>{prefetch}")


templates.env.globals["phone_stylesheets"] = phone_stylesheets


def compile_all() -> int:
    """Compile every template now (at start-up), not for the first visitor of each page.

    Compiling all of them takes about 0.8 s of CPU on this project's 2-core machine; without it
    the first console page after a round closes paid for its templates (benchmarks/results.py).
    """
    names = templates.env.list_templates(extensions=["html"])
    for name in names:
        templates.env.get_template(name)
    return len(names)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page, or only its fragment when htmx asks for it (same URL, HX-Request set)."""
    name = fragment if fragment and request.headers.get("HX-Request") else template
    values = _values(request, context)
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    if getattr(request.state, "inlined_styles", False):
        version = static_assets.phone_styles().version
        set_cookie(response, STYLES_COOKIE, version, max_age=STYLES_COOKIE_AGE)
    return response


def render_part(request: Request, template: str, context: dict[str, Any]) -> Markup:
    """A fragment rendered as a page that includes it with this context would render it: for a
    part kept and put into many pages (the ballot form, app.routes.vote)."""
    values = {**_values(request, context), "request": request}
    return Markup(templates.env.get_template(template).render(values))


def _values(request: Request, context: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "language": i18n.current_language.get(),
        "settings": get_settings(),
        # The logged-in user of this request (set by the login dependency): the staff navigation.
        "user": getattr(request.state, "user", None),
        **(context or {}),
    }
