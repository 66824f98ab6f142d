"""Meedoen: residents offer to help with measures or withdraw; the wijkteam contacts them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse

from app.db import SessionDep
from app.domain.offers import ContactKind
from app.errors import N_, DomainError
from app.exports import offers_csv
from app.models import HelpOffer, Measure, Participant, Process, User
from app.routes._files import download
from app.routes.api_common import ERRORS, ErrorPublic
from app.routes.deps import SESSION_COOKIE, WijkteamUser
from app.routes.meeting_deps import Form, Resident, form_text
from app.routes.workspace_deps import WijkteamProcess, WriteLock
from app.security import read_cookie
from app.services import offers as offers_service
from app.services import participants as participants_service
from app.services import users as users_service
from app.services.offers import OfferInput, OfferInvalid
from app.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["meedoen"], responses=ERRORS)


# --- the resident ------------------------------------------------------------------------------


def _resident_page(
    request: Request,
    session: SessionDep,
    participant: Participant | None,
    *,
    given: OfferInput | None = None,
    error: OfferInvalid | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if participant is None:
        return render(
            request, "offers/meedoen.html", {"participant": None}, status_code=status_code
        )
    process = session.get(Process, participant.process_id)
    assert process is not None
    return render(
        request,
        "offers/meedoen.html",
        {
            "participant": participant,
            "process": process,
            "measures": offers_service.menu_groups(session, process_id=process.id or 0),
            "mine": offers_service.mine(session, participant=participant),
            "consent": offers_service.consent_text(
                session, process=process, on=offers_service.today()
            ),
            "given": given,
            "error": error,
            "wrong": error.fields() if error else set(),
            "done": done,
        },
        status_code=status_code,
    )


@router.get("/meedoen", response_class=HTMLResponse)
def meedoen(request: Request, session: SessionDep, participant: Resident) -> HTMLResponse:
    """Offer to help with measures, and see or withdraw your offers (through your card's link)."""
    return _resident_page(request, session, participant, done=request.query_params.get("done"))


@router.post("/meedoen", response_model=None)
def make_offer(
    request: Request, _lock: WriteLock, session: SessionDep, participant: Resident, form: Form
) -> Response:
    """Record the offer; a wrong field shows the form again with what is wrong."""
    if participant is None:
        return RedirectResponse("/meedoen", status_code=303)
    given = OfferInput(
        measure_ids=[int(v) for v in form.getlist("measure") if isinstance(v, str) and v.isdigit()],
        name=form_text(form, "name"),
        contact_kind=form_text(form, "contact_kind"),
        contact=form_text(form, "contact"),
        note=form_text(form, "note"),
        consent=form_text(form, "consent") == "on",
    )
    try:
        offers_service.offer(session, participant=participant, given=given)
    except OfferInvalid as error:
        return _resident_page(
            request, session, participant, given=given, error=error, status_code=422
        )
    return RedirectResponse("/meedoen?done=thanks#mine", status_code=303)


@router.post("/meedoen/{offer_id}/withdraw", response_model=None)
def withdraw(
    offer_id: int, _lock: WriteLock, session: SessionDep, participant: Resident
) -> Response:
    """Withdraw one of your offers: it is deleted."""
    if participant is not None:
        offers_service.withdraw(session, participant=participant, offer_id=offer_id)
    return RedirectResponse("/meedoen?done=withdrawn#mine", status_code=303)


# --- the wijkteam ------------------------------------------------------------------------------


def _csv_rows(session: SessionDep, process_id: int) -> list[tuple[Measure, HelpOffer, object]]:
    rule = offers_service.retention(session, process_id=process_id)
    return [
        (group.measure, offer, offers_service.kept_until(offer, rule))
        for group in offers_service.by_measure(session, process_id=process_id)
        for offer in group.offers
    ]


@router.get("/wijkteam/processes/{process_id}/offers", response_class=HTMLResponse)
def offers_page(
    request: Request, process: WijkteamProcess, session: SessionDep, user: WijkteamUser
) -> HTMLResponse:
    """Per measure: how many residents offered help, and who (to contact them)."""
    process_id = process.id or 0
    rule = offers_service.retention(session, process_id=process_id)
    groups = offers_service.by_measure(session, process_id=process_id)
    today = offers_service.today()
    return render(
        request,
        "offers/wijkteam.html",
        {
            "user": user,
            "process": process,
            "groups": groups,
            "kept_until": {
                o.id: offers_service.kept_until(o, rule) for g in groups for o in g.offers
            },
            "today": today,
            "retention": rule,
            "done": request.query_params.get("done"),
        },
    )


@router.get("/wijkteam/processes/{process_id}/offers.csv")
def offers_csv_download(process: WijkteamProcess, session: SessionDep) -> Response:
    """The offers as CSV (only what the residents gave for this; nothing of any ballot)."""
    data = offers_csv.render(_csv_rows(session, process.id or 0))  # type: ignore[arg-type]
    return download(
        data, filename=f"meedoen-proces-{process.id}.csv", media_type="text/csv; charset=utf-8"
    )


@router.post("/wijkteam/processes/{process_id}/offers/{offer_id}/contacted")
def mark_contacted(
    offer_id: int,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
    form: Form,
) -> RedirectResponse:
    """Mark that the resident has been contacted (or undo it)."""
    offers_service.set_contacted(
        session,
        offer_id=offer_id,
        process_id=process.id or 0,
        contacted=form_text(form, "contacted") != "false",
        user=user,
    )
    return RedirectResponse(
        f"/wijkteam/processes/{process.id}/offers#offer-{offer_id}", status_code=303
    )


@router.post("/wijkteam/processes/{process_id}/offers/{offer_id}/delete")
def delete_offer(
    offer_id: int,
    _lock: WriteLock,
    process: WijkteamProcess,
    session: SessionDep,
    user: WijkteamUser,
) -> RedirectResponse:
    """Delete an offer on the resident's request (the page asks first)."""
    offers_service.delete(session, offer_id=offer_id, user=user, process_id=process.id or 0)
    return RedirectResponse(
        f"/wijkteam/processes/{process.id}/offers?done=deleted", status_code=303
    )


# --- JSON API ----------------------------------------------------------------------------------


class OfferRequest(BaseModel):
    """An offer of help with one or more measures, with consent to the text on the page."""

    measure_ids: list[int] = Field(description="Ids of measures of your process's menu.")
    name: str
    contact_kind: Literal["phone", "email"]
    contact: str = Field(description="A phone number (Dutch or with country code) or e-mail.")
    note: str = Field(default="", description="What you could do (optional).")
    consent: bool = Field(
        description="True: you agree that the wijkteam keeps this to contact you about these "
        "measures, until a year after the plan's adoption (GET /meedoen shows the text)."
    )


class OfferPublic(BaseModel):
    """An offer of help as its resident or the wijkteam sees it."""

    id: int
    measure_id: int
    measure_key: str
    measure_title: str
    name: str
    contact_kind: ContactKind
    contact: str
    note: str
    offered_on: str
    kept_until: str
    contacted_at: str | None = None


class MeasureOffersPublic(BaseModel):
    """A measure with the offers of help for it (wijkteam)."""

    measure_id: int
    key: str
    title: str
    count: int
    offers: list[OfferPublic]


def _public(offer: HelpOffer, measure: Measure, until: object) -> OfferPublic:
    return OfferPublic(
        id=offer.id or 0,
        measure_id=measure.id or 0,
        measure_key=measure.key,
        measure_title=measure.title,
        name=offer.name,
        contact_kind=offer.contact_kind,
        contact=offer.contact,
        note=offer.note,
        offered_on=offer.offered_on.isoformat(),
        kept_until=str(until),
        contacted_at=offer.contacted_at.isoformat() if offer.contacted_at else None,
    )


def _joined(participant: Resident) -> Participant:
    if participant is None:
        raise participants_service.NotJoined(
            N_("Join first: POST /api/join with the code or token of a card.")
        )
    return participant


@api.post(
    "/offers",
    response_model=list[OfferPublic],
    status_code=201,
    summary="Offer to help with measures",
    responses={401: {"model": ErrorPublic, "description": "`not_joined`."}},
)
def api_offer(
    _lock: WriteLock,
    session: SessionDep,
    participant: Annotated[Participant, Depends(_joined)],
    body: OfferRequest,
) -> list[OfferPublic]:
    """Offer to help with measures (participant cookie); again for a measure updates it."""
    rows = offers_service.offer(
        session,
        participant=participant,
        given=OfferInput(
            measure_ids=body.measure_ids,
            name=body.name,
            contact_kind=body.contact_kind,
            contact=body.contact,
            note=body.note,
            consent=body.consent,
        ),
    )
    titles = {m.id: m for m in offers_service.measures(session, process_id=participant.process_id)}
    rule = offers_service.retention(session, process_id=participant.process_id)
    return [_public(r, titles[r.measure_id], offers_service.kept_until(r, rule)) for r in rows]


@api.get(
    "/processes/{process_id:int}/offers",
    response_model=list[MeasureOffersPublic],
    summary="List the offers of help per measure",
)
def api_offers(process: WijkteamProcess, session: SessionDep) -> list[MeasureOffersPublic]:
    """Per measure, who offered help and how to reach them (wijkteam only)."""
    rule = offers_service.retention(session, process_id=process.id or 0)
    return [
        MeasureOffersPublic(
            measure_id=group.measure.id or 0,
            key=group.measure.key,
            title=group.measure.title,
            count=len(group.offers),
            offers=[
                _public(o, group.measure, offers_service.kept_until(o, rule)) for o in group.offers
            ],
        )
        for group in offers_service.by_measure(session, process_id=process.id or 0)
    ]


class NotAllowed(DomainError):
    """Neither the resident who made the offer nor the wijkteam."""

    status = 401
    code = "not_joined"


@api.delete(
    "/offers/{offer_id:int}", status_code=204, summary="Withdraw an offer, or delete it on request"
)
def api_delete_offer(
    offer_id: int,
    request: Request,
    _lock: WriteLock,
    session: SessionDep,
    participant: Resident,
) -> Response:
    """Withdraw your own offer (participant cookie), or delete one on request (wijkteam)."""
    token = read_cookie(request, SESSION_COOKIE)
    user: User | None = users_service.user_for_token(session, token=token) if token else None
    if user is not None and user.role == "wijkteam":
        offers_service.delete(session, offer_id=offer_id, user=user)
    elif participant is not None:
        offers_service.withdraw(session, participant=participant, offer_id=offer_id)
    else:
        raise NotAllowed(N_("Join with your card first, or log in as the wijkteam."))
    return Response(status_code=204)
