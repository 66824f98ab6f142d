"""A meeting night under load: N phones join with their card's code, vote Wegen and Kiezen.

    .venv/bin/python -m benchmarks.meeting --db sqlite        # 500 phones, paced + burst
    .venv/bin/python -m benchmarks.meeting --db postgresql --mode burst
    .venv/bin/python -m benchmarks.meeting --db postgresql --instances 2  # two servers
    .venv/bin/python -m benchmarks.meeting --db sqlite --app-dir /tmp/wt-before  # serve old code

For each mode: a fresh database (SQLite in a temporary folder; PostgreSQL `wz_bench_meeting` on
TEST_DATABASE_URL's server, recreated), migrated, with the Korrewegwijk menu, a meeting of three
rounds and N code cards; the app served by uvicorn (one worker, as `waardenzeef serve`) on
127.0.0.1:8401 (and :8402 with `--instances 2`; phones are split between them by the client).
The rounds are opened and closed directly in the database, as the facilitator would.

Phases, each timed on its own:

- `bare`: GET /join (a page that touches no database), the denominator of the ratios;
- `join`: POST /join with the card's code (the phone's cookie comes back);
- `page`: GET /m/{meeting} (the meeting page the join redirects to);
- `wegen-form` / `wegen`: GET the Wegen ballot, POST it (100 points on one effect);
- `kiezen-form` / `kiezen`: the same for Kiezen (one measure ticked);
- `poll`: GET /m/{meeting}/status, every phone every `--poll` seconds during the voting phases;
- `dup`: 50 concurrent copies of one Kiezen submission (same phone, same key): one ballot.

`paced`: the phones of a phase start spread evenly over `--spread` seconds (default 20: join,
Wegen and Kiezen within 60 s). `burst`: all phones of a phase start at the same moment (the
`--burst` first ones: 400 simultaneous joins by default; the ballots too).

Per phase: requests, errors by status, p50/p95/p99/max in ms, throughput (requests per second
of the phase's wall time); the ballots acknowledged (303) against those stored; the load
generator's own CPU time per wall second (it must stay well under one core to be believed;
it is one asyncio process with httpx and keep-alive connections) and the server's. A 503 with
`Retry-After` is sent again after that wait (up to `--retries` times, as the phone's page does);
the latency then counts from the first try, and the retries are counted apart.
Prints a Markdown table; `--json FILE` writes the figures too.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "wz_bench_meeting"
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
POINTS = re.compile(r'name="points-(\d+)"')
MEASURE = re.compile(r'name="measure" value="(\d+)"')
SIGNATURE = re.compile(r'/status\?v=([^"&]*)"')


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    ended: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    expected: frozenset[int] = frozenset({200})
    retried: int = 0

    def add(self, status: str, seconds: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(seconds)

    @property
    def errors(self) -> dict[str, int]:
        return {
            s: n for s, n in self.statuses.items() if not s.isdigit() or int(s) not in self.expected
        }

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> dict[str, Any]:
        wall = max(self.ended - self.started, 1e-9)
        return {
            "phase": self.name,
            "requests": len(self.latencies),
            "errors": self.errors,
            "p50_ms": round(self.quantile(0.50)),
            "p95_ms": round(self.quantile(0.95)),
            "p99_ms": round(self.quantile(0.99)),
            "max_ms": round(max(self.latencies, default=0) * 1000),
            "retried_503": self.retried,
            "per_s": round(len(self.latencies) / wall, 1),
            "wall_s": round(wall, 1),
            "client_cpu": round(self.client_cpu / wall, 2),
            "server_cpu": round(self.server_cpu / wall, 2),
        }


@dataclass
class Phone:
    """One simulated resident: a card code and, once joined, a cookie."""

    index: int
    code: str
    base: str
    cookie: str = ""
    signature: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


# --- setting up -------------------------------------------------------------------------------


def database_url(kind: str, folder: Path) -> str:
    """A fresh, empty database of this kind."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'meeting.sqlite3'}"
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    from app.settings import normalise_database_url

    admin = create_engine(normalise_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    url = make_url(normalise_database_url(admin_url)).set(database=BENCH_DATABASE)
    return url.render_as_string(hide_password=False)


@dataclass
class Night:
    """The meeting prepared in the database."""

    meeting_id: int
    round_ids: dict[str, int]
    codes: list[str]
    user_id: int


def prepare(url: str, voters: int) -> Night:
    """Migrate, load the Korrewegwijk menu, a wijkteam account, a meeting and the cards."""
    from app import schema
    from app.db import build_engine
    from app.domain.vocabulary import Role, StakeholderGroup
    from app.services import codes as codes_service
    from app.services import meetings as meetings_service
    from app.services import menus as menus_service
    from app.services import users as users_service

    schema.upgrade(url=url)
    engine = build_engine(url)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
        process_id = menus_service.load_menu(session, document=document).process_id
        user, _ = users_service.create_user(
            session, email="bench@example.org", role=Role.WIJKTEAM, password=secrets.token_hex(8)
        )
        meeting = meetings_service.create_meeting(
            session, user=user, process_id=process_id, title="Wijkavond onder belasting"
        )
        rounds = {
            str(r.kind): r.id or 0
            for r in meetings_service.rounds_of(session, meeting_id=meeting.id or 0)
        }
        cards = codes_service.issue_codes(
            session,
            process_id=process_id,
            count=voters + 1,
            stakeholder_group=StakeholderGroup.BEWONER,
        )
        night = Night(meeting.id or 0, rounds, [c.code for c in cards], user.id or 0)
    engine.dispose()
    return night


def set_round(url: str, night: Night, kind: str, *, close: bool = False) -> None:
    """Open (or close) a round as the facilitator would."""
    from app.db import build_engine
    from app.models import User
    from app.services import rounds as rounds_service

    engine = build_engine(url)
    deadline = time.monotonic() + 180
    while True:
        try:
            with Session(engine) as session, session.begin():
                user = session.get(User, night.user_id)
                assert user is not None
                action = rounds_service.close_round if close else rounds_service.open_round
                action(session, user=user, round_id=night.round_ids[kind])
            break
        except OperationalError:  # SQLite's write lock held longer than its busy timeout
            if time.monotonic() > deadline:
                raise
    engine.dispose()


def stored_ballots(url: str, round_id: int) -> int:
    """How many ballots the round has in the database."""
    from app.db import build_engine
    from app.models import Ballot

    engine = build_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).where(Ballot.round_id == round_id)).one()
    engine.dispose()
    return int(count)


def serve(url: str, port: int, app_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """The app under uvicorn on 127.0.0.1:port, as `waardenzeef serve` runs it."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is fine
        probe.bind(("127.0.0.1", port))  # fails when something (a server left over) listens
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "lan",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(app_dir),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=app_dir, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/join", timeout=2).is_success:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"the app did not start; see {log}")


# --- the phones -------------------------------------------------------------------------------


class Load:
    """Runs the phases against the server(s) with one keep-alive HTTP client."""

    def __init__(
        self, night: Night, bases: list[str], pids: list[int], timeout: float, retries: int
    ) -> None:
        self.night = night
        self.retries = retries
        self.pids = pids
        refuse_all = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        self.client = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
            cookies=refuse_all,  # every phone has its own cookie, sent by hand
            follow_redirects=False,
        )
        self.phones = [Phone(i, code, bases[i % len(bases)]) for i, code in enumerate(night.codes)]
        self.spare = self.phones.pop()  # the phone of the 50 copies
        self.phases: list[Phase] = []

    async def request(
        self, phase: Phase, phone: Phone, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        headers = {"Cookie": phone.cookie} if phone.cookie else {}
        start = time.perf_counter()
        for _attempt in range(self.retries + 1):
            try:
                response = await self.client.request(
                    method, phone.base + path, headers=headers, **kwargs
                )
            except httpx.HTTPError as error:
                phase.add(f"{type(error).__name__}", time.perf_counter() - start)
                return None
            if response.status_code != 503 or "retry-after" not in response.headers:
                break
            # As the phone's page does: keep what was filled in, wait, send it again.
            phase.retried += 1
            await asyncio.sleep(float(response.headers["retry-after"]))
        phase.add(str(response.status_code), time.perf_counter() - start)
        return response

    async def run_phase(
        self, name: str, work: Any, phones: list[Phone], spread: float, expected: int = 200
    ) -> Phase:
        phase = Phase(name, expected=frozenset({expected}))
        self.phases.append(phase)
        cpu, server_cpu = _cpu(), _process_cpu(self.pids)
        phase.started = time.perf_counter()

        async def one(i: int, phone: Phone) -> None:
            if spread:
                await asyncio.sleep(spread * i / max(len(phones), 1))
            await work(phase, phone)

        await asyncio.gather(*(one(i, p) for i, p in enumerate(phones)))
        phase.ended = time.perf_counter()
        phase.client_cpu = _cpu() - cpu
        phase.server_cpu = _process_cpu(self.pids) - server_cpu
        return phase

    async def bare(self, phase: Phase, phone: Phone) -> None:
        await self.request(phase, Phone(0, "", phone.base), "GET", "/join")

    async def join(self, phase: Phase, phone: Phone) -> None:
        response = await self.request(phase, phone, "POST", "/join", data={"code": phone.code})
        if response is not None:
            phone.cookie = "; ".join(f"{c.name}={c.value}" for c in response.cookies.jar if c.value)

    async def page(self, phase: Phase, phone: Phone) -> None:
        response = await self.request(phase, phone, "GET", f"/m/{self.night.meeting_id}")
        if response is not None and (found := SIGNATURE.search(response.text)):
            phone.signature = found.group(1)

    def ballot_path(self, kind: str) -> str:
        return f"/m/{self.night.meeting_id}/rounds/{self.night.round_ids[kind]}/ballot"

    async def forms(self, phase: Phase, phone: Phone, kind: str) -> dict[str, str] | None:
        response = await self.request(phase, phone, "GET", self.ballot_path(kind))
        if response is None or response.status_code != 200:
            return None
        key = KEY.search(response.text)
        if key is None:
            phase.statuses["no-form"] += 1
            return None
        values = {"idempotency_key": key.group(1)}
        if kind == "wegen":
            effects = POINTS.findall(response.text)
            values[f"points-{effects[phone.index % len(effects)]}"] = "100"
        else:
            measures = MEASURE.findall(response.text)
            values["measure"] = measures[phone.index % min(len(measures), 3)]
        return values

    async def vote(self, form_phase: Phase, ballot_phase: Phase, phone: Phone, kind: str) -> None:
        values = await self.forms(form_phase, phone, kind)
        if values is not None:
            await self.request(ballot_phase, phone, "POST", self.ballot_path(kind), data=values)

    async def poll_until(self, phase: Phase, stop: asyncio.Event, every: float) -> None:
        async def follow(phone: Phone) -> None:
            await asyncio.sleep(every * phone.index / len(self.phones))
            while not stop.is_set():
                path = f"/m/{self.night.meeting_id}/status?v={phone.signature}"
                response = await self.request(phase, phone, "GET", path)
                if response is not None and response.status_code == 200:
                    await self.page(phase, phone)  # htmx reloads the page (HX-Refresh)
                await asyncio.sleep(every)

        await asyncio.gather(*(follow(p) for p in self.phones))


async def run_mode(
    mode: str, url: str, night: Night, bases: list[str], pids: list[int], options: Any
) -> tuple[list[Phase], dict[str, int]]:
    """Every phase of one mode; returns the phases and the ballots stored per round."""
    load = Load(night, bases, pids, options.timeout, options.retries)
    spread = options.spread if mode == "paced" else 0.0
    joiners = load.phones if mode == "paced" else load.phones[: options.burst]
    late = [] if mode == "paced" else load.phones[options.burst :]
    await load.run_phase("bare", load.bare, load.phones, spread)
    await load.run_phase("join", load.join, joiners, spread, expected=303)
    if late:
        await load.run_phase("join (rest)", load.join, late, spread, expected=303)
    await load.join(Phase("spare", expected=frozenset({303})), load.spare)
    await load.run_phase("page", load.page, load.phones, spread)
    stored: dict[str, int] = {}
    for kind in ("wegen", "kiezen"):
        await asyncio.to_thread(set_round, url, night, kind)
        polls = Phase(f"poll ({kind})", expected=frozenset({200, 204, 304}))
        load.phases.append(polls)
        stop = asyncio.Event()
        polling = asyncio.create_task(load.poll_until(polls, stop, options.poll))
        polls.started = time.perf_counter()
        form_phase = Phase(f"{kind}-form")
        load.phases.append(form_phase)
        cpu, server_cpu = _cpu(), _process_cpu(pids)
        ballots = await load.run_phase(
            kind,
            lambda phase, phone, k=kind, f=form_phase: load.vote(f, phase, phone, k),
            load.phones,
            spread,
            expected=303,
        )
        form_phase.started, form_phase.ended = ballots.started, ballots.ended
        if kind == "kiezen":
            values = await load.forms(Phase("spare"), load.spare, kind)
            if values is not None:
                path = load.ballot_path(kind)
                await load.run_phase(
                    "dup (50 copies)",
                    lambda phase, phone, v=values, p=path: load.request(
                        phase, phone, "POST", p, data=v
                    ),
                    [load.spare] * options.copies,
                    0.0,
                    expected=303,
                )
        stop.set()
        await polling
        polls.ended = time.perf_counter()
        polls.client_cpu, polls.server_cpu = _cpu() - cpu, _process_cpu(pids) - server_cpu
        acknowledged = ballots.statuses.get("303", 0)
        stored[kind] = await asyncio.to_thread(stored_ballots, url, night.round_ids[kind])
        stored[f"{kind} acknowledged"] = acknowledged + (1 if kind == "kiezen" else 0)
        await asyncio.to_thread(set_round, url, night, kind, close=True)
    await load.client.aclose()
    return load.phases, stored


def table(title: str, phases: list[Phase], stored: dict[str, int]) -> str:
    """The figures of one mode as a Markdown table."""
    bare = next((p.row()["per_s"] for p in phases if p.name == "bare"), 0) or 1
    lines = [
        f"**{title}**",
        "",
        "| phase | requests | errors | 503 retried | p50 ms | p95 ms | p99 ms | max ms | req/s "
        "| × bare | wall s | client CPU | server CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        r = phase.row()
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "0"
        lines.append(
            f"| {r['phase']} | {r['requests']} | {errors} | {r['retried_503']} "
            f"| {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['p99_ms']} | {r['max_ms']} | {r['per_s']} | {r['per_s'] / bare:.2f} "
            f"| {r['wall_s']} | {r['client_cpu']} | {r['server_cpu']} |"
        )
    lines.append("")
    lines.append(
        "Ballots stored / acknowledged: "
        + ", ".join(
            f"{k} {stored.get(k, 0)} / {stored.get(k + ' acknowledged', 0)}"
            for k in ("wegen", "kiezen")
        )
        + " (Kiezen includes the one ballot of the 50 copies)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the modes, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mode", choices=["paced", "burst", "both"], default="both")
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--burst", type=int, default=400, help="simultaneous joins in burst mode")
    parser.add_argument("--copies", type=int, default=50, help="copies of one submission")
    parser.add_argument("--spread", type=float, default=20.0, help="seconds per paced phase")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between status polls")
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--instances", type=int, choices=[1, 2], default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--retries", type=int, default=5, help="times a 503 with Retry-After is sent again"
    )
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout to serve")
    parser.add_argument("--label", default="", help="a name for the served code in the titles")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)
    modes = ["paced", "burst"] if options.mode == "both" else [options.mode]
    results: list[dict[str, Any]] = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="wz-meeting-") as folder:
            url = database_url(options.db, Path(folder))
            night = prepare(url, options.voters)
            log = Path(folder) / "server.log"
            servers = [
                serve(url, options.port + i, options.app_dir, log) for i in range(options.instances)
            ]
            try:
                bases = [f"http://127.0.0.1:{options.port + i}" for i in range(options.instances)]
                phases, stored = asyncio.run(
                    run_mode(mode, url, night, bases, [s.pid for s in servers], options)
                )
            finally:
                for server in servers:
                    server.terminate()
                    try:
                        server.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
            errors = [line for line in log.read_text().splitlines() if "Error" in line][:5]
        title = (
            f"{options.db}, {mode}, {options.voters} phones, {options.instances} instance(s)"
            + (f", {options.label}" if options.label else "")
        )
        print(table(title, phases, stored))
        if errors:
            print("\nServer log (first errors):\n    " + "\n    ".join(errors))
        print()
        results.append({"title": title, "phases": [p.row() for p in phases], "stored": stored})
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
