"""The seed format (`waardenzeef-menu/1`, YAML or JSON): reading it into a menu document, every
problem at once with its entry and field, and writing a document back into it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from app.domain.menu.cells import slug
from app.domain.menu.document import (
    HORIZONS,
    MENU_FORMAT,
    PLAIN_EXPLANATION_MAX,
    Costs,
    EffectSpec,
    IndicatorSpec,
    MeasureSpec,
    MenuDocument,
    SubEffectSpec,
    measure_entry,
    menu_warnings,
)
from app.domain.menu.problems import MenuProblems, Problem, Where
from app.domain.vocabulary import CostHorizon, IndicatorUnit


def read_seed(data: bytes, kind: str) -> tuple[MenuDocument, list[Problem]]:
    """A seed file's bytes (kind `yaml` or `json`) as a document and its warnings.

    Raises MenuProblems naming every problem: not UTF-8, not YAML or JSON, or wrong fields.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MenuProblems(
            [Problem("seed_not_utf8", {"format": kind.upper(), "position": error.start})]
        ) from None
    try:
        raw: Any = json.loads(text) if kind == "json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(error, "lineno", "?")
        reason = getattr(error, "problem", None) or getattr(error, "msg", None) or str(error)
        params = {"format": kind.upper(), "line": line, "reason": reason}
        raise MenuProblems([Problem("seed_invalid", params)]) from None
    if kind == "json":
        raw = _json_years(raw)
    document = parse_menu_document(raw)
    return document, seed_warnings(document)


def _json_years(raw: Any) -> Any:
    # JSON object keys are always text; the seed format's targets are keyed by year (a number).
    if isinstance(raw, dict):
        for effect in raw.get("effects") or []:
            for indicator in (
                (effect or {}).get("indicators") or [] if isinstance(effect, dict) else []
            ):
                if isinstance(indicator, dict) and isinstance(indicator.get("targets"), dict):
                    indicator["targets"] = {
                        int(k) if isinstance(k, str) and k.isdigit() else k: v
                        for k, v in indicator["targets"].items()
                    }
    return raw


_FIELDS = {"regular": "regular", "title": "title"}


def seed_warnings(document: MenuDocument) -> list[Problem]:
    """The warnings of a seed document, each on the measure's entry and field."""

    def place(index: int, aspect: str) -> Where:
        field = _FIELDS.get(aspect, f"costs.{aspect}")
        return Where(entry=measure_entry(document.measures[index]), field=field)

    found = menu_warnings(document, place)
    first: dict[str, MeasureSpec] = {}
    for index, spec in enumerate(document.measures):
        folded = spec.title.casefold()
        if folded in first:
            params = {"title": spec.title, "first": first[folded].key}
            found.append(Problem("duplicate_title_entry", params, place(index, "title")))
        first.setdefault(folded, spec)
    return found


class _Reader:
    """Collects problems while reading fields, so that one pass reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, entry: str, field_name: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(code, params, Where(entry=entry, field=field_name or None)))

    def text(
        self,
        data: Mapping[str, Any],
        entry: str,
        name: str,
        *,
        required: bool = True,
        max_length: int = 300,
    ) -> str:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(entry, name, "missing")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(entry, name, "not_text", type=type(value).__name__)
            return ""
        text = str(value).strip()
        if len(text) > max_length:
            self.fail(entry, name, "text_too_long", length=len(text), max=max_length)
        return text

    def plain(self, data: Mapping[str, Any], entry: str) -> str:
        """The optional plain explanation for residents, refused when longer than two sentences
        should be."""
        value = data.get("plain_explanation")
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if not isinstance(value, str):
            self.fail(entry, "plain_explanation", "not_text", type=type(value).__name__)
            return ""
        text = value.strip()
        if len(text) > PLAIN_EXPLANATION_MAX:
            self.fail(
                entry,
                "plain_explanation",
                "plain_too_long",
                length=len(text),
                max=PLAIN_EXPLANATION_MAX,
            )
        return text

    def euros(self, value: Any, entry: str, name: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(entry, name, "not_whole_euros", value=value)
                return None
        if value < 0:
            self.fail(entry, name, "negative_amount", value=value)
            return None
        return int(value)

    def number(self, value: Any, entry: str, name: str) -> Decimal | None:
        if value is None or isinstance(value, bool):
            self.fail(entry, name, "missing_number")
            return None
        try:
            return Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            self.fail(entry, name, "seed_not_a_number", value=value)
            return None

    def mapping(self, value: Any, entry: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(entry, "", "not_a_mapping", type=type(value).__name__)
            return {}
        return value

    def sequence(self, data: Mapping[str, Any], entry: str, name: str) -> list[Any]:
        value = data.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(entry, name, "not_a_list", type=type(value).__name__)
            return []
        return value


def parse_menu_document(data: Any) -> MenuDocument:
    """Read a menu document (parsed YAML or JSON), or raise MenuProblems naming every problem."""
    r = _Reader()
    top = r.mapping(data, "document")
    if top and top.get("format") != MENU_FORMAT:
        r.fail("document", "format", "wrong_format", expected=MENU_FORMAT, value=top.get("format"))
    seed_key = r.text(top, "document", "seed_key", max_length=80)
    hood = r.mapping(top.get("neighbourhood"), "neighbourhood")
    process = r.mapping(top.get("process"), "process")
    title = r.text(process, "process", "title", max_length=200)
    budget = r.euros(process.get("budget_eur"), "process", "budget_eur")
    if budget is None and "budget_eur" not in process:
        r.fail("process", "budget_eur", "missing")
    horizon_value = process.get("cost_horizon", CostHorizon.YEARS_4.value)
    try:
        horizon = CostHorizon(horizon_value)
    except ValueError:
        r.fail(
            "process",
            "cost_horizon",
            "not_one_of",
            value=horizon_value,
            choices=", ".join(h.value for h in CostHorizon),
        )
        horizon = CostHorizon.YEARS_4

    effects: list[EffectSpec] = []
    effect_keys: set[str] = set()
    indicator_keys: set[str] = set()
    for i, raw in enumerate(r.sequence(top, "document", "effects"), start=1):
        effect = _parse_effect(r, raw, f"effect {i}", effect_keys, indicator_keys)
        if effect is not None:
            effects.append(effect)
    if not effects and "effects" in top:
        r.fail("document", "effects", "no_effects")
    top_keys = {e.key for e in effects}

    measures: list[MeasureSpec] = []
    measure_keys: set[str] = set()
    for i, raw in enumerate(r.sequence(top, "document", "measures"), start=1):
        measure = _parse_measure(
            r, raw, f"measure {i}", top_keys | effect_keys, top_keys, measure_keys
        )
        if measure is not None:
            measures.append(measure)

    stated: dict[str, Costs] = {}
    totals = top.get("stated_totals") or {}
    for name, values in r.mapping(totals, "stated_totals").items():
        entry = f"stated_totals '{name}'"
        if name != "menu" and name not in top_keys:
            r.fail(entry, "", "total_names_no_effect")
        if not isinstance(values, list) or len(values) != 3:
            r.fail(entry, "", "three_amounts")
            continue
        stated[str(name)] = Costs(
            *(r.euros(v, entry, h.value) for v, h in zip(values, HORIZONS, strict=True))
        )

    if r.problems:
        raise MenuProblems(r.problems)
    assert budget is not None
    return MenuDocument(
        seed_key=seed_key,
        neighbourhood_name=r.text(hood, "neighbourhood", "name", max_length=120),
        municipality=r.text(hood, "neighbourhood", "municipality", max_length=120),
        title=title,
        budget_eur=budget,
        cost_horizon=horizon,
        effects=tuple(effects),
        measures=tuple(measures),
        description=r.text(process, "process", "description", required=False, max_length=4000),
        budget_note=r.text(process, "process", "budget_note", required=False, max_length=2000),
        source=r.text(top, "document", "source", required=False, max_length=400),
        stated_totals=stated,
    )


def _parse_effect(
    r: _Reader, raw: Any, entry: str, seen: set[str], indicator_keys: set[str]
) -> EffectSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    key = r.text(data, entry, "key", max_length=60)
    if key:
        entry = f"effect '{key}'"
        if key in seen:
            r.fail(entry, "key", "seed_duplicate_key")
        seen.add(key)
    subs: list[SubEffectSpec] = []
    for j, raw_sub in enumerate(r.sequence(data, entry, "sub_effects"), start=1):
        sub_entry = f"{entry}, sub-effect {j}"
        sub = r.mapping(raw_sub, sub_entry)
        sub_key = r.text(sub, sub_entry, "key", max_length=60)
        if sub_key in seen:
            r.fail(sub_entry, "key", "seed_duplicate_sub_effect", key=sub_key)
        seen.add(sub_key)
        subs.append(
            SubEffectSpec(
                sub_key,
                r.text(sub, sub_entry, "title"),
                r.text(sub, sub_entry, "description", required=False, max_length=4000),
                r.plain(sub, sub_entry),
            )
        )
    indicators = [
        _parse_indicator(r, raw_ind, f"{entry}, indicator {j}", indicator_keys)
        for j, raw_ind in enumerate(r.sequence(data, entry, "indicators"), start=1)
    ]
    return EffectSpec(
        key=key,
        title=r.text(data, entry, "title"),
        description=r.text(data, entry, "description", required=False, max_length=4000),
        sub_effects=tuple(subs),
        indicators=tuple(i for i in indicators if i is not None),
        plain_explanation=r.plain(data, entry),
    )


def _parse_indicator(r: _Reader, raw: Any, entry: str, seen: set[str]) -> IndicatorSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    name = r.text(data, entry, "name", max_length=200)
    if name:
        entry = f"{entry} ('{name}')"
    key = r.text(data, entry, "key", required=False, max_length=60) or slug(name)
    if key and key in seen:
        r.fail(entry, "key" if data.get("key") else "name", "seed_duplicate_indicator", key=key)
    seen.add(key)
    unit_value = data.get("unit")
    try:
        unit = IndicatorUnit(str(unit_value))
    except ValueError:
        r.fail(
            entry,
            "unit",
            "not_one_of",
            value=unit_value,
            choices=", ".join(u.value for u in IndicatorUnit),
        )
        unit = IndicatorUnit.SCORE
    year = data.get("baseline_year")
    if not isinstance(year, int) or isinstance(year, bool):
        r.fail(entry, "baseline_year", "not_a_year", value=year)
        year = 0
    baseline = r.number(data.get("baseline"), entry, "baseline")
    city = r.number(data["city"], entry, "city") if data.get("city") is not None else None
    targets: list[tuple[int, Decimal]] = []
    for raw_year, value in r.mapping(data.get("targets") or {}, f"{entry}, targets").items():
        # JSON has only text keys, so "2010" is a year as much as 2010 is.
        year_text = str(raw_year).strip()
        if isinstance(raw_year, bool) or not year_text.isdigit():
            r.fail(entry, "targets", "not_a_year", value=raw_year)
            continue
        target_year = int(year_text)
        number = r.number(value, entry, f"targets.{target_year}")
        if number is not None:
            targets.append((target_year, number))
    if baseline is None:
        return None
    return IndicatorSpec(
        name,
        unit,
        year,
        baseline,
        city,
        bool(data.get("lower_is_better", False)),
        tuple(sorted(targets)),
        key,
    )


def _parse_measure(
    r: _Reader, raw: Any, entry: str, effect_keys: set[str], top_keys: set[str], seen: set[str]
) -> MeasureSpec | None:
    data = r.mapping(raw, entry)
    if not data:
        return None
    key = r.text(data, entry, "key", max_length=60)
    if key:
        entry = f"measure '{key}'"
        if key in seen:
            r.fail(entry, "key", "seed_duplicate_measure")
        seen.add(key)
    group = r.text(data, entry, "group", max_length=60)
    if group and group in effect_keys and group not in top_keys:
        r.fail(entry, "group", "seed_group_is_sub_effect", value=group)
    elif group and group not in effect_keys:
        r.fail(entry, "group", "seed_unknown_effect", value=group)
    effects = data.get("effects", [group] if group else [])
    if not isinstance(effects, list) or not all(isinstance(e, str) for e in effects):
        r.fail(entry, "effects", "not_effect_keys")
        effects = []
    for effect in effects:
        if effect not in effect_keys:
            r.fail(entry, "effects", "seed_unknown_effect", value=effect)
    regular = data.get("regular", False)
    if not isinstance(regular, bool):
        r.fail(entry, "regular", "not_true_or_false", value=regular)
        regular = False
    raw_costs = data.get("costs", [None, None, None])
    if not isinstance(raw_costs, list) or len(raw_costs) != 3:
        r.fail(entry, "costs", "three_amounts")
        raw_costs = [None, None, None]
    costs = Costs(
        *(r.euros(v, entry, f"costs.{h.value}") for v, h in zip(raw_costs, HORIZONS, strict=True))
    )
    return MeasureSpec(
        key=key,
        title=r.text(data, entry, "title"),
        group=group,
        effects=tuple(dict.fromkeys(effects)),
        costs=costs,
        regular=regular,
        description=r.text(data, entry, "description", required=False, max_length=4000),
        organisation=r.text(data, entry, "organisation", required=False, max_length=200),
        plain_explanation=r.plain(data, entry),
    )


def seed_mapping(document: MenuDocument) -> dict[str, Any]:
    """A document in the seed format (`waardenzeef-menu/1`), ready for YAML or JSON."""

    def number(value: Decimal | None) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)

    data: dict[str, Any] = {
        "format": "waardenzeef-menu/1",
        "seed_key": document.seed_key,
    }
    if document.source:
        data["source"] = document.source
    data["neighbourhood"] = {
        "name": document.neighbourhood_name,
        "municipality": document.municipality,
    }
    data["process"] = {
        "title": document.title,
        "description": document.description,
        "budget_eur": document.budget_eur,
        "cost_horizon": document.cost_horizon.value,
        "budget_note": document.budget_note,
    }
    data["effects"] = [
        {
            "key": e.key,
            "title": e.title,
            "description": e.description,
            **_plain(e.plain_explanation),
            "sub_effects": [
                {
                    "key": s.key,
                    "title": s.title,
                    "description": s.description,
                    **_plain(s.plain_explanation),
                }
                for s in e.sub_effects
            ],
            "indicators": [
                {
                    "key": i.key,
                    "name": i.name,
                    "unit": i.unit.value,
                    "lower_is_better": i.lower_is_better,
                    "baseline_year": i.baseline_year,
                    "baseline": number(i.baseline),
                    "city": number(i.city),
                    "targets": {year: number(value) for year, value in i.targets},
                }
                for i in e.indicators
            ],
        }
        for e in document.effects
    ]
    data["measures"] = [
        {
            "key": m.key,
            "title": m.title,
            "group": m.group,
            "effects": list(m.effects),
            "costs": list(m.costs.as_tuple()),
            "regular": m.regular,
            "description": m.description,
            **_plain(m.plain_explanation),
            "organisation": m.organisation,
        }
        for m in document.measures
    ]
    if document.stated_totals:
        data["stated_totals"] = {
            name: list(costs.as_tuple()) for name, costs in document.stated_totals.items()
        }
    return data


def _plain(text: str) -> dict[str, str]:
    # Written only when there is one, so that a menu without them reads as it always did.
    return {"plain_explanation": text} if text else {}
