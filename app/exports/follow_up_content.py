"""The follow-up of an adopted plan as data: what the public page, its feed, the wijkteam's page
and the JSON API render, with the sentences residents read (in their language).

Years are calendar years. Amounts are whole euros. Indicator values are numbers with at most two
decimals; a value on the line between baseline and target is exact in the domain and rounded to
two decimals here.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.numbers import format_decimal
from pydantic import BaseModel, Field

from app.domain.follow_up import Judgement
from app.i18n import BABEL_LOCALES, current_language, euro
from app.i18n import gettext as _

FOLLOW_UP_SCHEMA_VERSION = 1


def value_text(value: float | None, unit: str) -> str:
    """An indicator value as residents read it: 21%, 6,8 (a mark), 4,1 (a score)."""
    if value is None:
        return "–"
    number = format_decimal(
        round(value, 2), format="#,##0.##", locale=BABEL_LOCALES[current_language.get()]
    )
    return f"{number}%" if unit == "percent" else number


def day_text(day: date | None) -> str:
    """A day as 15-03-2008."""
    return day.strftime("%d-%m-%Y") if day else "–"


class StatusPublic(BaseModel):
    """A status a measure can have."""

    key: str
    label: str = Field(description="In the reader's language for the built-in statuses.")
    default_progress: int | None = Field(description="null: keeps the progress it had.")
    needs_reason: bool
    builtin: bool


class MilestonePublic(BaseModel):
    """A milestone: a day and a short text."""

    date: date
    text: str


class MeasureFollowUp(BaseModel):
    """A measure of the adopted plan and what became of it."""

    key: str
    title: str
    rank: int
    binding_cost: int
    status: str
    status_label: str
    needs_reason: bool
    progress: int = Field(description="0 to 100 (percent).")
    organisation: str
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    reason: str
    milestones: list[MilestonePublic]
    planned_by_year: dict[int, int] = Field(
        description="From the adopted schedule: calendar year -> euros (empty without one)."
    )
    spent_by_year: dict[int, int] = Field(description="Calendar year -> euros actually spent.")
    total_spent: int
    updated_at: datetime | None

    @property
    def last_milestone(self) -> MilestonePublic | None:
        """The milestone with the latest day."""
        return self.milestones[-1] if self.milestones else None

    def when_text(self) -> str:
        """When it was planned and when it started and ended, in a short sentence."""
        parts = []
        if self.actual_start or self.actual_end:
            parts.append(
                _("Carried out: %(start)s to %(end)s")
                % {"start": day_text(self.actual_start), "end": day_text(self.actual_end)}
            )
        if self.planned_start or self.planned_end:
            parts.append(
                _("Planned: %(start)s to %(end)s")
                % {"start": day_text(self.planned_start), "end": day_text(self.planned_end)}
            )
        return ". ".join(parts)


class MoneyYear(BaseModel):
    """One calendar year: what the adopted schedule planned, and what was spent."""

    year: int
    planned: int | None = Field(description="null: no adopted schedule covers this year.")
    spent: int


class TargetPublic(BaseModel):
    year: int
    value: float


class ValuePublic(BaseModel):
    """A value measured in a year, and where it comes from."""

    year: int
    value: float
    source: str


class CoursePublic(BaseModel):
    """The latest measurement judged against the line from the baseline to the targets."""

    judgement: Judgement
    year: int | None
    value: float | None
    expected: float | None = Field(description="Where the line is in that year (rounded).")
    target_year: int | None
    target: float | None


class IndicatorFollowUp(BaseModel):
    """An indicator with its baseline, city average, targets, measured values and course."""

    key: str
    name: str
    unit: str
    lower_is_better: bool
    baseline_year: int
    baseline: float
    city: float | None
    targets: list[TargetPublic]
    values: list[ValuePublic]
    course: CoursePublic

    def show(self, value: float | None) -> str:
        """A value of this indicator as residents read it."""
        return value_text(value, self.unit)

    def judgement_label(self) -> str:
        """On course, behind, or why there is no judgement: a short label."""
        return {
            Judgement.ON_COURSE: _("On course"),
            Judgement.BEHIND: _("Behind"),
            Judgement.NO_MEASUREMENT: _("Not measured yet"),
            Judgement.NO_TARGET: _("No target"),
        }[self.course.judgement]

    def sentence(self) -> str:
        """The course in plain words."""
        c = self.course
        params = {
            "name": self.name,
            "year": c.year,
            "value": self.show(c.value),
            "expected": self.show(c.expected),
            "target": self.show(c.target),
            "target_year": c.target_year,
            "baseline_year": self.baseline_year,
        }
        if c.judgement is Judgement.NO_MEASUREMENT:
            return _("Not measured again since %(baseline_year)s.") % params
        if c.judgement is Judgement.NO_TARGET:
            return (
                _("In %(year)s it was %(value)s. There is no target to compare it with.") % params
            )
        on_course = c.judgement is Judgement.ON_COURSE
        at_or_after_target = (c.year or 0) >= (c.target_year or 0)
        lower = self.lower_is_better
        if at_or_after_target and on_course:
            text = (
                _(
                    "In %(year)s it was %(value)s: the target for %(target_year)s, %(target)s "
                    "or lower, is reached."
                )
                if lower
                else _(
                    "In %(year)s it was %(value)s: the target for %(target_year)s, %(target)s "
                    "or higher, is reached."
                )
            )
        elif at_or_after_target:
            text = (
                _(
                    "In %(year)s it was %(value)s: the target for %(target_year)s was "
                    "%(target)s or lower."
                )
                if lower
                else _(
                    "In %(year)s it was %(value)s: the target for %(target_year)s was "
                    "%(target)s or higher."
                )
            )
        elif lower:
            text = _(
                "In %(year)s it was %(value)s. To reach %(target)s in %(target_year)s, it had to "
                "be %(expected)s or lower in %(year)s."
            )
        else:
            text = _(
                "In %(year)s it was %(value)s. To reach %(target)s in %(target_year)s, it had to "
                "be %(expected)s or higher in %(year)s."
            )
        return text % params

    def direction_text(self) -> str:
        """Which way is better."""
        return _("Lower is better.") if self.lower_is_better else _("Higher is better.")


class EffectFollowUp(BaseModel):
    """A desired effect and its indicators."""

    key: str
    title: str
    indicators: list[IndicatorFollowUp]


class EventPublic(BaseModel):
    """One change, as the history and the feed show it: when, what, and each field's change."""

    id: int
    at: datetime
    kind: str = Field(description="measure or indicator.")
    subject_key: str
    subject: str
    changes: list[list[str]] = Field(description="[field, before, after]; empty: not set.")


class FollowUpProcess(BaseModel):
    id: int
    title: str
    neighbourhood: str
    municipality: str


class FollowUpContent(BaseModel):
    """The follow-up of the adopted plan: measures, money per year, indicators, history."""

    schema_version: int = FOLLOW_UP_SCHEMA_VERSION
    process: FollowUpProcess
    published: bool
    first_year: int = Field(description="The calendar year of the plan's year 1.")
    plan_snapshot_id: int
    plan_adopted_at: datetime | None
    schedule_adopted: bool = Field(description="Whether the planned amounts per year are known.")
    statuses: list[StatusPublic]
    measures: list[MeasureFollowUp]
    money: list[MoneyYear]
    planned_total: int = Field(description="The plan's cost over its binding horizon.")
    spent_total: int
    effects: list[EffectFollowUp]
    last_change_at: datetime | None
    history: list[EventPublic] = Field(description="The latest changes, newest first.")

    def status_label(self, key: str) -> str:
        """A status's label in the reader's language (its key when it is no longer listed)."""
        return next((s.label for s in self.statuses if s.key == key), key)

    def change_texts(self, event: EventPublic) -> list[str]:
        """An event's changes in plain words; a measured value and its source in one line."""
        values = {
            name.split(".", 1)[1] for name, _b, _a in event.changes if name.startswith("value.")
        }
        sources = {
            name.split(".", 1)[1]: after
            for name, _before, after in event.changes
            if name.startswith("source.")
        }
        texts = []
        for change in event.changes:
            name = change[0]
            if name.startswith("source.") and name.split(".", 1)[1] in values:
                continue
            text = self.change_text(event, change)
            source = sources.get(name.split(".", 1)[1]) if name.startswith("value.") else None
            texts.append(f"{text} ({source})" if source and change[2] else text)
        return texts

    def change_text(self, event: EventPublic, change: list[str]) -> str:
        """One change of an event in plain words."""
        name, before, after = change
        if name == "status":
            before, after = self.status_label(before), self.status_label(after)
        elif name == "progress":
            before, after = (f"{v}%" if v else v for v in (before, after))
        elif name in {"planned_start", "planned_end", "actual_start", "actual_end"}:
            before, after = (day_text(date.fromisoformat(v)) if v else "" for v in (before, after))
        elif name.startswith(("spent.", "value.")):
            unit = self._unit(event.subject_key)
            shown = (
                (euro(int(v)) if v else "" for v in (before, after))
                if name.startswith("spent.")
                else (value_text(float(v), unit) if v else "" for v in (before, after))
            )
            before, after = shown
        elif name == "milestone":
            return (
                _("New milestone: %(milestone)s") % {"milestone": self._milestone(after)}
                if after
                else _("Milestone taken away: %(milestone)s")
                % {"milestone": self._milestone(before)}
            )
        label = self._field_label(name)
        if not before:
            return _("%(field)s: %(after)s") % {"field": label, "after": after}
        if not after:
            return _("%(field)s: %(before)s taken away") % {"field": label, "before": before}
        return _("%(field)s: %(before)s → %(after)s") % {
            "field": label,
            "before": before,
            "after": after,
        }

    def _unit(self, indicator_key: str) -> str:
        for effect in self.effects:
            for indicator in effect.indicators:
                if indicator.key == indicator_key:
                    return indicator.unit
        return "score"

    @staticmethod
    def _milestone(text: str) -> str:
        day, _sep, rest = text.partition(" ")
        try:
            return f"{day_text(date.fromisoformat(day))} {rest}"
        except ValueError:
            return text

    @staticmethod
    def _field_label(name: str) -> str:
        if name.startswith("spent."):
            return _("spent in %(year)s") % {"year": name.split(".", 1)[1]}
        if name.startswith("value."):
            return _("measured in %(year)s") % {"year": name.split(".", 1)[1]}
        if name.startswith("source."):
            return _("source of %(year)s") % {"year": name.split(".", 1)[1]}
        labels = {
            "status": _("status"),
            "progress": _("progress"),
            "organisation": _("carried out by"),
            "planned_start": _("planned start"),
            "planned_end": _("planned end"),
            "actual_start": _("started"),
            "actual_end": _("ended"),
            "reason": _("reason"),
        }
        return labels.get(name, name)
