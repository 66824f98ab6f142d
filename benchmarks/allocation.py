"""Our allocation rules against pabutools 1.2.3 on the shared Pabulib instances, in one run.

For every instance and every rule stored in `expected.json`, both sides start from a file parsed
once beforehand (parsing is not timed) and are timed the same way, in this one process:

- pabutools' timed call is the rule call, which builds its satisfaction profile from the parsed
  profile (as `runtime_s` in expected.json, `conventions.runtime_s`);
- ours is building the election from the parsed file, the rule, and the full explanation of every
  project (`Allocation.outcomes`, made in the call) and, under equal shares, what each voter
  paid (exact whole numbers over one denominator, as `EqualSharesRun` keeps them; its `spent`
  turns them into fractions when read), so nothing the result promises is left for later;
- each timed call starts from the parsed input and shares nothing with the previous ones;
- after one call each, both sides repeat the same number of times, adapted to the duration: as
  many as fit in `--budget` seconds of the slower side (at least `--min-repeat`, at most
  `--max-repeat`); each side's time is its fastest;
- the repeats run in blocks of about `--block` seconds of the slower side (at least two per
  side), taking turns (ours, pabutools, ours, pabutools, ...), back to back within a block as
  timeit repeats a statement: neither side is timed right after the other has filled the
  processor's caches with its own data, and the turns spread the slow spells of this shared
  machine over both; a full garbage collection before each block, the collector on during the
  calls, as in real use.

Each pair of outcomes is compared (same projects in the same order; the same welfare for the
optimum) and checked against expected.json. A full run (no `--instances`, no `--rules`) writes
the table into benchmarks/README.md between the allocation markers.

    .venv/bin/python benchmarks/allocation.py                 # everything (~25 min)
    .venv/bin/python benchmarks/allocation.py --instances Netherlands_Assen_2024 --rules mes
    .venv/bin/python benchmarks/allocation.py --stored        # pabutools' stored runtime_s
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import FrameType
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


# --- the two sides -------------------------------------------------------------------------


class Pabutools:
    """One instance parsed by pabutools (once, not timed), and its timed rule calls."""

    def __init__(self, path: Path) -> None:
        from pabutools.election import parse_pabulib

        self.instance, self.profile = parse_pabulib(str(path))

    def call(self, rule: str, sat_name: str) -> Callable[[], list[str]]:
        """The call as expected.json made it; returns the selected ids in the order selected."""
        from pabutools.election import Additive_Cardinal_Sat, Cardinality_Sat, Cost_Sat
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

        sat = {
            "Cost_Sat": Cost_Sat,
            "Cardinality_Sat": Cardinality_Sat,
            "Additive_Cardinal_Sat": Additive_Cardinal_Sat,
            "PointsTimesCost_Sat": PointsTimesCost_Sat,
        }[sat_name]
        instance, profile = self.instance, self.profile
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


def our_call(instance: PbInstance, rule: str, sat_name: str) -> Callable[[], Allocation[str]]:
    """Build the election from the parsed file, run the rule and explain every project."""
    satisfaction = SATISFACTIONS[sat_name]
    run = OURS[rule]

    def call() -> Allocation[str]:
        allocation = run(election_from_pabulib(instance, satisfaction))
        # Every project's explanation, made now (what each voter paid under equal shares is
        # already worked out: exact whole numbers over one denominator, as the result keeps it).
        allocation.outcomes  # noqa: B018
        return allocation

    return call


class Timeout(Exception):
    """A pabutools call took longer than the limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Timeout in the main thread after `seconds` (pabutools is pure Python)."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Timeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """One call: its wall time and its result."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


# --- the table -----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table."""

    instance: str
    projects: int
    voters: int
    rule: str
    ours: float
    theirs: float | None
    repeats: int
    stored: bool
    same: bool
    timeout: float

    @property
    def ratio(self) -> float:
        """How many times faster ours is (a lower bound after a timeout)."""
        return (self.theirs if self.theirs is not None else self.timeout) / self.ours

    def markdown(self) -> str:
        """The row as a markdown table row."""
        if self.theirs is None:
            theirs = f"> {self.timeout:g} s (timeout)"
            ratio = f"> {self.ratio:,.0f}×"
        else:
            theirs = _seconds(self.theirs) + (" (stored)" if self.stored else "")
            ratio = f"{self.ratio:,.1f}×"
        check = "same" if self.same else "**DIFFERENT**"
        return (
            f"| {self.instance} | {self.projects} | {self.voters:,} | {self.rule} | "
            f"{_seconds(self.ours)} | {theirs} | {ratio} | {self.repeats} | {check} |"
        )


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1000:.2f} ms"
    return f"{value * 1000:.3f} ms"


def measure(
    ours: Callable[[], Allocation[str]],
    theirs: Callable[[], list[str]] | None,
    args: argparse.Namespace,
) -> tuple[float, float | None, int, Allocation[str], list[str] | None]:
    """Both sides the same number of times, in blocks; each side's fastest time.

    After one call each, the rest of the repeats run in blocks of about `args.block` seconds of
    the slower side, at least two per side, taking turns (ours, pabutools, ours, pabutools,
    ...): back to back within a block, as timeit repeats a statement, so that neither side is
    timed just after the other has filled the caches with its own data; taking turns often
    spreads the slow spells of the machine (other work on it) over both sides.
    """
    gc.collect()
    our_best, outcome = timed(ours)
    if theirs is None:
        repeats = max(args.min_repeat, min(args.max_repeat, math.floor(args.budget / our_best)))
        for _ in range(repeats - 1):
            our_best = min(our_best, timed(ours)[0])
        return our_best, None, repeats, outcome, None
    try:
        with time_limit(args.timeout):
            their_best, selected = timed(theirs)
    except Timeout:
        return our_best, None, 1, outcome, None
    slower = max(our_best, their_best)
    repeats = max(args.min_repeat, min(args.max_repeat, math.floor(args.budget / slower)))
    rest = repeats - 1
    blocks = max(2, min(rest, round(rest * slower / args.block)))
    # The rest in `blocks` blocks per side, as equal as whole numbers allow.
    for block in (rest // blocks + (i < rest % blocks) for i in range(blocks)):
        gc.collect()
        for _ in range(block):
            our_best = min(our_best, timed(ours)[0])
        gc.collect()
        for _ in range(block):
            their_best = min(their_best, timed(theirs)[0])
    return our_best, their_best, repeats, outcome, selected


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
        reference_side = None if args.stored else Pabutools(path)
        for key, stored in reference["rules"].items():
            rule, sat_name = split_key(key)
            if args.rules and rule not in args.rules:
                continue
            theirs_call = None if reference_side is None else reference_side.call(rule, sat_name)
            ours, theirs, repeats, outcome, selected = measure(
                our_call(instance, rule, sat_name), theirs_call, args
            )
            if args.stored:
                theirs = stored["runtime_s"]
            if rule == "maxwelfare_ilp":
                same = Fraction(outcome.welfare) == _welfare(instance, sat_name, stored)
            else:
                same = list(outcome.selected) == stored["selected_in_order"] and (
                    selected is None or selected == stored["selected_in_order"]
                )
            row = Row(
                instance=name,
                projects=len(instance.projects),
                voters=len(instance.votes),
                rule=key,
                ours=ours,
                theirs=theirs,
                repeats=repeats,
                stored=args.stored,
                same=same,
                timeout=args.timeout,
            )
            print(row.markdown(), flush=True)
            rows.append(row)
        del reference_side
    return rows


def _welfare(instance: PbInstance, sat_name: str, stored: dict[str, Any]) -> Fraction:
    index = election_from_pabulib(instance, SATISFACTIONS[sat_name]).index
    return sum(
        (Fraction(index.total_satisfaction[index.position[p]]) for p in stored["selected_sorted"]),
        Fraction(0),
    )


def table(rows: list[Row], args: argparse.Namespace, started: str) -> str:
    """The markdown section for the README."""
    source = (
        "pabutools' times are the `runtime_s` stored in expected.json (one call in a forked "
        "child, marked stored)"
        if args.stored
        else "both sides timed in turns in this one process as described above "
        f"({args.budget:g} s per row of the slower side in turns of {args.block:g} s, "
        f"{args.min_repeat} to "
        f"{args.max_repeat} repeats, {args.timeout:g} s limit per pabutools call)"
    )
    slowest = min(rows, key=lambda r: r.ratio)
    below = [r for r in rows if r.ratio < 10]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        START,
        f"Measured {started} on {os.cpu_count()} cores (load average at the end {load}), "
        f"Python {sys.version.split()[0]}, pabutools 1.2.3; {source}. Times are each side's "
        "fastest of the repeats; 'repeats' is how many each side made.",
        "",
        "| instance | projects | voters | rule | ours | pabutools | ratio | repeats | outcome |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
        *(row.markdown() for row in rows),
        "",
        f"Smallest ratio: {slowest.ratio:,.1f}× ({slowest.instance}, {slowest.rule}); "
        f"{len(below)} of {len(rows)} rows below 10×. All outcomes "
        + ("the same." if all(r.same for r in rows) else "**not** the same: see the table."),
        END,
    ]
    return "\n".join(lines)


def write_readme(section: str, start: str = START, end: str = END) -> None:
    """Replace the text between the markers (the allocation table's), keeping everything else."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


# --- the whole command, as a user runs it (issue 19) ----------------------------------------

COMMAND_START, COMMAND_END = "<!-- command:start -->", "<!-- command:end -->"
COMMAND_RULES = {
    "greedy": "greedy",
    "mes": "mes",
    "mes_add1": "mes-add1-only",
    "mes_add1_greedy": "mes-add1",
    "maxwelfare_ilp": "optimal",
}
COMMAND_SATS = {
    "Cost_Sat": "cost",
    "Cardinality_Sat": "cardinality",
    "Additive_Cardinal_Sat": "cardinal",
    "PointsTimesCost_Sat": "cost",
}
# pabutools in a process of its own: imported first (not timed), then reading plus rule timed
# in CPU seconds (this machine is shared: wall time depends on the others' work).
PABUTOOLS_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
import pabutools.election, pabutools.rules
from pathlib import Path
from benchmarks.allocation import Pabutools
start = time.process_time()
selected = Pabutools(Path(sys.argv[1])).call(sys.argv[2], sys.argv[3])()
print(json.dumps({"cpu": time.process_time() - start, "selected": selected}))
"""


@dataclass
class CommandRow:
    """One instance and rule: the whole `waardenzeef recount` and pabutools' reading plus rule."""

    instance: str
    rule: str
    ours: float  # CPU seconds of the whole command (interpreter start, imports, read, rule, print)
    theirs: float | None  # CPU seconds of pabutools' reading plus rule; None: not within the limit
    limit: float
    same: str
    # The issue's own target in seconds (the made-up city: "under 10 s"), instead of a ratio.
    within: float | None = None

    def markdown(self) -> str:
        theirs = f"> {self.limit:.0f} s" if self.theirs is None else _seconds(self.theirs)
        if self.within is not None:
            ratio = "—" if self.theirs is None else f"{self.theirs / self.ours:.1f}×"
            target, met = f"< {self.within:g} s (issue)", self.ours < self.within
        elif self.theirs is None:
            ratio, target = f"> {self.limit / self.ours:.0f}×", "≥ 10×"
            met = self.limit / self.ours >= 10
        elif self.theirs > 1:
            ratio, target = f"{self.theirs / self.ours:.1f}×", "≥ 10×"
            met = self.theirs / self.ours >= 10
        else:
            ratio, target = f"{self.theirs / self.ours:.1f}×", "≤ 0.3 s"
            met = self.ours <= 0.3
        return (
            f"| {self.instance} | {self.rule} | {_seconds(self.ours)} | {theirs} | {ratio} "
            f"| {target} | {'yes' if met else 'no'} | {self.same} |"
        )


def _child_environment() -> dict[str, str]:
    """The environment for the timed processes: compiled modules kept (in var/pycache), as an
    installed package has them, even where PYTHONDONTWRITEBYTECODE says otherwise."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(ROOT / "var" / "pycache")
    return environment


def _our_command(path: Path, rule: str, sat: str) -> tuple[float, dict[str, Any]]:
    """CPU seconds of one `waardenzeef recount ... --json` (the child's own, start included)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [sys.executable, "-m", "app", "recount", str(path), "--rule", rule, "--sat", sat, "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=_child_environment(),
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data: dict[str, Any] = json.loads(completed.stdout)
    return cpu, data


def _their_call(path: Path, rule: str, sat: str, limit: float) -> dict[str, Any] | None:
    """pabutools' reading plus rule in a process of its own; None when over the limit."""
    import subprocess

    try:
        completed = subprocess.run(
            [sys.executable, "-c", PABUTOOLS_SCRIPT, str(path), rule, sat, str(ROOT)],
            capture_output=True,
            text=True,
            check=True,
            timeout=limit,
            env=_child_environment(),
        )
    except subprocess.TimeoutExpired:
        return None
    data: dict[str, Any] = json.loads(completed.stdout)
    return data


def command_benchmark(args: argparse.Namespace) -> list[CommandRow]:
    """Every stored rule on every shared instance, and "add one" on the made-up city."""
    folder = pabulib_dir()
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["instances"]
    rows: list[CommandRow] = []
    for name, stored in expected.items():
        if args.instances and name not in args.instances:
            continue
        path = folder / f"{name}.pb"
        for key, reference in stored["rules"].items():
            rule, sat_name = split_key(key)
            if args.rules and rule not in args.rules:
                continue
            ours: list[float] = []
            while len(ours) < 3 and (not ours or ours[0] <= 5):
                cpu, data = _our_command(path, COMMAND_RULES[rule], COMMAND_SATS[sat_name])
                ours.append(cpu)
            # One call of pabutools per row: the rows where it needs seconds to minutes are the
            # ones that matter, and this machine is shared.
            result = _their_call(path, rule, sat_name, args.timeout)
            theirs = [] if result is None else [float(result["cpu"])]
            if rule == "maxwelfare_ilp":
                same = Fraction(data["welfare"]) == Fraction(reference["welfare"])
            else:
                same = data["selected"] == reference["selected_in_order"]
            rows.append(
                CommandRow(
                    name,
                    key,
                    min(ours),
                    min(theirs) if theirs else None,
                    args.timeout,
                    "same" if same else "DIFFERENT",
                )
            )
            print(rows[-1].markdown(), flush=True)
    if not args.instances:
        rows.extend(_city_rows(args))
    return rows


def _city_rows(args: argparse.Namespace) -> list[CommandRow]:
    """benchmarks/city.py's Budapest-size instance: ours, and pabutools within `--city-timeout`."""
    from benchmarks.city import city

    path = ROOT / "var" / "city.pb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(city(), encoding="utf-8")
    rows = []
    for rule in ("mes_add1",):
        cpu, data = _our_command(path, COMMAND_RULES[rule], "cost")
        theirs = _their_call(path, rule, "Cost_Sat", args.city_timeout)
        same = (
            "no reference"
            if theirs is None
            else ("same" if theirs["selected"] == data["selected"] else "DIFFERENT")
        )
        rows.append(
            CommandRow(
                "city.py (175 projects, 28,943 voters)",
                f"{rule} (Cost_Sat)",
                cpu,
                None if theirs is None else float(theirs["cpu"]),
                args.city_timeout,
                same,
                within=10,
            )
        )
        print(rows[-1].markdown(), flush=True)
    return rows


# Reading in a process of its own, as the command reads: a fresh heap, the collector off
# (`app.__main__`), the fastest of five per file in CPU seconds.
READING_SCRIPT = """
import gc, json, math, sys, time
gc.disable()
sys.path.insert(0, sys.argv[1])
from app.domain.pabulib import read_pabulib
seconds = 0.0
for path in sys.argv[2:]:
    best = math.inf
    for _ in range(5):
        start = time.process_time()
        read_pabulib(path)
        best = min(best, time.process_time() - start)
    seconds += best
print(json.dumps(seconds))
"""


def reading_speed() -> str:
    """How fast the shared files (and the city) are read, in CPU time, fastest of five each, in
    a process of its own (in this one, after the table's rows, the same files and code were
    read at 11.4 MB/s, against 20.6-21.4 MB/s in a fresh process)."""
    import subprocess

    files = sorted(pabulib_dir().glob("*.pb"))
    city_file = ROOT / "var" / "city.pb"
    if city_file.exists():
        files.append(city_file)
    size = sum(path.stat().st_size for path in files)
    completed = subprocess.run(
        [sys.executable, "-c", READING_SCRIPT, str(ROOT), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        env=_child_environment(),
    )
    seconds = float(json.loads(completed.stdout))
    return (
        f"Reading: {size / 1e6:.2f} MB in {len(files)} files in {seconds * 1000:.0f} ms of CPU, "
        f"{size / seconds / 1e6:.1f} MB/s (`read_pabulib`, fastest of five per file)."
    )


def command_table(rows: list[CommandRow], started: str) -> str:
    """The README section of the whole-command benchmark."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cores = os.cpu_count()
    lines = [
        COMMAND_START,
        f"Measured {started} on {cores} cores, which other work may share (load average at "
        f"the end {load}), Python {sys.version.split()[0]}. CPU seconds, not wall time: the "
        "machine is shared, and a process's CPU time is what other work disturbs least. Ours is "
        "the whole `waardenzeef recount FILE --rule R --sat S --json` as a user runs it "
        "(interpreter start, imports with their compiled bytecode kept as an installed package "
        "has it, reading, rule, explanations, printing), fastest of three "
        "(one when over 5 s); pabutools' is its reading (`parse_pabulib`) plus the rule in a "
        "process of its own, its import not counted, one call. Target: 10× where pabutools "
        "needs over a second, 0.3 s otherwise.",
        "",
        "| instance | rule | ours (command) | pabutools (read + rule) | ratio | target | met "
        "| outcome |",
        "|---|---|---:|---:|---:|---|---|---|",
        *(row.markdown() for row in rows),
        "",
        reading_speed(),
        COMMAND_END,
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, run the benchmark and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", nargs="+", metavar="NAME", help="only these instances")
    parser.add_argument(
        "--rules", nargs="+", choices=sorted(OURS), metavar="RULE", help="only these rules"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per pabutools call")
    parser.add_argument(
        "--budget", type=float, default=2.0, help="seconds of the slower side per row"
    )
    parser.add_argument(
        "--min-repeat",
        type=int,
        default=3,
        help="fewest calls per side and row (one call of several seconds is too noisy a sample)",
    )
    parser.add_argument("--max-repeat", type=int, default=1000, help="most repeats per row")
    parser.add_argument(
        "--block",
        type=float,
        default=0.1,
        help="seconds of the slower side per block of repeats (the sides take turns by block)",
    )
    parser.add_argument(
        "--stored", action="store_true", help="pabutools' stored runtime_s instead of rerunning"
    )
    parser.add_argument("--no-write", action="store_true", help="print only, leave the README")
    parser.add_argument(
        "--command",
        action="store_true",
        help="time the whole recount command against pabutools' reading plus rule instead",
    )
    parser.add_argument(
        "--city-timeout", type=float, default=60, help="seconds for pabutools on the city"
    )
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M")
    if args.command:
        section = command_table(command_benchmark(args), started)
        if not args.no_write and not args.instances and not args.rules:
            write_readme(section, COMMAND_START, COMMAND_END)
        print(section)
        return
    rows = benchmark(args)
    section = table(rows, args, started)
    if not args.no_write and not args.instances and not args.rules:
        write_readme(section)
    print(section.splitlines()[-2])


if __name__ == "__main__":
    main()
