"""The bewonersplan as CSV in the form a Dutch spreadsheet program opens directly.

Semicolon-separated, UTF-8 with a byte-order mark (so Excel reads the accents), decimal comma,
CRLF line ends, one row per measure in ranking order. Euros are whole numbers without separators.
"""

from __future__ import annotations

import io

from app.domain.spreadsheet import csv_writer
from app.exports import plan_text, schedule_files
from app.exports.content import PlanContent
from app.i18n import gettext as _


def render(plan: PlanContent) -> bytes:
    """The ranked measures as CSV bytes."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")
    schedule = plan.schedule  # an adopted schedule adds its columns, and its ledger below
    writer.writerow(
        [
            _("Rank"),
            _("Measure"),
            _("Group"),
            _("Cost year 1"),
            _("Cost 4 years"),
            _("Cost 10 years"),
            _("Binding cost"),
            _("Weighted contribution"),
            _("Standard deviation"),
            _("Interquartile range"),
            _("Rated by"),
            _("Skipped by"),
            _("In packages"),
            _("Selected"),
            _("Reason"),
            _("In the Kiezen result"),
            _("Difference with Kiezen"),
            *(schedule_files.csv_header(schedule) if schedule else []),
        ]
    )
    for m in plan.measures:
        writer.writerow(
            [
                m.rank,
                m.title,
                m.group,
                "" if m.cost_year_1 is None else m.cost_year_1,
                "" if m.cost_years_4 is None else m.cost_years_4,
                "" if m.cost_years_10 is None else m.cost_years_10,
                m.binding_cost,
                _plain(m.weighted_contribution),
                _plain(m.standard_deviation),
                _plain(m.interquartile_range),
                m.rated_by,
                m.skipped_by,
                m.in_packages,
                _("yes") if m.selected else _("no"),
                plan_text.reason(plan, m),
                "" if m.in_kiezen is None else (_("yes") if m.in_kiezen else _("no")),
                plan_text.difference(plan, m),
                *(schedule_files.csv_cells(schedule, m.key) if schedule else []),
            ]
        )
    if schedule:
        # Under the year columns, which follow the 17 columns above (a test keeps them aligned).
        writer.writerows(schedule_files.csv_ledger_rows(schedule, before=17))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _plain(value: float) -> str:
    # Decimal comma, no thousands separator: what a Dutch spreadsheet reads as a number.
    return f"{value:.4f}".replace(".", ",")
