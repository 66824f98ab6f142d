"""The JSON API of a meeting night: join, the ballot, submit, round state, outcome; and for
facilitators: meetings, rounds, open, close and paper ballots.

Residents are recognised by the same HttpOnly cookie as on the phone pages (`POST /api/join`
sets it). Facilitator routes take the login cookie and answer 404 for processes the account does
not work on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from app.db import SessionDep
from app.domain.vocabulary import BallotChannel, RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.models import Meeting, Participant, Round, User
from app.routes.api_common import ErrorPublic
from app.routes.deps import CurrentUser, current_user
from app.routes.meeting_deps import Resident, WriteLock, remember_participant
from app.services import access
from app.services import ballots as ballots_service
from app.services import meetings as meetings_service
from app.services import outcomes as outcomes_service
from app.services import participants as participants_service
from app.services import rounds as rounds_service
from app.services.ballots import BallotInput

router = APIRouter(
    prefix="/api",
    tags=["meeting night"],
    responses={404: {"model": ErrorPublic}, 422: {"model": ErrorPublic}},
)


# --- response models --------------------------------------------------------------------------


class TurnoutPublic(BaseModel):
    """How many ballots a round has, by channel, without a code, and per stakeholder group."""

    ballots: int
    phone: int
    paper: int
    without_code: int = Field(description="Ballots of rounds without codes: one per device.")
    by_group: dict[str, int] = Field(
        description="Ballots per stakeholder group of at least 5 people; '' = not given."
    )
    small_groups: bool = Field(
        description="Whether ballots of groups of fewer than 5 count in the total, not shown apart."
    )
    joined: int = Field(description="Phones that opened this round's ballot, and other voters.")
    busy: int = Field(description="Phones that opened the ballot and have not sent it yet.")
    late_paper: int = Field(description="Paper ballots entered after the close, by choice.")


class RoundPublic(BaseModel):
    """A round: its kind and run, whether it is open, and its turnout."""

    id: int
    meeting_id: int
    kind: RoundKind
    run: int = Field(description="1 the first time this kind is run in the meeting, 2 the next...")
    state: RoundState
    requires_code: bool = Field(description="False: one ballot per device without a code card.")
    results_visible: bool = Field(description="Residents may see the results while it is open.")
    position: int = Field(description="Place in the meeting's order of rounds.")
    repeats_round_id: int | None = Field(description="The round this one runs again, if any.")
    opened_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None = Field(description="When it was reopened after a close.")
    turnout: TurnoutPublic


class MeetingPublic(BaseModel):
    """A meeting with its rounds in order, and the address residents join at."""

    id: int
    process_id: int
    title: str
    location: str
    starts_at: datetime | None
    join_url: str
    open_round_id: int | None
    rounds: list[RoundPublic]


class JoinRequest(BaseModel):
    """Join with the typed code of a card, or the token of its QR code."""

    code: str | None = Field(
        default=None, max_length=100, description="The code as typed; any spelling."
    )
    token: str | None = Field(
        default=None, max_length=200, description="The token from the card's QR code."
    )
    meeting_id: int | None = Field(default=None, description="The meeting to go to, if known.")


class JoinedPublic(BaseModel):
    """Who joined: their process, tonight's meeting, and their stakeholder group."""

    process_id: int
    meeting: MeetingPublic | None
    stakeholder_group: StakeholderGroup | None
    group_from_card: bool = Field(description="The card says the group; it cannot be changed.")


class EffectChoicePublic(BaseModel):
    """An effect: the desired effects are weighed in Wegen; measures are rated on their effects."""

    id: int
    title: str
    description: str
    parent_id: int | None


class MeasureChoicePublic(BaseModel):
    """A measure with its binding cost (0 for regular measures) and the effects it is rated on."""

    id: int
    title: str
    description: str
    cost: int
    is_regular: bool
    group_effect_id: int | None
    effect_ids: list[int]


class BallotLinePublic(BaseModel):
    """Wegen: points for an effect; Zeven: a score of a measure on an effect; Kiezen: a pick."""

    measure_id: int | None
    effect_id: int | None
    value: int


class ReceiptPublic(BaseModel):
    """Your vote counts: the ballot as stored, with a short receipt code."""

    counted: bool = True
    ballot_id: int
    round_id: int
    kind: RoundKind
    run: int
    receipt: str = Field(description="A short code that changes when the ballot is replaced.")
    channel: BallotChannel
    submitted_at: datetime
    updated_at: datetime | None
    replaced: bool = Field(description="This submit replaced an earlier ballot.")
    repeated: bool = Field(
        description="The same idempotency key was sent before: not counted again."
    )
    lines: list[BallotLinePublic]


class BallotFormPublic(BaseModel):
    """What a round asks: the effects or measures, the budget, and your current ballot."""

    round: RoundPublic
    budget: int
    cost_horizon: str
    effects: list[EffectChoicePublic]
    measures: list[MeasureChoicePublic]
    your_ballot: ReceiptPublic | None
    starting_lines: list[BallotLinePublic] = Field(
        description="What the form starts with: your ballot in this round, or (a rerun) your "
        "answers in the round it repeats."
    )
    prefilled_from_round_id: int | None = Field(
        description="The round the starting lines come from, when they are a rerun's earlier "
        "answers."
    )
    idempotency_key: str = Field(description="A fresh key to send with this ballot.")


class ScoreIn(BaseModel):
    """A Zeven score: 0 none, 1 small, 2 clear, 3 large."""

    measure_id: int
    effect_id: int
    score: int


class BallotIn(BaseModel):
    """A ballot: `points` for Wegen, `scores` for Zeven, `measure_ids` for Kiezen.

    Send the same `idempotency_key` again to retry safely; a new key replaces your earlier ballot
    until the round closes.
    """

    idempotency_key: str = Field(min_length=1, max_length=80)
    points: dict[int, int] = Field(
        default_factory=dict, max_length=200, description="Effect id -> points."
    )
    scores: list[ScoreIn] = Field(default_factory=list, max_length=5000)
    measure_ids: list[int] = Field(default_factory=list, max_length=1000)

    def given(self) -> BallotInput:
        """As the service takes it."""
        return BallotInput(
            points=dict(self.points),
            scores={(s.measure_id, s.effect_id): s.score for s in self.scores},
            measure_ids=self.measure_ids,
            score_fields=[
                (f"scores[{i}]", s.measure_id, s.effect_id) for i, s in enumerate(self.scores)
            ],
        )


class PaperBallotIn(BallotIn):
    """A paper ballot typed in by a facilitator for a code card."""

    code: str = Field(max_length=100, description="The code on the card.")
    stakeholder_group: StakeholderGroup | None = Field(
        default=None, description="Must agree with the card's own group, if it has one (422)."
    )
    replace: bool = Field(
        default=False,
        description="Replace the ballot the card already has in this round (else 409 "
        "replaces_ballot).",
    )
    late: bool = Field(
        default=False,
        description="A paper ballot for a closed round, counted and shown apart as late.",
    )


class MeetingIn(BaseModel):
    """A new meeting; with_rounds adds Wegen, Zeven and Kiezen."""

    title: str = Field(max_length=200)
    location: str = Field(default="", max_length=200)
    starts_at: datetime | None = None
    with_rounds: bool = True


class RoundIn(BaseModel):
    """A new round of a kind; requires_code False takes one ballot per device."""

    kind: RoundKind
    requires_code: bool = True


class WeightPublic(BaseModel):
    """Wegen: a desired effect's mean weight in percent."""

    effect_id: int
    title: str
    percent: float
    previous_percent: float | None
    by_group: dict[str, float]


class RankPublic(BaseModel):
    """Zeven: a measure's place by weighted contribution V_m (0..3), and its spread."""

    rank: int
    measure_id: int
    title: str
    cost: int
    no_cost: bool
    weighted_contribution: float
    standard_deviation: float
    interquartile_range: float
    rated_by: int
    skipped_by: int
    in_discussion: bool
    previous_rank: int | None
    previous_value: float | None
    by_group: dict[str, float | None]


class ChoicePublic(BaseModel):
    """Kiezen: how often a measure was chosen and whether it fits going down that list."""

    measure_id: int
    title: str
    cost: int
    chosen: int
    fits: bool
    previous_chosen: int | None
    previously_fit: bool | None
    by_group: dict[str, int]


class OutcomePublic(BaseModel):
    """The outcome of a round (`final` once closed), compared with the previous run if any."""

    round: RoundPublic
    final: bool
    previous_round_id: int | None
    weights: list[WeightPublic]
    ranking: list[RankPublic]
    discussion_list: list[int] = Field(description="Measure ids whose values split most.")
    weights_round_id: int | None = Field(description="The Wegen round whose weights were used.")
    stand_in_weights: int = Field(description="Participants who got the group's mean weights.")
    choices: list[ChoicePublic]
    budget: int
    spent: int
    left: int


# --- conversions ------------------------------------------------------------------------------


def _round(
    session: SessionDep, round_: Round, turnout: rounds_service.Turnout | None = None
) -> RoundPublic:
    if turnout is None:
        turnout = rounds_service.turnout(session, round_id=round_.id or 0)
    return RoundPublic(
        id=round_.id or 0,
        meeting_id=round_.meeting_id,
        kind=round_.kind,
        run=round_.run,
        state=round_.state,
        requires_code=round_.requires_code,
        results_visible=round_.results_visible,
        position=round_.position,
        repeats_round_id=round_.repeats_round_id,
        opened_at=round_.opened_at,
        closed_at=round_.closed_at,
        reopened_at=round_.reopened_at,
        turnout=TurnoutPublic.model_validate(turnout, from_attributes=True),
    )


def _meeting(session: SessionDep, meeting: Meeting) -> MeetingPublic:
    view = meetings_service.resident_view(session, meeting_id=meeting.id or 0)
    turnouts = rounds_service.turnouts(session, round_ids=[r.id or 0 for r in view.rounds])
    return MeetingPublic(
        id=meeting.id or 0,
        process_id=meeting.process_id,
        title=meeting.title,
        location=meeting.location,
        starts_at=meeting.starts_at,
        join_url=meetings_service.join_address(meeting.id or 0),
        open_round_id=view.open_round.id if view.open_round else None,
        rounds=[_round(session, r, turnouts[r.id or 0]) for r in view.rounds],
    )


def _receipt(receipt: ballots_service.Receipt) -> ReceiptPublic:
    return ReceiptPublic(
        ballot_id=receipt.ballot_id,
        round_id=receipt.round_id,
        kind=receipt.kind,
        run=receipt.run,
        receipt=receipt.code,
        channel=receipt.channel,
        submitted_at=receipt.submitted_at,
        updated_at=receipt.updated_at,
        replaced=receipt.replaced,
        repeated=receipt.repeated,
        lines=[BallotLinePublic.model_validate(ln, from_attributes=True) for ln in receipt.lines],
    )


def _joined_only(participant: Resident) -> Participant:
    if participant is None:
        raise participants_service.NotJoined(
            N_("Join first: POST /api/join with the code or token of a card.")
        )
    return participant


Joined = Annotated[Participant, Depends(_joined_only)]


def _round_of_public(session: SessionDep, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(N_("There is no round %(id)s."), id=round_id)
    return round_


def _maybe_user(request: Request, session: SessionDep) -> User | None:
    try:
        return current_user(request, session)
    except DomainError:
        return None


# --- residents --------------------------------------------------------------------------------


@router.post("/join", response_model=JoinedPublic)
def join(
    body: JoinRequest, response: Response, _lock: WriteLock, session: SessionDep
) -> JoinedPublic:
    """Exchange a card's code or QR token for the participant cookie (HttpOnly)."""
    if body.token:
        joined = participants_service.join_by_token(session, token=body.token)
    elif body.code:
        joined = participants_service.join_by_code(session, typed=body.code)
    else:
        raise InvalidInput(N_("code: send the code of a card (or the token of its QR code)."))
    participant = joined.participant
    meeting = None
    if body.meeting_id is not None:
        candidate = meetings_service.get_meeting(session, meeting_id=body.meeting_id)
        meeting = candidate if candidate.process_id == participant.process_id else None
    meeting = meeting or meetings_service.current_meeting(
        session, process_id=participant.process_id
    )
    remember_participant(response, participant)
    return JoinedPublic(
        process_id=participant.process_id,
        meeting=_meeting(session, meeting) if meeting else None,
        stakeholder_group=participant.stakeholder_group,
        group_from_card=joined.group_from_card,
    )


@router.get("/meetings/{meeting_id:int}", response_model=MeetingPublic)
def meeting_state(meeting_id: int, session: SessionDep) -> MeetingPublic:
    """A meeting and the state of its rounds (what residents see)."""
    return _meeting(session, meetings_service.get_meeting(session, meeting_id=meeting_id))


@router.get("/rounds/{round_id:int}", response_model=RoundPublic)
def round_state(round_id: int, session: SessionDep) -> RoundPublic:
    """A round's state (draft, open, closed) and turnout."""
    return _round(session, _round_of_public(session, round_id))


@router.get("/rounds/{round_id:int}/ballot", response_model=BallotFormPublic)
def ballot_form(round_id: int, session: SessionDep, participant: Resident) -> BallotFormPublic:
    """What the round asks (effects or measures, budget) and your current ballot, if any."""
    round_ = _round_of_public(session, round_id)
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    menu = ballots_service.load_menu(session, process_id=meeting.process_id)
    mine = participant if participant and participant.process_id == meeting.process_id else None
    start = (
        ballots_service.starting_values(session, round_=round_, participant_id=mine.id or 0)
        if mine
        else None
    )
    current = start.current if start else None
    starting_lines = (
        (current.lines if current else ballots_service.lines_of(round_.kind, start.given))
        if start
        else ()
    )
    return BallotFormPublic(
        round=_round(session, round_),
        budget=menu.budget,
        cost_horizon=menu.cost_horizon,
        effects=[EffectChoicePublic.model_validate(e, from_attributes=True) for e in menu.effects],
        measures=[
            MeasureChoicePublic(
                id=m.id,
                title=m.title,
                description=m.description,
                cost=m.cost,
                is_regular=m.is_regular,
                group_effect_id=m.group_effect_id,
                effect_ids=list(m.effect_ids),
            )
            for m in menu.measures
        ],
        your_ballot=_receipt(current) if current else None,
        starting_lines=[
            BallotLinePublic.model_validate(ln, from_attributes=True) for ln in starting_lines
        ],
        prefilled_from_round_id=start.from_round.id if start and start.from_round else None,
        idempotency_key=ballots_service.new_idempotency_key(),
    )


@router.post(
    "/rounds/{round_id:int}/ballot",
    response_model=ReceiptPublic,
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        409: {"model": ErrorPublic, "description": "round_closed or round_not_open"},
    },
)
def submit_ballot(
    round_id: int, body: BallotIn, _lock: WriteLock, session: SessionDep, participant: Joined
) -> ReceiptPublic:
    """Submit your ballot; it replaces an earlier one until the round closes (409 after)."""
    return _receipt(
        ballots_service.submit(
            session,
            round_id=round_id,
            participant=participant,
            given=body.given(),
            idempotency_key=body.idempotency_key,
        )
    )


@router.get(
    "/rounds/{round_id:int}/outcome",
    response_model=OutcomePublic,
    responses={403: {"model": ErrorPublic, "description": "results_hidden"}},
)
def round_outcome(round_id: int, request: Request, session: SessionDep) -> OutcomePublic:
    """The outcome: for everyone once closed (or shown); for its facilitators also while open."""
    round_ = _round_of_public(session, round_id)
    user = _maybe_user(request, session)
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    if user is not None and access.may_access(session, user=user, process_id=meeting.process_id):
        found = outcomes_service.outcome(session, round_=round_)
    else:
        found = outcomes_service.public_outcome(session, round_=round_)
    return OutcomePublic(
        round=_round(session, round_),
        final=found.final,
        previous_round_id=found.previous.id if found.previous else None,
        weights=[WeightPublic.model_validate(w, from_attributes=True) for w in found.weights],
        ranking=[RankPublic.model_validate(r, from_attributes=True) for r in found.ranking],
        discussion_list=[r.measure_id for r in found.discussion],
        weights_round_id=found.weights_from.id if found.weights_from else None,
        stand_in_weights=found.stand_in_weights,
        choices=[ChoicePublic.model_validate(c, from_attributes=True) for c in found.choices],
        budget=found.budget,
        spent=found.spent,
        left=found.left,
    )


# --- facilitators -----------------------------------------------------------------------------


@router.post(
    "/processes/{process_id:int}/meetings",
    response_model=MeetingPublic,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorPublic}},
)
def create_meeting(
    process_id: int, body: MeetingIn, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> MeetingPublic:
    """Create a meeting of a process you facilitate."""
    meeting = meetings_service.create_meeting(
        session,
        user=user,
        process_id=process_id,
        title=body.title,
        location=body.location,
        starts_at=body.starts_at,
        with_rounds=body.with_rounds,
    )
    return _meeting(session, meeting)


@router.post(
    "/meetings/{meeting_id:int}/rounds",
    response_model=RoundPublic,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorPublic}},
)
def add_round(
    meeting_id: int, body: RoundIn, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Add a round (run 2, 3... when the kind was run before in this meeting)."""
    round_ = rounds_service.add_round(
        session,
        user=user,
        meeting_id=meeting_id,
        kind=body.kind,
        requires_code=body.requires_code,
    )
    return _round(session, round_)


@router.post(
    "/rounds/{round_id:int}/open",
    response_model=RoundPublic,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def open_round(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Open a round for ballots (freezes the menu); 409 when another round is open."""
    return _round(session, rounds_service.open_round(session, user=user, round_id=round_id))


@router.post(
    "/rounds/{round_id:int}/close",
    response_model=RoundPublic,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def close_round(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Close a round: ballots after this get 409 round_closed."""
    return _round(session, rounds_service.close_round(session, user=user, round_id=round_id))


@router.post(
    "/rounds/{round_id:int}/paper-ballots",
    response_model=ReceiptPublic,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def enter_paper_ballot(
    round_id: int, body: PaperBallotIn, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> ReceiptPublic:
    """Type in a paper ballot for a code card; it counts exactly like a phone ballot."""
    return _receipt(
        ballots_service.enter_paper_ballot(
            session,
            user=user,
            round_id=round_id,
            code=body.code,
            group=body.stakeholder_group,
            given=body.given(),
            idempotency_key=body.idempotency_key,
            replace=body.replace,
            late=body.late,
        )
    )


@router.post(
    "/rounds/{round_id}/paper-ballots/undo",
    response_model=RoundPublic,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def undo_paper_ballot(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Undo the round's last paper ballot (within 5 minutes): what it replaced counts again."""
    ballots_service.undo_last_paper_ballot(session, user=user, round_id=round_id)
    return _round(session, _round_of_public(session, round_id))


@router.post(
    "/rounds/{round_id}/reopen",
    response_model=RoundPublic,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def reopen_round(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Reopen a round closed by mistake: within 10 minutes, if no later round was opened since
    (409 cannot_reopen otherwise); its ballots stay."""
    return _round(session, rounds_service.reopen_round(session, user=user, round_id=round_id))


@router.post(
    "/rounds/{round_id}/again",
    response_model=RoundPublic,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def run_again(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> RoundPublic:
    """Add a new run of a closed round directly after it; each form starts with that
    participant's answers from the round it repeats."""
    return _round(session, rounds_service.run_again(session, user=user, round_id=round_id))
