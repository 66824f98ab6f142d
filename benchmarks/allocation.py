"""Our allocation rules against pabutools 1.2.3 on the shared Pabulib instances, in one run.

For every instance and every rule stored in `expected.json`, both sides start from a parsed file
(parsing is not timed). Our time covers building the election from the parsed file and the rule;
pabutools' time covers its call, which builds its satisfaction profile, exactly as `runtime_s`
in expected.json was measured (`conventions.runtime_s`): in a forked child, one call. Our time is
the best of `--repeat` runs. Each pair of outcomes is compared (same projects in the same order;
the same welfare for the optimum). The table is written into benchmarks/README.md between the
allocation markers.

    .venv/bin/python benchmarks/allocation.py                 # everything, pabutools rerun
    .venv/bin/python benchmarks/allocation.py --stored        # pabutools' stored runtime_s
    .venv/bin/python benchmarks/allocation.py --instances Netherlands_Assen_2024 --timeout 60
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.allocation import (  # noqa: E402
    Allocation,
    Satisfaction,
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
    greedy,
    optimal,
)
from app.domain.pabulib import PbInstance, read_pabulib  # noqa: E402
from app.domain.recount import election_from_pabulib  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- allocation:start -->", "<!-- allocation:end -->"

SATISFACTIONS = {
    "Cost_Sat": Satisfaction.COST,
    "Cardinality_Sat": Satisfaction.CARDINALITY,
    "Additive_Cardinal_Sat": Satisfaction.CARDINAL,
    "PointsTimesCost_Sat": Satisfaction.COST,
}

OURS: dict[str, Callable[..., Allocation[str]]] = {
    "greedy": greedy,
    "mes": equal_shares,
    "mes_add1": equal_shares_add1,
    "mes_add1_greedy": equal_shares_add1_greedy,
    "maxwelfare_ilp": optimal,
}


def pabulib_dir() -> Path:
    """PABULIB_DIR, else the repository's sibling shared/pabulib."""
    configured = os.environ.get("PABULIB_DIR")
    return Path(configured) if configured else ROOT / ".." / "shared" / "pabulib"


def split_key(key: str) -> tuple[str, str]:
    """A rule key of expected.json as (rule, pabutools satisfaction class name)."""
    for prefix in ("greedy", "maxwelfare", "mes"):
        if key.startswith(prefix + "_"):
            rest = key[len(prefix) + 1 :]
            for suffix in ("_add1_greedy", "_add1", "_ilp"):
                if rest.endswith(suffix):
                    return prefix + suffix, rest[: -len(suffix)]
            return prefix, rest
    raise ValueError(key)


# --- pabutools, in a forked child ----------------------------------------------------------


def _pabutools_call(path: str, rule: str, sat_name: str) -> Callable[[], list[str]]:
    """Parse with pabutools (not timed) and return the timed call, as expected.json made it."""
    from pabutools.election import (
        Additive_Cardinal_Sat,
        Cardinality_Sat,
        Cost_Sat,
        parse_pabulib,
    )
    from pabutools.election.satisfaction.additivesatisfaction import AdditiveSatisfaction
    from pabutools.rules import (
        MaxAddUtilWelfareAlgo,
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
    )

    class PointsTimesCost_Sat(AdditiveSatisfaction):  # type: ignore[misc]  # noqa: N801
        """Points times cost: greedy by total points on cumulative ballots."""

        def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
            def func(inst: Any, prof: Any, bal: Any, project: Any, pre: Any) -> Any:
                return bal.get(project, 0) * project.cost

            AdditiveSatisfaction.__init__(self, instance, profile, ballot, func)

    classes = {
        "Cost_Sat": Cost_Sat,
        "Cardinality_Sat": Cardinality_Sat,
        "Additive_Cardinal_Sat": Additive_Cardinal_Sat,
        "PointsTimesCost_Sat": PointsTimesCost_Sat,
    }
    sat = classes[sat_name]
    instance, profile = parse_pabulib(path)
    calls: dict[str, Callable[[], Any]] = {
        "greedy": lambda: greedy_utilitarian_welfare(instance, profile, sat_class=sat),
        "mes": lambda: method_of_equal_shares(instance, profile, sat_class=sat),
        "mes_add1": lambda: method_of_equal_shares(
            instance, profile, sat_class=sat, voter_budget_increment=1
        ),
        "mes_add1_greedy": lambda: completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
        ),
        "maxwelfare_ilp": lambda: max_additive_utilitarian_welfare(
            instance, profile, sat_class=sat, inner_algo=MaxAddUtilWelfareAlgo.ILP_SOLVER
        ),
    }
    call = calls[rule]
    return lambda: [p.name for p in call()]


def _child(path: str, rule: str, sat_name: str, results: Any) -> None:
    call = _pabutools_call(path, rule, sat_name)
    start = time.perf_counter()
    selected = call()
    results.put((time.perf_counter() - start, selected))


def run_pabutools(
    path: Path, rule: str, sat_name: str, timeout: float
) -> tuple[float | None, list[str] | None]:
    """pabutools' time and outcome for one call, or (None, None) after the timeout."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=_child, args=(str(path), rule, sat_name, results))
    process.start()
    deadline = time.monotonic() + timeout + 60  # parsing in the child is not part of the limit
    result: tuple[float, list[str]] | None = None
    while time.monotonic() < deadline:
        try:
            result = results.get(timeout=1)
            break
        except queue.Empty:
            if not process.is_alive():
                break
    if result is None:
        process.kill()
    process.join()
    if result is None or result[0] > timeout:
        return None, None
    return result


# --- ours ------------------------------------------------------------------------------------


def run_ours(
    instance: PbInstance, rule: str, sat_name: str, repeat: int
) -> tuple[float, Allocation[str]]:
    """Our best time over `repeat` runs (election building included) and the outcome."""
    best = float("inf")
    outcome: Allocation[str] | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        election = election_from_pabulib(instance, SATISFACTIONS[sat_name])
        outcome = OURS[rule](election)
        best = min(best, time.perf_counter() - start)
    assert outcome is not None
    return best, outcome


@dataclass
class Row:
    """One line of the table."""

    instance: str
    projects: int
    voters: int
    rule: str
    ours: float
    theirs: float | None
    stored: bool
    same: bool
    timeout: float

    def markdown(self) -> str:
        """The row as a markdown table row."""
        if self.theirs is None:
            theirs = f"> {self.timeout:g} s (timeout)"
            ratio = f"> {self.timeout / self.ours:,.0f}×"
        else:
            theirs = f"{self.theirs:.4f} s" + (" (stored)" if self.stored else "")
            ratio = f"{self.theirs / self.ours:,.1f}×"
        check = "same" if self.same else "**DIFFERENT**"
        return (
            f"| {self.instance} | {self.projects} | {self.voters:,} | {self.rule} | "
            f"{self.ours:.4f} s | {theirs} | {ratio} | {check} |"
        )


def benchmark(args: argparse.Namespace) -> list[Row]:
    """Run everything asked for and print each row as it is done."""
    folder = pabulib_dir()
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["instances"]
    names = args.instances or list(expected)
    rows = []
    for name in names:
        reference = expected[name]
        path = folder / reference["file"]
        instance = read_pabulib(path)
        for key, stored in reference["rules"].items():
            rule, sat_name = split_key(key)
            repeat = args.repeat if stored["runtime_s"] < 1 else 1
            ours, outcome = run_ours(instance, rule, sat_name, repeat)
            if args.stored:
                theirs: float | None = stored["runtime_s"]
                selected = stored["selected_in_order"]
            else:
                theirs, selected = run_pabutools(path, rule, sat_name, args.timeout)
            if rule == "maxwelfare_ilp":
                same = Fraction(outcome.welfare) == _welfare(instance, sat_name, stored)
            else:
                same = list(outcome.selected) == (
                    selected if selected is not None else stored["selected_in_order"]
                )
            row = Row(
                instance=name,
                projects=len(instance.projects),
                voters=len(instance.votes),
                rule=key,
                ours=ours,
                theirs=theirs,
                stored=args.stored,
                same=same,
                timeout=args.timeout,
            )
            print(row.markdown(), flush=True)
            rows.append(row)
    return rows


def _welfare(instance: PbInstance, sat_name: str, stored: dict[str, Any]) -> Fraction:
    index = election_from_pabulib(instance, SATISFACTIONS[sat_name]).index
    return sum(
        (Fraction(index.total_satisfaction[index.position[p]]) for p in stored["selected_sorted"]),
        Fraction(0),
    )


def table(rows: list[Row], args: argparse.Namespace) -> str:
    """The markdown section for the README."""
    source = (
        "pabutools' times are the `runtime_s` stored in expected.json (marked stored)"
        if args.stored
        else f"pabutools rerun in a forked child on this machine, {args.timeout:g} s limit per call"
    )
    slowest = min(rows, key=lambda r: (r.theirs or r.timeout) / r.ours)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores (load average at the end "
        f"{load}: other work shared the machine), Python {sys.version.split()[0]}; {source}; "
        f"ours best of {args.repeat} (one run for rules where pabutools needs a second or more).",
        "",
        "| instance | projects | voters | rule | ours | pabutools | ratio | outcome |",
        "|---|---:|---:|---|---:|---:|---:|---|",
        *(row.markdown() for row in rows),
        "",
        f"Smallest ratio: {(slowest.theirs or slowest.timeout) / slowest.ours:,.1f}× "
        f"({slowest.instance}, {slowest.rule}). All outcomes "
        + ("the same." if all(r.same for r in rows) else "**not** the same: see the table."),
        END,
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    """Replace the text between the allocation markers, keeping everything else."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> None:
    """Parse the options, run the benchmark and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", nargs="+", metavar="NAME", help="only these instances")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per pabutools call")
    parser.add_argument("--stored", action="store_true", help="use expected.json's runtime_s")
    parser.add_argument("--repeat", type=int, default=5, help="our runs per rule (best counts)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave the README")
    args = parser.parse_args()
    rows = benchmark(args)
    section = table(rows, args)
    if not args.no_write:
        write_readme(section)
    print(section.splitlines()[-2])


if __name__ == "__main__":
    main()
