"""Every setting of the service, read from the environment (and an optional `.env` file).

A setting is documented once, in its field's `description`: the README's settings table is made
from these (`make docs` writes it; a test fails while the README differs). A default that
depends on the machine shows `shown_default` instead.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Secret keys that ship in examples and must never guard a real meeting.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})


class Settings(BaseSettings):
    """The settings; each field's description is its line in the README's settings table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "lan", "production"] = Field(
        default="development",
        description="`development`, `test`, `lan` or `production`. `lan`: a real meeting on a "
        "laptop on the venue's network, plain `http://` (cookies without the Secure flag). "
        "`production`: a hosted server; `PUBLIC_BASE_URL` must be its `https://` address "
        "(cookies are then Secure). Outside development a placeholder or short `SECRET_KEY` is "
        "refused at start.",
    )
    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'waardenzeef.sqlite3'}",
        description="SQLAlchemy URL. `postgresql://user@host:5432/db` uses PostgreSQL through "
        "psycopg 3.",
        json_schema_extra={"shown_default": "sqlite:///<repo>/var/waardenzeef.sqlite3"},
    )
    secret_key: str = Field(
        default="development-only",
        description="Long random string (at least 32 characters) outside development: "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
    )
    public_base_url: str = Field(
        default="",
        description="The address residents' phones reach; used in QR codes, join links, the "
        "console and the projector. Empty: `http://HOST:PORT`, and with `HOST=0.0.0.0` (or `::`) "
        "this machine's LAN address, found at start-up. While it is a loopback address "
        "(`127.*`, `localhost`, `::1`) the console and projector warn and card printing is "
        "refused.",
        json_schema_extra={"shown_default": "(empty)"},
    )
    default_language: Literal["nl", "en"] = Field(
        default="nl",
        description="Page language when the visitor has not chosen one (`nl` or `en`; "
        "`?lang=en` switches and is remembered).",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address `waardenzeef serve` binds to; `0.0.0.0` for every network of the "
        "machine (a meeting on a laptop).",
    )
    port: int = Field(default=8000, description="Port `waardenzeef serve` listens on.")
    time_zone: str = Field(
        default="Europe/Amsterdam",
        description="Time zone in which pages and plans show times (stored times are UTC).",
    )
    session_hours: int = Field(
        default=12, description="Hours a wijkteam or facilitator login stays valid."
    )
    offer_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days a resident's offer of help is kept after the plan's first adoption (and "
        "never more than twice that after the offer); `waardenzeef purge-offers` deletes older "
        "ones.",
    )
    api_docs: bool | None = Field(
        default=None,
        description="`true` serves the browsable API description at `/api/docs` (Swagger UI) "
        "also in production, `false` never; `/api/openapi.json` is always served.",
        json_schema_extra={"shown_default": "on outside production"},
    )

    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes `waardenzeef serve` starts on its port (one Python process "
        "uses one core). On a 2-core machine one is best: a second one shares the cores with "
        "PostgreSQL and the first, and on SQLite its ballots wait longer for the write lock "
        '(`benchmarks/README.md`, "A meeting under load"). With more cores and PostgreSQL, up to '
        "one per spare core; each has its own `WORKER_THREADS` and database connections.",
    )
    worker_threads: int = Field(
        default=40,
        ge=1,
        le=1000,
        description="Requests handled at the same time by one server process (its threads); "
        "the database connection pool has as many connections. More requests wait their turn "
        "(see `QUEUE_SECONDS`). Two instances on one PostgreSQL need twice as many connections "
        "(PostgreSQL allows 100 by default).",
    )
    queue_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="How long a request may wait for its turn (a thread, a database connection, "
        "SQLite's write lock) before it is answered `503` with `Retry-After`, instead of hanging; "
        "the resident's page then tries again by itself.",
    )
    queue_length: int = Field(
        default=1000,
        ge=0,
        description="Requests that may wait for their turn in one process; one more is answered "
        "`503` with `Retry-After` at once.",
    )

    pdf_ahead: bool = Field(
        default=True,
        description="Render the bewonersplan's PDF in the background once the console has shown "
        "a closed Kiezen round, so that the first download after the meeting is served at once. "
        "PDFs are rendered in a process of their own beside each server process (2-3 s of CPU "
        "for 30 measures), so that no request waits for one.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SECRET_KEY is a placeholder or shorter than 32 characters; set a long random "
                "value (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if self.public_base_url.strip():
            parts = urlsplit(self.public_base_url.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"PUBLIC_BASE_URL: '{self.public_base_url}' is not an address like "
                    "https://stemmen.example.nl or http://192.168.1.20:8000."
                )
        if self.environment == "production" and not self.public_base_url.startswith("https://"):
            raise ValueError(
                "PUBLIC_BASE_URL: a production server is reached over HTTPS; set it to the "
                "https:// address of the reverse proxy (for a meeting on a laptop on the venue's "
                "network, use ENVIRONMENT=lan)."
            )
        return self

    @property
    def api_docs_enabled(self) -> bool:
        """Whether /api/docs is served (API_DOCS, else outside production only)."""
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named for PostgreSQL."""
        return normalise_database_url(self.database_url)


def normalise_database_url(url: str) -> str:
    """Name the psycopg 3 driver in a PostgreSQL URL (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()


README_START = "<!-- settings: written by `make docs` from app/settings.py -->"
README_END = "<!-- /settings -->"


def settings_table() -> str:
    """The README's settings table: each field's name, default and description."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = extra.get("shown_default", info.default)
        lines.append(f"| `{name.upper()}` | `{default}` | {info.description} |")
    return "\n".join(lines)


def with_settings_table(readme: str) -> str:
    """The README's text with its settings table (between the markers) written anew."""
    before, rest = readme.split(README_START, 1)
    _old, after = rest.split(README_END, 1)
    return f"{before}{README_START}\n{settings_table()}\n{README_END}{after}"


# --- the address residents' phones reach ----------------------------------------------------

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})
# Any address will do: connecting a UDP socket sends nothing, it only asks the kernel which of
# this machine's addresses would be used on the way there (the LAN address, not 127.0.0.1).
_PROBES = ("192.0.2.1", "10.255.255.255", "172.31.255.255", "192.168.255.255")


@dataclass(frozen=True)
class PublicAddress:
    """The address on cards, the console and the projector, and where it came from."""

    base_url: str
    source: Literal["setting", "lan", "host", "no_lan"]
    is_loopback: bool

    @property
    def is_https(self) -> bool:
        """Whether phones reach the server over HTTPS (then cookies are sent only over HTTPS)."""
        return self.base_url.startswith("https://")

    @property
    def host(self) -> str:
        """The address without the scheme, as it is read aloud and typed."""
        return self.base_url.split("://", 1)[-1]


@lru_cache
def lan_address() -> str | None:
    """This machine's own address on its local network, found once per process; None if none."""
    for probe in _PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
        except OSError:
            continue
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    return None


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address points back at the machine itself (no phone reaches it)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _url(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{shown}" if default else f"{scheme}://{shown}:{port}"


def public_address(settings: Settings | None = None) -> PublicAddress:
    """The effective public address: PUBLIC_BASE_URL, else HOST and PORT (0.0.0.0: the LAN one)."""
    settings = settings or get_settings()
    configured = settings.public_base_url.strip().rstrip("/")
    if configured:
        host = urlsplit(configured).hostname or ""
        return PublicAddress(configured, "setting", is_loopback_host(host))
    if settings.host.strip() in WILDCARD_HOSTS:
        lan = lan_address()
        if lan is None:
            return PublicAddress(_url("http", "127.0.0.1", settings.port), "no_lan", True)
        return PublicAddress(_url("http", lan, settings.port), "lan", False)
    host = settings.host.strip()
    return PublicAddress(_url("http", host, settings.port), "host", is_loopback_host(host))


def public_base_url() -> str:
    """The address residents' phones reach, without a trailing slash (see `public_address`)."""
    return public_address().base_url


if __name__ == "__main__":  # make docs
    import sys

    path = Path(sys.argv[1])
    path.write_text(with_settings_table(path.read_text(encoding="utf-8")), encoding="utf-8")
