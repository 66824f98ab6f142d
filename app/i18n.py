"""Translations: gettext catalogues (Dutch first, English message ids), chosen per request."""

from __future__ import annotations

import os
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = {"nl": "Nederlands", "en": "English"}
BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

current_language: ContextVar[str] = ContextVar("current_language", default="nl")


@lru_cache
def translations(language: str) -> NullTranslations:
    """The catalogue of a language, as `make messages` compiled it from its .po file into
    `messages.mo` beside it (English needs none). Read with the standard library's gettext,
    not compiled here from the .po with babel: that took 22 ms and babel's loading more at
    every start of `waardenzeef recount`. `tests/test_i18n.py` keeps the .mo what the .po
    compiles to."""
    mo = LOCALES_DIR / language / "LC_MESSAGES" / "messages.mo"
    if not mo.exists():
        return NullTranslations()
    with mo.open("rb") as handle:
        return GNUTranslations(handle)


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
    from babel.numbers import format_decimal  # loaded when first used: 19 ms (see `number`)

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
    # babel's numbers are loaded when first used: loading them (and babel's locale data) takes
    # 19 ms, longer than the rest of the start of `waardenzeef recount`, which needs none.
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[current_language.get()])
