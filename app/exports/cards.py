"""Voting-code cards as a print-ready A4 PDF of cut-out cards, and as CSV.

The plain codes and tokens exist only while the cards are issued, so these files are made in the
same request and never stored. WeasyPrint needs system libraries (Pango); it is imported only
when a PDF is asked for, so that the rest of the application runs without them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import segno

from app.domain.codes import IssuedCode
from app.domain.spreadsheet import csv_writer
from app.domain.vocabulary import StakeholderGroup
from app.errors import N_
from app.i18n import gettext
from app.templating import templates

CARDS_PER_PAGE = 12
MAX_PDF_CARDS = 1000
GROUP_LABELS = {
    StakeholderGroup.BEWONER: N_("resident"),
    StakeholderGroup.ONDERNEMER: N_("entrepreneur"),
    StakeholderGroup.STUDENT: N_("student"),
    StakeholderGroup.WERKER: N_("neighbourhood worker"),
}
CSV_COLUMNS = ("kaart", "code", "link", "groep", "batch")


def join_link(base_url: str, token: str) -> str:
    """The address a card's QR code carries: the join page with the card's token."""
    return f"{base_url.rstrip('/')}/j/{token}"


def group_label(group: StakeholderGroup | None) -> str:
    """A stakeholder group's name in the current language ('' for none)."""
    return gettext(GROUP_LABELS[group]) if group else ""


@lru_cache
def pdf_unavailable() -> str | None:
    """Why PDFs cannot be made here (WeasyPrint or its system libraries missing), or None."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def cards_csv(cards: Sequence[IssuedCode], *, base_url: str) -> bytes:
    """The cards as CSV (UTF-8 with BOM, ';'): number, code, join link, group, batch."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for card in cards:
        writer.writerow(
            [
                card.id,
                card.code,
                join_link(base_url, card.token),
                card.stakeholder_group.value if card.stakeholder_group else "",
                card.batch,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def cards_html(cards: Sequence[IssuedCode], *, base_url: str, process_title: str) -> str:
    """The cards as the HTML page the PDF is printed from."""
    site = urlsplit(base_url)
    items = [
        {
            "number": card.id,
            "code": card.code,
            "qr": segno.make(join_link(base_url, card.token), error="m").svg_data_uri(
                border=2, omitsize=False
            ),
            "group": group_label(card.stakeholder_group),
        }
        for card in cards
    ]
    pages = [items[i : i + CARDS_PER_PAGE] for i in range(0, len(items), CARDS_PER_PAGE)]
    return templates.env.get_template("workspace/cards_pdf.html").render(
        pages=pages,
        process_title=process_title,
        site=(site.netloc + site.path).rstrip("/") or base_url,
    )


def cards_pdf(cards: Sequence[IssuedCode], *, base_url: str, process_title: str) -> bytes:
    """The cards as an A4 PDF, 12 to a page, with cutting lines."""
    from weasyprint import HTML

    html = cards_html(cards, base_url=base_url, process_title=process_title)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
