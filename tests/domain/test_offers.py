"""Offers of help: a phone number or e-mail address that reaches someone, and how long it stays."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.offers import (
    ContactKind,
    ContactProblem,
    InvalidContact,
    check_contact,
    is_due,
    keep_until,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12345678", "06 12345678"),
        ("0612345678", "06 12345678"),
        ("+31 6 1234 5678", "06 12345678"),
        ("050-3678900", "050 367 8900"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_phone_numbers_are_read_the_dutch_way_and_stored_as_dialled(
    typed: str, stored: str
) -> None:
    assert check_contact(ContactKind.PHONE, typed).value == stored


@pytest.mark.parametrize(
    ("kind", "typed", "problem"),
    [
        (ContactKind.PHONE, "12345", ContactProblem.NOT_A_PHONE_NUMBER),
        (ContactKind.PHONE, "06-1234567", ContactProblem.NOT_A_PHONE_NUMBER),
        (ContactKind.PHONE, "bel me", ContactProblem.NOT_A_PHONE_NUMBER),
        (ContactKind.PHONE, "   ", ContactProblem.EMPTY),
        (ContactKind.EMAIL, "jan@example", ContactProblem.NOT_AN_EMAIL_ADDRESS),
        (ContactKind.EMAIL, "jan", ContactProblem.NOT_AN_EMAIL_ADDRESS),
        (ContactKind.EMAIL, "x" * 250 + "@a.nl", ContactProblem.TOO_LONG),
    ],
)
def test_what_cannot_reach_anyone_is_refused_with_the_reason(
    kind: ContactKind, typed: str, problem: ContactProblem
) -> None:
    with pytest.raises(InvalidContact) as refused:
        check_contact(kind, typed)
    assert refused.value.problem is problem


def test_an_email_address_is_kept_as_typed_with_its_domain_normalised() -> None:
    assert check_contact(ContactKind.EMAIL, " Jan@Example.ORG ").value == "Jan@example.org"


def test_offers_are_kept_a_year_after_adoption_and_never_over_two_years_after_the_offer() -> None:
    offered = date(2026, 11, 20)
    assert keep_until(offered_on=offered, adopted_on=None, retention_days=365) == date(2028, 11, 19)
    assert keep_until(offered_on=offered, adopted_on=date(2026, 12, 15), retention_days=365) == (
        date(2027, 12, 15)
    )
    # Offered long after an adoption: still only until a year after that adoption.
    assert keep_until(
        offered_on=date(2027, 10, 1), adopted_on=date(2026, 12, 15), retention_days=365
    ) == date(2027, 12, 15)
    assert not is_due(kept_until=date(2027, 12, 15), today=date(2027, 12, 15))
    assert is_due(kept_until=date(2027, 12, 15), today=date(2027, 12, 16))
