"""Every user-facing string is in the Dutch catalogue, translated, with the same placeholders."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import LOCALES_DIR, configured_language, current_language, euro, gettext
from app.settings import Settings

APP = Path(__file__).resolve().parent.parent / "app"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> set[str]:
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(APP), METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))


def test_every_message_has_a_dutch_translation() -> None:
    with (LOCALES_DIR / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        assert not message.fuzzy, f"fuzzy translation: {key}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {key}"
        for string in strings:
            assert _placeholders(str(string)) == _placeholders(str(key)), (
                f"placeholders differ: {key}"
            )
        translated[key] = strings
    extracted = _extracted()
    assert extracted, "no messages were extracted: the extraction itself is broken"
    assert extracted - set(translated) == set(), "run `make messages` and translate"
    assert set(translated) - extracted == set(), "obsolete entries in the catalogue"


def test_the_compiled_catalogue_is_the_catalogue() -> None:
    # The app reads messages.mo (`make messages` compiles it): every translation in it must be
    # the .po's, so that a translation changed in the .po alone cannot go unseen. (Not byte for
    # byte: babel dates the header it makes for a catalogue without one.)
    folder = LOCALES_DIR / "nl" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        source = read_po(handle, locale="nl")
    with (folder / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)

    def translated(catalog: Catalog) -> dict[object, object]:
        # plural ids and strings come as tuples from a .po and as lists from a .mo
        def plain(text: object) -> object:
            return tuple(text) if isinstance(text, list | tuple) else text

        return {plain(m.id): plain(m.string) for m in catalog if m.id and m.string and not m.fuzzy}

    assert translated(compiled) == translated(source), "run `make messages`"
    assert compiled.plural_forms == source.plural_forms


def test_dutch_is_the_default_and_english_available() -> None:
    token = current_language.set("nl")
    try:
        assert gettext("The money") == "Het geld"
        assert euro(1142000) == "€\u00a01.142.000"
    finally:
        current_language.reset(token)
    token = current_language.set("en")
    try:
        assert gettext("The money") == "The money"
        assert euro(1142000) == "€1,142,000"
    finally:
        current_language.reset(token)


@pytest.mark.parametrize(
    ("environment", "dotenv", "expected"),
    [
        ({}, None, "nl"),
        ({"DEFAULT_LANGUAGE": "en"}, None, "en"),
        ({"default_language": "en"}, None, "en"),
        ({}, "DEFAULT_LANGUAGE=en\n", "en"),
        ({}, "# comment\ndefault_language='en'\n", "en"),
        ({"DEFAULT_LANGUAGE": "nl"}, "DEFAULT_LANGUAGE=en\n", "nl"),
    ],
)
def test_the_quick_language_reader_agrees_with_the_settings(
    environment: dict[str, str],
    dotenv: str | None,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [k for k in os.environ if k.lower() == "default_language"]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    assert configured_language() == expected
    assert Settings().default_language == expected


def test_an_unknown_language_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "de")
    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE 'de' is not one of: nl, en"):
        configured_language()
