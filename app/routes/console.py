"""The facilitator's console on a laptop: meetings and rounds, live turnout, paper ballots,
outcomes, and the projector screen.

Every route takes the logged-in user and reaches meetings and rounds only through the access
checks (a facilitator sees only the processes assigned to them; others get 404). Routes that
write list `WriteLock` before `CurrentUser`, so that on SQLite the write lock comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep, write_after_read
from app.domain.vocabulary import RoundKind, RoundState, StakeholderGroup
from app.errors import N_, DomainError, InvalidInput
from app.exports import plan_text
from app.i18n import gettext as _
from app.models import Meeting, Round
from app.routes.deps import CurrentUser
from app.routes.meeting_deps import Form, WriteLock, ballot_input, form_text, local_datetime
from app.services import access, address_checks
from app.services import ballots as ballots_service
from app.services import meetings as meetings_service
from app.services import offers as offers_service
from app.services import outcomes as outcomes_service
from app.services import plans as plans_service
from app.services import preflight as preflight_service
from app.services import rounds as rounds_service
from app.services.ballots import BallotInput
from app.settings import public_address
from app.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
# What a phone opens when the facilitator's test QR code is scanned (no login).
check_router = APIRouter(include_in_schema=False)


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
        "signature": meetings_service.signature(
            rounds, meetings_service.paper_marker(session, rounds=rounds)
        ),
        "join_address": meetings_service.join_address(meeting.id),
        "short_address": meetings_service.short_address(meeting.id),
        "address": public_address(),
        "kinds": list(RoundKind),
        "reopen_blockers": {
            r.id: rounds_service.reopen_blocker(session, round_=r)
            for r in rounds
            if r.state == RoundState.CLOSED
        },
        **extra,
    }


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_console(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """A meeting's rounds with open and close buttons and live turnout."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    check = address_checks.state(session, meeting_id=meeting_id)
    return render(
        request,
        "console/meeting.html",
        _meeting_context(session, meeting, check=check, check_qr=qr_svg(check.url)),
    )


@router.get("/meetings/{meeting_id}/preflight", response_class=HTMLResponse)
def preflight(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Klaar voor de avond? Every line green or red, with what to do."""
    found = preflight_service.check(session, user=user, meeting_id=meeting_id)
    return render(
        request,
        "console/preflight.html",
        {
            "meeting": found.meeting,
            "process": found.process,
            "p": found,
            "check": found.check,
            "check_qr": qr_svg(found.check.url),
            "address": found.address,
        },
    )


@router.get("/meetings/{meeting_id}/address-check", response_class=HTMLResponse)
def address_check(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """The reachability check's state (polled while no phone has reached the server yet)."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    check = address_checks.state(session, meeting_id=meeting_id)
    return render(
        request,
        "console/_address_check.html",
        {"meeting": meeting, "check": check, "check_qr": qr_svg(check.url)},
    )


@check_router.get("/check/{meeting_id}/{token}", response_class=HTMLResponse)
def address_reached(
    request: Request, meeting_id: int, token: str, _lock: WriteLock, session: SessionDep
) -> HTMLResponse:
    """A phone scanned the console's test QR code: record it and say that it worked."""
    check = address_checks.reached(
        session,
        meeting_id=meeting_id,
        token=token,
        via=request.headers.get("host", ""),
        client=request.client.host if request.client else "",
    )
    return render(request, "console/check_reached.html", {"check": check})


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


def _confirm_page(
    request: Request, session: SessionDep, round_: Round, action: str, *, error: str | None = None
) -> HTMLResponse:
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    return render(
        request,
        "console/confirm.html",
        {
            **_meeting_context(session, meeting),
            "round": round_,
            "action": action,
            "turnout": rounds_service.turnout(session, round_id=round_.id or 0),
            "reopen_until": rounds_service.reopen_deadline(round_),
            "reopen_minutes": rounds_service.REOPEN_MINUTES,
            "error": error,
        },
        status_code=409 if error else 200,
    )


@router.get("/rounds/{round_id}/close", response_class=HTMLResponse)
@router.get("/rounds/{round_id}/reopen", response_class=HTMLResponse)
@router.get("/rounds/{round_id}/again", response_class=HTMLResponse)
def confirm_action(
    request: Request, round_id: int, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Ask first: close, reopen or run again, with what it means (phones still busy...)."""
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    round_ = access.round_for(session, user=user, round_id=round_id)
    return _confirm_page(request, session, round_, action)


def _confirmed(form: Any) -> bool:
    return form_text(form, "confirm") == "1"


@router.post("/rounds/{round_id}/close", response_model=None)
def close_round(
    request: Request,
    round_id: int,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    form: Form,
) -> Response:
    """Close a round after confirmation: later ballots are refused; the outcome is shown."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if not _confirmed(form) and round_.state == RoundState.OPEN:
        return _confirm_page(request, session, round_, "close")
    round_ = rounds_service.close_round(session, user=user, round_id=round_id)
    return RedirectResponse(f"/console/rounds/{round_.id}", status_code=303)


@router.post("/rounds/{round_id}/reopen", response_model=None)
def reopen_round(
    request: Request,
    round_id: int,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    form: Form,
) -> Response:
    """Reopen a round closed by mistake (within 10 minutes, nothing opened since), after asking."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if not _confirmed(form) and round_.state == RoundState.CLOSED:
        return _confirm_page(request, session, round_, "reopen")
    try:
        round_ = rounds_service.reopen_round(session, user=user, round_id=round_id)
    except rounds_service.CannotReopen as refused:
        return _confirm_page(request, session, round_, "reopen", error=refused.localized())
    return _round_action(round_)


@router.post("/rounds/{round_id}/again", response_model=None)
def run_again(
    request: Request,
    round_id: int,
    _lock: WriteLock,
    user: CurrentUser,
    session: SessionDep,
    form: Form,
) -> Response:
    """After asking, add a new run of a closed round's kind right after it, to vote again."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    if not _confirmed(form):
        return _confirm_page(request, session, round_, "again")
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
    request: Request, round_id: int, user: CurrentUser, session: SessionDep, screen: bool = False
) -> HTMLResponse:
    """The turnout of a round (polled every second while the round is open)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    return render(
        request,
        "console/_screen_turnout.html" if screen else "console/_turnout.html",
        {"round": round_, "turnout": rounds_service.turnout(session, round_id=round_id)},
    )


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def round_console(
    request: Request,
    round_id: int,
    user: CurrentUser,
    session: SessionDep,
    background: BackgroundTasks,
) -> HTMLResponse:
    """A round's turnout and outcome (provisional while it is open).

    A closed Kiezen round shows the plan beside its result; once this page has gone out, the
    plan page's plan of the same ballots is worked out (plans.prepare, kept by the ballots'
    state), so that the wijkteam's plan page right after the meeting finds it ready.
    """
    round_ = access.round_for(session, user=user, round_id=round_id)
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    outcome = (
        outcomes_service.outcome(session, round_=round_)
        if round_.state != RoundState.DRAFT
        else None
    )
    beside = outcomes_service.beside_plan(session, outcome=outcome) if outcome else None
    if beside is not None and beside.source is not None:
        background.add_task(plans_service.prepare, beside.source)
    return render(
        request,
        "console/round.html",
        {
            **_meeting_context(session, meeting),
            "round": round_,
            "outcome": outcome,
            "beside": beside,
            "plan_text": plan_text,
            "turnout": rounds_service.turnout(session, round_id=round_id),
            "receipts": _published_receipts(session, round_),
            "publishable": True,
        },
    )


def _paper_page(
    request: Request,
    session: SessionDep,
    *,
    user: Any,
    round_: Round,
    given: BallotInput,
    code: str = "",
    group: str = "",
    error: str | None = None,
    entered: str | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
    confirm_replace: str | None = None,
    late: bool = False,
) -> HTMLResponse:
    meeting = meetings_service.get_meeting(session, meeting_id=round_.meeting_id)
    menu = ballots_service.load_menu(session, process_id=meeting.process_id)
    card = card_error = None
    if code.strip():
        try:
            card = ballots_service.look_up_card(
                session, user=user, round_id=round_.id or 0, code=code
            )
        except DomainError as problem:
            card_error = problem.localized()
    last = ballots_service.last_paper_entry(session, round_id=round_.id or 0)
    undo_blocker = (
        ballots_service.undo_blocker(session, entry=last, round_=round_) if last else None
    )
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
            "card": card,
            "card_error": card_error,
            "error": error,
            "entered": entered,
            "confirm_replace": confirm_replace,
            "late": late,
            "last_entry": last if last and undo_blocker is None else None,
            "undo_until": (
                rounds_service.aware(last.entered_at)
                + timedelta(minutes=ballots_service.UNDO_MINUTES)
                if last
                else None
            ),
            "idempotency_key": idempotency_key or ballots_service.new_idempotency_key(),
            "action_url": f"/console/rounds/{round_.id}/paper",
            "preview_url": f"/console/rounds/{round_.id}/paper/preview",
            "submit_label": _("Count this paper ballot"),
        },
        fragment="console/_paper_live.html",
        status_code=status_code,
    )


def _paper_group(form: Any) -> str:
    return form_text(form, "stakeholder_group") or form_text(form, "group")


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
    return _paper_page(
        request, session, user=user, round_=round_, given=BallotInput(), entered=entered
    )


@router.post("/rounds/{round_id}/paper/preview", response_class=HTMLResponse)
def paper_preview(
    request: Request, round_id: int, user: CurrentUser, session: SessionDep, form: Form
) -> HTMLResponse:
    """The card of the code typed (number, group, a ballot it has) and the points or money left
    on the paper ballot as typed so far; nothing is stored."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    return _paper_page(
        request,
        session,
        user=user,
        round_=round_,
        given=ballot_input(form),
        code=form_text(form, "code"),
        group=_paper_group(form),
        idempotency_key=form_text(form, "idempotency_key") or None,
        late=form_text(form, "late") == "1",
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
    """Count a paper ballot for a code card, exactly like a phone ballot (asking first when it
    replaces a ballot the card already has)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    given = ballot_input(form)
    code, group = form_text(form, "code"), _paper_group(form)
    key = form_text(form, "idempotency_key")
    late = form_text(form, "late") == "1"
    try:
        receipt = ballots_service.enter_paper_ballot(
            session,
            user=user,
            round_id=round_id,
            code=code,
            group=group or None,
            given=given,
            idempotency_key=key,
            replace=form_text(form, "replace") == "1",
            late=late,
        )
    except DomainError as refused:
        return _paper_page(
            request,
            session,
            user=user,
            round_=round_,
            given=given,
            code=code,
            group=group,
            error=None
            if isinstance(refused, ballots_service.ReplaceNeedsConfirmation)
            else (refused.localized()),
            confirm_replace=(
                refused.localized()
                if isinstance(refused, ballots_service.ReplaceNeedsConfirmation)
                else None
            ),
            idempotency_key=key or None,
            status_code=refused.status,
            late=late,
        )
    query = urlencode({"entered": receipt.code + (" replaced" if receipt.replaced else "")})
    return RedirectResponse(f"/console/rounds/{round_id}/paper?{query}", status_code=303)


@router.post("/rounds/{round_id}/paper/undo", response_model=None)
def undo_paper_ballot(
    request: Request, round_id: int, _lock: WriteLock, user: CurrentUser, session: SessionDep
) -> Response:
    """Undo the last paper ballot of this round (within a few minutes)."""
    round_ = access.round_for(session, user=user, round_id=round_id)
    try:
        ballots_service.undo_last_paper_ballot(session, user=user, round_id=round_id)
    except ballots_service.CannotUndo as refused:
        return _paper_page(
            request,
            session,
            user=user,
            round_=round_,
            given=BallotInput(),
            error=refused.localized(),
            status_code=refused.status,
        )
    return RedirectResponse(f"/console/rounds/{round_id}/paper?entered=undone", status_code=303)


# Rows per projector page: what fits at 1280x720 and 1920x1080 in the projector's type size.
SCREEN_ROWS = 6
# Differences between the plan and Kiezen per projector page: each a name and a sentence.
SCREEN_DIFFERENCES = 3
# Receipts per projector page: four columns of six.
SCREEN_RECEIPTS = 24
# Seconds a resident takes per score in Zeven, for the time the projector announces.
SECONDS_PER_SCORE = 10


@dataclass(frozen=True)
class ScreenPage:
    """One page of results on the projector: what it shows, and its rows."""

    part: str
    rows: list[Any]
    first: int = 1


def _chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def _screen_pages(
    outcome: outcomes_service.Outcome | None,
    receipts: ballots_service.ReceiptList | None,
    beside: outcomes_service.PlanBeside | None = None,
) -> list[ScreenPage]:
    # Results that fit the screen without scrolling, paged when they are longer; the published
    # receipts after them.
    codes = list(receipts.receipts) if receipts is not None else []
    listed = (
        [ScreenPage("receipts", rows) for rows in _chunks(codes, SCREEN_RECEIPTS)] if codes else []
    )
    return _result_pages(outcome, beside) + listed


def _result_pages(
    outcome: outcomes_service.Outcome | None, beside: outcomes_service.PlanBeside | None
) -> list[ScreenPage]:
    if outcome is None or outcome.turnout.ballots == 0:
        return [ScreenPage("empty", [])]
    kind = outcome.round.kind
    if kind == RoundKind.WEGEN:
        return [
            ScreenPage("weights", rows, 1 + i * SCREEN_ROWS)
            for i, rows in enumerate(_chunks(outcome.weights, SCREEN_ROWS))
        ]
    if kind == RoundKind.ZEVEN:
        pages = [ScreenPage("discussion", outcome.discussion)] if outcome.discussion else []
        rated = [r for r in outcome.ranking if r.rated_by]
        return pages + [
            ScreenPage("ranking", rows, 1 + i * SCREEN_ROWS)
            for i, rows in enumerate(_chunks(rated, SCREEN_ROWS))
        ]
    # After the Kiezen list, where the bewonersplan differs from it and why.
    differing = beside.differing if beside is not None else []
    return (
        [ScreenPage("plan", [])]
        + [
            ScreenPage("choices", rows, 1 + i * SCREEN_ROWS)
            for i, rows in enumerate(_chunks(outcome.choices, SCREEN_ROWS))
        ]
        + [
            ScreenPage("differences", rows, 1 + i * SCREEN_DIFFERENCES)
            for i, rows in enumerate(_chunks(differing, SCREEN_DIFFERENCES))
            if rows
        ]
    )


def _screen_round(rounds: list[Round]) -> Round | None:
    open_round = next((r for r in rounds if r.state == RoundState.OPEN), None)
    if open_round is not None:
        return open_round
    closed = [r for r in rounds if r.state == RoundState.CLOSED]
    # The round closed last (every closed round has closed_at; created_at only satisfies mypy).
    return max(closed, key=lambda r: r.closed_at or r.created_at) if closed else None


@router.get("/meetings/{meeting_id}/screen", response_class=HTMLResponse)
def projector(
    request: Request, meeting_id: int, user: CurrentUser, session: SessionDep, page: int = 1
) -> HTMLResponse:
    """The projector: what is asked, the QR code, join address and moving turnout; after a
    close, the outcome in pages that fit the screen (next/previous, or the arrow keys)."""
    meeting = access.meeting_for(session, user=user, meeting_id=meeting_id)
    context = _meeting_context(session, meeting)
    shown = _screen_round(context["rounds"])
    outcome = None
    if shown is not None and outcomes_service.may_show(shown):
        outcome = outcomes_service.outcome(session, round_=shown)
    receipts = _published_receipts(session, shown) if shown else None
    beside = outcomes_service.beside_plan(session, outcome=outcome) if outcome else None
    pages = _screen_pages(outcome, receipts, beside)
    number = min(max(page, 1), len(pages))
    menu = ballots_service.load_menu(session, process_id=meeting.process_id)
    scores = sum(len(m.effect_ids) for m in menu.measures)
    rendered = render(
        request,
        "console/screen.html",
        {
            **context,
            "shown": shown,
            "outcome": outcome,
            "beside": beside,
            "plan_text": plan_text,
            "pages": pages,
            "page": pages[number - 1],
            "page_number": number,
            "menu": menu,
            "zeven_minutes": max(1, round(scores * SECONDS_PER_SCORE / 60)),
            "qr": qr_svg(context["join_address"]),
            "turnout": rounds_service.turnout(session, round_id=shown.id or 0) if shown else None,
            "receipts": receipts,
            "helping": offers_service.helping(session, process_id=meeting.process_id)
            if shown is not None and shown.kind == RoundKind.KIEZEN
            else None,
        },
    )
    if preflight_service.projector_needs_note(meeting):
        # For the pre-flight page: the projector window is open (noted now and then, not always).
        write_after_read(
            session, lambda: preflight_service.note_projector_opened(session, meeting_id=meeting_id)
        )
    return rendered


def _published_receipts(session: SessionDep, round_: Round) -> ballots_service.ReceiptList | None:
    # Shown once the facilitator has published them (see routes/receipts.py).
    if round_.receipts_published_at is None:
        return None
    return ballots_service.receipt_list(session, round_=round_)
