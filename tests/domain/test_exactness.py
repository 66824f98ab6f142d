"""Every rule on every shared Pabulib instance gives exactly pabutools 1.2.3's stored outcome.

The instances and `expected.json` live beside the repository in `../shared/pabulib/` (override
with PABULIB_DIR). They are Pabulib's data, so they are read from there, never copied here.
Without them the tests skip, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from app.domain.allocation import (
    Allocation,
    Election,
    Satisfaction,
    complete_with_greedy,
    equal_shares,
    equal_shares_add1,
    greedy,
    optimal,
)
from app.domain.pabulib import PbInstance, read_pabulib
from app.domain.recount import election_from_pabulib

IN_CI = os.environ.get("CI", "").lower() == "true"

# pabutools' satisfaction classes as ours. PointsTimesCost_Sat (points times cost) is what the
# reference used for greedy "by total points" on cumulative votes: our `cost` on ballots with
# points.
SATISFACTIONS = {
    "Cost_Sat": Satisfaction.COST,
    "Cardinality_Sat": Satisfaction.CARDINALITY,
    "Additive_Cardinal_Sat": Satisfaction.CARDINAL,
    "PointsTimesCost_Sat": Satisfaction.COST,
}


def pabulib_dir() -> Path:
    """Where the shared instances are: PABULIB_DIR, else the repository's sibling shared/."""
    configured = os.environ.get("PABULIB_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"


def require_pabulib() -> Path:
    """The folder with expected.json, or skip (fail in CI) with the reason."""
    folder = pabulib_dir()
    if not (folder / "expected.json").is_file():
        reason = (
            f"the shared Pabulib instances are not at {folder.resolve()} "
            "(set PABULIB_DIR to the folder with expected.json)"
        )
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: this must run in CI", pytrace=False)
        pytest.skip(reason)
    return folder


def _expected() -> dict[str, Any]:
    path = pabulib_dir() / "expected.json"
    if not path.is_file():
        return {}
    instances: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["instances"]
    return instances


EXPECTED = _expected()
CASES = [
    (name, key)
    for name, instance in EXPECTED.items()
    for key, rule in instance["rules"].items()
    if rule.get("status", "ok") == "ok"
]


@cache
def _instance(name: str) -> PbInstance:
    return read_pabulib(require_pabulib() / EXPECTED[name]["file"])


@cache
def _election(name: str, satisfaction: Satisfaction) -> Election[str]:
    return election_from_pabulib(_instance(name), satisfaction)


@cache
def _add1(name: str, satisfaction: Satisfaction) -> Allocation[str]:
    return equal_shares_add1(_election(name, satisfaction))


def _rule(key: str) -> tuple[str, str]:
    """A rule key of expected.json as (rule, pabutools satisfaction class)."""
    for prefix in ("greedy", "maxwelfare", "mes"):
        if key.startswith(prefix + "_"):
            rest = key[len(prefix) + 1 :]
            for suffix in ("_add1_greedy", "_add1", "_ilp"):
                if rest.endswith(suffix):
                    return prefix + suffix, rest[: -len(suffix)]
            return prefix, rest
    raise ValueError(key)


RULES: dict[str, Callable[[str, Satisfaction], Allocation[str]]] = {
    "greedy": lambda name, sat: greedy(_election(name, sat)),
    "mes": lambda name, sat: equal_shares(_election(name, sat)),
    "mes_add1": _add1,
    # equal_shares_add1_greedy is exactly this composition (tested in test_allocation); reusing
    # the add-one outcome keeps the suite fast.
    "mes_add1_greedy": lambda name, sat: complete_with_greedy(
        _election(name, sat), _add1(name, sat)
    ),
    "maxwelfare_ilp": lambda name, sat: optimal(_election(name, sat)),
}


def test_the_shared_instances_are_there() -> None:
    folder = require_pabulib()
    assert CASES, f"{folder / 'expected.json'} lists no rule outcomes"
    assert len(EXPECTED) == 9


# Add-one on the two largest instances takes seconds (Warszawa's about ten): marked slow, so that
# `pytest -m "not slow"` can leave them out locally; CI runs them.
SLOW_INSTANCES = frozenset({"Poland_Warszawa_2023_Ochota", "Netherlands_Amsterdam_166"})


def _params(cases: list[tuple[str, str]]) -> list[Any]:
    return [
        pytest.param(
            name,
            key,
            marks=[pytest.mark.slow] if name in SLOW_INSTANCES and "_add1" in key else [],
        )
        for name, key in cases
    ]


@pytest.mark.parametrize(("name", "key"), _params(CASES) or [("-", "-")])
def test_rule_matches_pabutools(name: str, key: str) -> None:
    require_pabulib()
    reference = EXPECTED[name]["rules"][key]
    rule, sat_class = _rule(key)
    result = RULES[rule](name, SATISFACTIONS[sat_class])
    projects = EXPECTED[name]["projects"]
    budget = Fraction(EXPECTED[name]["budget_exact"])
    assert result.total_cost <= budget
    assert Fraction(result.total_cost) == Fraction(reference["total_cost"])
    welfare_class = reference["welfare_sat_class"]
    welfare = sum(
        (Fraction(projects[p][f"total_{welfare_class}"]) for p in result.selected), Fraction(0)
    )
    assert welfare == Fraction(reference["welfare"])
    if reference["selected_in_order"] is None:
        # The exact optimum: any set with the same welfare is an optimum too.
        assert result.welfare == _election_total(name, sat_class, reference["selected_sorted"])
        return
    assert list(result.selected) == reference["selected_in_order"]
    if "mes_runs" in reference and result.equal_shares is not None:
        assert result.equal_shares.reference_runs == reference["mes_runs"]


def _election_total(name: str, sat_class: str, selected: list[str]) -> Fraction:
    index = _election(name, SATISFACTIONS[sat_class]).index
    return sum(
        (Fraction(index.total_satisfaction[index.position[p]]) for p in selected), Fraction(0)
    )


@pytest.mark.parametrize("name", sorted(EXPECTED) or ["-"])
def test_parsed_instance_matches_the_reference(name: str) -> None:
    require_pabulib()
    reference = EXPECTED[name]
    instance = _instance(name)
    assert instance.vote_type.value == reference["vote_type"]
    assert Fraction(instance.budget) == Fraction(reference["budget_exact"])
    assert len(instance.projects) == reference["num_projects"]
    assert len(instance.votes) == reference["num_voters"]
    assert sum(1 for v in instance.votes if not v.projects) == reference["num_empty_ballots"]
    for sat_class, satisfaction in SATISFACTIONS.items():
        key = f"total_{sat_class}"
        if key not in next(iter(reference["projects"].values())):
            continue
        index = _election(name, satisfaction).index
        for project_id, project in reference["projects"].items():
            rank = index.position[project_id]
            assert Fraction(index.costs[rank]) == Fraction(project["cost"])
            assert Fraction(index.total_satisfaction[rank]) == Fraction(project[key])
