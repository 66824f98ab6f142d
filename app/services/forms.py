"""Reading form and API input field by field, so that every field's problem is reported at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from app.domain.menu.cells import (
    CellError,
    is_blank,
    parse_bool,
    parse_decimal,
    parse_euros,
    parse_year,
)
from app.domain.menu.problems import MESSAGES
from app.errors import N_, InvalidInput
from app.i18n import gettext

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class FormInvalid(InvalidInput):
    """Some fields have values that cannot be used; each field's message is kept for its form."""

    def __init__(self, errors: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        self.errors = dict(errors)
        super().__init__(N_("Some fields need another value."))

    @property
    def message(self) -> str:
        """Each field with its problem, in English."""
        return "; ".join(
            f"{name}: {text % dict(params) if params else text}"
            for name, (text, params) in getattr(self, "errors", {}).items()
        )

    def localized(self) -> str:
        """Each field with its problem, in the current language."""
        return "; ".join(f"{name}: {text}" for name, text in self.field_messages().items())

    def field_messages(self) -> dict[str, str]:
        """Each field's problem in the current language, for showing beside the field."""
        messages = {}
        for name, (text, params) in self.errors.items():
            translated = gettext(text)
            messages[name] = translated % dict(params) if params else translated
        return messages


class Fields:
    """Reads the fields of one form; collects a problem per field instead of stopping."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, tuple[str, Mapping[str, Any]]] = {}

    def error(self, name: str, message: str, **params: Any) -> None:
        """Remember a problem with a field (the first one per field is kept)."""
        self.errors.setdefault(name, (message, params))

    def raw(self, name: str) -> Any:
        """The field's value as given."""
        return self.data.get(name)

    def text(self, name: str, *, required: bool = True, max_length: int = 300) -> str:
        """A text field, trimmed."""
        value = self.data.get(name)
        text = "" if value is None else str(value).strip()
        if not text and required:
            self.error(name, N_("Fill this in."))
        elif len(text) > max_length:
            self.error(
                name,
                N_("The text is %(length)s characters long; at most %(max)s fit."),
                length=len(text),
                max=max_length,
            )
        return text

    def _parsed(self, name: str, parse: Callable[[Any], T], required: bool) -> T | None:
        value = self.data.get(name)
        if is_blank(value):
            if required:
                self.error(name, N_("Fill this in."))
            return None
        try:
            return parse(value)
        except CellError as error:
            self.error(name, MESSAGES[error.code], **error.params)
            return None

    def euros(self, name: str, *, required: bool = False) -> int | None:
        """An amount in whole euros (48000, 48.000 or € 48.000,-)."""
        return self._parsed(name, parse_euros, required)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A number with at most two decimals (decimal comma or point)."""
        return self._parsed(name, parse_decimal, required)

    def year(self, name: str, *, required: bool = False) -> int | None:
        """A year."""
        return self._parsed(name, parse_year, required)

    def flag(self, name: str) -> bool:
        """A checkbox (present and not 'no') or a JSON boolean."""
        value = self.data.get(name)
        if value is None:
            return False
        try:
            return parse_bool(value)
        except CellError:
            return True  # a checkbox sends its value ("on", "1"): ticked

    def choice(self, name: str, enum: type[E], *, default: E | None = None) -> E | None:
        """One of an enumeration's values."""
        value = self.data.get(name)
        if is_blank(value):
            if default is None:
                self.error(name, N_("Choose one."))
            return default
        try:
            return enum(str(value).strip())
        except ValueError:
            self.error(
                name,
                N_("'%(value)s' is not one of %(choices)s."),
                value=str(value),
                choices=", ".join(e.value for e in enum),
            )
            return default

    def check(self) -> None:
        """Raise FormInvalid when any field had a problem."""
        if self.errors:
            raise FormInvalid(self.errors)
