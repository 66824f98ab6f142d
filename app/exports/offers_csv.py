"""The offers of help of a process as CSV, for the wijkteam to contact the residents.

Only what the residents gave for this purpose: the measure, name, how to reach them, their
sentence, and the dates. Nothing of any ballot. For Dutch spreadsheet programs: `;`-separated,
UTF-8 with BOM, CRLF; every text cell neutralised (a phone number starting with `+` gets a
leading apostrophe, as Excel itself writes it).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

from app.domain.offers import ContactKind
from app.domain.spreadsheet import csv_writer
from app.i18n import gettext as _
from app.i18n import local_time
from app.models import HelpOffer, Measure


def render(rows: Iterable[tuple[Measure, HelpOffer, date]]) -> bytes:
    """One row per offer: (measure, offer, the day it is kept until)."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Measure"),
            _("Name"),
            _("Reach by"),
            _("Phone or e-mail"),
            _("What they could do"),
            _("Offered on"),
            _("Kept until"),
            _("Contacted on"),
        ]
    )
    for measure, offer, until in rows:
        writer.writerow(
            [
                measure.title,
                offer.name,
                _("phone") if offer.contact_kind == ContactKind.PHONE else _("e-mail"),
                offer.contact,
                offer.note,
                _day(offer.offered_on),
                _day(until),
                local_time(offer.contacted_at, "%d-%m-%Y") if offer.contacted_at else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _day(day: date | datetime) -> str:
    return day.strftime("%d-%m-%Y")
