"""A menu document written as a file: CSV and XLSX (one table of columns), YAML and JSON (seed).

The CSV is written the way a Dutch spreadsheet program opens it with a double click: UTF-8 with
a byte order mark, columns separated by semicolons, decimals with a comma. The import reads that
and the other usual flavours back.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import yaml

from app.domain.menu import (
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    SubEffectSpec,
)
from app.domain.menu.cells import UNIT_WORDS, slug
from app.domain.menu.seed import seed_mapping
from app.domain.menu.table import (
    BASELINE,
    BASELINE_YEAR,
    BUDGET,
    BUDGET_NOTE,
    CITY,
    COST_1,
    COST_4,
    COST_10,
    DESCRIPTION,
    EFFECTS,
    HORIZON,
    KEY,
    KIND,
    KINDS,
    LOWER_IS_BETTER,
    MUNICIPALITY,
    NEIGHBOURHOOD,
    ORGANISATION,
    PLAIN,
    REGULAR,
    SOURCE,
    TITLE,
    UNDER,
    UNIT,
    columns_for,
    document_rows,
)
from app.domain.spreadsheet import csv_writer, harden_workbook, xlsx_value
from app.domain.vocabulary import CostHorizon, IndicatorUnit
from app.errors import N_
from app.i18n import gettext

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "yaml": "application/yaml; charset=utf-8",
    "json": "application/json",
}
FORMATS = tuple(MEDIA_TYPES)

# What each column means, for the "Uitleg" sheet of the workbook and the template.
COLUMN_HELP: dict[str, str] = {
    KIND: N_("What the row is: proces, effect, subeffect, indicator, maatregel or totaal."),
    KEY: N_(
        "A short name without spaces (effect, sub-effect, indicator, measure; for 'proces' the "
        "process key). Empty: made from the title. For 'totaal': an effect key or 'menu'."
    ),
    TITLE: N_("The title (for an indicator: its name)."),
    UNDER: N_("The desired effect (key or title) a sub-effect, indicator or measure belongs to."),
    EFFECTS: N_(
        "Measures: the effects and sub-effects it is rated on, separated by commas. "
        "Empty: the effect in 'hoort_bij'."
    ),
    COST_1: N_("Measures: the cost in year 1, in whole euros."),
    COST_4: N_("Measures: the cost over 4 years, in whole euros."),
    COST_10: N_("Measures: the cost over 10 years, in whole euros."),
    REGULAR: N_("Measures: ja when paid from regular budgets (no extra cost), otherwise nee."),
    ORGANISATION: N_("Measures: who carries it out."),
    DESCRIPTION: N_("An explanation, for every kind of row."),
    PLAIN: N_(
        "Effects and measures: one or two plain sentences for residents (at most 400 "
        "characters): what the measure does for them, or what the effect means in daily life. "
        "Explain abbreviations. Residents see it on their phone beside the title."
    ),
    UNIT: N_("Indicators: cijfer, procent or score."),
    LOWER_IS_BETTER: N_("Indicators: ja when a lower value is better (for example nuisance)."),
    BASELINE_YEAR: N_("Indicators: the year of the measured value."),
    BASELINE: N_("Indicators: the measured value (decimal comma allowed)."),
    CITY: N_("Indicators: the city's average, for comparison."),
    "doel_<jaar>": N_(
        "Indicators: the target for that year; add a column per year, such as doel_2030."
    ),
    NEIGHBOURHOOD: N_("Process: the neighbourhood."),
    MUNICIPALITY: N_("Process: the municipality."),
    BUDGET: N_("Process: the budget in whole euros."),
    HORIZON: N_("Process: which cost counts against the budget: 1, 4 or 10 (years)."),
    BUDGET_NOTE: N_("Process: where the money comes from."),
    SOURCE: N_("Process: the source of the menu (a document or decision)."),
}


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return str(value)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return xlsx_value(value)


def menu_csv(document: MenuDocument, *, target_years: tuple[int, ...] = ()) -> bytes:
    """The menu as CSV for Dutch spreadsheet programs: UTF-8 with BOM, ';', decimal comma."""
    columns = columns_for(document, target_years)
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in document_rows(document, columns):
        writer.writerow([_csv_value(row[c]) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def menu_xlsx(
    document: MenuDocument, *, target_years: tuple[int, ...] = (), comment: str = ""
) -> bytes:
    """The menu as an Excel workbook: sheet 'Menu' with the rows, sheet 'Uitleg' explaining them."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = columns_for(document, target_years)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Menu"
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E3F1EA")
    if comment:
        sheet.append([xlsx_value(comment)])
    for row in document_rows(document, columns):
        sheet.append([_xlsx_value(row[c]) for c in columns])
    sheet.freeze_panes = "C2"
    widths = {KIND: 12, KEY: 18, TITLE: 42, UNDER: 16, EFFECTS: 22, DESCRIPTION: 40, PLAIN: 40}
    for index, name in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(name, max(12, len(name) + 2))
    last = 2000
    lists = {
        KIND: ",".join(KINDS),
        REGULAR: "ja,nee",
        LOWER_IS_BETTER: "ja,nee",
        UNIT: ",".join(UNIT_WORDS.values()),
        HORIZON: "1,4,10",
    }
    for name, options in lists.items():
        letter = sheet.cell(row=1, column=columns.index(name) + 1).column_letter
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    help_sheet = workbook.create_sheet("Uitleg")
    help_sheet.append([gettext("Column"), gettext("Meaning")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for name, meaning in COLUMN_HELP.items():
        help_sheet.append([name, gettext(meaning)])
    help_sheet.append([])
    help_sheet.append([gettext(TEMPLATE_NOTE)])
    help_sheet.column_dimensions["A"].width = 18
    help_sheet.column_dimensions["B"].width = 100
    for row in help_sheet.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    harden_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def menu_yaml(document: MenuDocument) -> bytes:
    """The menu in the seed format as YAML (`format: waardenzeef-menu/1`)."""
    text = yaml.safe_dump(seed_mapping(document), allow_unicode=True, sort_keys=False, width=100)
    return text.encode("utf-8")


def menu_json(document: MenuDocument) -> bytes:
    """The menu in the seed format as JSON (target years as text keys, as JSON requires)."""
    return json.dumps(seed_mapping(document), ensure_ascii=False, indent=2).encode("utf-8")


def menu_file(document: MenuDocument, file_format: str) -> bytes:
    """The menu in one of the formats csv, xlsx, yaml, json."""
    if file_format == "csv":
        return menu_csv(document)
    if file_format == "xlsx":
        return menu_xlsx(document)
    if file_format == "yaml":
        return menu_yaml(document)
    return menu_json(document)


def filename(document: MenuDocument, file_format: str) -> str:
    """A download name for the menu file."""
    return f"{slug(document.title) or 'menu'}-menu.{file_format}"


TEMPLATE_NOTE = N_(
    "# One row per process, effect, sub-effect, indicator or measure; rows starting with # are "
    "skipped. Replace the example rows with your own."
)

TEMPLATE_DOCUMENT = MenuDocument(
    seed_key="",
    neighbourhood_name="Voorbeeldwijk",
    municipality="Groningen",
    title="Bewonersbudget Voorbeeldwijk",
    budget_eur=250_000,
    cost_horizon=CostHorizon.YEARS_4,
    description="Bewoners kiezen samen welke maatregelen uit het budget worden betaald.",
    budget_note="Gemeente en corporaties samen, voor vier jaar.",
    effects=(
        EffectSpec(
            key="veiligheid",
            title="Veiligheid",
            description="Bewoners voelen zich veiliger in hun straat.",
            plain_explanation="U voelt zich veilig als u 's avonds over straat loopt.",
            sub_effects=(SubEffectSpec("minder-inbraken", "Er wordt minder ingebroken"),),
            indicators=(
                IndicatorSpec(
                    "Onveiligheidsgevoelens buurt",
                    IndicatorUnit.PERCENT,
                    2025,
                    Decimal(24),
                    Decimal(15),
                    True,
                    ((2028, Decimal(20)), (2030, Decimal(17))),
                ),
            ),
        ),
        EffectSpec(
            key="leefomgeving",
            title="Leefomgeving",
            description="De straten en pleinen zijn schoon, heel en groen.",
            indicators=(
                IndicatorSpec(
                    "Cijfer woonomgeving",
                    IndicatorUnit.GRADE,
                    2025,
                    Decimal("6.5"),
                    Decimal("7.4"),
                    False,
                    ((2028, Decimal("6.9")), (2030, Decimal("7.2"))),
                ),
            ),
        ),
    ),
    measures=(
        MeasureSpec(
            key="buurtpreventie",
            title="Buurtpreventieteam",
            group="veiligheid",
            effects=("veiligheid", "minder-inbraken"),
            costs=Costs(12_000, 45_000, 100_000),
            organisation="Buurtvereniging",
            description="Bewoners lopen 's avonds rondes door de wijk.",
            plain_explanation=(
                "Buren lopen 's avonds samen door de wijk en letten op. Zij melden wat niet klopt."
            ),
        ),
        MeasureSpec(
            key="straatverlichting",
            title="Betere straatverlichting",
            group="veiligheid",
            effects=("veiligheid",),
            costs=Costs(60_000, 60_000, 60_000),
            organisation="Gemeente",
        ),
        MeasureSpec(
            key="groenonderhoud",
            title="Vaker groenonderhoud",
            group="leefomgeving",
            effects=("leefomgeving",),
            regular=True,
            organisation="Gemeente",
            description="Betaald uit het reguliere budget.",
        ),
    ),
)


def template(file_format: str) -> bytes:
    """The import template: the columns with example rows to replace, as CSV or XLSX."""
    note = gettext(TEMPLATE_NOTE)
    if file_format == "xlsx":
        return menu_xlsx(TEMPLATE_DOCUMENT, comment=note)
    columns = columns_for(TEMPLATE_DOCUMENT)
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([note] + [""] * (len(columns) - 1))
    for row in document_rows(TEMPLATE_DOCUMENT, columns):
        writer.writerow([_csv_value(row[c]) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
