"""The resident's phone: joining by code or QR, waiting for a round, the three ballots, receipts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlmodel import SQLModel
from starlette.responses import HTMLResponse, Response

from app import i18n
from app.db import SessionDep, write_after_read
from app.domain import ballots as ballot_rules
from app.domain.vocabulary import RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError, NotFound
from app.models import Participant, Round
from app.routes.meeting_deps import (
    DEVICE_COOKIE,
    Form,
    Resident,
    WriteLock,
    ballot_input,
    form_text,
    remember_device,
    remember_participant,
)
from app.security import read_cookie
from app.services import ballots as ballots_service
from app.services import meetings as meetings_service
from app.services import outcomes as outcomes_service
from app.services import participants as participants_service
from app.services import rounds as rounds_service
from app.services.ballots import BallotInput
from app.services.kept import Kept
from app.templating import render, render_part

router = APIRouter(include_in_schema=False)


def _mine(participant: Participant | None, meeting_process_id: int) -> Participant | None:
    # A cookie from another process's card does not make someone a participant here.
    if participant is None or participant.process_id != meeting_process_id:
        return None
    return participant


def _round_of(view: meetings_service.ResidentView, round_id: int) -> Round:
    for round_ in view.rounds:
        if round_.id == round_id:
            return round_
    raise NotFound(N_("There is no round %(id)s."), id=round_id)


def _after_join(
    session: SessionDep, joined: participants_service.Joined, meeting_id: int | None
) -> RedirectResponse:
    participant = joined.participant
    meeting = None
    if meeting_id is not None:
        try:
            candidate = meetings_service.get_meeting(session, meeting_id=meeting_id)
        except NotFound:  # a meeting that is gone: go to tonight's instead
            candidate = None
        if candidate is not None and candidate.process_id == participant.process_id:
            meeting = candidate
    if meeting is None:
        meeting = meetings_service.current_meeting(session, process_id=participant.process_id)
    if meeting is None:
        target = "/vote"
    elif joined.group_from_card or participant.stakeholder_group is not None:
        target = f"/m/{meeting.id}"
    else:
        target = f"/m/{meeting.id}/welcome"
    response = RedirectResponse(target, status_code=303)
    remember_participant(response, participant)
    return response


def _join_page(
    request: Request,
    *,
    view: meetings_service.ResidentView | None = None,
    error: str | None = None,
    typed: str = "",
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    device_allowed = bool(view and view.open_round and not view.open_round.requires_code)
    return render(
        request,
        "vote/join.html",
        {
            "view": view,
            "error": error,
            "typed": typed,
            "notice": notice,
            "device_allowed": device_allowed,
        },
        status_code=status_code,
    )


@router.get("/join", response_class=HTMLResponse)
def join_form(request: Request) -> HTMLResponse:
    """The form to type the code from a code card."""
    return _join_page(request)


@router.post("/join", response_model=None)
def join_with_code(request: Request, form: Form, _lock: WriteLock, session: SessionDep) -> Response:
    """Exchange a typed code for the participant cookie, then go to the meeting.

    As a ballot does (`submit_ballot`), the form is read before SQLite's write lock is taken and
    a join that counts is committed here, not after another trip through the event loop."""
    typed = form_text(form, "code")
    meeting_text = form_text(form, "meeting")
    meeting_id = int(meeting_text) if meeting_text.isdigit() else None
    try:
        joined = participants_service.join_by_code(session, typed=typed)
    except DomainError as error:
        view = None
        if meeting_id is not None:
            try:
                view = meetings_service.resident_view(session, meeting_id=meeting_id)
            except NotFound:
                view = None
        return _join_page(
            request, view=view, error=error.localized(), typed=typed, status_code=error.status
        )
    response = _after_join(session, joined, meeting_id)
    session.commit()
    return response


@router.get("/j/{token}", response_model=None)
def join_with_token(
    request: Request, token: str, _lock: WriteLock, session: SessionDep
) -> Response:
    """A card's QR code: exchange its token for the cookie; the next URL has no token.

    A join that counts is committed here, releasing SQLite's write lock at once."""
    try:
        joined = participants_service.join_by_token(session, token=token)
    except DomainError as error:
        return _join_page(request, error=error.localized(), status_code=error.status)
    response = _after_join(session, joined, None)
    session.commit()
    return response


@router.get("/vote", response_model=None)
def my_meeting(request: Request, session: SessionDep, participant: Resident) -> Response:
    """Where a participant belongs now: tonight's meeting of their process."""
    if participant is None:
        return RedirectResponse("/join", status_code=303)
    meeting = meetings_service.current_meeting(session, process_id=participant.process_id)
    if meeting is None:
        return render(request, "vote/no_meeting.html", {})
    return RedirectResponse(f"/m/{meeting.id}", status_code=303)


def _ballot_page(
    request: Request,
    session: SessionDep,
    *,
    view: meetings_service.ResidentView,
    round_: Round,
    participant: Participant,
    given: BallotInput,
    error: str | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
    prefilled_from: Round | None = None,
    problems: dict[int, str] | None = None,
    start: ballots_service.StartingValues | None = None,
) -> HTMLResponse:
    # With the starting values read for this page, whether the phone has voted is known.
    changing = (
        start.current is not None
        if start is not None
        else ballots_service.current_ballot(
            session, round_id=round_.id or 0, participant_id=participant.id or 0
        )
        is not None
    )
    menu = ballots_service.menu_for_round(
        session, round_=round_, process_id=view.meeting.process_id
    )
    tally = ballots_service.tally(round_.kind, given, menu)
    live = bool(request.headers.get("HX-Request"))
    context: dict[str, Any] = {
        "view": view,
        "round": round_,
        "menu": menu,
        "participant": participant,
        "given": given,
        "chosen": set(given.measure_ids),
        "tally": tally,
        "error": error,
        "idempotency_key": idempotency_key or ballots_service.new_idempotency_key(),
        "action_url": f"/m/{view.meeting.id}/rounds/{round_.id}/ballot",
        "preview_url": f"/m/{view.meeting.id}/rounds/{round_.id}/preview",
        "prefilled_from": prefilled_from,
        "changing": changing,
        "problems": problems or {},
        "resident_form": True,
        # The draft this phone keeps of the form (localStorage), per round and card.
        "draft_key": f"wz-draft:{round_.id}:{participant.id}",
        "state_url": f"/m/{view.meeting.id}/rounds/{round_.id}/state",
        "discussion": set() if live else _discussion(session, round_),
        "ranks": {} if live else _zeven_ranks(session, view, round_),
    }
    if not live and error is None and not problems and _blank(given):
        context["form_parts"] = _form_parts(request, session, view, round_, menu, context)
    return render(
        request,
        f"vote/{round_.kind}.html",
        context,
        fragment="vote/_tally.html",
        status_code=status_code,
    )


@dataclass(frozen=True)
class FormParts:
    """A blank ballot's fields and tally bar as rendered for a round: the same for every phone."""

    menu: ballots_service.MenuView
    fields: Markup
    tally: Markup


# The blank ballot forms of the rounds, rendered once and put into the page of every phone that
# has nothing filled in yet (most of a ballot page's CPU: some 30 measures' fields). The key holds
# all the form is made of besides the menu (the database, the round as opened, the meeting, the
# language, and the places or the discussion list shown beside the measures); the menu it was
# made with is compared (the same object while the round's menu is kept), so a form is never
# shown for another menu. The parts of a page that differ per phone (its key, its draft, the
# notices above the form) are rendered for each page.
_forms: Kept[FormParts] = Kept(16)


def _blank(given: BallotInput) -> bool:
    # Nothing filled in: the first view of a round without answers from an earlier run.
    return not (
        given.points
        or given.scores
        or given.measure_ids
        or given.score_fields
        or given.skipped
        or given.unrated_are_skipped
    )


def _form_parts(
    request: Request,
    session: SessionDep,
    view: meetings_service.ResidentView,
    round_: Round,
    menu: ballots_service.MenuView,
    context: dict[str, Any],
) -> FormParts | None:
    if round_.opened_at is None or round_.id is None:
        return None  # a draft round's menu may still change: rendered each time
    key = (
        str(session.get_bind().engine.url),
        round_.id,
        round_.opened_at,
        round_.kind,
        view.meeting.id,
        i18n.current_language.get(),
        tuple(sorted(context["ranks"].items())),
        tuple(sorted(context["discussion"])),
    )

    def make() -> FormParts:
        return FormParts(
            menu=menu,
            fields=render_part(request, f"vote/_{round_.kind}_fields.html", context),
            tally=render_part(request, "vote/_tally.html", context),
        )

    return _forms.get(key, make, lambda kept: kept.menu is menu or kept.menu == menu)


def _discussion(session: SessionDep, round_: Round) -> set[int]:
    # A rerun of Zeven: the measures on the discussion list of the run it repeats.
    if round_.kind != RoundKind.ZEVEN or round_.run < 2:
        return set()
    previous = rounds_service.previous_run(session, round_=round_)
    if previous is None or previous.state != RoundState.CLOSED:
        return set()
    return {row.measure_id for row in outcomes_service.outcome(session, round_=previous).discussion}


def _zeven_ranks(
    session: SessionDep, view: meetings_service.ResidentView, round_: Round
) -> dict[int, int]:
    # Kiezen, once Zeven has been closed tonight: each measure's place in the last Zeven run.
    if round_.kind != RoundKind.KIEZEN:
        return {}
    sieved = [r for r in view.closed_rounds if r.kind == RoundKind.ZEVEN]
    if not sieved:
        return {}
    last = max(sieved, key=lambda r: (r.run, r.id or 0))
    # The same for every phone while that Zeven stays closed as it is (reopened and closed
    # again: another closed_at; a late paper ballot: another signature): worked out once, not
    # for each ballot page.
    key = (str(session.get_bind().engine.url), last.id or 0, str(last.closed_at), view.signature)

    def make() -> dict[int, int]:
        outcome = outcomes_service.outcome(session, round_=last)
        return {row.measure_id: row.rank for row in outcome.ranking}

    return dict(_ranks.get(key, make))


_ranks: Kept[dict[int, int]] = Kept(32)


@router.get("/m/{meeting_id}", response_class=HTMLResponse)
def meeting_page(
    request: Request, meeting_id: int, session: SessionDep, participant: Resident
) -> HTMLResponse:
    """A meeting on a resident's phone: join, wait, vote, or see that the vote counts."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    me = _mine(participant, view.meeting.process_id)
    if me is None:
        return _join_page(request, view=view)
    open_round = view.open_round
    if open_round is not None and open_round.requires_code and me.code_id is None:
        return _join_page(request, view=view, notice="code_required")
    receipt = None
    if open_round is not None:
        assert open_round.id is not None
        start = ballots_service.starting_values(
            session, round_=open_round, participant_id=me.id or 0
        )
        receipt = start.current
        if receipt is None:
            page = _ballot_page(
                request,
                session,
                view=view,
                round_=open_round,
                participant=me,
                given=start.given,
                prefilled_from=start.from_round,
                start=start,
            )
            _note_opened(session, round_id=open_round.id, participant_id=me.id or 0)
            return page
    return _meeting_page(request, session, view=view, participant=me, receipt=receipt)


def _note_opened(session: SessionDep, *, round_id: int, participant_id: int) -> None:
    # The phone now shows this round's ballot: count it as joined (busy until it votes).
    if not rounds_service.has_opened(session, round_id=round_id, participant_id=participant_id):
        write_after_read(
            session,
            lambda: rounds_service.note_ballot_opened(
                session, round_id=round_id, participant_id=participant_id
            ),
        )
        # Committed here, in the thread that wrote it, as a ballot and a join are: SQLite's write
        # lock is let go at once, not after another trip through the event loop to the session
        # dependency (a busy server's 500 first views in a row held it while waiting for that).
        session.commit()


def _meeting_page(
    request: Request,
    session: SessionDep,
    *,
    view: meetings_service.ResidentView,
    participant: Participant,
    receipt: ballots_service.Receipt | None,
    error: str | None = None,
    status_code: int = 200,
    closed: ClosedNotice | None = None,
) -> HTMLResponse:
    menu = (
        ballots_service.menu_for_round(
            session, round_=_round_of(view, receipt.round_id), process_id=view.meeting.process_id
        )
        if receipt
        else None
    )
    return render(
        request,
        "vote/meeting.html",
        {
            "view": view,
            "participant": participant,
            "receipt": receipt,
            "menu": menu,
            "error": error,
            "closed": closed,
            "without_code": participant.code_id is None,
            "paper_replaced_at": (
                ballots_service.paper_replacement(
                    session, round_id=receipt.round_id, participant_id=participant.id or 0
                )
                if receipt is not None and receipt.channel == "paper"
                else None
            ),
        },
        status_code=status_code,
    )


@dataclass(frozen=True)
class ClosedNotice:
    """A round closed under an open form: which round, and this person's vote in it (if any)."""

    round: Round
    earlier: ballots_service.Receipt | None


def _closed_for(session: SessionDep, round_: Round, participant: Participant) -> ClosedNotice:
    earlier = ballots_service.current_ballot(
        session, round_id=round_.id or 0, participant_id=participant.id or 0
    )
    return ClosedNotice(round_, earlier)


@router.get("/m/{meeting_id}/rounds/{round_id}/state", response_model=None)
def round_state(
    request: Request, meeting_id: int, round_id: int, session: SessionDep, participant: Resident
) -> Response:
    """For a ballot form that is open (htmx polls it): 204 while the round is open; once it has
    closed, the notice that says so and what it means for this person."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    round_ = _round_of(view, round_id)
    me = _mine(participant, view.meeting.process_id)
    if round_.state == RoundState.OPEN or me is None:
        return Response(status_code=204)
    return render(
        request,
        "vote/_closed_notice.html",
        {"view": view, "closed": _closed_for(session, round_, me)},
    )


@router.get("/m/{meeting_id}/status", response_model=None)
def meeting_status(request: Request, meeting_id: int, session: SessionDep, v: str = "") -> Response:
    """For polling, every phone every few seconds: one small query, no template. The page's
    signature (`v`) still current: 204; or, asked with the ETag of an earlier answer
    (If-None-Match): 304. Otherwise 200 with `HX-Refresh`: the page should be reloaded."""
    current = meetings_service.follow_signature(session, meeting_id=meeting_id)
    etag = f'"{current}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    asked = _etags(request.headers.get("if-none-match", ""))
    if etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    if v == current:
        return Response(status_code=204, headers=headers)
    return Response(status_code=200, headers={"HX-Refresh": "true", **headers})


def _etags(header: str) -> set[str]:
    # If-None-Match: "a", W/"b" (a weak tag compares as its strong self here), or *.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


@router.post("/m/{meeting_id}/device", response_model=None)
def join_without_code(
    request: Request, meeting_id: int, _lock: WriteLock, session: SessionDep
) -> Response:
    """Join a round that takes one ballot per device, without a code card."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    if view.open_round is None or view.open_round.requires_code:
        return _join_page(request, view=view, notice="code_required", status_code=409)
    token = read_cookie(request, DEVICE_COOKIE) or participants_service.new_device_token()
    joined = participants_service.join_by_device(
        session, process_id=view.meeting.process_id, device_token=token
    )
    response = _after_join(session, joined, meeting_id)
    remember_device(response, token)
    return response


@router.get("/m/{meeting_id}/welcome", response_model=None)
def welcome(
    request: Request, meeting_id: int, session: SessionDep, participant: Resident
) -> Response:
    """After joining: which group do you belong to? (optional)."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    me = _mine(participant, view.meeting.process_id)
    if me is None:
        return RedirectResponse(f"/m/{meeting_id}", status_code=303)
    if participants_service.group_is_fixed(session, participant=me):
        return RedirectResponse(f"/m/{meeting_id}", status_code=303)
    return render(
        request,
        "vote/welcome.html",
        {"view": view, "participant": me, "groups": list(StakeholderGroup)},
    )


@router.post("/m/{meeting_id}/welcome", response_model=None)
def choose_group(
    meeting_id: int, _lock: WriteLock, session: SessionDep, participant: Resident, form: Form
) -> Response:
    """Record the group the participant chose (or none), then go on to the meeting."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    me = _mine(participant, view.meeting.process_id)
    if me is not None:
        participants_service.set_group(session, participant=me, group=form_text(form, "group"))
    return RedirectResponse(f"/m/{meeting_id}", status_code=303)


@router.get("/m/{meeting_id}/rounds/{round_id}/ballot", response_model=None)
def ballot_form(
    request: Request, meeting_id: int, round_id: int, session: SessionDep, participant: Resident
) -> Response:
    """The ballot of an open round, filled in with the earlier vote when changing it."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    round_ = _round_of(view, round_id)
    me = _mine(participant, view.meeting.process_id)
    if me is None or round_.state != RoundState.OPEN:
        return RedirectResponse(f"/m/{meeting_id}", status_code=303)
    start = ballots_service.starting_values(session, round_=round_, participant_id=me.id or 0)
    page = _ballot_page(
        request,
        session,
        view=view,
        round_=round_,
        participant=me,
        given=start.given,
        prefilled_from=start.from_round,
        start=start,
    )
    _note_opened(session, round_id=round_id, participant_id=me.id or 0)
    return page


@router.post("/m/{meeting_id}/rounds/{round_id}/preview", response_model=None)
def ballot_preview(
    request: Request,
    meeting_id: int,
    round_id: int,
    session: SessionDep,
    participant: Resident,
    form: Form,
) -> Response:
    """Points or money left for what is filled in now; nothing is stored."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    round_ = _round_of(view, round_id)
    me = _mine(participant, view.meeting.process_id)
    if me is None:
        return RedirectResponse(f"/m/{meeting_id}", status_code=303)
    given = ballot_input(form)
    step = form_text(form, "step")
    # A -5 / +5 / rest button without JavaScript. With it, vote.js changes the field itself;
    # htmx then sends the last button clicked along with every tally, which must not count again.
    if step and round_.kind == RoundKind.WEGEN and not request.headers.get("HX-Request"):
        given = ballots_service.step_points(given, step)
    return _ballot_page(
        request,
        session,
        view=view,
        round_=round_,
        participant=me,
        given=given,
        idempotency_key=form_text(form, "idempotency_key") or None,
    )


@router.post("/m/{meeting_id}/rounds/{round_id}/ballot", response_model=None)
def submit_ballot(
    request: Request,
    meeting_id: int,
    round_id: int,
    form: Form,
    _lock: WriteLock,
    session: SessionDep,
    participant: Resident,
) -> Response:
    """Count the ballot (or replace the earlier one); a retry of the same form counts once.

    A ballot that counts reads only what counting it needs (the meeting, then `submit`); the
    meeting's state as residents see it is read only for a page that says why it did not.

    SQLite's write lock is held as briefly as the route can: the form is read before it is taken
    (`form` comes first: reading the body waits for the event loop), and a ballot that counts is
    committed here, in the thread that stored it, instead of after another trip through the
    event loop to the session's dependency (which then has nothing left to commit)."""
    meeting = meetings_service.get_meeting(session, meeting_id=meeting_id)
    me = _mine(participant, meeting.process_id)
    if me is None:
        _round_of(meetings_service.resident_view(session, meeting_id=meeting_id), round_id)
        return RedirectResponse(f"/m/{meeting_id}", status_code=303)
    given = ballot_input(form)
    key = form_text(form, "idempotency_key")
    try:
        ballots_service.submit(
            session,
            round_id=round_id,
            participant=me,
            given=given,
            idempotency_key=key,
            meeting_id=meeting_id,
        )
        session.commit()
    except NotFound:
        raise
    except DomainError as refused:
        view = meetings_service.resident_view(session, meeting_id=meeting_id)
        round_ = _round_of(view, round_id)
        if refused.status == 422:
            problems = (
                refused.measure_messages()
                if isinstance(refused, ballot_rules.MeasuresUnfinished)
                else None
            )
            return _ballot_page(
                request,
                session,
                view=view,
                round_=round_,
                participant=me,
                given=given,
                error=None if problems else refused.localized(),
                idempotency_key=key or None,
                status_code=422,
                problems=problems,
            )
        # Closed, not open yet, or a code needed: show where things stand, with the reason.
        fresh = meetings_service.resident_view(session, meeting_id=meeting_id)
        if isinstance(refused, rounds_service.RoundClosed):
            # Said for this person: an earlier vote of theirs still counts (or there was none).
            return _meeting_page(
                request,
                session,
                view=fresh,
                participant=me,
                receipt=None,
                closed=_closed_for(session, round_, me),
                status_code=refused.status,
            )
        receipt = (
            ballots_service.current_ballot(
                session, round_id=fresh.open_round.id or 0, participant_id=me.id or 0
            )
            if fresh.open_round
            else None
        )
        return _meeting_page(
            request,
            session,
            view=fresh,
            participant=me,
            receipt=receipt,
            error=refused.localized(),
            status_code=refused.status,
        )
    return RedirectResponse(f"/m/{meeting_id}", status_code=303)


@router.get("/m/{meeting_id}/rounds/{round_id}/outcome", response_class=HTMLResponse)
def round_outcome(
    request: Request, meeting_id: int, round_id: int, session: SessionDep, participant: Resident
) -> HTMLResponse:
    """The outcome of a round for residents: after the close, or when the facilitator shows it.
    A phone that voted in it finds its receipt here, and whether the published list holds it."""
    view = meetings_service.resident_view(session, meeting_id=meeting_id)
    round_ = _round_of(view, round_id)
    outcome = outcomes_service.public_outcome(session, round_=round_)
    me = _mine(participant, view.meeting.process_id)
    mine = (
        ballots_service.current_ballot(session, round_id=round_id, participant_id=me.id or 0)
        if me is not None and round_.state == RoundState.CLOSED
        else None
    )
    published = (
        ballots_service.published_receipts(session, round_id=round_id)
        if mine is not None and round_.receipts_published_at is not None
        else None
    )
    context: dict[str, Any] = {
        "view": view,
        "round": round_,
        "outcome": outcome,
        "my_receipt": mine,
        "published": published,
    }
    context["outcome_part"] = _outcome_part(request, session, outcome, context)
    return render(request, "vote/outcome.html", context)


# The outcome's tables as the phones show them, rendered once for the many phones that open it
# after a close: kept by round and language, with the outcome they show, compared in full with
# the outcome of each request (a round's columns by value), so that another ballot, a reopened
# result or a published list never shows a kept table of something else.
_outcome_parts: Kept[tuple[tuple[object, ...], Markup]] = Kept(16)


def _outcome_part(
    request: Request,
    session: SessionDep,
    outcome: outcomes_service.Outcome,
    context: dict[str, Any],
) -> Markup:
    shown = tuple(_by_value(getattr(outcome, f.name)) for f in dataclasses.fields(outcome))
    key = (str(session.get_bind().engine.url), outcome.round.id, i18n.current_language.get())
    _, part = _outcome_parts.get(
        key,
        lambda: (shown, render_part(request, "console/_outcome.html", context)),
        lambda kept: kept[0] == shown,
    )
    return part


def _by_value(value: object) -> object:
    # A row of the database by its columns (two sessions' objects of one row are not equal).
    if isinstance(value, SQLModel):
        return (type(value).__name__, *(getattr(value, name) for name in type(value).model_fields))
    return value
