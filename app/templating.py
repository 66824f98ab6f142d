"""The Jinja2 environment: translations, number formats, and pages that include their fragments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from app import i18n, static_assets
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
    values = {
        "language": i18n.current_language.get(),
        "settings": get_settings(),
        # The logged-in user of this request (set by the login dependency): the staff navigation.
        "user": getattr(request.state, "user", None),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)
