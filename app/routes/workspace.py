"""The wijkteam's process editor: a process, its effects, indicators and measures, in the browser.

Every form is a plain HTML form post; a form with problems comes back with each message beside
its field (HTTP 422). A frozen menu (a round has been opened) gets a page that explains why and
offers to start a new process version.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from app.db import SessionDep
from app.domain.vocabulary import CostHorizon, IndicatorUnit
from app.errors import DomainError, InvalidInput, MenuFrozen
from app.i18n import current_language
from app.models import Effect, Indicator, Measure, Process, User
from app.routes.deps import WijkteamUser
from app.routes.workspace_deps import WijkteamProcess, WriteLock, client_ip
from app.services import accounts as accounts_service
from app.services import code_cards, editor
from app.services import codes as codes_service
from app.services import menus as menus_service
from app.services.forms import FormInvalid
from app.templating import render

router = APIRouter(prefix="/wijkteam", include_in_schema=False)


class ProcessForm(BaseModel):
    """The process form's fields, as typed."""

    neighbourhood: str = ""
    municipality: str = ""
    title: str = ""
    description: str = ""
    budget_eur: str = ""
    cost_horizon: str = CostHorizon.YEARS_4.value
    budget_note: str = ""


class EffectForm(BaseModel):
    """The effect form's fields, as typed."""

    key: str = ""
    title: str = ""
    description: str = ""
    plain_explanation: str = ""
    parent: str = ""


class IndicatorForm(BaseModel):
    """The indicator form's fields, as typed; targets as parallel lists of years and values."""

    name: str = ""
    effect: str = ""
    unit: str = ""
    lower_is_better: str = ""
    baseline_year: str = ""
    baseline: str = ""
    city: str = ""
    target_year: list[str] = []
    target_value: list[str] = []


class MeasureForm(BaseModel):
    """The measure form's fields, as typed."""

    key: str = ""
    title: str = ""
    description: str = ""
    plain_explanation: str = ""
    organisation: str = ""
    group: str = ""
    effects: list[str] = []
    cost_year_1: str = ""
    cost_years_4: str = ""
    cost_years_10: str = ""
    regular: str = ""


def decimal_text(value: Decimal | None) -> str:
    """A number as the reader types it (decimal comma in Dutch)."""
    if value is None:
        return ""
    text = format(value.normalize() if value == value.to_integral_value() else value, "f")
    if "E" in text or "e" in text:
        text = str(int(value))
    return text.replace(".", ",") if current_language.get() == "nl" else text


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    error: FormInvalid | None = None,
) -> HTMLResponse:
    errors = error.field_messages() if error else {}
    return render(
        request,
        template,
        {**context, "errors": errors},
        status_code=422 if error else 200,
    )


def _frozen_page(request: Request, process: Process, error: MenuFrozen) -> HTMLResponse:
    return render(
        request,
        "workspace/frozen.html",
        {"process": process, "message": error.localized()},
        status_code=409,
    )


def _back(process_id: int, anchor: str = "", saved: str = "saved") -> RedirectResponse:
    suffix = f"#{anchor}" if anchor else ""
    return RedirectResponse(f"/wijkteam/processes/{process_id}?done={saved}{suffix}", 303)


# --- processes ---------------------------------------------------------------------------------


@router.get("/processes/new", response_class=HTMLResponse)
def new_process_form(request: Request, user: WijkteamUser) -> HTMLResponse:
    """The form for a new process."""
    return _form_page(
        request,
        "workspace/process_form.html",
        {"user": user, "process": None, "values": ProcessForm().model_dump()},
    )


@router.post("/processes/new", response_model=None)
def create_process(
    _lock: WriteLock,
    request: Request,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[ProcessForm, Form()],
) -> Response:
    """Create a process and go to its page."""
    try:
        process = editor.create_process(
            session, user=user, data=form.model_dump(), ip_address=client_ip(request)
        )
    except FormInvalid as error:
        return _form_page(
            request,
            "workspace/process_form.html",
            {"user": user, "process": None, "values": form.model_dump()},
            error,
        )
    return _back(process.id or 0, saved="created")


@router.get("/processes/{process_id}", response_class=HTMLResponse)
def process_page(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    done: str = "",
) -> HTMLResponse:
    """A process with its whole menu, its facilitators, cards and files: the editor's hub."""
    assert process.id is not None
    view = editor.menu_view(session, user=user, process_id=process.id)
    live, used = codes_service.count_used(session, process_id=process.id)
    return render(
        request,
        "workspace/process.html",
        {
            "user": user,
            "view": view,
            "done": done,
            "facilitators": editor.facilitators(session, process_id=process.id),
            "facilitator_choices": accounts_service.facilitator_accounts(session),
            "cards_live": live,
            "cards_used": used,
            "batches": code_cards.batches(session, process_id=process.id),
        },
    )


def _process_values(view: editor.EditorMenu) -> dict[str, Any]:
    p = view.process
    return {
        "neighbourhood": view.neighbourhood.name,
        "municipality": view.neighbourhood.municipality,
        "title": p.title,
        "description": p.description,
        "budget_eur": str(p.budget_eur),
        "cost_horizon": str(p.cost_horizon),
        "budget_note": p.budget_note,
    }


@router.get("/processes/{process_id}/edit", response_class=HTMLResponse)
def edit_process_form(
    request: Request, process: WijkteamProcess, user: WijkteamUser, session: SessionDep
) -> HTMLResponse:
    """The form to change a process (budget and horizon are locked once it is frozen)."""
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    return _form_page(
        request,
        "workspace/process_form.html",
        {"user": user, "process": process, "frozen": view.frozen, "values": _process_values(view)},
    )


@router.post("/processes/{process_id}/edit", response_model=None)
def update_process(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[ProcessForm, Form()],
) -> Response:
    """Save a process's fields."""
    assert process.id is not None
    try:
        editor.update_process(
            session,
            user=user,
            process_id=process.id,
            data=form.model_dump(),
            ip_address=client_ip(request),
        )
    except FormInvalid as error:
        return _form_page(
            request,
            "workspace/process_form.html",
            {"user": user, "process": process, "values": form.model_dump()},
            error,
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id)


@router.post("/processes/{process_id}/versions", response_model=None)
def start_new_version(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Copy the process and its menu as the next version, unfrozen, and go there."""
    try:
        copy = editor.new_version(
            session, user=user, process_id=process.id or 0, ip_address=client_ip(request)
        )
    except InvalidInput as error:
        return problem_page(request, error, user=user, process=process)
    return _back(copy.id or 0, saved="version")


# --- effects -----------------------------------------------------------------------------------


def _effect_context(
    view: editor.EditorMenu, user: Any, effect: Effect | None, values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "user": user,
        "process": view.process,
        "effect": effect,
        "values": values,
        "parents": [v.effect for v in view.effects if effect is None or v.effect.id != effect.id],
    }


@router.get("/processes/{process_id}/effects/new", response_class=HTMLResponse)
def new_effect_form(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    parent: str = "",
) -> HTMLResponse:
    """The form for a new desired effect (with `parent`, a sub-effect)."""
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    values = EffectForm(parent=parent).model_dump()
    return _form_page(
        request, "workspace/effect_form.html", _effect_context(view, user, None, values)
    )


def _frozen(request: Request, session: SessionDep, process: Process) -> HTMLResponse:
    try:
        editor.ensure_unfrozen(session, process)
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    raise AssertionError("only called for a frozen process")


@router.post("/processes/{process_id}/effects/new", response_model=None)
def create_effect(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[EffectForm, Form()],
) -> Response:
    """Add a desired effect or sub-effect."""
    return _save_effect(request, process, user, session, form, None)


def _save_effect(
    request: Request,
    process: Process,
    user: Any,
    session: SessionDep,
    form: EffectForm,
    effect: Effect | None,
) -> Response:
    assert process.id is not None
    try:
        saved = editor.save_effect(
            session,
            user=user,
            process_id=process.id,
            data=form.model_dump(),
            effect_id=effect.id if effect else None,
            ip_address=client_ip(request),
        )
    except FormInvalid as error:
        view = editor.menu_view(session, user=user, process_id=process.id)
        return _form_page(
            request,
            "workspace/effect_form.html",
            _effect_context(view, user, effect, form.model_dump()),
            error,
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id, f"effect-{saved.parent_id or saved.id}")


@router.get("/processes/{process_id}/effects/{effect_id}/edit", response_class=HTMLResponse)
def edit_effect_form(
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """The form to change an effect."""
    effect = editor.effect_in(session, process_id=process.id or 0, effect_id=effect_id)
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    parent = view.effect_keys.get(effect.parent_id or 0, "")
    values = EffectForm(
        key=effect.key,
        title=effect.title,
        description=effect.description,
        plain_explanation=effect.plain_explanation,
        parent=parent,
    ).model_dump()
    return _form_page(
        request, "workspace/effect_form.html", _effect_context(view, user, effect, values)
    )


@router.post("/processes/{process_id}/effects/{effect_id}/edit", response_model=None)
def update_effect(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[EffectForm, Form()],
) -> Response:
    """Save an effect."""
    effect = editor.effect_in(session, process_id=process.id or 0, effect_id=effect_id)
    return _save_effect(request, process, user, session, form, effect)


@router.get("/processes/{process_id}/effects/{effect_id}/delete", response_class=HTMLResponse)
def delete_effect_form(
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """Ask before deleting an effect, saying what hangs on it."""
    effect = editor.effect_in(session, process_id=process.id or 0, effect_id=effect_id)
    if menus_service.is_frozen(session, process_id=process.id or 0):
        return _frozen(request, session, process)
    subs, grouped, rated = editor.effect_dependants(session, effect=effect)
    return _confirm_delete(
        request,
        user,
        process,
        "effect",
        effect.title,
        blocked_by=[s.title for s in subs] + [m.title for m in grouped],
        also=[m.title for m in rated if m not in grouped],
    )


@router.post("/processes/{process_id}/effects/{effect_id}/delete", response_model=None)
def delete_effect(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Delete an effect."""
    try:
        editor.delete_effect(
            session,
            user=user,
            process_id=process.id or 0,
            effect_id=effect_id,
            ip_address=client_ip(request),
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    except InvalidInput as error:
        return problem_page(request, error, user=user, process=process)
    return _back(process.id or 0, "effects", saved="deleted")


# --- indicators --------------------------------------------------------------------------------


def _indicator_context(
    view: editor.EditorMenu, user: Any, indicator: Indicator | None, values: dict[str, Any]
) -> dict[str, Any]:
    years = list(values.get("target_year") or [])
    target_values = list(values.get("target_value") or [])
    slots = max(len(years), len(target_values))
    # Two empty pairs to add targets without JavaScript.
    pairs = [
        (years[i] if i < len(years) else "", target_values[i] if i < len(target_values) else "")
        for i in range(slots)
    ]
    pairs = [p for p in pairs if p != ("", "")] + [("", ""), ("", "")]
    return {
        "user": user,
        "process": view.process,
        "indicator": indicator,
        "values": values,
        "targets": pairs[: editor.MAX_TARGETS],
        "effects": [v.effect for v in view.effects],
        "units": list(IndicatorUnit),
    }


def _indicator_data(form: IndicatorForm) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    data = form.model_dump(exclude={"target_year", "target_value"})
    years, values = form.target_year, form.target_value
    pairs = [
        (years[i] if i < len(years) else "", values[i] if i < len(values) else "")
        for i in range(max(len(years), len(values)))
    ]
    return data, pairs[: editor.MAX_TARGETS]


@router.get(
    "/processes/{process_id}/effects/{effect_id}/indicators/new", response_class=HTMLResponse
)
def new_indicator_form(
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """The form for a new indicator of an effect."""
    effect = editor.effect_in(session, process_id=process.id or 0, effect_id=effect_id)
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    values = IndicatorForm(effect=effect.key, unit=IndicatorUnit.GRADE.value).model_dump()
    return _form_page(
        request, "workspace/indicator_form.html", _indicator_context(view, user, None, values)
    )


@router.post("/processes/{process_id}/effects/{effect_id}/indicators/new", response_model=None)
def create_indicator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    effect_id: int,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[IndicatorForm, Form()],
) -> Response:
    """Add an indicator."""
    editor.effect_in(session, process_id=process.id or 0, effect_id=effect_id)
    return _save_indicator(request, process, user, session, form, None)


def _save_indicator(
    request: Request,
    process: Process,
    user: Any,
    session: SessionDep,
    form: IndicatorForm,
    indicator: Indicator | None,
) -> Response:
    assert process.id is not None
    data, pairs = _indicator_data(form)
    try:
        saved = editor.save_indicator(
            session,
            user=user,
            process_id=process.id,
            data=data,
            targets=pairs,
            indicator_id=indicator.id if indicator else None,
            ip_address=client_ip(request),
        )
    except FormInvalid as error:
        view = editor.menu_view(session, user=user, process_id=process.id)
        return _form_page(
            request,
            "workspace/indicator_form.html",
            _indicator_context(view, user, indicator, form.model_dump()),
            error,
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id, f"effect-{saved.effect_id}")


def _indicator_values(
    indicator: Indicator, view: editor.EditorMenu, targets: list[Any]
) -> dict[str, Any]:
    return IndicatorForm(
        name=indicator.name,
        effect=view.effect_keys.get(indicator.effect_id, ""),
        unit=str(indicator.unit),
        lower_is_better="1" if indicator.lower_is_better else "",
        baseline_year=str(indicator.baseline_year),
        baseline=decimal_text(Decimal(indicator.baseline_value)),
        city=decimal_text(None if indicator.city_value is None else Decimal(indicator.city_value)),
        target_year=[str(t.year) for t in targets],
        target_value=[decimal_text(Decimal(t.value)) for t in targets],
    ).model_dump()


@router.get("/processes/{process_id}/indicators/{indicator_id}/edit", response_class=HTMLResponse)
def edit_indicator_form(
    request: Request,
    process: WijkteamProcess,
    indicator_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """The form to change an indicator and its targets."""
    indicator = editor.indicator_in(session, process_id=process.id or 0, indicator_id=indicator_id)
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    targets = editor.indicator_targets(session, indicator_id=indicator_id)
    values = _indicator_values(indicator, view, targets)
    return _form_page(
        request, "workspace/indicator_form.html", _indicator_context(view, user, indicator, values)
    )


@router.post("/processes/{process_id}/indicators/{indicator_id}/edit", response_model=None)
def update_indicator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    indicator_id: int,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[IndicatorForm, Form()],
) -> Response:
    """Save an indicator and its targets."""
    indicator = editor.indicator_in(session, process_id=process.id or 0, indicator_id=indicator_id)
    return _save_indicator(request, process, user, session, form, indicator)


@router.get("/processes/{process_id}/indicators/{indicator_id}/delete", response_class=HTMLResponse)
def delete_indicator_form(
    request: Request,
    process: WijkteamProcess,
    indicator_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """Ask before deleting an indicator."""
    indicator = editor.indicator_in(session, process_id=process.id or 0, indicator_id=indicator_id)
    if menus_service.is_frozen(session, process_id=process.id or 0):
        return _frozen(request, session, process)
    return _confirm_delete(request, user, process, "indicator", indicator.name)


@router.post("/processes/{process_id}/indicators/{indicator_id}/delete", response_model=None)
def delete_indicator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    indicator_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Delete an indicator."""
    try:
        editor.delete_indicator(
            session,
            user=user,
            process_id=process.id or 0,
            indicator_id=indicator_id,
            ip_address=client_ip(request),
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id or 0, "effects", saved="deleted")


# --- measures ----------------------------------------------------------------------------------


def _measure_context(
    view: editor.EditorMenu, user: Any, measure: Measure | None, values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "user": user,
        "process": view.process,
        "measure": measure,
        "values": values,
        "groups": [v.effect for v in view.effects],
        "effect_views": view.effects,
    }


@router.get("/processes/{process_id}/measures/new", response_class=HTMLResponse)
def new_measure_form(
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    group: str = "",
) -> HTMLResponse:
    """The form for a new measure."""
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    values = MeasureForm(group=group, effects=[group] if group else []).model_dump()
    return _form_page(
        request, "workspace/measure_form.html", _measure_context(view, user, None, values)
    )


@router.post("/processes/{process_id}/measures/new", response_model=None)
def create_measure(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[MeasureForm, Form()],
) -> Response:
    """Add a measure."""
    return _save_measure(request, process, user, session, form, None)


def _save_measure(
    request: Request,
    process: Process,
    user: Any,
    session: SessionDep,
    form: MeasureForm,
    measure: Measure | None,
) -> Response:
    assert process.id is not None
    try:
        saved = editor.save_measure(
            session,
            user=user,
            process_id=process.id,
            data=form.model_dump(),
            measure_id=measure.id if measure else None,
            ip_address=client_ip(request),
        )
    except FormInvalid as error:
        view = editor.menu_view(session, user=user, process_id=process.id)
        return _form_page(
            request,
            "workspace/measure_form.html",
            _measure_context(view, user, measure, form.model_dump()),
            error,
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id, f"measure-{saved.id}")


@router.get("/processes/{process_id}/measures/{measure_id}/edit", response_class=HTMLResponse)
def edit_measure_form(
    request: Request,
    process: WijkteamProcess,
    measure_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """The form to change a measure."""
    measure = editor.measure_in(session, process_id=process.id or 0, measure_id=measure_id)
    view = editor.menu_view(session, user=user, process_id=process.id or 0)
    if view.frozen:
        return _frozen(request, session, process)
    values = MeasureForm(
        key=measure.key,
        title=measure.title,
        description=measure.description,
        plain_explanation=measure.plain_explanation,
        organisation=measure.organisation,
        group=view.effect_keys.get(measure.group_effect_id or 0, ""),
        effects=view.links.get(measure_id, []),
        cost_year_1="" if measure.cost_year_1 is None else str(measure.cost_year_1),
        cost_years_4="" if measure.cost_years_4 is None else str(measure.cost_years_4),
        cost_years_10="" if measure.cost_years_10 is None else str(measure.cost_years_10),
        regular="1" if measure.is_regular else "",
    ).model_dump()
    return _form_page(
        request, "workspace/measure_form.html", _measure_context(view, user, measure, values)
    )


@router.post("/processes/{process_id}/measures/{measure_id}/edit", response_model=None)
def update_measure(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    measure_id: int,
    user: WijkteamUser,
    session: SessionDep,
    form: Annotated[MeasureForm, Form()],
) -> Response:
    """Save a measure."""
    measure = editor.measure_in(session, process_id=process.id or 0, measure_id=measure_id)
    return _save_measure(request, process, user, session, form, measure)


@router.get("/processes/{process_id}/measures/{measure_id}/delete", response_class=HTMLResponse)
def delete_measure_form(
    request: Request,
    process: WijkteamProcess,
    measure_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> HTMLResponse:
    """Ask before deleting a measure."""
    measure = editor.measure_in(session, process_id=process.id or 0, measure_id=measure_id)
    if menus_service.is_frozen(session, process_id=process.id or 0):
        return _frozen(request, session, process)
    return _confirm_delete(request, user, process, "measure", measure.title)


@router.post("/processes/{process_id}/measures/{measure_id}/delete", response_model=None)
def delete_measure(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    measure_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Delete a measure."""
    try:
        editor.delete_measure(
            session,
            user=user,
            process_id=process.id or 0,
            measure_id=measure_id,
            ip_address=client_ip(request),
        )
    except MenuFrozen as error:
        return _frozen_page(request, process, error)
    return _back(process.id or 0, "measures", saved="deleted")


# --- facilitators ------------------------------------------------------------------------------


@router.post("/processes/{process_id}/facilitators", response_model=None)
def assign_facilitator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user: WijkteamUser,
    session: SessionDep,
    user_id: Annotated[str, Form()] = "",
) -> Response:
    """Let a facilitator run this process's meetings."""
    if not user_id.isdigit():
        return _back(process.id or 0, "facilitators", saved="choose")
    try:
        accounts_service.assign(
            session,
            actor=user,
            process_id=process.id or 0,
            user_id=int(user_id),
            ip_address=client_ip(request),
        )
    except InvalidInput as error:
        return problem_page(request, error, user=user, process=process)
    return _back(process.id or 0, "facilitators", saved="assigned")


@router.post("/processes/{process_id}/facilitators/{user_id}/remove", response_model=None)
def unassign_facilitator(
    _lock: WriteLock,
    request: Request,
    process: WijkteamProcess,
    user_id: int,
    user: WijkteamUser,
    session: SessionDep,
) -> Response:
    """Take a facilitator off this process."""
    accounts_service.assign(
        session,
        actor=user,
        process_id=process.id or 0,
        user_id=user_id,
        assigned=False,
        ip_address=client_ip(request),
    )
    return _back(process.id or 0, "facilitators", saved="unassigned")


def _confirm_delete(
    request: Request,
    user: User,
    process: Process,
    kind: str,
    name: str,
    *,
    blocked_by: list[str] | None = None,
    also: list[str] | None = None,
) -> HTMLResponse:
    # The delete form posts back to the address it was asked on.
    return render(
        request,
        "workspace/confirm_delete.html",
        {
            "user": user,
            "process": process,
            "kind": kind,
            "name": name,
            "action": request.url.path,
            "blocked_by": blocked_by or [],
            "also": also or [],
        },
    )


def problem_page(request: Request, error: DomainError, **context: Any) -> HTMLResponse:
    """An expected failure shown as the workspace's own error page."""
    return render(
        request,
        "workspace/problem.html",
        {**context, "message": error.localized(), "status": error.status},
        status_code=error.status,
    )
