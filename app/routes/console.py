"""The facilitator's console on a laptop: meetings and rounds, live turnout, paper ballots,
outcomes, and the projector screen.

Every route takes the logged-in user and reaches meetings and rounds only through the access
checks (a facilitator sees only the processes assigned to them; others get 404). Routes that
write list `WriteLock` before `CurrentUser`, so that on SQLite the write lock comes first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.vocabulary import RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError, InvalidInput
from app.i18n import gettext as _
from app.models import Meeting, Round
from app.routes.deps import CurrentUser
from app.routes.meeting_deps import Form, WriteLock, ballot_input, form_text, local_datetime
from app.services import access
from app.services import ballots as ballots_service
from app.services import meetings as meetings_service
from app.services import offers as offers_service
from app.services import outcomes as outcomes_service
from app.services import rounds as rounds_service
from app.services.ballots import BallotInput
from app.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)


def _back(meeting_id: int) -> RedirectResponse:
    return RedirectResponse(f"/console/meetings/{meeting_id}", status_code=303)


def qr_svg(url: str) -> Markup:
    """The join address as a QR code, an inline SVG that scales with its box."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


@router.get("", response_class=HTMLResponse)
def console_home(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The processes this user runs meetings for, with their meetings and a form for a new one."""
    return render(
        request,
        "console/index.html",
        {
            "user": user,
            "processes": meetings_service.meetings_for_console(session, user=user),
            "error": None,
            "form": {},
        },
    )


@router.post("/processes/{process_id}/meetings", response_model=None)
def create_meeting(
    request: Request,
    process_id: int,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    form: Form,
) -> Response:
    """Create a meeting (with the three rounds of a meeting night, unless unticked)."""
    starts = form_text(form, "starts_at")
    error: DomainError | None = None
    try:
        starts_at = local_datetime(starts)
    except ValueError:
        starts_at = None
        error = InvalidInput(
            N_("starts_at: '%(value)s' is not a date and time."), value=starts[:30]
        )
    if error is None:
        try:
            meeting = meetings_service.create_meeting(
                session,
                user=user,
                process_id=process_id,
                title=form_text(form, "title"),
                location=form_text(form, "location"),
                starts_at=starts_at,
                with_rounds=form_text(form, "with_rounds") == "1",
            )
        except InvalidInput as refused:
            error = refused
        else:
            assert meeting.id is not None
            return _back(meeting.id)
    access.process_for(session, user=user, process_id=process_id)
    return render(
        request,
        "console/index.html",
        {
            "user": user,
            "processes": meetings_service.meetings_for_console(session, user=user),
            "error": error.localized(),
            "error_process": process_id,
            "form": {k: form_text(form, k) for k in ("title", "location", "starts_at")},
        },
        status_code=error.status,
    )


def _meeting_context(session: SessionDep, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    assert meeting.id is not None
    rounds = meetings_service.rounds_of(session, meeting_id=meeting.id)
    return {
        "meeting": meeting,
        "process": meetings_service.get_process(session, meeting=meeting),
        "rounds": rounds,
        "turnouts": rounds_service.turnouts(session, round_ids=[r.id or 0 for r in rounds]),
        "signature": meetings_service.signature(rounds),
        "join_address": meetings_service.join_address(meeting.id),
        "short_address": meetings_service.short_address(meeting.id),
        "kinds": list(RoundKind),
        **extra,
    }


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_console(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """A meeting's rounds with open and close buttons and live turnout."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    return render(request, "console/meeting.html", _meeting_context(session, meeting))


@router.post("/meetings/{meeting_id}/rounds", response_model=None)
def add_round(
    meeting_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep, form: Form
) -> Response:
    """Add a round of a kind (run again when that kind was run before)."""
    rounds_service.add_round(
        session,
        user=user,
        meeting_id=meeting_id,
        kind=form_text(form, "kind"),
        requires_code=form_text(form, "without_code") != "1",
    )
    return _back(meeting_id)


def _round_action(round_: Round) -> RedirectResponse:
    return _back(round_.meeting_id)


@router.post("/rounds/{round_id}/open", response_model=None)
def open_round(round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep) -> Response:
    """Open a round for ballots (this freezes the menu)."""
    return _round_action(rounds_service.open_round(session, user=user, round_id=round_id))


@router.post("/rounds/{round_id}/close", response_model=None)
def close_round(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> Response:
    """Close a round: later ballots are refused; the outcome is shown."""
    round_ = rounds_service.close_round(session, user=user, round_id=round_id)
    return RedirectResponse(f"/console/rounds/{round_.id}", status_code=303)


@router.post("/rounds/{round_id}/again", response_model=None)
def run_again(round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep) -> Response:
    """Add a new run of a closed round's kind, to vote on it again after discussion."""
    return _round_action(rounds_service.run_again(session, user=user, round_id=round_id))


@router.post("/rounds/{round_id}/visibility", response_model=None)
def results_visibility(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep, form: Form
) -> Response:
    """Show residents the results of an open round, or hide them."""
    round_ = rounds_service.set_results_visible(
        session, user=user, round_id=round_id, visible=form_text(form, "visible") == "1"
    )
    return _round_action(round_)


@router.post("/rounds/{round_id}/codes", response_model=None)
def codes_required(
    round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep, form: Form
) -> Response:
    """Require code cards in a round, or take one ballot per device without a code."""
    round_ = rounds_service.set_requires_code(
        session, user=user, round_id=round_id, required=form_text(form, "required") == "1"
    )
    return _round_action(round_)


@router.get("/rounds/{round_id}/turnout", response_class=HTMLResponse)
def live_turnout(
    request: Request, round_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """The turnout of a round (polled every second while the round is open)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    return render(
        request,
        "console/_turnout.html",
        {"round": round_, "turnout": rounds_service.turnout(session, round_id=round_id)},
    )


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def round_console(
    request: Request, round_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """A round's turnout and outcome (provisional while it is open)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    outcome = (
        outcomes_service.outcome(session, round_=round_)
        if round_.state != RoundState.DRAFT
        else None
    )
    return render(
        request,
        "console/round.html",
        {
            **_meeting_context(session, meeting),
            "round": round_,
            "outcome": outcome,
            "turnout": rounds_service.turnout(session, round_id=round_id),
            "receipts": _published_receipts(session, round_),
            "publishable": True,
        },
    )


def _paper_page(
    request: Request,
    session: SessionDep,
    *,
    round_: Round,
    given: BallotInput,
    code: str = "",
    group: str = "",
    error: str | None = None,
    entered: str | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    menu = ballots_service.load_menu(session, process_id=meeting.process_id)
    return render(
        request,
        "console/paper.html",
        {
            **_meeting_context(session, meeting),
            "round": round_,
            "menu": menu,
            "given": given,
            "chosen": set(given.measure_ids),
            "tally": ballots_service.tally(round_.kind, given, menu),
            "code": code,
            "group": group,
            "groups": list(StakeholderGroup),
            "error": error,
            "entered": entered,
            "idempotency_key": idempotency_key or ballots_service.new_idempotency_key(),
            "action_url": f"/console/rounds/{round_.id}/paper",
            "preview_url": f"/console/rounds/{round_.id}/paper/preview",
            "submit_label": _("Count this paper ballot"),
        },
        fragment="vote/_tally.html",
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/paper", response_class=HTMLResponse)
def paper_form(
    request: Request,
    round_id: int,
    user: CurrentUser,
    session: SessionDep,
    entered: str | None = None,
) -> HTMLResponse:
    """The form to type in a paper ballot for a code card."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    return _paper_page(request, session, round_=round_, given=BallotInput(), entered=entered)


@router.post("/rounds/{round_id}/paper/preview", response_class=HTMLResponse)
def paper_preview(
    request: Request, round_id: int, user: CurrentUser, session: SessionDep, form: Form
) -> HTMLResponse:
    """Points or money left on the paper ballot as typed so far; nothing is stored."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    return _paper_page(
        request,
        session,
        round_=round_,
        given=ballot_input(form),
        code=form_text(form, "code"),
        group=form_text(form, "group"),
        idempotency_key=form_text(form, "idempotency_key") or None,
    )


@router.post("/rounds/{round_id}/paper", response_model=None)
def enter_paper_ballot(
    request: Request,
    round_id: int,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    form: Form,
) -> Response:
    """Count a paper ballot for a code card, exactly like a phone ballot."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    given = ballot_input(form)
    code, group = form_text(form, "code"), form_text(form, "group")
    key = form_text(form, "idempotency_key")
    try:
        receipt = ballots_service.enter_paper_ballot(
            session,
            user=user,
            round_id=round_id,
            code=code,
            group=group or None,
            given=given,
            idempotency_key=key,
        )
    except DomainError as refused:
        return _paper_page(
            request,
            session,
            round_=round_,
            given=given,
            code=code,
            group=group,
            error=refused.localized(),
            idempotency_key=key or None,
            status_code=refused.status,
        )
    query = urlencode({"entered": receipt.code + (" replaced" if receipt.replaced else "")})
    return RedirectResponse(f"/console/rounds/{round_id}/paper?{query}", status_code=303)


def _screen_round(rounds: list[Round]) -> Round | None:
    open_round = next((r for r in rounds if r.state == RoundState.OPEN), None)
    if open_round is not None:
        return open_round
    closed = [r for r in rounds if r.state == RoundState.CLOSED]
    # The round closed last (every closed round has closed_at; created_at only satisfies mypy).
    return max(closed, key=lambda r: r.closed_at or r.created_at) if closed else None


@router.get("/meetings/{meeting_id}/screen", response_class=HTMLResponse)
def projector(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """The projector: the QR code, join address and turnout; after a close, the outcome."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    context = _meeting_context(session, meeting)
    shown = _screen_round(context["rounds"])
    outcome = None
    if shown is not None and outcomes_service.may_show(shown):
        outcome = outcomes_service.outcome(session, round_=shown)
    return render(
        request,
        "console/screen.html",
        {
            **context,
            "shown": shown,
            "outcome": outcome,
            "qr": qr_svg(context["join_address"]),
            "turnout": rounds_service.turnout(session, round_id=shown.id or 0) if shown else None,
            "receipts": _published_receipts(session, shown) if shown else None,
            "helping": offers_service.helping(session, process_id=meeting.process_id)
            if shown is not None and shown.kind == RoundKind.KIEZEN
            else None,
        },
    )


def _published_receipts(session: SessionDep, round_: Round) -> ballots_service.ReceiptList | None:
    # Shown once the facilitator has published them (see routes/receipts.py).
    if round_.receipts_published_at is None:
        return None
    return ballots_service.receipt_list(session, round_=round_)
