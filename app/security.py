"""What every response carries for the browser's protection, and how cookies are set.

One Content-Security-Policy for every page: scripts and styles only from this site's own files
(no inline `<script>`, no `style=` attributes, no `onclick=`; the one inline `<style>`, a phone's
first page carrying its stylesheets, is admitted by its hash), no framing, forms posting only
here. Over https (the public address starts with https://) the browser is also told to keep
using https (HSTS) and every cookie is a `__Host-` cookie: Secure, for this host only, path /.
The plain-http LAN mode of a meeting on a laptop is the one exception: phones reach it over
http, so its cookies cannot be Secure.
"""

from __future__ import annotations

from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import public_address
from app.static_assets import phone_styles

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        f"style-src 'self' {phone_styles().csp_source}",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
# Nothing here needs a camera, a microphone, the location or payments.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
)
HSTS = "max-age=63072000"  # two years, this host only (the municipality's other hosts are theirs)
HOST_PREFIX = "__Host-"


def public_base_url() -> str:
    """The address residents and staff reach this service at (app.settings.public_address)."""
    return public_address().base_url


def served_over_https() -> bool:
    """Whether the public address is https (then cookies are Secure and HSTS is sent)."""
    return public_base_url().lower().startswith("https://")


def security_headers(*, https: bool, policy: str = CONTENT_SECURITY_POLICY) -> dict[str, str]:
    """The headers every response carries."""
    headers = {
        "Content-Security-Policy": policy + ("; upgrade-insecure-requests" if https else ""),
        "Permissions-Policy": PERMISSIONS_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def cookie_name(name: str) -> str:
    """A cookie's name as sent: with the `__Host-` prefix over https."""
    return HOST_PREFIX + name if served_over_https() else name


def read_cookie(request: Request, name: str) -> str | None:
    """A cookie of this site, by its name without prefix."""
    return request.cookies.get(cookie_name(name))


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """Set a cookie the one way this site sets them (HttpOnly, SameSite, `__Host-` over https)."""
    https = served_over_https()
    response.set_cookie(
        cookie_name(name),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite=samesite,
        secure=https,
    )


def delete_cookie(response: Response, name: str) -> None:
    """Remove a cookie set by set_cookie (a `__Host-` cookie is removed only as it was set)."""
    https = served_over_https()
    response.delete_cookie(cookie_name(name), path="/", httponly=True, secure=https, samesite="lax")


class SecurityHeaders:
    """ASGI middleware: the headers of security_headers() on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(https=served_over_https())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
