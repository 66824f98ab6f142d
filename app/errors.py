"""Expected failures: each carries the HTTP status and a message a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure; one handler renders it as a page, an htmx fragment or JSON."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
