"""Static files under names that carry their content's hash, cached by browsers for a year.

Templates keep writing plain addresses (`/static/vote.css`); when a template is compiled, each such
address becomes `/static/vote.3f9a1c0b2e.css`, the first ten hex digits of the file's SHA-256. A
changed file has a new name, so a phone never uses a stale copy, and an unchanged one is never
asked for again: the hashed address is answered with `Cache-Control: immutable` and a year's
`max-age`. The plain address still works (`no-cache`: the browser revalidates with its ETag).

A phone's first page carries its stylesheets in the page (`phone_styles`): one round trip fewer
before the ballot can be painted on a slow network. The Content-Security-Policy admits that one
`<style>` by its hash (app/security.py); the page also asks the browser to prefetch the files, and
a cookie tells the next request that the phone has them, so later pages link them as usual.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2.ext import Extension
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_ADDRESS = re.compile(r"""(?<=["'])/static/([\w./-]+\.(?:css|js|svg|png|woff2))(?=["'])""")
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[a-z0-9]+)$")


@lru_cache(maxsize=256)
def digest(relative: str) -> str | None:
    """The first ten hex digits of the file's SHA-256, or None when there is no such file."""
    path = (STATIC_DIR / relative).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def hashed_url(relative: str) -> str:
    """The address of a static file with its hash in the name (the plain one if it is missing)."""
    found = digest(relative)
    if found is None:
        return f"/static/{relative}"
    stem, dot, suffix = relative.rpartition(".")
    return f"/static/{stem}.{found}{dot}{suffix}"


def with_hashed_urls(source: str) -> str:
    """A template's source with every quoted `/static/...` address hashed."""
    return _ADDRESS.sub(lambda m: hashed_url(m.group(1)), source)


class HashedStaticUrls(Extension):
    """Jinja extension: hash the static addresses once, when a template is compiled."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """The template's source with hashed static addresses."""
        return with_hashed_urls(source)


def unhashed(path: str) -> tuple[str, bool]:
    """The file a requested path names, and whether it was asked for by its current hash."""
    match = _HASHED.match(path)
    if match is None:
        return path, False
    relative = match["stem"] + match["suffix"]
    return relative, digest(relative) == match["digest"]


class HashedStaticFiles(StaticFiles):
    """StaticFiles that serves `name.HASH.ext` as `name.ext`, cached for a year when current."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with a year's cache for its current hashed name and revalidation otherwise."""
        relative, current = unhashed(path)
        response = await super().get_response(relative, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        return response


def install(environment: Any) -> None:
    """Hash the static addresses of every template compiled by this environment."""
    environment.add_extension(HashedStaticUrls)


# The stylesheets of a resident's phone pages (base.html's and vote.html's), in page order.
PHONE_STYLESHEETS = ("site.css", "vote.css")


@dataclass(frozen=True)
class InlineStyles:
    """The phone pages' stylesheets as one `<style>` body, with what names it."""

    text: str
    csp_source: str  # 'sha256-...' for the policy's style-src
    version: str  # the files' hashes: the cookie's value once a phone has them


@lru_cache(maxsize=1)
def phone_styles() -> InlineStyles:
    """The phone stylesheets' text joined, its policy hash and a version naming the files."""
    text = "\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in PHONE_STYLESHEETS)
    if "</" in text:
        raise ValueError("a phone stylesheet contains '</': it cannot be inlined in <style>")
    sha = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    version = "-".join(digest(name) or "missing" for name in PHONE_STYLESHEETS)
    return InlineStyles(text=text, csp_source=f"'sha256-{sha}'", version=version)
