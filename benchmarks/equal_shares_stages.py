"""Where the time of one equal-shares call goes on the small instances, against pabutools.

On the four small Pabulib instances our equal shares (without completion) is short of 10 times
faster than pabutools (the table in benchmarks/README.md says by how much). This splits one
call of ours, as `benchmarks/allocation.py` times it, into its stages, each timed on its own from
the same parsed file:

- election: building the election from the parsed file (`election_from_pabulib`: every vote
  checked and counted);
- by project: the ballots turned around by project, as the rounds read them (`_Model.of`);
- rounds: the rounds themselves (`_run`);
- explained: every project's explanation and what each voter paid (`_allocation`);

and sets them beside a tenth of pabutools' time (the most a call may take to be 10 times
faster). When the stages other than the rounds already take longer than that, no change to the
rounds alone can reach the target. Each stage is the fastest of `--repeat` batches of calls,
the stages (and pabutools) taking turns batch by batch, with the garbage collector on.

    .venv/bin/python benchmarks/equal_shares_stages.py            # writes its README section
    .venv/bin/python benchmarks/equal_shares_stages.py --no-write
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time
import timeit
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.allocation import equal_shares  # noqa: E402
from app.domain.allocation.mes import _allocation, _Model, _run  # noqa: E402
from app.domain.allocation.model import EqualSharesRun  # noqa: E402
from app.domain.pabulib import read_pabulib  # noqa: E402
from app.domain.recount import election_from_pabulib  # noqa: E402
from benchmarks.allocation import (  # noqa: E402
    SATISFACTIONS,
    Pabutools,
    pabulib_dir,
    split_key,
    write_readme,
)

START, END = "<!-- stages:start -->", "<!-- stages:end -->"
SMALL = (
    "Netherlands_Assen_2024",
    "Worldwide_Mechanical_Turk_Knapsack_7",
    "Worldwide_Mechanical_Turk_Utilities_7",
    "Switzerland_Zurich_D10",
)


def fastest(calls: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Each call's fastest time, over `repeat` batches of calls (collector on); the batches of
    the calls take turns, so that a slow spell of the machine does not fall on one call only."""
    timers = {}
    for stage, call in calls.items():
        timer = timeit.Timer(call, setup="gc.enable()", globals={"gc": gc})
        timers[stage] = (timer, timer.autorange()[0])
    best = dict.fromkeys(calls, math.inf)
    for _ in range(repeat):
        for stage, (timer, number) in timers.items():
            best[stage] = min(best[stage], timer.timeit(number) / number)
    return best


def stages(name: str, sat_name: str, repeat: int) -> dict[str, float]:
    """Each stage's time, the whole call's and pabutools', for one instance and satisfaction."""
    path = pabulib_dir() / f"{name}.pb"
    instance = read_pabulib(path)
    satisfaction = SATISFACTIONS[sat_name]
    election = election_from_pabulib(instance, satisfaction)
    model = _Model.of(election.index)
    share = Fraction(election.budget) / model.voters
    run = _run(model, share)
    details = EqualSharesRun(model.voters, share, share)
    theirs = Pabutools(path).call("mes", sat_name)
    calls: dict[str, Callable[[], Any]] = {
        "election": lambda: election_from_pabulib(instance, satisfaction),
        # On a fresh election each time: the columns are made on first use, then kept.
        "by project": lambda: _Model.of(election_from_pabulib(instance, satisfaction).index),
        "rounds": lambda: _run(model, share),
        "explained": lambda: _allocation(election, model, run, "equal_shares", details),
        "whole": lambda: equal_shares(election_from_pabulib(instance, satisfaction)).outcomes,
        "pabutools": theirs,
    }
    times = fastest(calls, repeat)
    # "by project" was timed with the election built first: keep only its own part.
    times["by project"] -= times["election"]
    return times


def ms(seconds: float) -> str:
    """Milliseconds, three decimals."""
    return f"{seconds * 1000:.3f}"


def section(rows: list[tuple[str, str, dict[str, float]]], started: str) -> str:
    """The README section: one line per instance and satisfaction."""
    lines = [
        START,
        f"Measured {started}, Python {sys.version.split()[0]}, pabutools 1.2.3 "
        "(`benchmarks/equal_shares_stages.py`). Times in ms; 'target' is pabutools' time "
        "divided by 10; 'without rounds' is election + by project + explained.",
        "",
        "| instance | satisfaction | pabutools | target | election | by project | rounds "
        "| explained | whole call | without rounds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    over = 0
    for name, sat_name, t in rows:
        target = t["pabutools"] / 10
        without = t["election"] + t["by project"] + t["explained"]
        over += without > target
        mark = " (over)" if without > target else ""
        lines.append(
            f"| {name} | {sat_name} | {ms(t['pabutools'])} | {ms(target)} | "
            f"{ms(t['election'])} | {ms(t['by project'])} | {ms(t['rounds'])} | "
            f"{ms(t['explained'])} | {ms(t['whole'])} | {ms(without)}{mark} |"
        )
    lines += [
        "",
        f"On {over} of {len(rows)} lines the stages other than the rounds alone take longer "
        "than the target.",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    """Time the stages on the small instances and write the README section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", nargs="+", metavar="NAME", default=list(SMALL))
    parser.add_argument("--repeat", type=int, default=7, help="batches per stage")
    parser.add_argument("--no-write", action="store_true", help="print only, leave the README")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M")
    expected = json.loads((pabulib_dir() / "expected.json").read_text(encoding="utf-8"))
    rows = []
    for name in args.instances:
        for key in expected["instances"][name]["rules"]:
            rule, sat_name = split_key(key)
            if rule == "mes":
                rows.append((name, sat_name, stages(name, sat_name, args.repeat)))
                print(rows[-1], flush=True)
    text = section(rows, started)
    print(text)
    if not args.no_write and args.instances == list(SMALL):
        write_readme(text, START, END)


if __name__ == "__main__":
    main()
