"""Cell values as people type them in a Dutch spreadsheet (and in the editor's forms).

In amounts, a dot or comma before a group of three digits separates thousands (48.000 = 48,000 =
48000) and "€ 48.000,-" is 48000; in other numbers the comma is the decimal mark (6,5 = 6.5).
Yes and no are ja/nee, waar/onwaar (Dutch Excel's TRUE/FALSE), yes/no, 1/0 or x. A value that
cannot be read raises CellError with a problem code of `problems.MESSAGES`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.vocabulary import CostHorizon, IndicatorUnit

UNIT_WORDS = {
    IndicatorUnit.GRADE: "cijfer",
    IndicatorUnit.PERCENT: "procent",
    IndicatorUnit.SCORE: "score",
}
_UNITS = {word: unit for unit, word in UNIT_WORDS.items()} | {u.value: u for u in IndicatorUnit}
HORIZON_YEARS = {CostHorizon.YEAR_1: 1, CostHorizon.YEARS_4: 4, CostHorizon.YEARS_10: 10}
_YES = {"ja", "j", "yes", "y", "true", "waar", "1", "x", "✓"}
_NO = {"nee", "n", "no", "false", "onwaar", "0", ""}


class CellError(ValueError):
    """A cell that cannot be read: the problem's code and its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def normalise_header(value: Any) -> str:
    """A column name as the reader compares it: lower case, underscores, no stray spaces."""
    text = "" if value is None else str(value)
    text = text.replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return re.sub(r"_+", "_", text).strip("_")


def slug(text: str, max_length: int = 60) -> str:
    """A key made from a title: lower-case letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return key[:max_length].rstrip("-")


# --- reading cells -----------------------------------------------------------------------------

_BLANK = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"^\d{1,3}(?:([.,'])\d{3})(?:\1\d{3})*$")
_GROUPED_DECIMALS = re.compile(r"^(\d{1,3}(?:([.,'])\d{3})(?:\2\d{3})*)([.,])(\d+)$")
_PLAIN_DECIMALS = re.compile(r"^(\d+)(?:[.,](\d+))?$")


def text_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (nothing, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _reject_dates(value: Any) -> None:
    if isinstance(value, datetime | date):
        raise CellError(
            "date_not_number",
            value=value.strftime("%d-%m-%Y"),
        )
    if isinstance(value, time):
        raise CellError(
            "time_not_number",
            value=value.strftime("%H:%M"),
        )


def parse_euros(value: Any) -> int | None:
    """Whole euros from a cell or a form field (None when empty); CellError says what is wrong."""
    _reject_dates(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("not_an_amount", value=str(value))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | Decimal):
        number = Decimal(str(value))
    else:
        number = _amount_from_text(str(value))
    if number != number.to_integral_value():
        raise CellError(
            "not_whole_euros",
            value=text_of(value),
        )
    if number < 0:
        raise CellError("negative_amount", value=text_of(value))
    if number > 10**12:
        raise CellError("amount_too_large", value=text_of(value))
    return int(number)


def _amount_from_text(raw: str) -> Decimal:
    text = re.sub(r"(?i)€|euros?|eur", "", _BLANK.sub("", raw.strip()))
    negative = text.startswith("-") or text.startswith("−")
    digits = text.lstrip("-−")
    if digits.endswith((",-", ".-")):  # "48.000,-" is how Dutch prices end
        digits = digits[:-2]
    if _GROUPED.match(digits):
        number = Decimal(re.sub(r"[.,']", "", digits))
    elif match := _GROUPED_DECIMALS.match(digits):
        if match.group(2) == match.group(3):
            raise CellError("not_an_amount", value=raw.strip())
        number = Decimal(re.sub(r"[.,']", "", match.group(1)) + "." + match.group(4))
    elif match := _PLAIN_DECIMALS.match(digits):
        number = Decimal(match.group(1) + ("." + match.group(2) if match.group(2) else ""))
    else:
        raise CellError(
            "not_an_amount_written",
            value=raw.strip(),
        )
    return -number if negative else number


def parse_decimal(value: Any) -> Decimal | None:
    """A number with at most two decimals (decimal comma or point); None when empty."""
    _reject_dates(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("not_a_number", value=str(value))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        text = _BLANK.sub("", str(value)).replace("−", "-")
        sign = "-" if text.startswith("-") else ""
        body = text.lstrip("-+")
        if match := _GROUPED_DECIMALS.match(body):
            body = re.sub(r"[.,']", "", match.group(1)) + "." + match.group(4)
        elif re.fullmatch(r"\d+[.,]\d+|\d+", body):
            body = body.replace(",", ".")
        else:
            raise CellError("not_a_number", value=str(value).strip())
        try:
            number = Decimal(sign + body)
        except InvalidOperation:
            raise CellError("not_a_number", value=str(value).strip()) from None
    if number != number.quantize(Decimal("0.01")):
        raise CellError("too_many_decimals", value=text_of(value))
    if abs(number) >= 1_000_000:
        raise CellError("indicator_too_large", value=text_of(value))
    return Decimal(int(number)) if number == number.to_integral_value() else number


def parse_year(value: Any) -> int | None:
    """A year between 1900 and 2200; None when empty."""
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.year
    text = text_of(value)
    if not re.fullmatch(r"\d{4}", text) or not 1900 <= int(text) <= 2200:
        raise CellError("not_a_year", value=text)
    return int(text)


_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: Any) -> date | None:
    """A day as Dutch spreadsheets write it (15-3-2008, 15/03/2008) or ISO (2008-03-15); None
    when empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if is_blank(value):
        return None
    text = text_of(value)
    if match := _DAY_MONTH_YEAR.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _YEAR_MONTH_DAY.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise CellError("not_a_date", value=text)
    try:
        found = date(year, month, day)
    except ValueError:
        raise CellError("not_a_date", value=text) from None
    if not 1900 <= found.year <= 2200:
        raise CellError("not_a_date", value=text)
    return found


def parse_bool(value: Any) -> bool:
    """Yes or no: ja/nee, yes/no, true/false, waar/onwaar, 1/0, x; empty is no."""
    if isinstance(value, bool):
        return value
    text = text_of(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("not_yes_or_no", value=text_of(value))


def parse_horizon(value: Any) -> CostHorizon:
    """The binding cost horizon from 1, 4 or 10 (years), or its English name; empty is 4."""
    text = text_of(value).lower()
    if not text:
        return CostHorizon.YEARS_4
    for horizon in CostHorizon:
        if text == horizon.value:
            return horizon
    digits = re.sub(r"\D", "", text)
    for horizon, years in HORIZON_YEARS.items():
        if digits == str(years):
            return horizon
    raise CellError("not_a_horizon", value=text_of(value))


def parse_unit(value: Any) -> IndicatorUnit:
    """An indicator unit: cijfer, procent or score (or grade, percent)."""
    text = text_of(value).lower()
    if text in _UNITS:
        return _UNITS[text]
    raise CellError("not_a_unit", value=text_of(value))


def split_keys(value: Any) -> list[str]:
    """A list of effect keys or titles from one cell, separated by commas, semicolons or lines."""
    return [part.strip() for part in re.split(r"[,;\n]", text_of(value)) if part.strip()]
