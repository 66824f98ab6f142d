"""What the bewonersplan's reasons cost, on a Korrewegwijk evening of 60 people.

The reasons (`app/domain/reasons.py`) run the plan's rule again at other budgets: greedy not at
all (worked out from the ranking), the optimum at each cost on its Pareto frontier above the
budget, equal shares at up to 50 grid points. This times `explain` for each rule, and one run of
equal shares on the values with the values as fractions (as the participants' weights give them)
and as whole numbers (every value times their common denominator, as `waardenzeef.select` does;
the outcome is the same).

The evening is made up, the same every run: the 22 Korrewegwijk measures and the budget of
1,000,000 from the seed, 65 participants (5 only weigh), random weights, scores (15% of measures
skipped) and packages within the budget (seed 1). Each figure is the fastest of `--repeat` calls.

    .venv/bin/python benchmarks/plan_reasons.py            # writes its README section
    .venv/bin/python benchmarks/plan_reasons.py --no-write
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain import reasons  # noqa: E402
from app.domain import waardenzeef as wz  # noqa: E402
from app.domain.allocation import (  # noqa: E402
    Ballot,
    Election,
    Project,
    equal_shares_add1_greedy,
)
from app.domain.vocabulary import StakeholderGroup  # noqa: E402

README = ROOT / "benchmarks" / "README.md"
START = "<!-- plan_reasons:start -->"
END = "<!-- plan_reasons:end -->"


def evening(seed: int = 1, people: int = 60, weigh_only: int = 5) -> wz.Sieve:
    """The made-up Korrewegwijk evening described above."""
    seed_file = yaml.safe_load((ROOT / "seeds" / "korrewegwijk.yaml").read_text("utf-8"))
    effects = []
    for effect in seed_file["effects"]:
        effects.append(wz.Effect(effect["key"], effect["title"]))
        effects += [
            wz.Effect(sub["key"], sub["title"], effect["key"]) for sub in effect["sub_effects"]
        ]
    measures = tuple(
        wz.Measure(
            m["key"],
            m["title"],
            None if m.get("regular") else m["costs"][1],
            tuple(m["effects"]),
            m["group"],
        )
        for m in seed_file["measures"]
    )
    budget = seed_file["process"]["budget_eur"]
    rng = random.Random(seed)
    groups = [StakeholderGroup.BEWONER] * 6 + [StakeholderGroup.STUDENT] * 3
    groups += [StakeholderGroup.ONDERNEMER, StakeholderGroup.WERKER]
    tops = [e.id for e in effects if e.parent_id is None]
    participants, weights, scores, packages = [], [], [], []
    for p in range(1, people + weigh_only + 1):
        participants.append(wz.Participant(p, rng.choice(groups)))
        cuts = sorted(rng.sample(range(1, 100), len(tops) - 1))
        points = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        weights.append(wz.WeightBallot(p, dict(zip(tops, points, strict=True))))
        if p > people:
            continue
        scores.append(
            wz.ScoreBallot(
                p,
                {
                    (m.id, e): rng.randint(0, 3)
                    for m in measures
                    if rng.random() >= 0.15
                    for e in m.effect_ids
                },
            )
        )
        left, package = budget, []
        for m in rng.sample(list(measures), len(measures)):
            if m.binding_cost <= left and rng.random() < 0.5:
                package.append(m.id)
                left -= m.binding_cost
        packages.append(wz.PackageBallot(p, tuple(package)))
    return wz.Sieve(
        tuple(effects), measures, budget, tuple(participants), tuple(weights), tuple(scores),
        tuple(packages),
    )  # fmt: skip


def fastest(call: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` calls, in seconds."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def measure(repeat: int) -> list[str]:
    """The table's rows (Markdown)."""
    sieve = evening()
    rows = ["| what | runs of the rule | seconds |", "|---|---:|---:|"]
    for rule in wz.Rule:
        plan = wz.make_plan(sieve, rule)
        runs = _runs(sieve, plan)
        seconds = fastest(lambda plan=plan: reasons.explain(sieve, plan), repeat)  # type: ignore[misc]
        rows.append(f"| reasons, {rule.value} | {runs} | {seconds:.3f} |")
    plan = wz.make_plan(sieve, wz.Rule.EQUAL_SHARES)
    assert plan.values is not None
    order = tuple(r.measure_id for r in plan.ranking)
    projects = tuple(Project(m.id, m.binding_cost) for m in sieve.measures)
    fractions = tuple(Ballot(dict(mine)) for mine in plan.values.by_participant.values())
    scale = math.lcm(*(v.denominator for b in fractions for v in b.satisfaction.values()))
    whole = tuple(Ballot({m: int(v * scale) for m, v in b.satisfaction.items()}) for b in fractions)
    outcomes = []
    for name, ballots in (("fractions", fractions), ("whole numbers", whole)):

        def run(ballots: tuple[Ballot[wz.Id], ...] = ballots) -> object:
            return equal_shares_add1_greedy(Election(projects, 1_500_000, ballots, order))

        outcomes.append(equal_shares_add1_greedy(Election(projects, 1_500_000, ballots, order)))
        seconds = fastest(run, repeat)
        rows.append(
            f"| one run of equal shares at 1,500,000, values as {name} | 1 | {seconds:.3f} |"
        )
    assert outcomes[0].selected == outcomes[1].selected
    return rows


def _runs(sieve: wz.Sieve, plan: wz.Plan) -> int:
    counted = 0
    original = reasons._RunAt.__call__

    def counting(self: reasons._RunAt, budget: wz.Number) -> tuple[wz.Id, ...]:
        nonlocal counted
        counted += 1
        return original(self, budget)

    reasons._RunAt.__call__ = counting  # type: ignore[method-assign]
    try:
        reasons.explain(sieve, plan)
    finally:
        reasons._RunAt.__call__ = original  # type: ignore[method-assign]
    return counted


def main() -> None:
    """Measure, print, and write the README section unless --no-write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    rows = measure(options.repeat)
    print("\n".join(rows))
    if options.no_write:
        return
    text = README.read_text("utf-8")
    section = "\n".join([START, *rows, END])
    if START in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    README.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
