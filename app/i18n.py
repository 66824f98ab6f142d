"""Translations: gettext catalogues (Dutch first, English message ids), chosen per request."""

from __future__ import annotations

import os
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = {"nl": "Nederlands", "en": "English"}
BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

current_language: ContextVar[str] = ContextVar("current_language", default="nl")


@lru_cache
def translations(language: str) -> NullTranslations:
    """The catalogue of a language, compiled in memory from its .po file (English needs none)."""
    po = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    """Translate a message into the current request's language."""
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current request's language."""
    return translations(current_language.get()).ngettext(singular, plural, n)


def configured_language() -> str:
    """DEFAULT_LANGUAGE as the settings read it (the environment, else `.env`), without them.

    For commands that start quickly (`waardenzeef recount`): loading the settings means loading
    pydantic, which takes longer than a recount. A test keeps it equal to
    `Settings.default_language`.
    """
    value = next(
        (v for k, v in os.environ.items() if k.lower() == "default_language"),
        None,
    )
    if value is None and Path(".env").is_file():
        from dotenv import dotenv_values

        value = next(
            (v for k, v in dotenv_values(".env").items() if k.lower() == "default_language"),
            None,
        )
    if value is None:
        return "nl"
    if value not in LANGUAGES:
        raise ValueError(f"DEFAULT_LANGUAGE {value!r} is not one of: {', '.join(LANGUAGES)}.")
    return value


def pick_language(requested: str | None, cookie: str | None, default: str) -> str:
    """The language for a request: an explicit choice, then the remembered one, then the default."""
    for candidate in (requested, cookie):
        if candidate in LANGUAGES:
            return candidate
    return default


def euro(amount: int | None) -> str:
    """Whole euros as the reader writes them: '€ 1.142.000' in Dutch, '€1,142,000' in English."""
    if amount is None:
        return "–"
    language = current_language.get()
    number = format_decimal(amount, format="#,##0", locale=BABEL_LOCALES[language])
    return f"€\u00a0{number}" if language == "nl" else f"€{number}"


def local_time(moment: datetime | None, pattern: str = "%d-%m-%Y %H:%M") -> str:
    """A stored moment (UTC; naive means UTC) as the reader's clock shows it."""
    if moment is None:
        return "–"
    from app.settings import get_settings

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).strftime(pattern)


def number(value: float | int | None, digits: int = 1) -> str:
    """A number in the reader's notation (decimal comma in Dutch)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[current_language.get()])
