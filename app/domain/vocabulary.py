"""The fixed words of the Waardenzeef: round kinds, states, cost horizons, stakeholder groups."""

from __future__ import annotations

from enum import StrEnum


class CostHorizon(StrEnum):
    """Which of a measure's three costs binds the budget."""

    YEAR_1 = "year_1"
    YEARS_4 = "years_4"
    YEARS_10 = "years_10"


class ProcessState(StrEnum):
    """Where a process is: being prepared, running meetings, or finished."""

    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class RoundKind(StrEnum):
    """The three rounds of a meeting night: weigh the effects, sieve the measures, choose."""

    WEGEN = "wegen"
    ZEVEN = "zeven"
    KIEZEN = "kiezen"


class RoundState(StrEnum):
    """A round is prepared, open for ballots, or closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class StakeholderGroup(StrEnum):
    """The belanghebbenden the action plan names."""

    BEWONER = "bewoner"
    ONDERNEMER = "ondernemer"
    STUDENT = "student"
    WERKER = "werker"


class BallotChannel(StrEnum):
    """How a ballot arrived: on a phone, or typed in from paper by a facilitator."""

    PHONE = "phone"
    PAPER = "paper"


class Role(StrEnum):
    """What an account may do."""

    WIJKTEAM = "wijkteam"
    FACILITATOR = "facilitator"


class IndicatorUnit(StrEnum):
    """How an indicator of the liveability monitor is expressed."""

    GRADE = "grade"
    PERCENT = "percent"
    SCORE = "score"
