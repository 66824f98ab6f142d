"""What the meeting routes share: the write lock, the resident's cookies, and ballot forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.db import SessionDep
from app.models import Participant
from app.security import read_cookie, set_cookie
from app.services import participants as participants_service
from app.services import rounds as rounds_service
from app.services.ballots import BallotInput
from app.settings import get_settings

PARTICIPANT_COOKIE = "wz_participant"
DEVICE_COOKIE = "wz_device"


def write_lock(session: SessionDep) -> None:
    """Take the database's write lock before anything else in this request reads (SQLite only).

    List it before CurrentUser and other readers in a route's parameters: dependencies run in
    that order, and on SQLite a transaction that read first may be refused its write later.
    """
    rounds_service.take_write_lock(session)


WriteLock = Annotated[None, Depends(write_lock)]


def resident(request: Request, session: SessionDep) -> Participant | None:
    """The participant this browser joined as, or None."""
    return participants_service.participant_for_cookie(
        session, value=read_cookie(request, PARTICIPANT_COOKIE)
    )


Resident = Annotated[Participant | None, Depends(resident)]


def remember_participant(response: Response, participant: Participant) -> None:
    """Keep who joined in an HttpOnly cookie (signed; the code itself is never stored)."""
    assert participant.id is not None
    set_cookie(
        response,
        PARTICIPANT_COOKIE,
        participants_service.cookie_value(participant.id),
        max_age=participants_service.COOKIE_HOURS * 3600,
    )


def remember_device(response: Response, device_token: str) -> None:
    """Keep the device's random token, for rounds that take one ballot per device."""
    set_cookie(response, DEVICE_COOKIE, device_token, max_age=30 * 24 * 3600)


async def form_data(request: Request) -> FormData:
    """The posted form, whatever its fields (a ballot's fields depend on the menu)."""
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def ballot_input(form: FormData) -> BallotInput:
    """A ballot form's fields as the service takes them: points-E, score-M-E, skip-M, measure."""
    points: dict[int, str | int] = {}
    scores: dict[tuple[int, int], str | int] = {}
    score_fields: list[tuple[str, int, int]] = []
    measure_ids: list[int] = []
    skipped: list[int] = []
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        parts = name.split("-")
        if parts[0] == "points" and len(parts) == 2 and (effect := _number(parts[1])) is not None:
            points[effect] = value
        elif parts[0] == "skip" and len(parts) == 2 and (skip := _number(parts[1])) is not None:
            if value.strip():
                skipped.append(skip)
        elif parts[0] == "score" and len(parts) == 3:
            measure, effect = _number(parts[1]), _number(parts[2])
            if measure is not None and effect is not None:
                scores[(measure, effect)] = value
                score_fields.append((name, measure, effect))
        elif name == "measure" and (measure_id := _number(value.strip())) is not None:
            measure_ids.append(measure_id)
    return BallotInput(
        points=points,
        scores=scores,
        measure_ids=measure_ids,
        score_fields=score_fields,
        skipped=skipped,
    )


def form_text(form: FormData, name: str) -> str:
    """A text field of a form, or ''."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def local_datetime(text: str) -> datetime | None:
    """A date and time typed in a form, read in the TIME_ZONE setting; None when empty."""
    if not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(get_settings().time_zone))
