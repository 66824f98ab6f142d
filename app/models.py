"""The tables: one family per table (Base with the shared fields, Public for the API, the table)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from app import db  # noqa: F401  (sets the constraint naming convention before any table)
from app.domain import receipts
from app.domain.menu.document import PLAIN_EXPLANATION_MAX
from app.domain.offers import CONTACT_MAX, NAME_MAX, NOTE_MAX, ContactKind
from app.domain.vocabulary import (
    BallotChannel,
    CostHorizon,
    IndicatorUnit,
    ProcessState,
    Role,
    RoundKind,
    RoundState,
    StakeholderGroup,
)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back with its zone (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; a moment without a zone is taken to be UTC already."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read it back in UTC, with the zone that SQLite does not keep."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _in(column: str, values: type[Any]) -> str:
    return f"{column} IN ({', '.join(repr(str(v.value)) for v in values)})"


def _timestamp(*, nullable: bool = True) -> Any:
    return Field(
        default=None,
        sa_type=UTCDateTime,
        nullable=nullable,
    )


def _created_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
    )


def _fk(target: str, *, ondelete: str = "CASCADE", nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        sa_type=Integer,
        nullable=nullable,
        index=True,
    )


# --- neighbourhood and process -------------------------------------------------------------


class NeighbourhoodBase(SQLModel):
    name: str = Field(max_length=120)
    municipality: str = Field(max_length=120)


class Neighbourhood(NeighbourhoodBase, table=True):
    __table_args__ = (UniqueConstraint("municipality", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _created_at()


class ProcessBase(SQLModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    budget_eur: int = Field(ge=0, description="The money available, in whole euros.")
    cost_horizon: CostHorizon = Field(
        default=CostHorizon.YEARS_4,
        sa_type=String(20),
        description="Which of the three costs of a measure counts against the budget.",
    )
    state: ProcessState = Field(
        default=ProcessState.DRAFT,
        sa_type=String(20),
    )


class Process(ProcessBase, table=True):
    __table_args__ = (
        CheckConstraint("budget_eur >= 0", name="budget_not_negative"),
        CheckConstraint(_in("cost_horizon", CostHorizon), name="cost_horizon"),
        CheckConstraint(_in("state", ProcessState), name="state"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    neighbourhood_id: int = _fk("neighbourhood.id", ondelete="RESTRICT")
    version: int = Field(default=1)
    previous_version_id: int | None = _fk("process.id", ondelete="SET NULL", nullable=True)
    seed_key: str | None = Field(
        default=None,
        max_length=80,
        unique=True,
        description="Set for processes loaded from a seed, so that loading again updates them.",
    )
    budget_note: str = Field(default="", max_length=2000)
    plan_is_public: bool = Field(default=False)
    created_at: datetime = _created_at()
    frozen_at: datetime | None = _timestamp()


# --- effects, indicators, measures ---------------------------------------------------------


class EffectBase(SQLModel):
    key: str = Field(max_length=60, description="Stable short name within the process.")
    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    plain_explanation: str = Field(
        default="",
        max_length=PLAIN_EXPLANATION_MAX,
        description="What the effect means in daily life, in plain words for residents.",
    )
    position: int = Field(default=0)


class Effect(EffectBase, table=True):
    """A desired effect; with a parent it is a sub-effect of that effect."""

    __table_args__ = (UniqueConstraint("process_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    parent_id: int | None = _fk("effect.id", nullable=True)


class IndicatorBase(SQLModel):
    key: str = Field(
        max_length=60,
        description="Stable short name within the process (from the name when a file gives none).",
    )
    name: str = Field(max_length=200)
    unit: IndicatorUnit = Field(sa_type=String(20))
    lower_is_better: bool = Field(default=False)
    baseline_year: int
    baseline_value: Decimal = Field(sa_type=Numeric(8, 2))
    city_value: Decimal | None = Field(
        default=None,
        sa_type=Numeric(8, 2),
    )
    position: int = Field(default=0)


class Indicator(IndicatorBase, table=True):
    # The key is unique within the process; the readers and the editor see to that across
    # effects, the database within an effect.
    __table_args__ = (
        CheckConstraint(_in("unit", IndicatorUnit), name="unit"),
        UniqueConstraint("effect_id", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    effect_id: int = _fk("effect.id")


class IndicatorTarget(SQLModel, table=True):
    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = _fk("indicator.id")
    year: int
    value: Decimal = Field(sa_type=Numeric(8, 2))


class MeasureBase(SQLModel):
    key: str = Field(max_length=60, description="Stable short name within the process.")
    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    plain_explanation: str = Field(
        default="",
        max_length=PLAIN_EXPLANATION_MAX,
        description="What the measure does for a resident, in plain words.",
    )
    organisation: str = Field(default="", max_length=200)
    cost_year_1: int | None = Field(default=None, ge=0, description="Cost in year 1, euros.")
    cost_years_4: int | None = Field(default=None, ge=0, description="Cost over 4 years, euros.")
    cost_years_10: int | None = Field(default=None, ge=0, description="Cost over 10 years, euros.")
    is_regular: bool = Field(
        default=False, description="Paid from regular budgets: no extra cost ('regulier')."
    )
    position: int = Field(default=0)


class Measure(MeasureBase, table=True):
    __table_args__ = (
        UniqueConstraint("process_id", "key"),
        CheckConstraint(
            "(cost_year_1 IS NULL OR cost_year_1 >= 0) AND "
            "(cost_years_4 IS NULL OR cost_years_4 >= 0) AND "
            "(cost_years_10 IS NULL OR cost_years_10 >= 0)",
            name="costs_not_negative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    group_effect_id: int | None = _fk("effect.id", ondelete="SET NULL", nullable=True)


class MeasureEffect(SQLModel, table=True):
    """A measure is expected to contribute to this effect (and is rated on it in Zeven)."""

    __tablename__ = "measure_effect"

    measure_id: int = Field(
        sa_column_args=[ForeignKey("measure.id", ondelete="CASCADE")],
        primary_key=True,
    )
    effect_id: int = Field(
        sa_column_args=[ForeignKey("effect.id", ondelete="CASCADE")],
        primary_key=True,
        index=True,
    )


# --- meetings, rounds, participants, ballots -------------------------------------------------


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    title: str = Field(max_length=200)
    location: str = Field(default="", max_length=200)
    starts_at: datetime | None = _timestamp()
    created_at: datetime = _created_at()
    projector_opened_at: datetime | None = _timestamp()


class Round(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("meeting_id", "kind", "run"),
        CheckConstraint(_in("kind", RoundKind), name="kind"),
        CheckConstraint(_in("state", RoundState), name="state"),
        CheckConstraint("run >= 1", name="run_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = _fk("meeting.id")
    kind: RoundKind = Field(sa_type=String(20))
    run: int = Field(default=1, description="1 the first time this kind is run, 2 the next...")
    state: RoundState = Field(
        default=RoundState.DRAFT,
        sa_type=String(20),
    )
    requires_code: bool = Field(default=True)
    results_visible: bool = Field(default=False)
    position: int = Field(default=0, description="Place in the meeting's order of rounds.")
    repeats_round_id: int | None = _fk("round.id", ondelete="SET NULL", nullable=True)
    created_at: datetime = _created_at()
    opened_at: datetime | None = _timestamp()
    closed_at: datetime | None = _timestamp()
    # The key of the round's receipts (never shown); the list is public once published.
    receipt_secret: str = Field(default_factory=receipts.new_secret, max_length=64)
    receipts_published_at: datetime | None = _timestamp()
    reopened_at: datetime | None = _timestamp()


class ParticipantCode(SQLModel, table=True):
    """A voting-code card; the typed code and the QR token are stored only as hashes."""

    __tablename__ = "participant_code"
    __table_args__ = (
        CheckConstraint(_in("stakeholder_group", StakeholderGroup), name="stakeholder_group"),
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    batch: str = Field(default="", max_length=80)
    stakeholder_group: StakeholderGroup | None = Field(
        default=None,
        sa_type=String(20),
    )
    code_hash: str = Field(max_length=128, unique=True)
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = _created_at()
    revoked_at: datetime | None = _timestamp()
    first_used_at: datetime | None = _timestamp()


class Participant(SQLModel, table=True):
    """Someone taking part in a process: by code card, or by device when codes are not used."""

    __table_args__ = (
        UniqueConstraint("process_id", "device_hash"),
        CheckConstraint(_in("stakeholder_group", StakeholderGroup), name="stakeholder_group"),
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    code_id: int | None = Field(
        default=None,
        sa_column_args=[ForeignKey("participant_code.id", ondelete="SET NULL")],
        unique=True,
    )
    device_hash: str | None = Field(default=None, max_length=128)
    stakeholder_group: StakeholderGroup | None = Field(
        default=None,
        sa_type=String(20),
    )
    created_at: datetime = _created_at()


class Ballot(SQLModel, table=True):
    """One participant's ballot in one round; submitting again replaces its lines."""

    __table_args__ = (
        UniqueConstraint("round_id", "participant_id"),
        CheckConstraint(_in("channel", BallotChannel), name="channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("round.id")
    participant_id: int = _fk("participant.id")
    channel: BallotChannel = Field(
        default=BallotChannel.PHONE,
        sa_type=String(20),
    )
    entered_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)
    is_late: bool = Field(
        default=False, description="A paper ballot entered after the round closed, by choice."
    )
    submitted_at: datetime = _created_at()
    updated_at: datetime | None = _timestamp()


class BallotOpened(SQLModel, table=True):
    """A phone was shown the ballot of an open round: counted as joined, and busy until it votes."""

    __tablename__ = "ballot_opened"
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("round.id")
    participant_id: int = _fk("participant.id")
    opened_at: datetime = _created_at()


class PaperEntry(SQLModel, table=True):
    """A paper ballot typed in at the table, and what it replaced, so that it can be undone."""

    __tablename__ = "paper_entry"
    __table_args__ = (
        CheckConstraint(
            "replaced_channel IS NULL OR " + _in("replaced_channel", BallotChannel),
            name="replaced_channel",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = _fk("round.id")
    participant_id: int = _fk("participant.id")
    ballot_id: int | None = _fk("ballot.id", ondelete="SET NULL", nullable=True)
    entered_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)
    entered_at: datetime = _created_at()
    is_late: bool = Field(default=False)
    replaced_channel: BallotChannel | None = Field(default=None, sa_type=String(20))
    replaced_entered_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)
    replaced_is_late: bool = Field(default=False)
    replaced_submitted_at: datetime | None = _timestamp()
    replaced_updated_at: datetime | None = _timestamp()
    replaced_lines: list[list[int | None]] | None = Field(default=None, sa_type=JSON)
    undone_at: datetime | None = _timestamp()
    undone_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)


class BallotSubmission(SQLModel, table=True):
    """Each time a ballot was sent, by its idempotency key, so that every retry is recognised.

    A ballot keeps only its latest lines; this log keeps every key it was sent with, so that a
    late retry of an earlier submission cannot overwrite a newer one.
    """

    __tablename__ = "ballot_submission"
    __table_args__ = (
        UniqueConstraint("round_id", "idempotency_key"),
        CheckConstraint(_in("channel", BallotChannel), name="channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = _fk("ballot.id")
    round_id: int = _fk("round.id")
    idempotency_key: str = Field(max_length=80)
    channel: BallotChannel = Field(sa_type=String(20))
    submitted_at: datetime = _created_at()


class BallotLine(SQLModel, table=True):
    """Wegen: points for an effect; Zeven: a score for a measure on an effect; Kiezen: a pick."""

    __tablename__ = "ballot_line"
    __table_args__ = (
        UniqueConstraint("ballot_id", "measure_id", "effect_id"),
        CheckConstraint("measure_id IS NOT NULL OR effect_id IS NOT NULL", name="has_subject"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = _fk("ballot.id")
    measure_id: int | None = _fk("measure.id", nullable=True)
    effect_id: int | None = _fk("effect.id", nullable=True)
    value: int


class PlanSnapshot(SQLModel, table=True):
    """A computed bewonersplan, immutable once stored; adopted when the wijkteam says so."""

    __tablename__ = "plan_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    rule: str = Field(max_length=40)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    fingerprint: str = Field(max_length=128, index=True)
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created_at()
    adopted_at: datetime | None = _timestamp()
    adopted_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)


# --- after the vote: the plan in time, and residents who offer to help ----------------------


class PlanSchedule(SQLModel, table=True):
    """An adopted plan put in time: the wijkteam's draft, or an adopted, immutable schedule."""

    __tablename__ = "plan_schedule"

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    plan_snapshot_id: int = _fk("plan_snapshot.id")
    money: list[int] = Field(default_factory=list, sa_type=JSON)
    carry_over: bool = Field(default=False)
    starts: dict[str, int | None] = Field(default_factory=dict, sa_type=JSON)
    fingerprint: str = Field(default="", max_length=128)
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created_at()
    updated_at: datetime | None = _timestamp()
    adopted_at: datetime | None = _timestamp()
    adopted_by_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)


class HelpOffer(SQLModel, table=True):
    """A resident's offer to help with a measure: personal data, never linked to a ballot.

    `holder` lets the resident find their own offers again through their card; it is a keyed
    hash, not a reference to a participant, a code card or a ballot (a test keeps it so).
    """

    __tablename__ = "help_offer"
    __table_args__ = (
        UniqueConstraint("measure_id", "holder"),
        CheckConstraint(_in("contact_kind", ContactKind), name="contact_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    measure_id: int = _fk("measure.id")
    holder: str = Field(max_length=64, index=True)
    name: str = Field(max_length=NAME_MAX)
    contact_kind: ContactKind = Field(sa_type=String(10))
    contact: str = Field(max_length=CONTACT_MAX)
    note: str = Field(default="", max_length=NOTE_MAX)
    consent: str = Field(max_length=2000, description="The consent text the resident agreed to.")
    offered_on: date = Field(sa_type=Date)
    keep_until: date = Field(sa_type=Date, index=True)
    contacted_at: datetime | None = _timestamp()


# --- after the vote: what became of each measure, and the indicators measured -----------------


class FollowUp(SQLModel, table=True):
    """The follow-up of a process's adopted plan: its first calendar year, and whether it is
    public."""

    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(
        sa_column_args=[ForeignKey("process.id", ondelete="CASCADE")], unique=True
    )
    first_year: int = Field(description="The calendar year of the plan's year 1.")
    is_public: bool = Field(default=False)
    created_at: datetime = _created_at()
    updated_at: datetime | None = _timestamp()


class FollowUpStatus(SQLModel, table=True):
    """A status the wijkteam added to the built-in ones (gepland, bezig, klaar, ...)."""

    __tablename__ = "follow_up_status"
    __table_args__ = (
        UniqueConstraint("process_id", "key"),
        CheckConstraint(
            "default_progress IS NULL OR (default_progress >= 0 AND default_progress <= 100)",
            name="default_progress",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    key: str = Field(max_length=60)
    label: str = Field(max_length=60)
    default_progress: int | None = Field(default=None)
    needs_reason: bool = Field(default=False)
    position: int = Field(default=0)


class MeasureExecution(SQLModel, table=True):
    """What became of a measure of the adopted plan: status, progress, who, when, why."""

    __tablename__ = "measure_execution"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = _fk("process.id")
    measure_id: int = Field(
        sa_column_args=[ForeignKey("measure.id", ondelete="CASCADE")], unique=True
    )
    status: str = Field(max_length=60)
    progress: int = Field(default=0)
    organisation: str = Field(default="", max_length=200)
    planned_start: date | None = Field(default=None, sa_type=Date)
    planned_end: date | None = Field(default=None, sa_type=Date)
    actual_start: date | None = Field(default=None, sa_type=Date)
    actual_end: date | None = Field(default=None, sa_type=Date)
    reason: str = Field(default="", max_length=1000)
    updated_at: datetime | None = _timestamp()


class ExecutionMilestone(SQLModel, table=True):
    """A milestone of a measure's execution: a day and a short text."""

    __tablename__ = "execution_milestone"

    id: int | None = Field(default=None, primary_key=True)
    execution_id: int = _fk("measure_execution.id")
    day: date = Field(sa_type=Date)
    text: str = Field(max_length=200)


class ExecutionSpending(SQLModel, table=True):
    """Money actually spent on a measure in a calendar year, whole euros."""

    __tablename__ = "execution_spending"
    __table_args__ = (
        UniqueConstraint("execution_id", "year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    execution_id: int = _fk("measure_execution.id")
    year: int
    amount: int


class IndicatorValue(SQLModel, table=True):
    """A value of an indicator measured in a year (by the liveability monitor), with its source."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = _fk("indicator.id")
    year: int
    value: Decimal = Field(sa_type=Numeric(8, 2))
    source: str = Field(default="", max_length=200)
    updated_at: datetime = _created_at()


class FollowUpEvent(SQLModel, table=True):
    """One change to the follow-up, as residents see it in its history and feed (no names)."""

    __tablename__ = "follow_up_event"
    __table_args__ = (Index("ix_follow_up_event_process_id_at", "process_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(sa_column_args=[ForeignKey("process.id", ondelete="CASCADE")])
    at: datetime = _created_at()
    kind: str = Field(max_length=40, description="measure, indicator or plan.")
    subject_key: str = Field(default="", max_length=60)
    subject: str = Field(default="", max_length=300, description="Its title at the time.")
    changes: list[list[str]] = Field(
        default_factory=list, sa_type=JSON, description="[field, before, after] per change."
    )


# --- accounts, sessions, audit ---------------------------------------------------------------


class UserBase(SQLModel):
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=String(20))


class User(UserBase, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        UniqueConstraint("email"),
        CheckConstraint(_in("role", Role), name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    must_change_password: bool = Field(
        default=False, description="The password is a one-time password: change it at login."
    )
    created_at: datetime = _created_at()
    password_changed_at: datetime | None = _timestamp()


class ProcessFacilitator(SQLModel, table=True):
    """A facilitator may run the meetings of this process (and sees no other)."""

    __tablename__ = "process_facilitator"

    process_id: int = Field(
        sa_column_args=[ForeignKey("process.id", ondelete="CASCADE")], primary_key=True
    )
    user_id: int = Field(
        sa_column_args=[ForeignKey("app_user.id", ondelete="CASCADE")],
        primary_key=True,
        index=True,
    )


class UserSession(SQLModel, table=True):
    """A server-side login session; the cookie holds a token whose hash is stored here."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _fk("app_user.id")
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = _timestamp()
    ip_address: str = Field(default="", max_length=64)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to which object."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_process_id_at", "process_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created_at()
    user_id: int | None = _fk("app_user.id", ondelete="SET NULL", nullable=True)
    action: str = Field(max_length=80, index=True)
    object_type: str = Field(default="", max_length=40)
    object_id: str = Field(default="", max_length=40)
    process_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("process.id", ondelete="SET NULL")]
    )
    ip_address: str = Field(default="", max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AddressCheck(SQLModel, table=True):
    """A test QR code on the console: reached when a phone on the room's network opens it."""

    __tablename__ = "address_check"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = _fk("meeting.id")
    token: str = Field(max_length=64, unique=True)
    address: str = Field(max_length=300, description="The public address the QR code points to.")
    created_at: datetime = _created_at()
    reached_at: datetime | None = _timestamp()
    reached_via: str = Field(default="", max_length=300)
    reached_from: str = Field(default="", max_length=64)


# --- what the API and the pages show of a menu --------------------------------------------------


class ProcessPublic(ProcessBase):
    id: int
    neighbourhood: str
    municipality: str
    version: int
    budget_note: str


class CostTotals(SQLModel):
    """Sums of costs in whole euros per horizon."""

    year_1: int
    years_4: int
    years_10: int


class IndicatorTargetPublic(SQLModel):
    year: int
    value: float


class IndicatorPublic(SQLModel):
    key: str
    name: str
    unit: IndicatorUnit
    lower_is_better: bool
    baseline_year: int
    baseline_value: float
    city_value: float | None
    targets: list[IndicatorTargetPublic]


class SubEffectPublic(SQLModel):
    id: int
    key: str
    title: str
    description: str
    plain_explanation: str


class MeasurePublic(MeasureBase):
    id: int
    group: str = Field(description="Key of the effect the measure is listed under.")
    effect_keys: list[str] = Field(description="Keys of the effects the measure contributes to.")
    cost: int | None = Field(description="The cost at the process's binding horizon, euros.")


class EffectPublic(SQLModel):
    id: int
    key: str
    title: str
    description: str
    plain_explanation: str = Field(
        description="What the effect means in daily life, in plain words for residents."
    )
    sub_effects: list[SubEffectPublic]
    indicators: list[IndicatorPublic]
    measures: list[MeasurePublic] = Field(description="The measures listed under this effect.")
    contributing_measure_keys: list[str] = Field(
        description="Measures listed under another effect that also contribute to this one."
    )
    totals: CostTotals = Field(description="Costs of the measures listed under this effect.")


class DataQualityWarning(SQLModel):
    entry: str
    code: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict)


class MenuPublic(SQLModel):
    process: ProcessPublic
    budget_eur: int
    cost_horizon: CostHorizon
    measure_count: int
    totals: CostTotals = Field(description="Costs of the whole menu.")
    binding_total: int = Field(description="The menu's total at the binding horizon, euros.")
    effects: list[EffectPublic]
    warnings: list[DataQualityWarning]
