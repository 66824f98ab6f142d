"""Residents who offer to help with a measure (meedoen), and what the wijkteam does with it.

An offer is personal data and is kept apart from everything a resident voted: its row refers to
the process and the measure, and to its resident only through `holder`, a keyed hash of the
participant that the resident's own cookie (from their card) reproduces, so that they see and
withdraw their offers; no page, export or query of the wijkteam joins it to a participant, card or
ballot. It stores the day it was made, not the time, and the audit log records residents' actions
on offers with the day only, so that neither can be lined up with the time of a ballot.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.domain import offers as rules
from app.domain.offers import ContactKind, ContactProblem, InvalidContact
from app.errors import N_, InvalidInput, NotFound
from app.i18n import gettext
from app.models import (
    Effect,
    HelpOffer,
    Measure,
    Neighbourhood,
    Participant,
    PlanSnapshot,
    Process,
    User,
    utcnow,
)
from app.services import audit
from app.settings import get_settings

CONTACT_PROBLEMS = {
    ContactProblem.EMPTY: N_("contact: fill in how the wijkteam can reach you."),
    ContactProblem.TOO_LONG: N_("contact: this is too long."),
    ContactProblem.NOT_A_PHONE_NUMBER: N_(
        "contact: '%(typed)s' is not a phone number we can call (like 06 12345678)."
    ),
    ContactProblem.NOT_AN_EMAIL_ADDRESS: N_(
        "contact: '%(typed)s' is not an e-mail address (like naam@voorbeeld.nl)."
    ),
}


@dataclass(frozen=True)
class OfferInput:
    """What a resident fills in: the measures, name, one way to reach them, a sentence, consent."""

    measure_ids: Sequence[int]
    name: str
    contact_kind: str
    contact: str
    note: str = ""
    consent: bool = False


@dataclass(frozen=True)
class Retention:
    """How long offers of a process are kept: the plan's first adoption, if any, decides."""

    adopted_on: date | None
    days: int

    def keep_until(self, offered_on: date) -> date:
        """The last day an offer made on this day is kept."""
        return rules.keep_until(
            offered_on=offered_on, adopted_on=self.adopted_on, retention_days=self.days
        )


@dataclass(frozen=True)
class MeasureOffers:
    """One measure with the offers of help for it (for the wijkteam)."""

    measure: Measure
    offers: list[HelpOffer]


def holder(participant: Participant) -> str:
    """The keyed hash that lets a participant's own cookie find their offers, and nothing else."""
    key = get_settings().secret_key.encode()
    message = f"help-offer-holder:{participant.process_id}:{participant.id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def today() -> date:
    """Today in the service's time zone (retention is counted in days)."""
    return datetime.now(ZoneInfo(get_settings().time_zone)).date()


def _local_day(moment: datetime) -> date:
    """The day a stored moment (UTC) falls on in the service's time zone, as `today` counts."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(get_settings().time_zone)).date()


def _first_adoption(session: Session, process_id: int) -> date | None:
    first = session.exec(
        select(func.min(PlanSnapshot.adopted_at)).where(
            PlanSnapshot.process_id == process_id, col(PlanSnapshot.adopted_at).is_not(None)
        )
    ).first()
    return None if first is None else _local_day(first)


def retention(session: Session, *, process_id: int) -> Retention:
    """The retention rule of a process's offers as it stands today."""
    return Retention(_first_adoption(session, process_id), get_settings().offer_retention_days)


def kept_until(offer: HelpOffer, rule: Retention) -> date:
    """The day an offer is kept until: as stored, or earlier once the plan has been adopted."""
    return min(offer.keep_until, rule.keep_until(offer.offered_on))


def consent_text(session: Session, *, process: Process, on: date) -> str:
    """The consent a resident gives, in their language: who sees it, for what, for how long."""
    hood = session.get(Neighbourhood, process.neighbourhood_id)
    rule = retention(session, process_id=process.id or 0)
    params = {
        "wijkteam": f"{hood.name}, {hood.municipality}" if hood else process.title,
        "until": rule.keep_until(on).strftime("%d-%m-%Y"),
        "days": rule.days,
    }
    if rule.adopted_on is not None:
        text = gettext(
            "The wijkteam of %(wijkteam)s sees your name, how to reach you and your sentence, and "
            "uses them only to ask you to help with the measures you ticked. Nobody else sees "
            "them, and your offer is never linked to how you voted. We keep your offer until "
            "%(until)s, a year after the residents' plan was adopted; then it is deleted. You can "
            "withdraw it at any time through the link on your voting card."
        )
    else:
        text = gettext(
            "The wijkteam of %(wijkteam)s sees your name, how to reach you and your sentence, and "
            "uses them only to ask you to help with the measures you ticked. Nobody else sees "
            "them, and your offer is never linked to how you voted. We keep your offer until a "
            "year after the residents' plan is adopted, and never after %(until)s; then it is "
            "deleted. You can withdraw it at any time through the link on your voting card."
        )
    return text % params


def measures(session: Session, *, process_id: int) -> list[Measure]:
    """The measures a resident can offer help with: the process's menu, in its order."""
    return list(
        session.exec(
            select(Measure)
            .join(Effect, col(Effect.id) == Measure.group_effect_id, isouter=True)
            .where(Measure.process_id == process_id)
            .order_by(col(Effect.position), col(Measure.position), col(Measure.id))
        )
    )


def menu_groups(session: Session, *, process_id: int) -> list[tuple[str, list[Measure]]]:
    """The menu's measures under the title of the effect each is listed under, in menu order."""
    groups: dict[str, list[Measure]] = {}
    for measure, title in session.exec(
        select(Measure, Effect.title)
        .join(Effect, col(Effect.id) == Measure.group_effect_id, isouter=True)
        .where(Measure.process_id == process_id)
        .order_by(col(Effect.position), col(Measure.position), col(Measure.id))
    ):
        groups.setdefault(title or "", []).append(measure)
    return list(groups.items())


def _checked(
    session: Session, participant: Participant, given: OfferInput
) -> tuple[list[Measure], str, rules.Contact, str]:
    problems: list[tuple[str, dict[str, object]]] = []
    menu = {m.id: m for m in measures(session, process_id=participant.process_id)}
    chosen = [menu[m] for m in dict.fromkeys(given.measure_ids) if m in menu]
    if not given.measure_ids:
        problems.append(
            (N_("measures: tick at least one measure you would like to help with."), {})
        )
    elif len(chosen) != len(set(given.measure_ids)):
        problems.append((N_("measures: one of them is not on this menu."), {}))
    name = " ".join(given.name.split())
    if not name:
        problems.append((N_("name: fill in your name."), {}))
    elif len(name) > rules.NAME_MAX:
        problems.append((N_("name: at most %(max)s characters."), {"max": rules.NAME_MAX}))
    contact = None
    try:
        kind = ContactKind(given.contact_kind)
    except ValueError:
        problems.append((N_("contact_kind: choose phone or e-mail."), {}))
    else:
        try:
            contact = rules.check_contact(kind, given.contact)
        except InvalidContact as refused:
            problems.append(
                (CONTACT_PROBLEMS[refused.problem], {"typed": given.contact.strip()[:60]})
            )
    note = given.note.strip()
    if len(note) > rules.NOTE_MAX:
        problems.append((N_("note: at most %(max)s characters."), {"max": rules.NOTE_MAX}))
    if not given.consent:
        problems.append((N_("consent: tick that you agree, or we cannot keep your offer."), {}))
    if problems:
        raise OfferInvalid(problems)
    assert contact is not None
    return chosen, name, contact, note


class OfferInvalid(InvalidInput):
    """Some fields of an offer cannot be used; each is named."""

    def __init__(self, problems: list[tuple[str, dict[str, object]]]) -> None:
        self.problems = problems
        super().__init__(N_("Some fields need another value."))

    @property
    def message(self) -> str:
        """Every problem, in English."""
        return " ".join(t % p if p else t for t, p in getattr(self, "problems", []))

    def localized(self) -> str:
        """Every problem, in the reader's language."""
        return " ".join(gettext(t) % p if p else gettext(t) for t, p in self.problems)

    def fields(self) -> set[str]:
        """The names of the fields that need another value."""
        return {t.split(":", 1)[0] for t, _ in self.problems}


def _resident_event(
    session: Session, *, action: str, process_id: int, detail: dict[str, object]
) -> None:
    # A resident's action is logged with the day only: its time could be matched to a ballot's.
    event = audit.record(
        session, action=action, object_type="help_offer", process_id=process_id, detail=detail
    )
    now = utcnow()
    event.at = datetime(now.year, now.month, now.day, tzinfo=UTC)


def offer(
    session: Session, *, participant: Participant, given: OfferInput, on: date | None = None
) -> list[HelpOffer]:
    """Record a resident's offer to help with one or more measures (again: it is updated)."""
    chosen, name, contact, note = _checked(session, participant, given)
    process = session.get(Process, participant.process_id)
    assert process is not None
    day = on or today()
    consent = consent_text(session, process=process, on=day)
    mine = holder(participant)
    rule = retention(session, process_id=participant.process_id)
    existing = {o.measure_id: o for o in _mine(session, mine)}
    result = []
    for measure in chosen:
        fields: dict[str, Any] = {
            "name": name,
            "contact_kind": contact.kind,
            "contact": contact.value,
            "note": note,
            "consent": consent,
            "offered_on": day,
            "keep_until": rule.keep_until(day),
        }
        row = existing.get(measure.id or 0)
        if row is None:
            row = HelpOffer(
                process_id=participant.process_id,
                measure_id=measure.id or 0,
                holder=mine,
                **fields,
            )
        else:
            row.sqlmodel_update(fields)
        session.add(row)
        result.append(row)
    session.flush()
    _resident_event(
        session,
        action="offer.made",
        process_id=participant.process_id,
        detail={"measures": len(result)},
    )
    return result


def _mine(session: Session, mine: str) -> list[HelpOffer]:
    return list(session.exec(select(HelpOffer).where(HelpOffer.holder == mine)))


def mine(session: Session, *, participant: Participant) -> list[tuple[HelpOffer, Measure]]:
    """A resident's own offers, with their measures."""
    return list(
        session.exec(
            select(HelpOffer, Measure)
            .join(Measure, col(Measure.id) == HelpOffer.measure_id)
            .where(HelpOffer.holder == holder(participant))
            .order_by(col(Measure.position), col(HelpOffer.id))
        )
    )


def withdraw(session: Session, *, participant: Participant, offer_id: int) -> None:
    """A resident withdraws one of their own offers: it is deleted."""
    row = session.get(HelpOffer, offer_id)
    if row is None or not hmac.compare_digest(row.holder, holder(participant)):
        raise NotFound(N_("There is no offer %(id)s of yours."), id=offer_id)
    process_id = row.process_id
    session.delete(row)
    session.flush()
    _resident_event(session, action="offer.withdrawn", process_id=process_id, detail={})


def offer_in_process(
    session: Session, *, offer_id: int, process_id: int | None = None
) -> HelpOffer:
    """An offer (of this process, if given), or NotFound."""
    row = session.get(HelpOffer, offer_id)
    if row is None or (process_id is not None and row.process_id != process_id):
        raise NotFound(N_("There is no offer %(id)s."), id=offer_id)
    return row


def delete(session: Session, *, offer_id: int, user: User, process_id: int | None = None) -> int:
    """The wijkteam deletes an offer on the resident's request; returns its process."""
    row = offer_in_process(session, offer_id=offer_id, process_id=process_id)
    process = row.process_id
    session.delete(row)
    session.flush()
    audit.record(
        session,
        action="offer.deleted",
        user_id=user.id,
        object_type="help_offer",
        object_id=offer_id,
        process_id=process,
    )
    return process


def set_contacted(
    session: Session, *, offer_id: int, process_id: int, contacted: bool, user: User
) -> None:
    """Mark that the wijkteam has contacted the resident (or undo that)."""
    row = offer_in_process(session, offer_id=offer_id, process_id=process_id)
    row.contacted_at = utcnow() if contacted else None
    audit.record(
        session,
        action="offer.contacted" if contacted else "offer.not_contacted",
        user_id=user.id,
        object_type="help_offer",
        object_id=offer_id,
        process_id=process_id,
    )


def by_measure(session: Session, *, process_id: int) -> list[MeasureOffers]:
    """Every measure of the process with the offers for it (for the wijkteam), in menu order."""
    offers: dict[int, list[HelpOffer]] = defaultdict(list)
    for row in session.exec(
        select(HelpOffer)
        .where(HelpOffer.process_id == process_id)
        .order_by(col(HelpOffer.offered_on), col(HelpOffer.id))
    ):
        offers[row.measure_id].append(row)
    return [MeasureOffers(m, offers[m.id or 0]) for m in measures(session, process_id=process_id)]


def counts(session: Session, *, process_id: int) -> dict[int, int]:
    """How many residents offered help, per measure id (only counts: no one is named)."""
    rows = session.exec(
        select(HelpOffer.measure_id, func.count(col(HelpOffer.id)))
        .where(HelpOffer.process_id == process_id)
        .group_by(col(HelpOffer.measure_id))
    )
    return dict(rows.all())


def counts_by_key(session: Session, *, process_id: int) -> dict[str, int]:
    """How many residents offered help, per measure key (for the plan page: only counts)."""
    keys = {m.id: m.key for m in measures(session, process_id=process_id)}
    return {keys[m]: n for m, n in counts(session, process_id=process_id).items() if m in keys}


@dataclass(frozen=True)
class Helping:
    """How many residents offered help, and the measures most of them offered help with."""

    people: int
    top: list[tuple[str, int]]


def helping(session: Session, *, process_id: int, top: int = 3) -> Helping:
    """Counts for the projector: residents who offered help, and the measures with most offers."""
    people = session.exec(
        select(func.count(func.distinct(HelpOffer.holder))).where(
            HelpOffer.process_id == process_id
        )
    ).one()
    titles = {m.id: m.title for m in measures(session, process_id=process_id)}
    ranked = sorted(
        ((titles[m], n) for m, n in counts(session, process_id=process_id).items() if m in titles),
        key=lambda item: (-item[1], item[0]),
    )
    return Helping(int(people), ranked[:top])


def due(session: Session, *, on: date | None = None) -> list[HelpOffer]:
    """Offers past their retention date (all processes)."""
    day = on or today()
    rules_by_process: dict[int, Retention] = {}
    result = []
    for row in session.exec(select(HelpOffer).order_by(col(HelpOffer.id))):
        rule = rules_by_process.get(row.process_id)
        if rule is None:
            rule = rules_by_process[row.process_id] = retention(session, process_id=row.process_id)
        if rules.is_due(kept_until=kept_until(row, rule), today=day):
            result.append(row)
    return result


def purge(session: Session, *, on: date | None = None) -> dict[int, int]:
    """Delete every offer past its retention date; returns how many per process."""
    per_process: dict[int, int] = defaultdict(int)
    for row in due(session, on=on):
        per_process[row.process_id] += 1
        session.delete(row)
    session.flush()
    for process_id, number in per_process.items():
        audit.record(
            session,
            action="offers.purged",
            object_type="process",
            object_id=process_id,
            process_id=process_id,
            detail={"count": number},
        )
    return dict(per_process)
