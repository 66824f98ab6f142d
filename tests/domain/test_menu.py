"""Parsing a menu reports every problem by entry and field; warnings keep rows as they are."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.domain.menu import (
    PLAIN_EXPLANATION_MAX,
    Costs,
    MenuProblems,
    data_quality_warnings,
    total_costs,
)
from app.domain.menu.seed import parse_menu_document

SEED = Path(__file__).resolve().parents[2] / "seeds" / "korrewegwijk.yaml"


@pytest.fixture
def raw() -> dict[str, Any]:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_korrewegwijk_seed_has_the_sources_numbers(raw: dict[str, Any]) -> None:
    menu = parse_menu_document(raw)
    assert len(menu.measures) == 22
    assert {m.group for m in menu.measures} == {"veiligheid", "leefomgeving"}
    assert total_costs(menu.measures) == Costs(2_038_500, 3_833_000, 5_816_500)
    veiligheid = [m for m in menu.measures if m.group == "veiligheid"]
    leefomgeving = [m for m in menu.measures if m.group == "leefomgeving"]
    assert total_costs(veiligheid).years_4 == 1_142_000
    assert total_costs(leefomgeving).years_4 == 2_691_000
    assert menu.budget_eur == 1_000_000
    assert [e.key for e in menu.effects] == ["veiligheid", "leefomgeving", "jongeren"]
    assert [len(e.sub_effects) for e in menu.effects] == [0, 5, 4]
    assert sum(len(e.indicators) for e in menu.effects) == 13
    youth = {m.key for m in menu.measures if "jongeren" in m.effects}
    assert youth == {"ib-paraat", "voorlichting-jeugd", "kinderwerk", "jeugd-jongerenwerk"}
    assert [m.key for m in menu.measures if m.regular] == ["geluidsoverlast"]


def test_the_palaver_row_is_warned_about_not_changed(raw: dict[str, Any]) -> None:
    menu = parse_menu_document(raw)
    warnings = data_quality_warnings(menu.measures, menu.stated_totals)
    assert [(w.code, w.params["measure"]) for w in warnings] == [("cost_decreases", "Palaver")]
    palaver = next(m for m in menu.measures if m.key == "palaver")
    assert palaver.costs == Costs(12_500, 50_000, 12_500)


def test_a_total_that_does_not_add_up_is_warned_about(raw: dict[str, Any]) -> None:
    raw["stated_totals"]["veiligheid"] = [348000, 1142001, 2199000]
    menu = parse_menu_document(raw)
    mismatches = [
        w
        for w in data_quality_warnings(menu.measures, menu.stated_totals)
        if w.code == "total_mismatch"
    ]
    assert len(mismatches) == 1
    assert mismatches[0].params == {
        "total": "veiligheid",
        "horizon": "years_4",
        "computed_eur": 1142000,
        "stated_eur": 1142001,
    }


BROKEN: list[tuple[str, Any, str, str]] = [
    # (what, change applied to the document, entry named, field named)
    ("missing title", lambda d: d["measures"][1].pop("title"), "measure 'drugsbanden'", "title"),
    (
        "negative cost",
        lambda d: d["measures"][1].__setitem__("costs", [-1, 2, 3]),
        "measure 'drugsbanden'",
        "costs.year_1",
    ),
    (
        "cost with cents",
        lambda d: d["measures"][1].__setitem__("costs", [1.5, 2, 3]),
        "measure 'drugsbanden'",
        "costs.year_1",
    ),
    (
        "cost as words",
        lambda d: d["measures"][1].__setitem__("costs", ["veel", 2, 3]),
        "measure 'drugsbanden'",
        "costs.year_1",
    ),
    (
        "two costs",
        lambda d: d["measures"][1].__setitem__("costs", [1, 2]),
        "measure 'drugsbanden'",
        "costs",
    ),
    (
        "unknown effect",
        lambda d: d["measures"][1].__setitem__("effects", ["vrede"]),
        "measure 'drugsbanden'",
        "effects",
    ),
    (
        "unknown group",
        lambda d: d["measures"][1].__setitem__("group", "vrede"),
        "measure 'drugsbanden'",
        "group",
    ),
    (
        "duplicate measure",
        lambda d: d["measures"][2].__setitem__("key", "drugsbanden"),
        "measure 'drugsbanden'",
        "key",
    ),
    (
        "bad horizon",
        lambda d: d["process"].__setitem__("cost_horizon", "forever"),
        "process",
        "cost_horizon",
    ),
    ("missing budget", lambda d: d["process"].pop("budget_eur"), "process", "budget_eur"),
    ("bad format", lambda d: d.__setitem__("format", "other/9"), "document", "format"),
    (
        "indicator unit",
        lambda d: d["effects"][0]["indicators"][0].__setitem__("unit", "kg"),
        "effect 'veiligheid', indicator 1 ('Onveiligheidsgevoelens buurt')",
        "unit",
    ),
]


@pytest.mark.parametrize(("what", "change", "entry", "field"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_document_names_the_entry_and_the_field(
    raw: dict[str, Any], what: str, change: Any, entry: str, field: str
) -> None:
    broken = copy.deepcopy(raw)
    change(broken)
    with pytest.raises(MenuProblems) as caught:
        parse_menu_document(broken)
    assert any(p.where.entry == entry and p.where.field == field for p in caught.value.problems), (
        what,
        caught.value.problems,
    )


def test_every_problem_is_reported_at_once(raw: dict[str, Any]) -> None:
    raw["measures"][0].pop("title")
    raw["measures"][3]["costs"] = [-5, 0, 0]
    raw["process"]["cost_horizon"] = "x"
    with pytest.raises(MenuProblems) as caught:
        parse_menu_document(raw)
    assert len(caught.value.problems) == 3


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(MenuProblems) as caught:
        parse_menu_document(["a", "list"])
    assert caught.value.problems[0].code == "not_a_mapping"


def test_a_json_menu_can_carry_indicator_targets(raw: dict[str, Any]) -> None:
    # JSON has only text keys: {"2010": 22} must read as the year 2010.
    indicator = raw["effects"][0]["indicators"][0]
    indicator["targets"] = {str(year): value for year, value in indicator["targets"].items()}
    menu = parse_menu_document(raw)
    assert [year for year, _ in menu.effects[0].indicators[0].targets] == [2010, 2014]


def test_a_measure_is_listed_under_a_desired_effect_not_a_sub_effect(raw: dict[str, Any]) -> None:
    raw["measures"][8]["group"] = "openbare-ruimte"
    with pytest.raises(MenuProblems) as caught:
        parse_menu_document(raw)
    [problem] = caught.value.problems
    assert (problem.where.entry, problem.where.field) == ("measure 'drainage-vensterpark'", "group")
    assert problem.code == "seed_group_is_sub_effect"


def test_every_korrewegwijk_measure_and_effect_is_explained_in_plain_words(
    raw: dict[str, Any],
) -> None:
    menu = parse_menu_document(raw)
    texts = [m.plain_explanation for m in menu.measures] + [
        e.plain_explanation for e in menu.effects
    ]
    assert len(texts) == 25
    assert all(texts), [m.key for m in menu.measures if not m.plain_explanation]
    assert all(len(t) <= PLAIN_EXPLANATION_MAX for t in texts)
    for text in texts:
        words = text.lower().replace(",", " ").replace(".", " ").split()
        assert not {"je", "jij", "jouw"} & set(words), text
    by_key = {m.key: m.plain_explanation for m in menu.measures}
    # The jargon of the titles is explained (or said to be unexplained in the plan).
    assert "opbouwwerk" in by_key["opbouwwerk"]
    assert "jeugd- en jongerenwerk" in by_key["jeugd-jongerenwerk"]
    assert "volledige baan" in by_key["drugsbanden"]
    assert "IB" in by_key["ib-paraat"]
    assert "WIP" in by_key["wip"]
    # The official wording stays beside it.
    assert menu.effects[0].description.startswith("Het algemeen gevoel van veiligheid")


def test_a_menu_without_plain_explanations_still_reads(raw: dict[str, Any]) -> None:
    for measure in raw["measures"]:
        measure.pop("plain_explanation", None)
    for effect in raw["effects"]:
        effect.pop("plain_explanation", None)
    menu = parse_menu_document(raw)
    assert {m.plain_explanation for m in menu.measures} == {""}


def test_a_too_long_plain_explanation_is_refused_at_its_entry(raw: dict[str, Any]) -> None:
    raw["measures"][2]["plain_explanation"] = "Lang. " * 100
    raw["effects"][1]["plain_explanation"] = 12
    with pytest.raises(MenuProblems) as caught:
        parse_menu_document(raw)
    found = {(p.code, p.where.entry, p.where.field) for p in caught.value.problems}
    assert found == {
        ("plain_too_long", "measure 'ib-paraat'", "plain_explanation"),
        ("not_text", "effect 'leefomgeving'", "plain_explanation"),
    }
    too_long = next(p for p in caught.value.problems if p.code == "plain_too_long")
    assert too_long.params == {"length": 599, "max": PLAIN_EXPLANATION_MAX}
