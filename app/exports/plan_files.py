"""A bewonersplan as a file in each download format: the bytes, for the web and the CLI alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from app.errors import N_, DomainError
from app.exports import plan_csv, plan_pdf, plan_text, plan_xlsx
from app.exports.content import PlanContent
from app.i18n import local_time
from app.templating import templates

Format = Literal["pdf", "xlsx", "csv", "json", "pb"]
FORMATS: tuple[Format, ...] = ("pdf", "xlsx", "csv", "json", "pb")
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pb": "text/plain; charset=utf-8",
}


class PdfUnavailable(DomainError):
    """The server cannot make PDFs (WeasyPrint's system libraries are missing)."""

    status = 503
    code = "pdf_unavailable"


class NoBallotsFile(DomainError):
    """The public version of a plan comes without the ballots file."""

    status = 404
    code = "not_found"


def filename(plan: PlanContent, fmt: Format) -> str:
    """The download's file name: neighbourhood, process, and the adopted snapshot if any."""
    name = f"bewonersplan-{plan.process.neighbourhood.lower().replace(' ', '-')}-{plan.process.id}"
    if plan.snapshot_id:
        name += f"-vastgesteld-{plan.snapshot_id}"
    return f"{name}.{fmt}"


def prepare_pdf(plan: PlanContent) -> None:
    """Start rendering the plan's PDF in the background, so that its first download is quick."""
    if plan_pdf.unavailable() is None:
        plan_pdf.prepare(_printed(plan))


def _printed(plan: PlanContent) -> str:
    return templates.get_template("plan/print.html").render(
        plan=plan,
        plan_text=plan_text,
        printed_on=local_time(datetime.now(UTC), "%d-%m-%Y"),
        language="nl",
    )


def render(plan: PlanContent, ballots: str, fmt: Format) -> bytes:
    """The plan in one format; the ballots (`.pb`) only for the wijkteam's version."""
    if fmt == "pdf":
        missing = plan_pdf.unavailable()
        if missing:
            raise PdfUnavailable(N_("PDF is not available on this server: %(why)s"), why=missing)
        return plan_pdf.render(_printed(plan))
    if fmt == "xlsx":
        return plan_xlsx.render(plan)
    if fmt == "csv":
        return plan_csv.render(plan)
    if fmt == "json":
        return plan.model_dump_json(indent=2).encode()
    if plan.public:
        raise NoBallotsFile(N_("This page does not exist."))
    return ballots.encode("utf-8")
