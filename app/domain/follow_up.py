"""After the vote: what became of each measure of the adopted plan, and whether the
neighbourhood's indicators are on course to their targets ("afspraken nakomen").

Execution. Each measure of the adopted plan has a status from a list the wijkteam can extend
(the five below come with every process), a progress from 0 to 100 percent, the organisation
that carries it out, planned and actual start and end, milestones (a day and a short text) and
the money actually spent per calendar year. A status may need a reason: "uitgesteld" and "gaat
niet door" always do, in plain words, because residents are owed an explanation also when
something cannot be done. When a measure gets another status and no progress is given, it takes
the status's default progress; a status without one (uitgesteld, gaat niet door) keeps the
progress the measure had.

Course. An indicator has a baseline (year and value), targets by year and, after the vote,
measured values by year. Its course is judged on its latest measurement after the baseline year,
against a straight line from the baseline to the next target (after a target, from that target to
the next one; after the last target, the last target itself): on or better than the line is "on
course" ("op koers"), worse is "behind" ("achter"). Better is higher, or lower for an indicator
where lower is better (nuisance, feeling unsafe). The line's value is exact (a fraction); it is
rounded only when shown.

Problems are the menu wing's `Problem`s (a code with parameters and a place; worded from the
catalogue at the edge), placed on the field they are about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from types import MappingProxyType

from app.domain.menu.cells import slug
from app.domain.menu.problems import N_, Problem, Where

PROGRESS_MAX = 100
REASON_MAX = 1000
ORGANISATION_MAX = 200
MILESTONE_TEXT_MAX = 200
MILESTONES_MAX = 100
STATUS_LABEL_MAX = 60
SOURCE_MAX = 200
AMOUNT_MAX = 2**31 - 1  # whole euros in a year, as the database's integer holds them
YEARS = (1900, 2200)


@dataclass(frozen=True)
class Status:
    """A status a measure can have: its key, its label, its default progress, whether it needs
    a reason. A built-in status's label is a catalogue message (shown in the reader's language);
    a status the wijkteam added has the label as they typed it."""

    key: str
    label: str
    default_progress: int | None
    needs_reason: bool = False
    builtin: bool = False


BUILTIN_STATUSES: tuple[Status, ...] = (
    Status("gepland", N_("planned"), 0, builtin=True),
    Status("bezig", N_("in progress"), 10, builtin=True),
    Status("klaar", N_("done"), 100, builtin=True),
    Status("uitgesteld", N_("postponed"), None, needs_reason=True, builtin=True),
    Status("gaat-niet-door", N_("not going ahead"), None, needs_reason=True, builtin=True),
)
FIRST_STATUS = BUILTIN_STATUSES[0].key


def status_key_for(label: str) -> str:
    """The key of a status the wijkteam adds, made from its label."""
    return slug(label, max_length=60)


def find_status(statuses: Iterable[Status], typed: str, *, labels: Mapping[str, str]) -> Status:
    """The status a person typed: its key, or its label (`labels`: key -> label as the reader
    sees it, and built-in statuses also by their Dutch and English words); KeyError if none."""
    wanted = typed.strip().casefold()
    for status in statuses:
        names = {status.key, status.label, labels.get(status.key, ""), status.key.replace("-", " ")}
        if wanted in {name.casefold() for name in names if name}:
            return status
    raise KeyError(typed)


@dataclass(frozen=True)
class Milestone:
    """Something that happened (or will) on a day, in a short text."""

    on: date
    text: str


@dataclass(frozen=True)
class Execution:
    """What became of one measure: status, progress, who, when, milestones, money spent."""

    status: str = FIRST_STATUS
    progress: int = 0
    organisation: str = ""
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    reason: str = ""
    milestones: tuple[Milestone, ...] = ()
    spent: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "milestones", tuple(sorted(self.milestones, key=_milestone_key)))
        object.__setattr__(self, "spent", MappingProxyType(dict(sorted(self.spent.items()))))

    @property
    def last_milestone(self) -> Milestone | None:
        """The milestone with the latest day."""
        return self.milestones[-1] if self.milestones else None

    @property
    def total_spent(self) -> int:
        """All money spent on it so far."""
        return sum(self.spent.values())


def _milestone_key(milestone: Milestone) -> tuple[date, str]:
    return (milestone.on, milestone.text)


@dataclass(frozen=True)
class ExecutionChange:
    """A change to a measure's execution; a field left as None stays as it is.

    `milestones`, when given, replaces all of them. `spent` sets the years it names (None
    removes a year's amount) and leaves the other years. Dates and texts are cleared with "" (a
    text) or `CLEAR` (a date).
    """

    status: str | None = None
    progress: int | None = None
    organisation: str | None = None
    planned_start: date | object | None = None
    planned_end: date | object | None = None
    actual_start: date | object | None = None
    actual_end: date | object | None = None
    reason: str | None = None
    milestones: Sequence[Milestone] | None = None
    spent: Mapping[int, int | None] | None = None


CLEAR = object()  # in an ExecutionChange: this date becomes empty
DATE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")


def apply_change(
    current: Execution, change: ExecutionChange, statuses: Sequence[Status]
) -> tuple[Execution, list[Problem]]:
    """The execution after a change, and every problem with it (each on its field).

    With problems the returned execution is the current one, unchanged.
    """
    problems: list[Problem] = []
    by_key = {s.key: s for s in statuses}
    status_key = current.status if change.status is None else change.status
    status = by_key.get(status_key)
    if status is None:
        problems.append(
            _problem(
                "unknown_status",
                "status",
                value=status_key,
                choices=", ".join(s.key for s in statuses),
            )
        )
    progress = change.progress
    if progress is None:
        if (
            status is not None
            and status.key != current.status
            and status.default_progress is not None
        ):
            progress = status.default_progress
        else:
            progress = current.progress
    if isinstance(progress, bool) or not 0 <= progress <= PROGRESS_MAX:
        problems.append(_problem("not_a_progress", "progress", value=str(progress)))
    organisation = current.organisation if change.organisation is None else change.organisation
    organisation = organisation.strip()
    if len(organisation) > ORGANISATION_MAX:
        problems.append(
            _problem(
                "text_too_long", "organisation", length=len(organisation), max=ORGANISATION_MAX
            )
        )
    reason = (current.reason if change.reason is None else change.reason).strip()
    if len(reason) > REASON_MAX:
        problems.append(_problem("text_too_long", "reason", length=len(reason), max=REASON_MAX))
    if status is not None and status.needs_reason and not reason:
        problems.append(_problem("reason_required", "reason", status=status.key))
    dates: dict[str, date | None] = {}
    for name in DATE_FIELDS:
        given = getattr(change, name)
        if given is None:
            dates[name] = getattr(current, name)
        elif given is CLEAR:
            dates[name] = None
        else:
            assert isinstance(given, date)
            dates[name] = given
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        first, last = dates[start], dates[end]
        if first is not None and last is not None and last < first:
            problems.append(
                _problem(
                    "end_before_start",
                    end,
                    end=last.strftime("%d-%m-%Y"),
                    start=first.strftime("%d-%m-%Y"),
                )
            )
    milestones = current.milestones if change.milestones is None else tuple(change.milestones)
    if len(milestones) > MILESTONES_MAX:
        problems.append(_problem("too_many_milestones", "milestones", max=MILESTONES_MAX))
    for index, milestone in enumerate(milestones):
        text = milestone.text.strip()
        if not text:
            problems.append(_problem("milestone_text_missing", f"milestones.{index}.text"))
        elif len(text) > MILESTONE_TEXT_MAX:
            problems.append(
                _problem(
                    "text_too_long",
                    f"milestones.{index}.text",
                    length=len(text),
                    max=MILESTONE_TEXT_MAX,
                )
            )
    spent = dict(current.spent)
    for year, amount in (change.spent or {}).items():
        if not YEARS[0] <= year <= YEARS[1]:
            problems.append(_problem("not_a_year", f"spent.{year}", value=str(year)))
        elif amount is None:
            spent.pop(year, None)
        elif isinstance(amount, bool) or not 0 <= amount <= AMOUNT_MAX:
            problems.append(_problem("not_an_amount_spent", f"spent.{year}", value=str(amount)))
        else:
            spent[year] = amount
    if problems:
        return current, problems
    assert status is not None
    return (
        Execution(
            status=status.key,
            progress=progress,
            organisation=organisation,
            reason=reason,
            milestones=tuple(Milestone(m.on, m.text.strip()) for m in milestones),
            spent=spent,
            **dates,
        ),
        [],
    )


def _problem(code: str, field_name: str, **params: object) -> Problem:
    return Problem(code, params, Where(field=field_name))


def differences(before: Execution, after: Execution) -> list[tuple[str, str, str]]:
    """What changed, field by field: (field, before, after) as text (dates ISO, amounts euros).

    Milestones are listed as added or removed ones; spending per year.
    """
    changes: list[tuple[str, str, str]] = []
    for name in ("status", "progress", "organisation", *DATE_FIELDS, "reason"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append((name, _text(old), _text(new)))
    old_milestones, new_milestones = set(before.milestones), set(after.milestones)
    for milestone in after.milestones:
        if milestone not in old_milestones:
            changes.append(("milestone", "", f"{milestone.on.isoformat()} {milestone.text}"))
    for milestone in before.milestones:
        if milestone not in new_milestones:
            changes.append(("milestone", f"{milestone.on.isoformat()} {milestone.text}", ""))
    for year in sorted(set(before.spent) | set(after.spent)):
        old_amount, new_amount = before.spent.get(year), after.spent.get(year)
        if old_amount != new_amount:
            changes.append((f"spent.{year}", _text(old_amount), _text(new_amount)))
    return changes


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- indicators against their targets ---------------------------------------------------------


class Judgement(StrEnum):
    """Where an indicator stands against the line from its baseline to its targets."""

    ON_COURSE = "on_course"
    BEHIND = "behind"
    NO_MEASUREMENT = "no_measurement"  # nothing measured after the baseline year yet
    NO_TARGET = "no_target"  # no target after the baseline year to judge against


@dataclass(frozen=True)
class IndicatorFacts:
    """What the menu says of an indicator: baseline, targets by year, direction."""

    baseline_year: int
    baseline: Decimal
    targets: tuple[tuple[int, Decimal], ...] = ()
    lower_is_better: bool = False

    @property
    def course_points(self) -> tuple[tuple[int, Decimal], ...]:
        """The baseline and the targets after it, in year order: the line it should follow."""
        later = sorted((y, v) for y, v in self.targets if y > self.baseline_year)
        return ((self.baseline_year, self.baseline), *later)


@dataclass(frozen=True)
class Course:
    """An indicator's latest measurement judged against its line.

    `expected` is where the line is in the measured year; `target_year` and `target` the
    target it leads to (for a measurement after the last target: that target).
    """

    judgement: Judgement
    year: int | None = None
    value: Decimal | None = None
    expected: Fraction | None = None
    target_year: int | None = None
    target: Decimal | None = None
    lower_is_better: bool = False

    @property
    def after_last_target(self) -> bool:
        """Whether the measurement is later than every target (judged against the last one)."""
        return (
            self.year is not None and self.target_year is not None and self.year > self.target_year
        )


def expected_value(facts: IndicatorFacts, year: int) -> tuple[Fraction, int, Decimal] | None:
    """Where the line from the baseline to the targets is in a year, and the target it leads to;
    None when there is no target after the baseline year."""
    points = facts.course_points
    if len(points) < 2:
        return None
    for (year_a, value_a), (year_b, value_b) in pairwise(points):
        if year <= year_b:
            if year <= year_a:
                return Fraction(value_a), year_b, value_b
            share = Fraction(year - year_a, year_b - year_a)
            return (
                Fraction(value_a) + (Fraction(value_b) - Fraction(value_a)) * share,
                year_b,
                value_b,
            )
    last_year, last_value = points[-1]
    return Fraction(last_value), last_year, last_value


def judge(facts: IndicatorFacts, measured: Mapping[int, Decimal]) -> Course:
    """The course of an indicator from its measured values (calendar year -> value)."""
    later = sorted(year for year in measured if year > facts.baseline_year)
    if not later:
        return Course(Judgement.NO_MEASUREMENT, lower_is_better=facts.lower_is_better)
    year = later[-1]
    value = measured[year]
    line = expected_value(facts, year)
    if line is None:
        return Course(Judgement.NO_TARGET, year, value, lower_is_better=facts.lower_is_better)
    expected, target_year, target = line
    better_or_equal = (
        Fraction(value) <= expected if facts.lower_is_better else Fraction(value) >= expected
    )
    return Course(
        Judgement.ON_COURSE if better_or_equal else Judgement.BEHIND,
        year,
        value,
        expected,
        target_year,
        target,
        facts.lower_is_better,
    )
