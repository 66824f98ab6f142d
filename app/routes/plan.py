"""The bewonersplan: the wijkteam's page and downloads, adoption, and the public version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.allocation import Completion
from app.domain.waardenzeef import RankBy, Rule
from app.errors import N_, NotFound
from app.exports import content as c
from app.exports import plan_files, plan_pdf, plan_text
from app.exports.plan_files import MEDIA, Format
from app.models import PlanSnapshot
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WriteLock
from app.services import access, menu_read
from app.services import follow_up as follow_up_service
from app.services import offers as offers_service
from app.services import plans as plans_service
from app.services import schedules as schedules_service
from app.settings import public_base_url
from app.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["bewonersplan"])

RULES = [r.value for r in Rule]
COMPLETIONS = [c.value for c in Completion]


def _download(plan: c.PlanContent, ballots: str, fmt: Format) -> Response:
    return Response(
        plan_files.render(plan, ballots, fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{plan_files.filename(plan, fmt)}"'},
    )


def _page(
    request: Request,
    plan: c.PlanContent,
    *,
    base: str,
    files: str,
    query: str,
    editable: bool,
    latest: PlanSnapshot | None,
    newer: bool,
    published: bool,
    helpers: dict[str, int] | None = None,
    ballots_changed: bool = False,
    follow_up: str | None = None,
    plain: dict[str, menu_read.MeasureRow] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "plan/plan.html",
        {
            "plan": plan,
            "plan_text": plan_text,
            "base": base,
            "files": files,
            "query": query,
            "editable": editable,
            "latest": latest,
            "newer": newer,
            "ballots_changed": ballots_changed,
            "rules": RULES,
            "completions": COMPLETIONS,
            "published": published,
            "public_url": f"{public_base_url()}/processes/{plan.process.id}/plan",
            "pdf_missing": plan_pdf.unavailable(),
            "helpers": helpers or {},
            "follow_up": follow_up,
            # The menu's measures by key, for their plain explanations (residents' page only).
            "plain_measures": plain or {},
        },
    )


@router.get("/wijkteam/processes/{process_id}/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    process_id: int,
    session: SessionDep,
    user: WijkteamUser,
    background: BackgroundTasks,
    rule: Rule = Rule.GREEDY,
    ranked_by: RankBy = RankBy.CONTRIBUTION,
    completion: Completion | None = None,
) -> HTMLResponse:
    """The current outcome with the chosen rule, beside the adopted plan if there is one; its
    PDF is rendered ahead once the page has gone out (`plans.prepare_pdf`)."""
    process = access.process_for(session, user=user, process_id=process_id)
    plan = plans_service.content_of(
        session, process_id=process_id, rule=rule, ranked_by=ranked_by, completion=completion
    )
    background.add_task(plans_service.prepare_pdf, plan)
    latest = plans_service.adopted(session, process_id=process_id)
    base = f"/wijkteam/processes/{process_id}/plan"
    return _page(
        request,
        plan,
        base=base,
        files=base,
        editable=True,
        query=f"?rule={plan.rule}&ranked_by={plan.ranked_by}"
        + (f"&completion={plan.completion}" if plan.completion else ""),
        latest=latest,
        newer=False,
        published=process.plan_is_public,
        helpers=offers_service.counts_by_key(session, process_id=process_id),
        ballots_changed=latest is not None
        and plans_service.fingerprint_now(session, snapshot=latest) != latest.fingerprint,
    )


@router.get("/wijkteam/processes/{process_id}/plan.{fmt}")
def plan_download(
    process_id: int,
    fmt: Format,
    session: SessionDep,
    user: WijkteamUser,
    rule: Rule = Rule.GREEDY,
    ranked_by: RankBy = RankBy.CONTRIBUTION,
    completion: Completion | None = None,
) -> Response:
    """The current outcome as PDF, XLSX, CSV, JSON, or its ballots as a Pabulib file."""
    access.process_for(session, user=user, process_id=process_id)
    plan, ballots = plans_service.compute(
        session, process_id=process_id, rule=rule, ranked_by=ranked_by, completion=completion
    )
    return _download(plan, ballots, fmt)


@router.post("/wijkteam/processes/{process_id}/plan/adopt")
def adopt(
    process_id: int,
    _lock: WriteLock,
    session: SessionDep,
    user: WijkteamUser,
    rule: Annotated[Rule, Form()] = Rule.GREEDY,
    ranked_by: Annotated[RankBy, Form()] = RankBy.CONTRIBUTION,
    completion: Annotated[Completion | None, Form()] = None,
) -> RedirectResponse:
    """Adopt the outcome as it is now."""
    access.process_for(session, user=user, process_id=process_id)
    snapshot = plans_service.adopt(
        session,
        process_id=process_id,
        rule=rule,
        ranked_by=ranked_by,
        completion=completion,
        user=user,
    )
    return RedirectResponse(
        f"/wijkteam/processes/{process_id}/plan/adopted/{snapshot.id}", status_code=303
    )


@router.post("/wijkteam/processes/{process_id}/plan/publish")
def publish(
    process_id: int,
    _lock: WriteLock,
    session: SessionDep,
    user: WijkteamUser,
    public: Annotated[bool, Form()],
) -> RedirectResponse:
    """Publish the public version of the adopted plan, or withdraw it."""
    access.process_for(session, user=user, process_id=process_id)
    plans_service.set_public(session, process_id=process_id, public=public, user=user)
    return RedirectResponse(f"/wijkteam/processes/{process_id}/plan", status_code=303)


@router.get(
    "/wijkteam/processes/{process_id}/plan/adopted/{snapshot_id:int}", response_class=HTMLResponse
)
def adopted_page(
    request: Request,
    process_id: int,
    snapshot_id: int,
    session: SessionDep,
    user: WijkteamUser,
    background: BackgroundTasks,
) -> HTMLResponse:
    """An adopted plan exactly as adopted; says so when the ballots have changed since. Its PDF
    is rendered ahead once the page has gone out (`plans.prepare_pdf`)."""
    process = access.process_for(session, user=user, process_id=process_id)
    snapshot = plans_service.adopted(session, process_id=process_id, snapshot_id=snapshot_id)
    assert snapshot is not None
    plan, _ = plans_service.snapshot_content(snapshot)
    schedules_service.attach(session, plan)
    background.add_task(plans_service.prepare_pdf, plan)
    base = f"/wijkteam/processes/{process_id}/plan"
    return _page(
        request,
        plan,
        base=base,
        files=f"{base}/adopted/{snapshot_id}",
        query="",
        editable=False,
        latest=snapshot,
        newer=plans_service.fingerprint_now(session, snapshot=snapshot) != plan.fingerprint,
        published=process.plan_is_public,
        helpers=offers_service.counts_by_key(session, process_id=process_id),
    )


@router.get("/wijkteam/processes/{process_id}/plan/adopted/{snapshot_id}.{fmt}")
def adopted_download(
    process_id: int,
    snapshot_id: int,
    fmt: Format,
    session: SessionDep,
    user: WijkteamUser,
) -> Response:
    """An adopted plan's downloads, exactly as adopted."""
    access.process_for(session, user=user, process_id=process_id)
    snapshot = plans_service.adopted(session, process_id=process_id, snapshot_id=snapshot_id)
    assert snapshot is not None
    plan, ballots = plans_service.snapshot_content(snapshot)
    return _download(schedules_service.attach(session, plan), ballots, fmt)


def _published(session: SessionDep, process_id: int) -> PlanSnapshot:
    process = access.public_process(session, process_id=process_id)
    snapshot = (
        plans_service.adopted(session, process_id=process_id) if process.plan_is_public else None
    )
    if snapshot is None:
        raise NotFound(N_("This page does not exist."))
    return snapshot


@router.get("/processes/{process_id}/plan", response_class=HTMLResponse)
def public_page(request: Request, process_id: int, session: SessionDep) -> HTMLResponse:
    """The public version of the adopted plan, when the wijkteam has published it."""
    plan, _ = plans_service.snapshot_content(_published(session, process_id), public=True)
    schedules_service.attach(session, plan)
    base = f"/processes/{process_id}/plan"
    return _page(
        request,
        plan,
        base=base,
        files=base,
        query="",
        editable=False,
        latest=None,
        newer=False,
        published=True,
        helpers=offers_service.counts_by_key(session, process_id=process_id),
        follow_up=(
            f"/processes/{process_id}/voortgang"
            if follow_up_service.is_public(session, process_id=process_id)
            else None
        ),
        plain={m.key: m for m in menu_read.read_menu(session, process_id=process_id).measures},
    )


@router.get("/processes/{process_id}/plan.{fmt}")
def public_download(process_id: int, fmt: Format, session: SessionDep) -> Response:
    """The public version's downloads (no ballots file: that is for the wijkteam)."""
    plan, ballots = plans_service.snapshot_content(_published(session, process_id), public=True)
    return _download(schedules_service.attach(session, plan), ballots, fmt)


# --- JSON API ----------------------------------------------------------------------------------

_COMPLETION = (
    "Equal shares only (ignored for greedy and optimal): add1 (add one alone), add1-greedy (add "
    "one, then greedy; the default) or add1-compare (then the comparison step of Wieliczka 2023: "
    "the greedy outcome when more participants prefer it)."
)


@api.get("/processes/{process_id:int}/plan", response_model=c.PlanContent)
def api_plan(
    process_id: int,
    session: SessionDep,
    user: WijkteamUser,
    rule: Annotated[Rule, Query()] = Rule.GREEDY,
    ranked_by: Annotated[RankBy, Query()] = RankBy.CONTRIBUTION,
    completion: Annotated[Completion | None, Query(description=_COMPLETION)] = None,
) -> c.PlanContent:
    """The current outcome of a process under a rule (wijkteam only)."""
    access.process_for(session, user=user, process_id=process_id)
    return plans_service.content_of(
        session, process_id=process_id, rule=rule, ranked_by=ranked_by, completion=completion
    )


@api.post("/processes/{process_id:int}/plan/adopt", response_model=c.PlanContent, status_code=201)
def api_adopt(
    process_id: int,
    _lock: WriteLock,
    session: SessionDep,
    user: WijkteamUser,
    rule: Annotated[Rule, Query()] = Rule.GREEDY,
    ranked_by: Annotated[RankBy, Query()] = RankBy.CONTRIBUTION,
    completion: Annotated[Completion | None, Query(description=_COMPLETION)] = None,
) -> c.PlanContent:
    """Adopt the current outcome; returns it as stored."""
    access.process_for(session, user=user, process_id=process_id)
    snapshot = plans_service.adopt(
        session,
        process_id=process_id,
        rule=rule,
        ranked_by=ranked_by,
        completion=completion,
        user=user,
    )
    return plans_service.snapshot_content(snapshot)[0]


@api.get("/processes/{process_id:int}/plan/adopted", response_model=c.PlanContent)
def api_adopted(process_id: int, session: SessionDep, user: WijkteamUser) -> c.PlanContent:
    """The latest adopted plan, exactly as adopted."""
    access.process_for(session, user=user, process_id=process_id)
    snapshot = plans_service.adopted(session, process_id=process_id)
    if snapshot is None:
        raise NotFound(N_("Process %(id)s has no adopted plan yet."), id=process_id)
    return schedules_service.attach(session, plans_service.snapshot_content(snapshot)[0])
