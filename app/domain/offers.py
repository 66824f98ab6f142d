"""Residents who offer to help with a measure (meedoen): their contact, and how long it is kept.

An offer is personal data. It holds a name, one way to reach the resident (a phone number or an
e-mail address, checked here), an optional sentence, and the consent text the resident agreed to.
It is kept until one year (RETENTION_DAYS, a setting) after the plan's first adoption, and never
longer than twice that after the offer was made (when no plan is adopted in time); then it is
deleted. It never refers to a participant, a code card or a ballot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

NAME_MAX = 120
NOTE_MAX = 500
CONTACT_MAX = 254
DEFAULT_REGION = "NL"  # a number without country code is read as Dutch


class ContactKind(StrEnum):
    """How the wijkteam can reach someone who offered help."""

    PHONE = "phone"
    EMAIL = "email"


class ContactProblem(StrEnum):
    """Why a contact was not accepted (rendered in the reader's language at the edge)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_PHONE_NUMBER = "not_a_phone_number"
    NOT_AN_EMAIL_ADDRESS = "not_an_email_address"


class InvalidContact(ValueError):
    """A phone number or e-mail address that cannot be used to reach someone."""

    def __init__(self, kind: ContactKind, problem: ContactProblem) -> None:
        self.kind = kind
        self.problem = problem
        super().__init__(f"{kind}: {problem}")


@dataclass(frozen=True)
class Contact:
    """A checked way to reach someone, written the way it is stored and shown."""

    kind: ContactKind
    value: str


def check_contact(kind: ContactKind, typed: str) -> Contact:
    """A typed phone number (Dutch or international) or e-mail address, checked and normalised."""
    # Imported here: the tables import this module, and these two take 75 ms to load.
    import phonenumbers
    from email_validator import EmailNotValidError, validate_email

    text = typed.strip()
    if not text:
        raise InvalidContact(kind, ContactProblem.EMPTY)
    if len(text) > CONTACT_MAX:
        raise InvalidContact(kind, ContactProblem.TOO_LONG)
    if kind is ContactKind.PHONE:
        try:
            number = phonenumbers.parse(text, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise InvalidContact(kind, ContactProblem.NOT_A_PHONE_NUMBER) from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidContact(kind, ContactProblem.NOT_A_PHONE_NUMBER)
        # Dutch numbers as the wijkteam dials them (06 12345678), others with their country code.
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if number.country_code == 31
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return Contact(kind, phonenumbers.format_number(number, style))
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidContact(kind, ContactProblem.NOT_AN_EMAIL_ADDRESS) from None
    return Contact(kind, checked.normalized)


def keep_until(*, offered_on: date, adopted_on: date | None, retention_days: int) -> date:
    """The last day an offer is kept: a year after adoption, at most two years after the offer."""
    latest = offered_on + timedelta(days=2 * retention_days)
    if adopted_on is None:
        return latest
    return min(latest, adopted_on + timedelta(days=retention_days))


def is_due(*, kept_until: date, today: date) -> bool:
    """Whether an offer is past its retention date and must be deleted."""
    return today > kept_until
