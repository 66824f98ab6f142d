"""Before the evening ("Klaar voor de avond?"): is everything a meeting needs in place?

Each line is a fact the page shows in green or red, with what to do about it: the menu, the
cards, a facilitator, the rounds in order, the address phones reach (and the test QR code), the
projector window, PDF support and the time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain.vocabulary import RoundKind, RoundState
from app.exports import cards as cards_export
from app.models import (
    Effect,
    Measure,
    Meeting,
    ParticipantCode,
    Process,
    ProcessFacilitator,
    Round,
    User,
    utcnow,
)
from app.services import access, address_checks
from app.services import meetings as meetings_service
from app.services import rounds as rounds_service
from app.settings import PLACEHOLDER_SECRETS, PublicAddress, get_settings, public_address

# The projector counts as opened for tonight when it was shown within this time.
PROJECTOR_FRESH = timedelta(hours=12)
# How often a projector that stays open notes that it is there (a write, so not every view).
PROJECTOR_NOTE_EVERY = timedelta(minutes=5)
ORDER = {RoundKind.WEGEN: 0, RoundKind.ZEVEN: 1, RoundKind.KIEZEN: 2}


@dataclass(frozen=True)
class Preflight:
    """Everything the pre-flight page checks for one meeting."""

    meeting: Meeting
    process: Process
    frozen_at: datetime | None
    effects: int
    measures: int
    cards_live: int
    cards_used: int
    codes_needed: bool
    facilitators: list[str]
    rounds: list[Round]
    out_of_order: list[Round]
    address: PublicAddress
    check: address_checks.CheckState
    projector_opened_at: datetime | None
    pdf_missing: str | None
    time_zone: str
    time_zone_ok: bool
    now: datetime
    secret_is_placeholder: bool

    @property
    def menu_ok(self) -> bool:
        """Frozen already, or ready to be frozen by the first round (effects and measures)."""
        return self.frozen_at is not None or (self.effects > 0 and self.measures > 0)

    @property
    def cards_ok(self) -> bool:
        """Cards enough for rounds that need a code."""
        return self.cards_live > 0 or not self.codes_needed

    @property
    def rounds_ok(self) -> bool:
        """At least one round, and none before a kind that should come first."""
        return bool(self.rounds) and not self.out_of_order

    @property
    def projector_ok(self) -> bool:
        """The projector window was opened recently."""
        return self.projector_opened_at is not None and (
            self.now - rounds_service.aware(self.projector_opened_at) < PROJECTOR_FRESH
        )

    @property
    def address_ok(self) -> bool:
        """Phones can reach the address, and one did."""
        return not self.address.is_loopback and self.check.reached

    @property
    def all_ok(self) -> bool:
        """Every line is green."""
        return all(
            (
                self.menu_ok,
                self.cards_ok,
                bool(self.facilitators),
                self.rounds_ok,
                self.address_ok,
                self.projector_ok,
                self.pdf_missing is None,
                self.time_zone_ok,
                not self.secret_is_placeholder or self.address.is_loopback,
            )
        )


def _out_of_order(rounds: list[Round]) -> list[Round]:
    # A kind's first run placed after a kind that should come later (Wegen after Zeven...).
    wrong, highest = [], -1
    for round_ in rounds:
        rank = ORDER[round_.kind]
        if round_.run == 1 and rank < highest:
            wrong.append(round_)
        highest = max(highest, rank)
    return wrong


def check(session: Session, *, user: User, meeting_id: int) -> Preflight:
    """The pre-flight checks of a meeting, for a facilitator of its process."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    process = meetings_service.get_process(session, meeting=meeting)
    rounds = meetings_service.rounds_of(session, meeting_id=meeting_id)
    count = func.count()
    effects = session.exec(
        select(count).select_from(Effect).where(Effect.process_id == process.id)
    ).one()
    measures = session.exec(
        select(count).select_from(Measure).where(Measure.process_id == process.id)
    ).one()
    live, used = session.exec(
        select(count, func.count(col(ParticipantCode.first_used_at))).where(
            ParticipantCode.process_id == process.id, col(ParticipantCode.revoked_at).is_(None)
        )
    ).one()
    facilitators = session.exec(
        select(User.email)
        .join(ProcessFacilitator, col(ProcessFacilitator.user_id) == User.id)
        .where(ProcessFacilitator.process_id == process.id, col(User.is_active).is_(True))
        .order_by(col(User.email))
    ).all()
    settings = get_settings()
    try:
        ZoneInfo(settings.time_zone)
        zone_ok = True
    except (KeyError, ValueError):
        zone_ok = False
    return Preflight(
        meeting=meeting,
        process=process,
        frozen_at=process.frozen_at,
        effects=int(effects),
        measures=int(measures),
        cards_live=int(live),
        cards_used=int(used),
        codes_needed=any(r.requires_code and r.state != RoundState.CLOSED for r in rounds),
        facilitators=list(facilitators),
        rounds=rounds,
        out_of_order=_out_of_order(rounds),
        address=public_address(),
        check=address_checks.state(session, meeting_id=meeting_id),
        projector_opened_at=meeting.projector_opened_at,
        pdf_missing=cards_export.pdf_unavailable(),
        time_zone=settings.time_zone,
        time_zone_ok=zone_ok,
        now=utcnow(),
        secret_is_placeholder=settings.secret_key.strip().lower() in PLACEHOLDER_SECRETS,
    )


def projector_needs_note(meeting: Meeting) -> bool:
    """Whether the projector's view should be noted now (not on every refresh)."""
    seen = meeting.projector_opened_at
    return seen is None or utcnow() - rounds_service.aware(seen) > PROJECTOR_NOTE_EVERY


def note_projector_opened(session: Session, *, meeting_id: int) -> None:
    """Note that the projector window of a meeting is open (call it in a write transaction)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is not None:
        meeting.projector_opened_at = utcnow()
        session.flush()
