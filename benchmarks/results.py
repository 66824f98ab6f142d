"""Results the moment a round closes (issue 15, item 6): outcome, plan page, PDF, adopted plan.

    .venv/bin/python -m benchmarks.results                       # SQLite, 500 ballots x 30 measures
    .venv/bin/python -m benchmarks.results --db postgresql       # wz_bench_results, recreated
    .venv/bin/python -m benchmarks.results --profile plan-page   # cProfile of one of the rows
    .venv/bin/python -m benchmarks.results --only "(phone)"      # only the rows named so

Builds a fresh database (migrated; the Korrewegwijk menu with 8 measures more, 30 in all; one
meeting whose Wegen, Zeven and Kiezen rounds are closed with N random but valid phone ballots
each, 500 by default) and times each result twice over:

- server: the request handled inside this process by the app (`TestClient`: routing,
  middleware, services, templates, PDF; no network, no uvicorn), and the service call alone;
- end to end: the same request over HTTP to the app served by uvicorn on 127.0.0.1:8510 (one
  process, as `waardenzeef serve`), logged in as a wijkteam member.

`first` is the first call with nothing kept from before (in this process what the earlier rows
kept is dropped first; the uvicorn server starts fresh and serves the rows in order), as right
after a round closes; `median` the median of the next `--repeat` (5): for the `(phone)` rows,
the outcome pages that some 300 phones open within seconds of a close, the cost of every page
after the first. Targets: the outcome of
a round <= 100 ms, the plan page <= 300 ms, the plan PDF <= 2 s (server time, first request).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from benchmarks.meeting import serve as serve_uvicorn

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "wz_bench_results"
PASSWORD = secrets.token_hex(12)
EMAIL = "results@example.org"
TARGETS_MS = {"outcome": 100, "plan page": 300, "plan PDF": 2000}
# Where the PDFs rendered in this process are kept (a folder of the run, emptied before each
# row; the served app keeps its own under its var/cache/plan-pdf).
PDF_CACHE: Path | None = None
# --only: the rows measured (every row when empty).
ONLY: list[str] = []


def wanted(what: str) -> bool:
    """Whether this row is measured (`--only`)."""
    return not ONLY or any(text in what for text in ONLY)


def database_url(kind: str, folder: Path) -> str:
    """A fresh, empty database of this kind."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'results.sqlite3'}"
    from app.settings import normalise_database_url

    admin_url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def drop_database(kind: str) -> None:
    """Remove the PostgreSQL database again (a SQLite file goes with its folder)."""
    if kind != "postgresql":
        return
    from app.settings import normalise_database_url

    admin_url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def menu_file(folder: Path, measures: int) -> Path:
    """The Korrewegwijk seed with copies of its measures added until it has this many."""
    document = yaml.safe_load((REPO / "seeds" / "korrewegwijk.yaml").read_text())
    document.pop("stated_totals", None)  # the added rows would not add up to the printed totals
    originals = list(document["measures"])
    copy = 0
    while len(document["measures"]) < measures:
        source = dict(originals[copy % len(originals)])
        copy += 1
        source["key"] = f"{source['key']}-{copy}"
        source["title"] = f"{source['title']} ({copy})"
        document["measures"].append(source)
    del document["measures"][measures:]
    path = folder / "menu.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


@dataclass
class Built:
    """What the benchmark made: the process, its rounds and the wijkteam account."""

    process_id: int
    round_ids: dict[str, int]
    measures: int
    ballots: int
    lines: int
    meeting_id: int = 0


def build(url: str, folder: Path, *, voters: int, measures: int, seed: int = 15) -> Built:
    """Migrate, load the menu, and cast `voters` ballots in each of the three closed rounds."""

    from app import schema
    from app.db import build_engine
    from app.domain.vocabulary import BallotChannel, Role, RoundState
    from app.domain.vocabulary import StakeholderGroup as G
    from app.models import (
        Ballot,
        BallotLine,
        Effect,
        Measure,
        MeasureEffect,
        Participant,
        Process,
        utcnow,
    )
    from app.services import meetings as meetings_service
    from app.services import menus as menus_service
    from app.services import users as users_service

    schema.upgrade(url=url)
    engine = build_engine(url)
    rng = random.Random(seed)
    groups = [G.BEWONER] * 6 + [G.STUDENT] * 3 + [G.ONDERNEMER, G.WERKER, None]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        document = menus_service.read_menu_file(menu_file(folder, measures))
        process_id = menus_service.load_menu(session, document=document).process_id
        user, _ = users_service.create_user(
            session, email=EMAIL, role=Role.WIJKTEAM, password=PASSWORD
        )
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process_id, title="Wijkavond, uitslag"
        )
        rounds = {
            str(r.kind): r for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)
        }
        start = utcnow() - timedelta(hours=2)
        for i, kind in enumerate(("wegen", "zeven", "kiezen")):
            rounds[kind].state = RoundState.CLOSED
            rounds[kind].opened_at = start + timedelta(minutes=30 * i)
            rounds[kind].closed_at = start + timedelta(minutes=30 * i + 20)
        effects = session.exec(
            select(Effect)
            .where(Effect.process_id == process_id, col(Effect.parent_id).is_(None))
            .order_by(col(Effect.position))
        ).all()
        menu = session.exec(
            select(Measure).where(Measure.process_id == process_id).order_by(col(Measure.position))
        ).all()
        links: dict[int, list[int]] = {}
        for link in session.exec(select(MeasureEffect)):
            links.setdefault(link.measure_id, []).append(link.effect_id)
        people = [
            Participant(process_id=process_id, stakeholder_group=groups[i % len(groups)])
            for i in range(voters)
        ]
        session.add_all(people)
        session.flush()
        ballots = [
            Ballot(round_id=rounds[kind].id or 0, participant_id=p.id or 0,
                   channel=BallotChannel.PHONE)
            for kind in ("wegen", "zeven", "kiezen")
            for p in people
        ]  # fmt: skip
        session.add_all(ballots)
        session.flush()
        lines: list[dict[str, Any]] = []
        process = session.get(Process, process_id)
        assert process is not None
        for index in range(voters):
            wegen, zeven, kiezen = (ballots[k * voters + index].id for k in range(3))
            cuts = sorted(rng.sample(range(1, 100), len(effects) - 1))
            points = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
            lines.extend(
                {"ballot_id": wegen, "measure_id": None, "effect_id": e.id, "value": p}
                for e, p in zip(effects, points, strict=True)
            )
            for m in menu:
                if rng.random() < 0.15:  # skipped
                    continue
                lines.extend(
                    {"ballot_id": zeven, "measure_id": m.id, "effect_id": e,
                     "value": rng.randint(0, 3)}
                    for e in links.get(m.id or 0, [])
                )  # fmt: skip
            left = process.budget_eur
            for m in rng.sample(list(menu), len(menu)):
                cost = 0 if m.is_regular else (m.cost_years_4 or 0)
                if cost <= left and rng.random() < 0.5:
                    lines.append(
                        {"ballot_id": kiezen, "measure_id": m.id, "effect_id": None, "value": 1}
                    )
                    left -= cost
        session.execute(insert(BallotLine), lines)
        built = Built(
            process_id,
            {kind: r.id or 0 for kind, r in rounds.items()},
            len(menu),
            len(ballots),
            len(lines),
            meeting.id or 0,
        )
    engine.dispose()
    return built


def serve(url: str, port: int, log: Path, app_dir: Path) -> subprocess.Popen[bytes]:
    """The app under uvicorn on 127.0.0.1:port, as `waardenzeef serve` runs it, with the secret of
    the app in this process (benchmarks.meeting.serve)."""
    secret = server_env(url, port)["SECRET_KEY"]
    return serve_uvicorn(url, port, app_dir, log, secret=secret)


def server_env(url: str, port: int) -> dict[str, str]:
    """The settings of the served app (and of the app in this process)."""
    return {
        "DATABASE_URL": url,
        "ENVIRONMENT": "lan",
        "SECRET_KEY": os.environ.get("WZ_BENCH_SECRET", "") or "results-" + "x" * 40,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


@dataclass
class Timing:
    """One row of the table."""

    what: str
    where: str
    first_ms: float
    median_ms: float
    first_cpu_ms: float
    median_cpu_ms: float
    size: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "where": self.where,
            "first_ms": round(self.first_ms, 1),
            "median_ms": round(self.median_ms, 1),
            "first_cpu_ms": round(self.first_cpu_ms, 1),
            "median_cpu_ms": round(self.median_cpu_ms, 1),
            "bytes": self.size,
        }


def own_cpu() -> float:
    """CPU seconds of this process so far (every thread: the app's threadpool too), with the PDF
    renderer's (a process of its own)."""
    from app.exports import plan_pdf

    renderer = plan_pdf._RENDERER
    pids = [p.pid for p in renderer._processes.values()] if renderer is not None else []
    return time.process_time() + sum(_stat_cpu(pid) for pid in pids if pid is not None)


def process_cpu(pid: int) -> Callable[[], float]:
    """CPU seconds of another process so far (the uvicorn server) with its child processes' (the
    PDF renderer), from /proc."""
    return lambda: _stat_cpu(pid) + _children_cpu(pid)


def _stat_cpu(pid: int, *, waited: bool = False) -> float:
    # utime, stime (and cutime, cstime: children already waited for) in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if waited else 0)
    return used / os.sysconf("SC_CLK_TCK")


def _children_cpu(pid: int) -> float:
    used = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                used += _stat_cpu(int(stat.parent.name), waited=True)
        except (OSError, ValueError):
            continue  # gone meanwhile
    return used


def forget_kept() -> None:
    """Drop what this process keeps between requests (plans, assessments, reasons, the sieve of
    the ballots, rendered PDFs), so that a row's first call here works everything out, as right
    after a round closes."""
    import shutil

    from app.domain import waardenzeef
    from app.exports import plan_pdf
    from app.services import outcomes, plans

    waardenzeef.forget()
    plans.forget()
    outcomes.forget()
    if PDF_CACHE is not None:
        shutil.rmtree(PDF_CACHE, ignore_errors=True)
        plan_pdf.CACHE = PDF_CACHE


def timed(
    what: str, where: str, call: Callable[[], Any], repeat: int, cpu: Callable[[], float] = own_cpu
) -> Timing:
    """The first call and the median of `repeat` more, in wall time and in the CPU time of the
    process that does the work (the machine is shared: CPU time is what the work costs, wall
    time what it costs on a busy machine); a response must be a 200."""
    durations: list[float] = []
    cpu_used: list[float] = []
    size = 0
    if cpu is own_cpu:  # worked out in this process: nothing kept from the rows before
        forget_kept()
    for _ in range(repeat + 1):
        if cpu is not own_cpu:
            settle(cpu)  # what the server does after an answer (plans.prepare) is its own
        start, start_cpu = time.perf_counter(), cpu()
        result = call()
        durations.append(time.perf_counter() - start)
        cpu_used.append(cpu() - start_cpu)
        if isinstance(result, httpx.Response):
            if result.status_code != 200:
                raise RuntimeError(f"{what}: {result.status_code} {result.text[:300]}")
            size = len(result.content)
    return Timing(
        what,
        where,
        durations[0] * 1000,
        statistics.median(durations[1:]) * 1000,
        cpu_used[0] * 1000,
        statistics.median(cpu_used[1:]) * 1000,
        size,
    )


def requests(built: Built) -> dict[str, str]:
    """The pages that show each result (console outcome pages, plan page, PDF, adopted plan)."""
    base = f"/wijkteam/processes/{built.process_id}/plan"
    return {
        "outcome wegen (console)": f"/console/rounds/{built.round_ids['wegen']}",
        "outcome zeven (console)": f"/console/rounds/{built.round_ids['zeven']}",
        "outcome kiezen (console)": f"/console/rounds/{built.round_ids['kiezen']}",
        # What the phones open right after a close (without a receipt: no participant).
        **{
            f"outcome {kind} (phone)": f"/m/{built.meeting_id}/rounds/{round_id}/outcome"
            for kind, round_id in built.round_ids.items()
        },
        "plan page": base,
        "plan page, equal shares": f"{base}?rule=equal_shares",
        "plan PDF": f"{base}.pdf",
        "adopted plan page": "{adopted}",
        "adopted plan PDF": "{adopted}.pdf",
    }


def log_in(client: httpx.Client | Any) -> None:
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"login: {response.status_code}")


def adopt(client: httpx.Client | Any, process_id: int) -> str:
    """Adopt the plan as it stands (greedy); the adopted page's path."""
    response = client.post(f"/wijkteam/processes/{process_id}/plan/adopt", data={})
    if response.status_code != 303:
        raise RuntimeError(f"adopt: {response.status_code} {response.text[:300]}")
    return str(response.headers["location"])


def time_services(url: str, built: Built, repeat: int) -> list[Timing]:
    """The service calls alone, in this process: what each page spends on arithmetic."""
    from app.db import build_engine
    from app.exports import plan_files
    from app.models import Round
    from app.services import outcomes, plans

    engine = build_engine(url)
    rows = []
    for kind in ("wegen", "zeven", "kiezen"):
        if not wanted(f"outcome {kind}"):
            continue

        def one(k: str = kind) -> Any:
            with Session(engine) as session:
                round_ = session.get(Round, built.round_ids[k])
                assert round_ is not None
                found = outcomes.outcome(session, round_=round_)
                if k == "kiezen":
                    outcomes.beside_plan(session, outcome=found)
                return found

        rows.append(timed(f"outcome {kind}", "service", one, repeat))
    if not any(wanted(w) for w in ("plan (compute)", "plan page's plan", "plan PDF (render)")):
        engine.dispose()
        return rows

    def plan() -> Any:
        with Session(engine) as session:
            return plans.compute(session, process_id=built.process_id)

    rows.append(timed("plan (compute)", "service", plan, repeat))

    def prepared() -> Any:
        with Session(engine) as session:
            source = plans.load_source(session, process_id=built.process_id)
            plans.prepare(source)
            return plans.content_of(session, process_id=built.process_id)

    rows.append(timed("plan page's plan, prepared after Kiezen", "service", prepared, repeat))
    content, ballots = plan()
    rows.append(
        timed("plan PDF (render)", "service", lambda: plan_files.render(content, ballots, "pdf"),
              min(repeat, 2))
    )  # fmt: skip
    engine.dispose()
    return rows


def time_client(
    client: Any, built: Built, where: str, repeat: int, cpu: Callable[[], float] = own_cpu
) -> list[Timing]:
    """Each result page as a logged-in wijkteam member sees it (first call, then the median)."""
    log_in(client)
    rows = []
    adopted = ""
    for what, path in requests(built).items():
        if not wanted(what):
            continue
        if what.startswith("adopted") and not adopted:
            adopted = adopt(client, built.process_id)
        path = path.format(adopted=adopted)
        rows.append(
            timed(
                what,
                where,
                partial(client.get, path),
                repeat if "PDF" not in what else 2,
                cpu,
            )
        )
    return rows


def settle(cpu: Callable[[], float], quiet: float = 0.3, longest: float = 60.0) -> None:
    """Wait until the server has used no CPU for `quiet` seconds (at most `longest`)."""
    end = time.monotonic() + longest
    used = cpu()
    while time.monotonic() < end:
        time.sleep(quiet)
        now = cpu()
        if now - used < 0.01:
            return
        used = now


def without_prepare() -> Any:
    """In this process the test client waits for a response's background tasks, so the Kiezen
    round page would count the plan it prepares for later (`plans.prepare`) as its own time:
    timed apart in the service rows instead, and left out here."""
    from app.services import plans

    kept = plans.prepare
    plans.prepare = lambda source: None
    return kept


def profile(url: str, built: Built, what: str) -> str:
    """cProfile of one page's handler called directly in this thread (cProfile sees one thread;
    the middleware is left out): the 30 largest cumulative times."""
    from fastapi import BackgroundTasks
    from starlette.requests import Request

    from app.db import build_engine
    from app.domain.waardenzeef import RankBy, Rule
    from app.main import create_app
    from app.models import User
    from app.routes import console, plan, vote
    from app.services import plans

    app = create_app()
    engine = build_engine(url)
    pid = built.process_id
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == EMAIL)).one()
        request = Request(
            {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b"",
             "app": app, "state": {}}
        )  # fmt: skip
        calls: dict[str, Callable[[], Any]] = {
            # Background work (plans.prepare after Kiezen) is left out: it is not this request's.
            f"outcome {k} (console)": partial(
                console.round_console, request, built.round_ids[k], user, session, BackgroundTasks()
            )
            for k in ("wegen", "zeven", "kiezen")
        }
        for k in ("wegen", "zeven", "kiezen"):
            calls[f"outcome {k} (phone)"] = partial(
                vote.round_outcome, request, built.meeting_id, built.round_ids[k], session, None
            )
        calls["plan page"] = lambda: plan.plan_page(
            request, pid, session, user, BackgroundTasks(), Rule.GREEDY, RankBy.CONTRIBUTION
        )
        calls["plan page, equal shares"] = lambda: plan.plan_page(
            request, pid, session, user, BackgroundTasks(), Rule.EQUAL_SHARES, RankBy.CONTRIBUTION
        )
        calls["plan PDF"] = lambda: plan.plan_download(
            pid, "pdf", session, user, Rule.GREEDY, RankBy.CONTRIBUTION
        )
        if what.startswith("adopted"):
            snapshot = plans.adopt(
                session, process_id=pid, rule=Rule.GREEDY, ranked_by=RankBy.CONTRIBUTION, user=user
            )
            session.flush()
            sid = snapshot.id or 0
            calls["adopted plan page"] = lambda: plan.adopted_page(
                request, pid, sid, session, user, BackgroundTasks()
            )
            calls["adopted plan PDF"] = lambda: plan.adopted_download(
                pid, sid, "pdf", session, user
            )
        if what.endswith("(phone)"):
            calls[what]()  # the first phone's page works the outcome out; the others' are these
        profiler = cProfile.Profile()
        profiler.enable()
        response = calls[what]()
        profiler.disable()
        assert response.status_code == 200, response.status_code
        session.rollback()
    engine.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


def table(title: str, rows: list[Timing]) -> str:
    lines = [
        f"**{title}**",
        "",
        "| result | measured | first ms | median ms | first CPU ms | median CPU ms | bytes "
        "| target (first request) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        target = next((t for k, t in TARGETS_MS.items() if r.what.startswith(k)), None)
        verdict = ""
        if target is not None and r.where != "service":
            verdict = f"≤ {target}: {'met' if r.first_ms <= target else 'NOT met'}"
            if r.first_ms > target >= r.first_cpu_ms:
                verdict += " (met in CPU time)"
        lines.append(
            f"| {r.what} | {r.where} | {r.first_ms:.0f} | {r.median_ms:.0f} "
            f"| {r.first_cpu_ms:.0f} | {r.median_cpu_ms:.0f} | {r.size or ''} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--measures", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=8510)
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout to serve")
    parser.add_argument(
        "--profile",
        choices=list(requests(Built(0, dict.fromkeys(("wegen", "zeven", "kiezen"), 0), 0, 0, 0))),
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--only", action="append", default=[], help="only the rows whose name has this text"
    )
    options = parser.parse_args(argv)
    ONLY[:] = options.only
    with tempfile.TemporaryDirectory(prefix="wz-results-") as name:
        folder = Path(name)
        global PDF_CACHE
        PDF_CACHE = folder / "plan-pdf"
        url = database_url(options.db, folder)
        try:
            os.environ.update(server_env(url, options.port))
            from app.settings import get_settings

            get_settings.cache_clear()
            started = time.perf_counter()
            built = build(url, folder, voters=options.voters, measures=options.measures)
            print(
                f"built in {time.perf_counter() - started:.1f} s: {built.measures} measures, "
                f"{built.ballots} ballots, {built.lines} ballot lines",
                file=sys.stderr,
            )
            if options.profile:
                print(profile(url, built, options.profile))
                return 0
            rows = time_services(url, built, options.repeat)
            from fastapi.testclient import TestClient

            from app.main import create_app
            from app.services import plans

            kept = without_prepare()
            with TestClient(create_app(), base_url=f"http://127.0.0.1:{options.port}") as client:
                client.follow_redirects = False
                rows += time_client(client, built, "server", options.repeat)
            plans.prepare = kept
            # A fresh database state for the served app: its own adoption, its caches empty.
            log = folder / "server.log"
            server = serve(url, options.port, log, options.app_dir)
            try:
                with httpx.Client(
                    base_url=f"http://127.0.0.1:{options.port}", timeout=120
                ) as client:
                    rows += time_client(
                        client, built, "end to end", options.repeat, process_cpu(server.pid)
                    )
            finally:
                server.terminate()
                server.wait(timeout=20)
        finally:
            drop_database(options.db)
    title = (
        f"{options.db}: {options.voters} ballots per round × {built.measures} measures "
        f"({built.lines} ballot lines)"
    )
    rows = [r for r in rows if wanted(r.what)]
    print(table(title, rows))
    if options.json:
        options.json.write_text(json.dumps({"title": title, "rows": [r.row() for r in rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
