"""Casting ballots: what a round asks, submitting (idempotent, replacing until the close), paper.

A ballot is stored with the idempotency key of the form (or API call) that sent it. The same key
again is the same submission (a retry after a lost connection, a double tap): it changes nothing
and gets the same receipt. A new key from the same participant replaces the earlier ballot's
lines, until the round closes.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.domain import ballots as rules
from app.domain import codes as code_domain
from app.domain import receipts
from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.i18n import euro, local_time
from app.models import (
    Ballot,
    BallotLine,
    BallotSubmission,
    Meeting,
    PaperEntry,
    Participant,
    ParticipantCode,
    Round,
    User,
    utcnow,
)
from app.services import access, audit, menu_read
from app.services import participants as participants_service
from app.services import rounds as rounds_service

MAX_KEY_LENGTH = 80


@dataclass(frozen=True)
class EffectView:
    """A desired effect as a ballot page shows it."""

    id: int
    key: str
    title: str
    description: str
    parent_id: int | None
    plain_explanation: str = ""


@dataclass(frozen=True)
class MeasureView:
    """A measure as a ballot page shows it: binding cost, what it is rated on."""

    id: int
    key: str
    title: str
    description: str
    organisation: str
    cost: int
    is_regular: bool
    group_effect_id: int | None
    effect_ids: tuple[int, ...]
    plain_explanation: str = ""


@dataclass(frozen=True)
class MenuView:
    """A process's menu as the three ballots need it, with the rules' view of it."""

    process_id: int
    budget: int
    cost_horizon: str
    effects: list[EffectView]
    measures: list[MeasureView]
    ballot_menu: rules.BallotMenu

    @property
    def desired_effects(self) -> list[EffectView]:
        """The effects weighed in Wegen: the top-level desired effects."""
        return [e for e in self.effects if e.parent_id is None]

    def effect(self, effect_id: int) -> EffectView | None:
        """An effect by id."""
        return next((e for e in self.effects if e.id == effect_id), None)

    def measure(self, measure_id: int) -> MeasureView | None:
        """A measure by id."""
        return next((m for m in self.measures if m.id == measure_id), None)

    def package_total(self, lines: Sequence[rules.Line]) -> int:
        """What the measures on these (Kiezen) lines cost together."""
        return rules.tally_package(rules.lines_to_package(lines), self.ballot_menu).total

    def groups(self) -> list[tuple[EffectView | None, list[MeasureView]]]:
        """The measures under the effect they are listed under, in menu order."""
        grouped: list[tuple[EffectView | None, list[MeasureView]]] = []
        for effect in self.desired_effects:
            own = [m for m in self.measures if m.group_effect_id == effect.id]
            if own:
                grouped.append((effect, own))
        listed = {m.id for _, own in grouped for m in own}
        rest = [m for m in self.measures if m.id not in listed]
        if rest:
            grouped.append((None, rest))
        return grouped


@dataclass(frozen=True)
class BallotInput:
    """What a participant sent: points (Wegen), scores (Zeven) or a package (Kiezen)."""

    points: Mapping[int, str | int] = field(default_factory=dict)
    scores: Mapping[tuple[int, int], str | int] = field(default_factory=dict)
    measure_ids: Sequence[int] = ()
    # Zeven: every (field, measure, effect) as sent, so that a pair sent twice is refused.
    score_fields: Sequence[tuple[str, int, int]] = ()
    # Zeven: measures skipped as a whole ("weet ik niet"); their scores, if also sent, are left out.
    skipped: Sequence[int] = ()
    # Zeven: a stored ballot read back: every measure it does not rate was skipped.
    unrated_are_skipped: bool = False

    def skips(self, measure: MeasureView) -> bool:
        """Zeven: whether this measure is skipped as a whole ("weet ik niet")."""
        if measure.id in self.skipped:
            return True
        return self.unrated_are_skipped and not any(
            (measure.id, e) in self.scores for e in measure.effect_ids
        )


@dataclass(frozen=True)
class Receipt:
    """What the phone shows after a submit: your vote counts, and a short code to recognise it."""

    ballot_id: int
    round_id: int
    kind: RoundKind
    run: int
    code: str
    channel: BallotChannel
    submitted_at: datetime
    updated_at: datetime | None
    replaced: bool
    repeated: bool
    lines: tuple[rules.Line, ...]


def load_menu(session: Session, *, process_id: int) -> MenuView:
    """The menu of a process as the ballots need it (binding costs, linked effects)."""
    menu = menu_read.read_menu(session, process_id=process_id)
    process = menu.process
    effects, measures = menu.effects, menu.measures
    effect_views = [
        EffectView(e.id, e.key, e.title, e.description, e.parent_id, e.plain_explanation)
        for e in effects
    ]
    measure_views = [
        MeasureView(
            id=m.id,
            key=m.key,
            title=m.title,
            description=m.description,
            organisation=m.organisation,
            cost=rules.binding_cost(
                year_1=m.cost_year_1,
                years_4=m.cost_years_4,
                years_10=m.cost_years_10,
                horizon=process.cost_horizon,
                is_regular=m.is_regular,
            ),
            is_regular=m.is_regular,
            group_effect_id=m.group_effect_id,
            effect_ids=tuple(m.effect_ids),
            plain_explanation=m.plain_explanation,
        )
        for m in measures
    ]
    ballot_menu = rules.BallotMenu(
        effects=tuple(
            rules.EffectChoice(e.id, e.title) for e in effect_views if e.parent_id is None
        ),
        measures=tuple(
            rules.MeasureChoice(m.id, m.title, m.cost, m.is_regular, m.effect_ids)
            for m in measure_views
        ),
        budget=process.budget_eur,
        effect_titles={e.id: e.title for e in effect_views},
    )
    return MenuView(
        process_id=process_id,
        budget=process.budget_eur,
        cost_horizon=str(process.cost_horizon),
        effects=effect_views,
        measures=measure_views,
        ballot_menu=ballot_menu,
    )


_round_menus: OrderedDict[tuple[str, int, int, datetime], MenuView] = OrderedDict()
_round_menus_lock = threading.Lock()
CACHED_ROUND_MENUS = 64


def menu_for_round(session: Session, *, round_: Round, process_id: int) -> MenuView:
    """The menu as a round's ballots need it, built once per opened round and kept.

    Opening a round freezes the process's menu (`rounds.open_round`) and nothing unfreezes it,
    so the menu of a round that has been opened never changes: every ballot and ballot page of
    the round uses the same MenuView, without reading the process again. A draft round (the menu
    may still change) reads it each time. The key holds the database and the round's opening
    moment, so that two databases, or a round id used again (tests), never share an entry.
    """
    if round_.opened_at is None or round_.id is None:
        return load_menu(session, process_id=process_id)
    key = (str(session.get_bind().engine.url), process_id, round_.id, round_.opened_at)
    with _round_menus_lock:
        menu = _round_menus.get(key)
        if menu is not None:
            _round_menus.move_to_end(key)
            return menu
    menu = load_menu(session, process_id=process_id)
    with _round_menus_lock:
        _round_menus[key] = menu
        while len(_round_menus) > CACHED_ROUND_MENUS:
            _round_menus.popitem(last=False)
    return menu


def check(kind: RoundKind, given: BallotInput, menu: MenuView) -> rules.ValidBallot:
    """Check a ballot of this kind against the menu; a refusal names the field and the amounts."""
    if kind == RoundKind.WEGEN:
        return rules.check_weights(
            rules.read_points(given.points, menu.ballot_menu), menu.ballot_menu
        )
    if kind == RoundKind.ZEVEN:
        rules.refuse_repeated_scores(given.score_fields)
        return rules.check_scores(
            rules.read_scores(given.scores, menu.ballot_menu),
            menu.ballot_menu,
            skipped=given.skipped,
        )
    try:
        return rules.check_package(given.measure_ids, menu.ballot_menu)
    except rules.OverBudget as refused:
        # The amounts as the reader writes money, in their own language.
        raise rules.OverBudget(
            refused.template,
            **{name: euro(int(value)) for name, value in refused.params.items()},
        ) from None


@dataclass(frozen=True)
class SieveCount:
    """Zeven while filling in: how many measures are rated, skipped, open or half done."""

    total: int
    rated: int
    skipped: int
    unfinished: tuple[int, ...]

    @property
    def open(self) -> int:
        """Measures with no decision yet (they count as skipped when the ballot is sent)."""
        return self.total - self.rated - self.skipped - len(self.unfinished)


@dataclass(frozen=True)
class Tally:
    """What a ballot page shows while filling in: points left (Wegen) or money left (Kiezen)."""

    points_left: int | None = None
    package: rules.PackageTally | None = None
    chosen: int = 0
    problem: str | None = None
    # Wegen: each effect whose typed points cannot be used, with the message to show beside it.
    point_problems: Mapping[int, str] = field(default_factory=dict)
    # Kiezen: each measure not chosen that no longer fits, with the money it is short.
    short: Mapping[int, int] = field(default_factory=dict)
    sieve: SieveCount | None = None
    # Wegen: the one effect still blank while points are left, offered all of them in one tap.
    rest_effect: EffectView | None = None

    @property
    def ready(self) -> bool:
        """Whether the ballot as filled in now can be sent."""
        if self.problem is not None:
            return False
        if self.points_left is not None:
            return self.points_left == 0
        return self.package is None or (self.package.fits and self.chosen > 0)


def tally(kind: RoundKind, given: BallotInput, menu: MenuView) -> Tally:
    """Points or money left for a ballot as filled in so far (nothing is stored)."""
    if kind == RoundKind.WEGEN:
        # The same reading and the same refusals as on submit, so the two never disagree.
        problems = rules.point_problems(given.points, menu.ballot_menu)
        if problems:
            texts = {effect_id: p.localized() for effect_id, p in problems.items()}
            return Tally(problem=next(iter(texts.values())), point_problems=texts)
        try:
            points = rules.read_points(given.points, menu.ballot_menu)
        except InvalidInput as problem:  # points for an effect that is not on the menu
            return Tally(problem=problem.localized())
        left = rules.points_left(points)
        blank = [e for e in menu.desired_effects if not str(given.points.get(e.id, "")).strip()]
        rest = blank[0] if left > 0 and len(blank) == 1 else None
        return Tally(points_left=left, rest_effect=rest)
    if kind == RoundKind.KIEZEN:
        chosen = {m for m in given.measure_ids if menu.ballot_menu.measure(m) is not None}
        package = rules.tally_package(chosen, menu.ballot_menu)
        # Over the budget the bar and the text say so; marking every measure would only shout.
        short = (
            {
                m.id: m.cost - package.left
                for m in menu.measures
                if m.id not in chosen and m.cost > package.left
            }
            if package.fits
            else {}
        )
        return Tally(package=package, chosen=len(chosen), short=short)
    return Tally(sieve=sieve_count(given, menu))


STEP_POINTS = 5


def step_points(given: BallotInput, step: str) -> BallotInput:
    """Wegen's buttons without JavaScript: `step` is "EFFECT:+", "EFFECT:-" or "EFFECT:rest".

    Minus takes up to 5 points away (never below 0); plus adds up to 5 of the points still left
    (never past 100 in total); rest adds all the points still left. A field that does not hold a
    whole number counts as 0 here.
    """
    effect_text, _, sign = step.partition(":")
    if not effect_text.isdigit() or sign not in {"+", "-", "rest"}:
        return given
    effect_id = int(effect_text)
    values = {e: _whole_or_zero(v) for e, v in given.points.items()}
    current = values.get(effect_id, 0)
    left = max(0, rules.TOTAL_POINTS - sum(max(0, v) for v in values.values()))
    if sign == "-":
        new = max(0, current - STEP_POINTS)
    elif sign == "rest":
        new = max(0, current) + left
    else:
        new = max(0, current) + min(STEP_POINTS, left)
    points = dict(given.points)
    points[effect_id] = str(new)
    return BallotInput(points=points)


def _whole_or_zero(value: str | int) -> int:
    try:
        return int(str(value).strip() or 0)
    except ValueError:
        return 0


def sieve_count(given: BallotInput, menu: MenuView) -> SieveCount:
    """Zeven: how far a ballot as filled in has come (measures rated, skipped, half done)."""
    rated = skipped = 0
    unfinished: list[int] = []
    measures = [m for m in menu.measures if m.effect_ids]
    for measure in measures:
        if given.skips(measure):
            skipped += 1
            continue
        done = sum(
            1 for e in measure.effect_ids if str(given.scores.get((measure.id, e), "")).strip()
        )
        if done == len(measure.effect_ids):
            rated += 1
        elif done:
            unfinished.append(measure.id)
    return SieveCount(
        total=len(measures), rated=rated, skipped=skipped, unfinished=tuple(unfinished)
    )


def new_idempotency_key() -> str:
    """A fresh key for a ballot form: the same form sent twice is recognised by it."""
    return uuid.uuid4().hex


def _receipt_code(round_: Round, ballot_id: int, lines: Sequence[rules.Line]) -> str:
    # Keyed by the round's secret: the same ballot content in another ballot gets another code.
    return receipts.receipt_code(
        round_.receipt_secret,
        ballot_id=ballot_id,
        kind=RoundKind(round_.kind).value,
        lines=[(ln.measure_id, ln.effect_id, ln.value) for ln in lines],
    )


def _lines(session: Session, ballot_id: int) -> tuple[rules.Line, ...]:
    rows = session.exec(
        select(BallotLine).where(BallotLine.ballot_id == ballot_id).order_by(col(BallotLine.id))
    ).all()
    return tuple(rules.Line(r.measure_id, r.effect_id, r.value) for r in rows)


def _receipt(
    session: Session,
    ballot: Ballot,
    round_: Round,
    *,
    replaced: bool,
    repeated: bool,
    lines: tuple[rules.Line, ...] | None = None,
) -> Receipt:
    """The receipt of a stored ballot; its lines read back unless the caller just wrote them."""
    assert ballot.id is not None
    assert round_.id is not None
    if lines is None:
        lines = _lines(session, ballot.id)
    return Receipt(
        ballot_id=ballot.id,
        round_id=round_.id,
        kind=round_.kind,
        run=round_.run,
        code=_receipt_code(round_, ballot.id, lines),
        channel=ballot.channel,
        submitted_at=ballot.submitted_at,
        updated_at=ballot.updated_at,
        replaced=replaced,
        repeated=repeated,
        lines=lines,
    )


def values_of(kind: RoundKind, lines: Sequence[rules.Line]) -> BallotInput:
    """A stored ballot's lines as the values of its form (points, scores or a package)."""
    if kind == RoundKind.WEGEN:
        return BallotInput(points=dict(rules.lines_to_points(lines)))
    if kind == RoundKind.ZEVEN:
        return BallotInput(scores=dict(rules.lines_to_scores(lines)), unrated_are_skipped=True)
    return BallotInput(measure_ids=rules.lines_to_package(lines))


def lines_of(kind: RoundKind, given: BallotInput) -> tuple[rules.Line, ...]:
    """A form's values as ballot lines (the inverse of `values_of`), without checking them."""
    if kind == RoundKind.WEGEN:
        return tuple(rules.Line(None, e, int(v)) for e, v in given.points.items())
    if kind == RoundKind.ZEVEN:
        return tuple(rules.Line(m, e, int(v)) for (m, e), v in given.scores.items())
    return tuple(rules.Line(m, None, 1) for m in given.measure_ids)


@dataclass(frozen=True)
class StartingValues:
    """What a ballot form starts with: the participant's ballot in this round, or else (a rerun)
    their answers in the round it repeats, so they change only what the discussion changed."""

    given: BallotInput
    from_round: Round | None = None
    current: Receipt | None = None


def starting_values(session: Session, *, round_: Round, participant_id: int) -> StartingValues:
    """The values a participant's ballot form starts with in this round (see StartingValues)."""
    assert round_.id is not None
    current = current_ballot(session, round_id=round_.id, participant_id=participant_id)
    if current is not None:
        return StartingValues(values_of(round_.kind, current.lines), None, current)
    source = (
        session.get(Round, round_.repeats_round_id)
        if round_.repeats_round_id is not None
        else rounds_service.previous_run(session, round_=round_)
    )
    if source is None or source.id is None or source.kind != round_.kind:
        return StartingValues(BallotInput())
    earlier = session.exec(
        select(Ballot).where(Ballot.round_id == source.id, Ballot.participant_id == participant_id)
    ).first()
    if earlier is None or earlier.id is None:
        return StartingValues(BallotInput())
    return StartingValues(values_of(round_.kind, _lines(session, earlier.id)), source)


def current_ballot(session: Session, *, round_id: int, participant_id: int) -> Receipt | None:
    """The ballot this participant has in this round, as its receipt; None when they have none."""
    ballot = session.exec(
        select(Ballot).where(Ballot.round_id == round_id, Ballot.participant_id == participant_id)
    ).first()
    if ballot is None:
        return None
    round_ = session.get(Round, round_id)
    assert round_ is not None
    return _receipt(session, ballot, round_, replaced=False, repeated=False)


def _check_key(idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key:
        raise InvalidInput(
            N_("idempotency_key: missing. Reload the page and send your ballot again.")
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(N_("idempotency_key: use at most %(n)s characters."), n=MAX_KEY_LENGTH)
    return key


def submit(
    session: Session,
    *,
    round_id: int,
    participant: Participant,
    given: BallotInput,
    idempotency_key: str,
    channel: BallotChannel = BallotChannel.PHONE,
    entered_by_id: int | None = None,
    late: bool = False,
    meeting_id: int | None = None,
) -> Receipt:
    """Count a ballot, replace the participant's earlier one, or recognise a retry of the same.

    `late` (paper only, chosen explicitly by a facilitator) lets a paper ballot into a closed
    round; it is marked as late and shown apart in the turnout. `meeting_id` (a phone's form,
    whose address names the meeting): a round of another meeting is NotFound.

    What it costs does not grow with the ballots: the round (locked), the meeting, the
    participant's ballot (locked) and the key looked up; the menu of an opened round is kept
    (`menu_for_round`); the ballot inserted (or found) in one statement, its lines in one, and
    the receipt made from the lines just checked, not read back.
    """
    key = _check_key(idempotency_key)
    round_ = rounds_service.lock_round(session, round_id=round_id, shared=True)
    if meeting_id is not None and round_.meeting_id != meeting_id:
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    assert participant.id is not None
    if participant.process_id != meeting.process_id:
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    for attempt in (1, 2):
        # The participant's ballot, locked: two sends of the same phone take turns (the second
        # then finds the first's submission), ballots of other phones do not wait.
        ballot = session.exec(
            select(Ballot)
            .where(Ballot.round_id == round_id, Ballot.participant_id == participant.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        same = session.exec(
            select(Ballot)
            .join(BallotSubmission, col(BallotSubmission.ballot_id) == Ballot.id)
            .where(BallotSubmission.round_id == round_id, BallotSubmission.idempotency_key == key)
        ).first()
        if same is not None:
            if same.participant_id != participant.id:
                raise InvalidInput(
                    N_("idempotency_key: this key was used for another ballot. Use a new one.")
                )
            # Sent before (and counted then), even if the round has closed since: same receipt.
            return _receipt(session, same, round_, replaced=False, repeated=True)
        late = late and channel == BallotChannel.PAPER and round_.state == RoundState.CLOSED
        if round_.state == RoundState.CLOSED and not late:
            raise rounds_service.RoundClosed(
                N_("This round is closed. Your ballot arrived too late and does not count.")
            )
        if round_.state == RoundState.DRAFT:
            raise rounds_service.RoundNotOpen(
                N_("This round has not been opened yet. Wait until the facilitator opens it.")
            )
        if round_.requires_code and participant.code_id is None:
            raise participants_service.CodeRequired(
                N_("This round counts only votes with a code card. Type the code from your card.")
            )
        menu = menu_for_round(session, round_=round_, process_id=meeting.process_id)
        valid = check(round_.kind, given, menu)
        now = utcnow()
        replaced = ballot is not None
        if ballot is not None:
            break
        new_id = _insert_ballot(
            session,
            round_id=round_id,
            participant_id=participant.id,
            channel=channel,
            entered_by_id=entered_by_id,
            late=late,
            now=now,
        )
        if new_id is not None:
            ballot = Ballot(
                id=new_id,
                round_id=round_id,
                participant_id=participant.id,
                channel=channel,
                entered_by_id=entered_by_id,
                is_late=late,
                submitted_at=now,
            )
            break
        # The same phone's other send inserted its ballot at this moment and has committed
        # (the unique constraint made this one wait for it): look again, once.
        if attempt == 2:
            raise AssertionError("a ballot that is there and is not")  # pragma: no cover
    else:  # pragma: no cover - the loop either breaks, returns or raises
        raise AssertionError
    assert ballot.id is not None
    if replaced:
        session.exec(delete(BallotLine).where(col(BallotLine.ballot_id) == ballot.id))
        ballot.channel = channel
        ballot.entered_by_id = entered_by_id
        ballot.is_late = late
        ballot.updated_at = now
        session.flush()
    lines = tuple(valid.lines)
    # Core statements on the session's connection: nothing of the ORM is needed to store them.
    connection = session.connection()
    if lines:  # a Zeven ballot that skips every measure has none
        connection.execute(
            insert(BallotLine.__table__),  # type: ignore[attr-defined]
            [
                {
                    "ballot_id": ballot.id,
                    "measure_id": ln.measure_id,
                    "effect_id": ln.effect_id,
                    "value": ln.value,
                }
                for ln in lines
            ],
        )
    connection.execute(
        insert(BallotSubmission.__table__).values(  # type: ignore[attr-defined]
            ballot_id=ballot.id,
            round_id=round_id,
            idempotency_key=key,
            channel=BallotChannel(channel).value,
            submitted_at=now,
        )
    )
    return _receipt(session, ballot, round_, replaced=replaced, repeated=False, lines=lines)


def _insert_ballot(
    session: Session,
    *,
    round_id: int,
    participant_id: int,
    channel: BallotChannel,
    entered_by_id: int | None,
    late: bool,
    now: datetime,
) -> int | None:
    """Insert the participant's ballot of this round; its id, or None when one is there already
    (inserted by another send of the same phone at this moment: the database's unique
    constraint on round and participant decides, and this statement waits for the other's
    transaction, as an upsert that does nothing)."""
    values = {
        "round_id": round_id,
        "participant_id": participant_id,
        "channel": BallotChannel(channel).value,  # the text: a driver may write an Enum's name
        "entered_by_id": entered_by_id,
        "is_late": late,
        "submitted_at": now,
    }
    connection = session.connection()
    table = Ballot.__table__  # type: ignore[attr-defined]
    dml = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dml.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[table.c.round_id, table.c.participant_id])
        .returning(table.c.id)
    )
    returned = connection.execute(statement).first()
    return None if returned is None else int(returned[0])


# A paper ballot can be undone this long after it was typed in (a slip of the facilitator).
UNDO_MINUTES = 5


class ReplaceNeedsConfirmation(DomainError):
    """The card already has a ballot in this round; replacing it must be confirmed."""

    status = 409
    code = "replaces_ballot"


class CannotUndo(DomainError):
    """There is no paper ballot to undo, it is too old, or its card has voted again since."""

    status = 409
    code = "cannot_undo"


@dataclass(frozen=True)
class CardView:
    """What the paper-ballot form shows about the card whose code was typed."""

    number: int
    group: StakeholderGroup | None
    group_from_card: bool
    existing: Ballot | None


def look_up_card(session: Session, *, user: User, round_id: int, code: str) -> CardView:
    """The card of a typed code as the paper form shows it: number, group, and its ballot in this
    round if it has one (nothing is written, the card is not marked as used)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    digest = code_domain.code_hash(code)
    if digest is None:
        raise InvalidInput(
            N_("code: a code has 14 letters and digits, like %(example)s."),
            example="ABCD-EFGH-JKMN-PQ",
        )
    card = session.exec(select(ParticipantCode).where(ParticipantCode.code_hash == digest)).first()
    if card is None or card.revoked_at is not None or card.process_id != meeting.process_id:
        raise NotFound(N_("code: there is no valid card with this code in this process."))
    assert card.id is not None
    participant = session.exec(select(Participant).where(Participant.code_id == card.id)).first()
    existing = None
    if participant is not None:
        existing = session.exec(
            select(Ballot).where(
                Ballot.round_id == round_id, Ballot.participant_id == participant.id
            )
        ).first()
    group = card.stakeholder_group or (participant.stakeholder_group if participant else None)
    return CardView(card.id, group, card.stakeholder_group is not None, existing)


def enter_paper_ballot(
    session: Session,
    *,
    user: User,
    round_id: int,
    code: str,
    group: str | None,
    given: BallotInput,
    idempotency_key: str,
    replace: bool = False,
    late: bool = False,
) -> Receipt:
    """A facilitator types in a paper ballot for a code card; it counts like a phone ballot.

    A card that already has a ballot in this round is replaced only with `replace` (the form asks
    first); a group that contradicts the card's own is refused; a closed round takes a paper
    ballot only as an explicitly late one. The entry can be undone for a few minutes.
    """
    round_ = access.round_for(session, user=user, round_id=round_id)
    meeting = session.get(Meeting, round_.meeting_id)
    assert meeting is not None
    if round_.state == RoundState.CLOSED and not late:
        raise rounds_service.RoundClosed(
            N_(
                "This round is closed. A paper ballot that arrives now counts only as a late "
                "paper ballot: tick that box if that is what you mean."
            )
        )
    joined = participants_service.join_by_code(session, typed=code)
    participant = joined.participant
    if participant.process_id != meeting.process_id:
        raise InvalidInput(N_("code: this card belongs to another process."))
    card = session.get(ParticipantCode, participant.code_id)
    if group and card is not None and card.stakeholder_group and group != card.stakeholder_group:
        raise InvalidInput(
            N_(
                "stakeholder_group: card %(number)s is for the group '%(card_group)s', but this "
                "ballot says '%(group)s'. Check the card; leave the group empty to use the "
                "card's own."
            ),
            number=card.id,
            card_group=str(card.stakeholder_group),
            group=group[:40],
        )
    if group:
        participants_service.set_group(session, participant=participant, group=group)
    existing = session.exec(
        select(Ballot).where(Ballot.round_id == round_id, Ballot.participant_id == participant.id)
    ).first()
    retry = session.exec(
        select(BallotSubmission.id).where(
            BallotSubmission.round_id == round_id,
            BallotSubmission.idempotency_key == idempotency_key.strip(),
        )
    ).first()
    if existing is not None and retry is None and not replace:
        when = existing.updated_at or existing.submitted_at
        raise ReplaceNeedsConfirmation(
            N_(
                "Card %(number)s already voted by phone in this round, at %(time)s. Confirm "
                "that this paper ballot replaces that vote."
            )
            if existing.channel == BallotChannel.PHONE
            else N_(
                "Card %(number)s already has a paper ballot in this round, entered at "
                "%(time)s. Confirm that this paper ballot replaces it."
            ),
            number=participant.code_id,
            time=local_time_text(when),
        )
    # What the card had before, copied now (submitting changes the same Ballot object), so that
    # undoing this paper ballot can bring it back.
    entry = PaperEntry(
        round_id=round_id,
        participant_id=participant.id or 0,
        entered_by_id=user.id,
        is_late=late and round_.state == RoundState.CLOSED,
    )
    if existing is not None and existing.id is not None:
        entry.replaced_channel = existing.channel
        entry.replaced_entered_by_id = existing.entered_by_id
        entry.replaced_is_late = existing.is_late
        entry.replaced_submitted_at = existing.submitted_at
        entry.replaced_updated_at = existing.updated_at
        entry.replaced_lines = [
            [ln.measure_id, ln.effect_id, ln.value] for ln in _lines(session, existing.id)
        ]
    receipt = submit(
        session,
        round_id=round_id,
        participant=participant,
        given=given,
        idempotency_key=idempotency_key,
        channel=BallotChannel.PAPER,
        entered_by_id=user.id,
        late=late,
    )
    if receipt.repeated:
        return receipt
    entry.ballot_id = receipt.ballot_id
    entry.entered_at = receipt.updated_at or receipt.submitted_at
    session.add(entry)
    session.flush()
    audit.record(
        session,
        action="ballot.paper_entered",
        user_id=user.id,
        object_type="ballot",
        object_id=receipt.ballot_id,
        process_id=meeting.process_id,
        detail={
            "round_id": round_id,
            "code_id": participant.code_id,
            "replaced": receipt.replaced,
            "replaced_channel": str(entry.replaced_channel) if entry.replaced_channel else None,
            "late": entry.is_late,
            "paper_entry_id": entry.id,
        },
    )
    return receipt


# --- the round's list of receipts ---------------------------------------------------------------


class RoundNotClosed(DomainError):
    """The receipts of a round are published after its close, when no ballot can change."""

    status = 409
    code = "round_not_closed"


class ReceiptsNotPublished(DomainError):
    """The facilitator has not published this round's receipts (yet)."""

    status = 409
    code = "receipts_not_published"


@dataclass(frozen=True)
class ReceiptList:
    """A closed round's receipts, one per counted ballot, in alphabetical order."""

    round_id: int
    meeting_id: int
    kind: RoundKind
    run: int
    closed_at: datetime | None
    published_at: datetime | None
    receipts: tuple[str, ...]


def receipt_list(session: Session, *, round_: Round) -> ReceiptList:
    """Every counted ballot's receipt (sorted, so the order tells nothing about who voted when)."""
    assert round_.id is not None
    ballots = session.exec(select(Ballot.id).where(Ballot.round_id == round_.id)).all()
    lines: dict[int, list[rules.Line]] = {b: [] for b in ballots if b is not None}
    for row in session.exec(
        select(BallotLine)
        .join(Ballot, col(Ballot.id) == BallotLine.ballot_id)
        .where(Ballot.round_id == round_.id)
    ):
        lines[row.ballot_id].append(rules.Line(row.measure_id, row.effect_id, row.value))
    return ReceiptList(
        round_id=round_.id,
        meeting_id=round_.meeting_id,
        kind=RoundKind(round_.kind),
        run=round_.run,
        closed_at=round_.closed_at,
        published_at=round_.receipts_published_at,
        receipts=tuple(sorted(_receipt_code(round_, b, ls) for b, ls in lines.items())),
    )


def publish_receipts(
    session: Session, *, user: User, round_id: int, ip_address: str = ""
) -> ReceiptList:
    """Publish a closed round's receipts, so that each resident can find their own."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if round_.state != RoundState.CLOSED:
        raise RoundNotClosed(N_("Close the round first; then its receipts can be published."))
    listed = receipt_list(session, round_=round_)
    if round_.receipts_published_at is None:
        round_.receipts_published_at = utcnow()
        meeting = session.get(Meeting, round_.meeting_id)
        audit.record(
            session,
            action="receipts.published",
            user_id=user.id,
            object_type="round",
            object_id=round_id,
            process_id=meeting.process_id if meeting else None,
            ip_address=ip_address,
            detail={"receipts": len(listed.receipts)},
        )
        session.flush()
        listed = receipt_list(session, round_=round_)
    return listed


def published_receipts(session: Session, *, round_id: int) -> ReceiptList:
    """A round's receipts once its facilitator has published them."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    if round_.receipts_published_at is None:
        raise ReceiptsNotPublished(N_("The receipts of this round have not been published yet."))
    return receipt_list(session, round_=round_)


def local_time_text(moment: datetime) -> str:
    """A stored time as the reader's clock shows it (HH:MM)."""
    return local_time(moment, "%H:%M")


def last_paper_entry(session: Session, *, round_id: int) -> PaperEntry | None:
    """The paper ballot typed in last in this round that has not been undone."""
    return session.exec(
        select(PaperEntry)
        .where(PaperEntry.round_id == round_id, col(PaperEntry.undone_at).is_(None))
        .order_by(col(PaperEntry.id).desc())
    ).first()


def undo_blocker(session: Session, *, entry: PaperEntry, round_: Round) -> str | None:
    """Why this paper ballot cannot be undone now (a catalogue message), or None."""
    if utcnow() - rounds_service.aware(entry.entered_at) > timedelta(minutes=UNDO_MINUTES):
        return N_("This paper ballot was entered more than %(minutes)s minutes ago.")
    if round_.state != RoundState.OPEN and not entry.is_late:
        return N_("The round has been closed since this paper ballot was entered.")
    ballot = session.get(Ballot, entry.ballot_id) if entry.ballot_id is not None else None
    if (
        ballot is None
        or ballot.channel != BallotChannel.PAPER
        or rounds_service.aware(ballot.updated_at or ballot.submitted_at)
        != rounds_service.aware(entry.entered_at)
    ):
        return N_("The card's ballot has changed since this paper ballot was entered.")
    return None


def undo_last_paper_ballot(session: Session, *, user: User, round_id: int) -> PaperEntry:
    """Undo the last paper ballot of a round (within a few minutes): the card's ballot is back
    to what it was before (a phone ballot it replaced comes back), or gone."""
    access.round_for(session, user=user, round_id=round_id)
    round_ = rounds_service.lock_round(session, round_id=round_id)
    entry = last_paper_entry(session, round_id=round_id)
    if entry is None:
        raise CannotUndo(N_("There is no paper ballot to undo in this round."))
    blocker = undo_blocker(session, entry=entry, round_=round_)
    if blocker is not None:
        raise CannotUndo(blocker, minutes=UNDO_MINUTES)
    ballot = session.get(Ballot, entry.ballot_id)
    assert ballot is not None
    assert ballot.id is not None
    latest = session.exec(
        select(BallotSubmission)
        .where(BallotSubmission.ballot_id == ballot.id)
        .order_by(col(BallotSubmission.id).desc())
    ).first()
    if latest is not None:
        session.delete(latest)
    session.exec(delete(BallotLine).where(col(BallotLine.ballot_id) == ballot.id))
    if entry.replaced_lines is None:
        session.exec(delete(BallotSubmission).where(col(BallotSubmission.ballot_id) == ballot.id))
        session.delete(ballot)
    else:
        ballot.channel = entry.replaced_channel or BallotChannel.PHONE
        ballot.entered_by_id = entry.replaced_entered_by_id
        ballot.is_late = entry.replaced_is_late
        ballot.submitted_at = entry.replaced_submitted_at or ballot.submitted_at
        ballot.updated_at = entry.replaced_updated_at
        session.add_all(
            BallotLine(ballot_id=ballot.id, measure_id=m, effect_id=e, value=v or 0)
            for m, e, v in entry.replaced_lines
        )
    entry.undone_at = utcnow()
    entry.undone_by_id = user.id
    session.flush()
    meeting = session.get(Meeting, round_.meeting_id)
    audit.record(
        session,
        action="ballot.paper_undone",
        user_id=user.id,
        object_type="ballot",
        object_id=ballot.id,
        process_id=meeting.process_id if meeting else None,
        detail={
            "round_id": round_id,
            "paper_entry_id": entry.id,
            "restored": str(entry.replaced_channel) if entry.replaced_channel else None,
        },
    )
    return entry


def paper_replacement(session: Session, *, round_id: int, participant_id: int) -> datetime | None:
    """When this participant's phone ballot was replaced by a paper ballot at the table (if it
    was, and that still stands)."""
    entry = session.exec(
        select(PaperEntry)
        .where(
            PaperEntry.round_id == round_id,
            PaperEntry.participant_id == participant_id,
            col(PaperEntry.undone_at).is_(None),
            PaperEntry.replaced_channel == BallotChannel.PHONE,
        )
        .order_by(col(PaperEntry.id).desc())
    ).first()
    if entry is None:
        return None
    ballot = session.get(Ballot, entry.ballot_id) if entry.ballot_id is not None else None
    if ballot is None or ballot.channel != BallotChannel.PAPER:
        return None  # the phone voted again since: its own ballot counts
    return entry.entered_at
