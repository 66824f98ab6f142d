"""How long `make test` takes on a clean clone, commits side by side (issue 20).

    .venv/bin/python -m benchmarks.suite 35a7911 main               # one run each, README table
    .venv/bin/python -m benchmarks.suite 35a7911 main --rounds 2    # old, new, then new, old
    .venv/bin/python -m benchmarks.suite main --workers 3 --no-write

Each run is what CI does: a fresh `git clone` of this repository at the commit, made beside this
checkout (so that `../shared` is the same folder), then `bash .ci/run` in it: the venv made, the
packages installed, `npm ci`, lint, types and the whole suite, with `CI=true`. Per run: the wall
time; the CPU time of every process the run started and waited for (user and system, the
kernel's accounting of children: pytest, its workers, Chromium, mypy, the installs); the tests'
own time and counts as pytest prints them; and what the machine did meanwhile: the load average
and, from /proc/stat, the share of all CPU time that was idle and that the host took (steal), so
that a run on a busy machine is seen as one. With several rounds the order of the commits
alternates. Figures are of this machine on that day: compare commits measured in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- suite:start -->", "<!-- suite:end -->"
DEFAULT = "bash .ci/run"
WHAT = " (venv, installs, npm ci, lint, types, every test)"
SUMMARY = re.compile(r"^=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s(?: \([\d:]+\))? =+$", re.M)


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU time so far, in clock ticks, from the first line of /proc/stat."""

    busy: int
    idle: int
    steal: int

    @property
    def total(self) -> int:
        return self.busy + self.idle + self.steal

    @staticmethod
    def parse(stat: str) -> CpuTimes:
        fields = [int(f) for f in stat.splitlines()[0].split()[1:]]
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return CpuTimes(user + nice + system + irq + softirq, idle + iowait, steal)

    @staticmethod
    def now() -> CpuTimes:
        return CpuTimes.parse(Path("/proc/stat").read_text())


def shares(before: CpuTimes, after: CpuTimes) -> tuple[float, float]:
    """The shares of the CPU time in between that were idle and that the host took."""
    total = after.total - before.total
    if total <= 0:
        return 0.0, 0.0
    return (after.idle - before.idle) / total, (after.steal - before.steal) / total


@dataclass(frozen=True)
class Tests:
    """What pytest's last summary line says: the counts and its own seconds."""

    counts: dict[str, int]
    seconds: float

    @staticmethod
    def parse(output: str) -> Tests | None:
        found = list(SUMMARY.finditer(output))
        if not found:
            return None
        last = found[-1]
        counts = {
            word.rstrip("s") if word in ("errors", "warnings") else word: int(number)
            for number, word in re.findall(r"(\d+) (\w+)", last["counts"])
        }
        return Tests(counts, float(last["seconds"]))


@dataclass(frozen=True)
class Run:
    label: str
    commit: str
    returncode: int
    wall: float
    user: float
    system: float
    tests: Tests | None
    idle: float
    steal: float
    load_before: str
    load_after: str
    log: Path


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _git(*arguments: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def run_once(label: str, command: str, workers: int | None, keep: bool) -> Run:
    """Clone this repository at `label` beside it and time `command` there."""
    commit = _git("rev-parse", "--short", f"{label}^{{commit}}")
    where = REPO.parent / f".suite-{commit}"
    shutil.rmtree(where, ignore_errors=True)
    _git("clone", "--quiet", str(REPO), str(where))
    _git("checkout", "--quiet", commit, cwd=where)
    log = REPO / "var" / f"suite-{commit}-{datetime.now(UTC):%H%M%S}.log"
    log.parent.mkdir(exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    if workers is not None:
        environment["PYTEST_XDIST_AUTO_NUM_WORKERS"] = str(workers)  # `-n auto` takes it
    load_before, cpu_before = _load(), CpuTimes.now()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("w") as output:
        finished = subprocess.run(
            ["bash", "-c", command],
            cwd=where,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    idle, steal = shares(cpu_before, CpuTimes.now())
    if not keep:
        shutil.rmtree(where, ignore_errors=True)
    return Run(
        label=label,
        commit=commit,
        returncode=finished.returncode,
        wall=wall,
        user=children.ru_utime - children_before.ru_utime,
        system=children.ru_stime - children_before.ru_stime,
        tests=Tests.parse(log.read_text(errors="replace")),
        idle=idle,
        steal=steal,
        load_before=load_before,
        load_after=_load(),
        log=log,
    )


def table(runs: list[Run], command: str, workers: int | None) -> str:
    """The runs as the README's table, with the ratio of the last commit to the first."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    how = f", `-n auto` as {workers} workers" if workers is not None else ""
    lines = [
        f"Measured {stamp} with `benchmarks/suite.py`{how}, {os.cpu_count()} cores: each run a"
        f" clean clone's `{command}`{WHAT if command == DEFAULT else ''}. CPU is"
        " that of every process the run waited for; idle and steal are shares of the machine's"
        " CPU time during the run.",
        "",
        "| commit | ok | wall | tests (pytest's own time) | user CPU | system CPU | idle | steal"
        " | load before -> after |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        tests = run.tests
        said = (
            ", ".join(f"{n} {word}" for word, n in tests.counts.items() if word != "warning")
            + f" ({tests.seconds:.0f} s)"
            if tests
            else "no summary"
        )
        lines.append(
            f"| {run.commit} ({run.label}) | {'yes' if run.returncode == 0 else 'NO'} "
            f"| {run.wall:.0f} s | {said} | {run.user:.0f} s | {run.system:.0f} s "
            f"| {run.idle:.0%} | {run.steal:.0%} | {run.load_before} -> {run.load_after} |"
        )
    commits = list(dict.fromkeys(run.commit for run in runs))
    if len(commits) >= 2:
        first, last = commits[0], commits[-1]

        def mean(commit: str) -> float:
            walls = [run.wall for run in runs if run.commit == commit]
            return sum(walls) / len(walls)

        lines += [
            "",
            f"Wall time of {last} against {first}: {mean(last) / mean(first):.2f}"
            f" ({mean(last):.0f} s against {mean(first):.0f} s, mean of each commit's runs).",
        ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


def main(arguments: list[str] | None = None) -> int:
    parse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parse.add_argument("commits", nargs="+", help="commits or branches, oldest first")
    parse.add_argument("--rounds", type=int, default=1, help="runs of each commit, alternating")
    parse.add_argument("--workers", type=int, help="pytest-xdist workers instead of one per core")
    parse.add_argument("--command", default=DEFAULT, help="what to time in each clone")
    parse.add_argument("--keep", action="store_true", help="keep the clones (.suite-COMMIT)")
    parse.add_argument("--no-write", action="store_true", help="print only, leave the README")
    options = parse.parse_args(arguments)
    runs: list[Run] = []
    for round_number in range(options.rounds):
        order = options.commits if round_number % 2 == 0 else options.commits[::-1]
        for label in order:
            run = run_once(label, options.command, options.workers, options.keep)
            runs.append(run)
            print(
                f"{run.commit}: rc {run.returncode}, {run.wall:.0f} s wall, "
                f"{run.user:.0f} s user, idle {run.idle:.0%}, log {run.log}",
                flush=True,
            )
    text = table(runs, options.command, options.workers)
    print(text)
    if not options.no_write:
        write_readme(text)
    return 0 if all(run.returncode == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
