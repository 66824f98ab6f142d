"""Expected failures: each carries the HTTP status and a message a person can act on."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated later, when it is shown."""
    return message


class DomainError(Exception):
    """An expected failure; one handler renders it as a page, an htmx fragment or JSON.

    The message is a catalogue message id with %(name)s placeholders, so each reader gets it in
    their own language.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **params: Any) -> None:
        self.template = message
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The message in English (the catalogue's message ids)."""
        return self.template % self.params if self.params else self.template

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries (Retry-After, say); none by default."""
        return {}

    def localized(self) -> str:
        """The message in the current request's language."""
        from app.i18n import gettext

        text = gettext(self.template)
        return text % self.params if self.params else text


class NotFound(DomainError):
    """The object does not exist, or this user may not know it does."""

    status = 404
    code = "not_found"


class MenuFrozen(DomainError):
    """A round of the process has been opened: its budget, effects and measures stay as they are."""

    status = 409
    code = "menu_frozen"


class InvalidInput(DomainError):
    """The input is malformed; the message names the field and what is wrong."""

    status = 422
    code = "invalid_input"
