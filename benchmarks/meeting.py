"""A meeting night under load: N phones join (QR code or typed code), follow the meeting and vote
in Wegen, Zeven and Kiezen, while the console and the projector follow it too.

    .venv/bin/python -m benchmarks.meeting --db sqlite --voters 50          # a small run
    .venv/bin/python -m benchmarks.meeting --db sqlite                      # 500 phones, both modes
    .venv/bin/python -m benchmarks.meeting --db postgresql --mode burst
    .venv/bin/python -m benchmarks.meeting --db postgresql --instances 2 --proxy caddy
    .venv/bin/python -m benchmarks.meeting --db sqlite --app-dir ../old-checkout --label before

For each mode a fresh database (SQLite in a temporary folder; PostgreSQL `wz_bench_meeting` on
TEST_DATABASE_URL's server, recreated and dropped afterwards), migrated, with the Korrewegwijk
menu, a meeting of three rounds, N + 1 code cards and a wijkteam account; the app served by
uvicorn (one process, as `waardenzeef serve`) on 127.0.0.1:8401 (and :8402 ... with
`--instances`, sharing the database and SECRET_KEY). With several instances the phones are split
between them by the client (`--proxy none`) or all go through Debian's caddy on :8400 as a
round-robin reverse proxy (`--proxy caddy`).

What happens, as in the room:

- `bare`: wrk (Debian's, compiled; a Lua script counts the statuses) saturates GET /join (a page
  that touches no database) for `--wrk-seconds` with `--wrk-connections`: the denominator of the
  ratios, on the same server in the same run;
- the facilitator logs in; the console (/console/meetings/M) and the projector (.../screen)
  are opened and poll as their pages do: the meeting's status every 2 s, the open round's
  turnout every second; a changed status reloads them;
- the phones join, half with the card's QR code (GET /j/TOKEN) and half by typing the code
  (POST /join), over `--spread` seconds (paced) or `--burst-window` seconds (burst), then load
  the meeting page;
- for Wegen, Zeven and Kiezen in turn the console opens the round (POST); every phone notices
  it by its poll, loads its ballot, thinks (a random `--think` time, paced; up to the burst
  window, burst), meanwhile polls as the ballot page does and sends the tally preview as the
  form changes (Wegen, Kiezen), then sends its ballot (Wegen: 100 points on one effect; Zeven:
  a score for every effect of every measure, 15% skipped; Kiezen: one measure) and loads the
  receipt; once every phone's ballot is acknowledged the console closes the round (POST), the
  phones, console and projector load what follows, and half the residents (`--outcome-share`)
  open the round's outcome page on their phone within a few seconds;
- in Kiezen, before the close: 50 concurrent copies of one submission (one ballot, one
  receipt), then wrk sends ballots as fast as the server takes them for `--wrk-seconds` (every
  phone's Kiezen ballot again, each with a new idempotency key, so each is stored: replaced),
  the saturated ballot throughput that is compared with the bare endpoint's.

How the phones poll is read from the served checkout: vote.js's FAST/SLOW back-off (status
every 2 s, slowing by 1.5x to 5 s while nothing changes, +-20% jitter; on the ballot page the
same, with the round's state asked only when the status changed), or, in a checkout that has
no such script, htmx's fixed `every Ns` of the templates (status every 2 s on the waiting page,
the round's state every 5 s on the ballot page).

Reported per mode: per endpoint the requests, the answers that were not the expected ones,
the 503s (a poll answered 503, shed because requests wait, is expected and not sent again: the
page asks later) and the requests sent again after a 503's Retry-After (as the phone's page
does; the latency counts from the first try), p50/p95/p99/max; per round the ballots
acknowledged (303) against those stored and the seconds from its opening to the last
acknowledged ballot; the CPU seconds per wall second of the Python load generator (one asyncio
process; each phone its own keep-alive HTTP/1.1 connection, spoken over asyncio streams: `Http`,
not httpx, which cost 7.7-9.8 ms of CPU per request at 500 phones) and its CPU per
request, of wrk, of the server(s) and of caddy. Markdown on stdout; `--json FILE` too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "wz_bench_meeting"
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
ACTION = re.compile(r'/m/\d+/rounds/(\d+)/ballot"')
POINTS = re.compile(r'name="points-(\d+)"')
MEASURE = re.compile(r'name="measure" value="(\d+)"')
SCORE = re.compile(r'name="score-(\d+)-(\d+)"')


def fill(kind: str, index: int, page: str) -> dict[str, str]:
    """The ballot phone `index` sends on this ballot page: Wegen all points on one effect, Kiezen
    one of the first three measures, Zeven random scores with 15% of the measures skipped."""
    if kind == "wegen":
        effects = POINTS.findall(page)
        return {f"points-{effects[index % len(effects)]}": "100"}
    if kind == "kiezen":
        measures = MEASURE.findall(page)
        return {"measure": measures[index % min(len(measures), 3)]}
    values: dict[str, str] = {}
    rng = random.Random(index)
    pairs = list(dict.fromkeys(SCORE.findall(page)))
    skipped = {m for m in {m for m, _ in pairs} if rng.random() < 0.15}
    for measure, effect in pairs:
        if measure in skipped:
            values[f"skip-{measure}"] = "1"
        else:
            values[f"score-{measure}-{effect}"] = str(rng.randint(0, 3))
    return values


SIGNATURE = re.compile(r'/status\?v=([^"&]*)"')
OUTCOME = re.compile(r'href="(/m/\d+/rounds/(\d+)/outcome)"')
CLOSED = "closed-notice"
EMAIL = "bench@example.org"
PASSWORD = secrets.token_hex(12)
OK = frozenset({200})
REDIRECT = frozenset({303})
# A poll answered 503 (shed when requests wait) is not sent again: the page asks later.
POLLED = frozenset({200, 204, 304, 503})


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Endpoint:
    """What one kind of request measured."""

    name: str
    expected: frozenset[int]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
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
        return {
            "endpoint": self.name,
            "requests": len(self.latencies),
            "errors": self.errors,
            "retried_503": self.retried,
            "answered_503": self.statuses.get("503", 0),
            "p50_ms": round(self.quantile(0.50)),
            "p95_ms": round(self.quantile(0.95)),
            "p99_ms": round(self.quantile(0.99)),
            "max_ms": round(max(self.latencies, default=0) * 1000),
        }


@dataclass
class Wrk:
    """What one wrk run measured."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- the served checkout ----------------------------------------------------------------------


@dataclass(frozen=True)
class Polling:
    """How a phone's page polls, as the served checkout's page does."""

    fast: float  # seconds between status polls after a change
    slow: float  # ... at most, while nothing changes
    factor: float  # the wait grows by this after each unchanged poll
    jitter: float  # +- this share of the wait, at random
    state_every: float | None  # ballot page: the round's state polled on its own (old pages)
    source: str

    def describe(self) -> str:
        if self.state_every is not None:
            return (
                f"{self.source}: status every {self.fast:g} s; on the ballot page the round's "
                f"state every {self.state_every:g} s"
            )
        return (
            f"{self.source}: status every {self.fast:g} s, x{self.factor:g} up to "
            f"{self.slow:g} s while unchanged, +-{self.jitter:.0%}; the round's state on a change"
        )


def polling_of(app_dir: Path) -> Polling:
    """Read the polling of the phone's page from the checkout that is served."""
    script = app_dir / "app" / "static" / "vote.js"
    js = script.read_text() if script.exists() else ""
    fast = re.search(r"var FAST = (\d+)", js)
    slow = re.search(r"var SLOW = (\d+)", js)
    if fast and slow:
        factor = re.search(r"wait \* ([\d.]+)", js)
        jitter = re.search(r"ms \* \(([\d.]+) \+ Math\.random\(\) \* ([\d.]+)\)", js)
        return Polling(
            fast=int(fast.group(1)) / 1000,
            slow=int(slow.group(1)) / 1000,
            factor=float(factor.group(1)) if factor else 1.0,
            jitter=float(jitter.group(2)) / 2 if jitter else 0.0,
            state_every=None,
            source="vote.js",
        )
    templates = app_dir / "app" / "templates" / "vote"
    every = re.compile(r'/status\?v=[^"]*" hx-trigger="every (\d+)s"')
    found = every.search((templates / "_macros.html").read_text())
    top = templates / "_ballot_top.html"
    state = re.search(r'hx-trigger="every (\d+)s"', top.read_text()) if top.exists() else None
    seconds = float(found.group(1)) if found else 2.0
    return Polling(
        fast=seconds,
        slow=seconds,
        factor=1.0,
        jitter=0.0,
        state_every=float(state.group(1)) if state else None,
        source="htmx templates",
    )


# --- setting up -------------------------------------------------------------------------------


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


def _admin_url() -> str:
    from app.settings import normalise_database_url

    return normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))


def database_url(kind: str, folder: Path) -> str:
    """A fresh, empty database of this kind (PostgreSQL: `BENCH_DATABASE`, recreated)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'meeting.sqlite3'}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    url = make_url(_admin_url()).set(database=BENCH_DATABASE)
    return url.render_as_string(hide_password=False)


def drop_database(kind: str) -> None:
    """The PostgreSQL database goes again (a SQLite file goes with its folder)."""
    if kind != "postgresql":
        return
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Night:
    """The meeting prepared in the database."""

    meeting_id: int
    round_ids: dict[str, int]
    cards: list[tuple[str, str]]  # (code, QR token)


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
            session, email=EMAIL, role=Role.WIJKTEAM, password=PASSWORD
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
        night = Night(meeting.id or 0, rounds, [(c.code, c.token) for c in cards])
    engine.dispose()
    return night


def stored_ballots(url: str, round_id: int) -> int:
    """How many ballots the round has in the database."""
    from app.db import build_engine
    from app.models import Ballot

    engine = build_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).where(Ballot.round_id == round_id)).one()
    engine.dispose()
    return int(count)


def serve(
    url: str, port: int, app_dir: Path, log: Path, secret: str = "", public: str = ""
) -> subprocess.Popen[bytes]:
    """The app under uvicorn on 127.0.0.1:port, as `waardenzeef serve` runs it (instances of one
    meeting share `secret`; `public` is the address phones use, by default this port's)."""
    secret = secret or secrets.token_urlsafe(48)
    public = public or f"http://127.0.0.1:{port}"
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is fine
        probe.bind(("127.0.0.1", port))  # fails when something (a server left over) listens
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "lan",
        "SECRET_KEY": secret,  # shared by every instance: a cookie of one is good at the other
        "PUBLIC_BASE_URL": public,
        "PYTHONPATH": str(app_dir),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=app_dir, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    _wait_for(f"http://127.0.0.1:{port}/join", server, log)
    return server


def proxy(port: int, upstreams: list[int], folder: Path, log: Path) -> subprocess.Popen[bytes]:
    """Debian's caddy on 127.0.0.1:port, round robin over the instances (plain HTTP)."""
    caddy = shutil.which("caddy")
    if caddy is None:
        raise RuntimeError("--proxy caddy needs caddy (apt-get install caddy)")
    config = folder / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"http://127.0.0.1:{port} {{\n"
        f"\treverse_proxy {' '.join(f'127.0.0.1:{p}' for p in upstreams)} {{\n"
        "\t\tlb_policy round_robin\n"
        # Idle connections to the app closed by caddy before uvicorn closes them (after 5 s):
        # else a request sent on one as uvicorn closes it is a 502 (seen with 150 phones).
        "\t\ttransport http {\n\t\t\tkeepalive 4s\n\t\t}\n"
        "\t}\n}\n"
    )
    server = subprocess.Popen(
        [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
        cwd=folder, env={**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder)},
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    _wait_for(f"http://127.0.0.1:{port}/join", server, log)
    return server


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"{url} did not answer; see {log}")


# --- wrk --------------------------------------------------------------------------------------

WRK_COMMON = """
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%d": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ", ")))
end
"""

WRK_BALLOTS = """
local forms = {}
local i = 0
local n = 0
local thread_id = 0
local path = os.getenv("WZ_BALLOT_PATH")
function init(args)
  thread_id = tonumber(args[1] or "0") or 0
  for line in io.lines(os.getenv("WZ_BALLOTS")) do
    local cookie, body = line:match("^(.-)\\t(.*)$")
    table.insert(forms, {cookie = cookie, body = body})
  end
  n = #forms
  math.randomseed(os.time() + thread_id)
  i = math.random(n)
end
function request()
  i = i % n + 1
  local form = forms[i]
  local key = string.format("wrk%x%x%x", math.random(0, 0xffffff), os.time(), i)
  return wrk.format("POST", path, {
    ["Cookie"] = form.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "idempotency_key=" .. key .. "&" .. form.body)
end
"""


def run_wrk(
    name: str,
    url: str,
    script: str,
    folder: Path,
    seconds: float,
    connections: int,
    server_pids: list[int],
    env: dict[str, str] | None = None,
) -> Wrk:
    """Run wrk with this Lua script; its figures, its own CPU time and the servers'."""
    path = folder / f"{name.split()[0]}.lua"
    path.write_text(script + WRK_COMMON)
    command = [
        "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s",
        "-s", str(path), url,
    ]  # fmt: skip
    server_before = _process_cpu(server_pids)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    result = Wrk(name, server_cpu=_process_cpu(server_pids) - server_before)
    result.cpu = usage.ru_utime + usage.ru_stime
    line = next((ln for ln in output.splitlines() if ln.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {output[-500:]}")
    data = json.loads(line[4:])
    result.requests = data["requests"]
    result.seconds = data["duration_us"] / 1e6 or (time.perf_counter() - started)
    for quantile in ("p50", "p95", "p99", "max"):
        setattr(result, f"{quantile}_ms", data[f"{quantile}_us"] / 1000)
    result.statuses = {str(k): v for k, v in data["statuses"].items()}
    result.socket_errors = {k: v for k, v in data["socket_errors"].items() if v}
    return result


# --- the phones' HTTP -------------------------------------------------------------------------


class Answer:
    """A response as the room reads it: status, headers (lower-case names), cookies, body."""

    __slots__ = ("body", "cookies", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], cookies: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers
        self.cookies = cookies
        self.body = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Stale(Exception):
    """A kept-alive connection that the server had closed before this request was answered."""


class Http:
    """HTTP/1.1 with keep-alive over asyncio streams, a few connections per browser, as a phone
    has: what the room needs of a client (form posts, cookies, Content-Length or chunked bodies)
    at a fraction of httpx's CPU per request, so that the generator is not what is measured.

    An idle connection is let go after `idle` seconds, before uvicorn closes it (5 s); a request
    on a kept-alive connection that the server closed before answering anything is sent again
    once on a new one, as browsers do."""

    def __init__(self, timeout: float, idle: float = 4.0) -> None:
        self.timeout = timeout
        self.idle = idle
        self.requests = 0
        self.hosts: dict[str, tuple[str, int, bytes]] = {}

    def host(self, base: str) -> tuple[str, int, bytes]:
        if base not in self.hosts:
            address = base.split("://", 1)[1].rstrip("/")
            name, _, port = address.partition(":")
            self.hosts[base] = (name, int(port or 80), address.encode())
        return self.hosts[base]

    async def request(
        self,
        pool: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]],
        base: str,
        method: str,
        path: str,
        headers: dict[str, str],
        data: dict[str, Any] | None = None,
    ) -> Answer:
        name, port, host = self.host(base)
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + host]
        lines += [f"{k}: {v}".encode() for k, v in headers.items()]
        body = b""
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            lines.append(b"Content-Type: application/x-www-form-urlencoded")
        if data is not None or method == "POST":
            lines.append(b"Content-Length: " + str(len(body)).encode())
        message = b"\r\n".join(lines) + b"\r\n\r\n" + body
        self.requests += 1
        async with asyncio.timeout(self.timeout):
            now = time.monotonic()
            while pool:
                reader, writer, used = pool.pop()
                if now - used < self.idle and not reader.at_eof():
                    try:
                        return await self._exchange(pool, reader, writer, message, method)
                    except Stale:
                        break
                writer.close()
            reader, writer = await asyncio.open_connection(name, port)
            try:
                return await self._exchange(pool, reader, writer, message, method)
            except Stale:
                raise ConnectionResetError("the server closed the connection") from None

    async def _exchange(
        self,
        pool: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        message: bytes,
        method: str,
    ) -> Answer:
        try:
            writer.write(message)
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            writer.close()
            if isinstance(error, asyncio.IncompleteReadError) and error.partial:
                raise
            raise Stale from None
        except BaseException:
            writer.close()
            raise
        try:
            status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
            answer = Answer(int(status_line.split(" ", 2)[1]), {}, {})
            for line in header_lines:
                key, _, value = line.partition(":")
                key, value = key.strip().lower(), value.strip()
                if key == "set-cookie":
                    cookie, _, _ = value.partition(";")
                    cookie_name, _, cookie_value = cookie.partition("=")
                    answer.cookies[cookie_name.strip()] = cookie_value.strip()
                else:
                    answer.headers[key] = value
            keep = answer.headers.get("connection", "").lower() != "close"
            if method == "HEAD" or answer.status_code in (204, 304):
                pass
            elif "content-length" in answer.headers:
                answer.body = await reader.readexactly(int(answer.headers["content-length"]))
            elif answer.headers.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size))
                    await reader.readexactly(2)
                await reader.readuntil(b"\r\n")  # no trailers here
                answer.body = b"".join(chunks)
            else:
                answer.body = await reader.read()
                keep = False
        except BaseException:
            writer.close()
            raise
        if keep:
            pool.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return answer

    @staticmethod
    def close(pool: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]]) -> None:
        while pool:
            pool.pop()[1].close()


# --- the room ---------------------------------------------------------------------------------


@dataclass
class Browser:
    """A phone, the console or the projector: its cookies and the meeting's signature it saw."""

    index: int
    base: str
    code: str = ""
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    signature: str = ""
    page: str = ""
    voted: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)  # outcome pages looked at (or not wanted)
    form: str = ""  # the Kiezen ballot's fields (for wrk)
    # Its kept-alive connections (one, or more while it has requests under way at once).
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = field(
        default_factory=list
    )

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class Room:
    """The phones, the console and the projector against the server(s), one keep-alive client."""

    def __init__(self, night: Night, bases: list[str], options: Any, polling: Polling) -> None:
        self.night = night
        self.options = options
        self.polling = polling
        self.rng = random.Random(15)
        self.client = Http(timeout=options.timeout)
        self.phones = [
            Browser(i, bases[i % len(bases)], code, token)
            for i, (code, token) in enumerate(night.cards)
        ]
        self.spare = self.phones.pop()  # the phone of the 50 copies
        self.console = Browser(-1, bases[0])
        self.projector = Browser(-2, bases[-1])
        self.endpoints: dict[str, Endpoint] = {}
        self.open_round: int | None = None
        self.stop = asyncio.Event()
        self.changed = asyncio.Event()  # a round opened or closed: staff pages reload

    def endpoint(self, name: str, expected: frozenset[int]) -> Endpoint:
        if name not in self.endpoints:
            self.endpoints[name] = Endpoint(name, expected)
        return self.endpoints[name]

    async def request(
        self,
        name: str,
        expected: frozenset[int],
        who: Browser,
        method: str,
        path: str,
        **kwargs: Any,
    ) -> Answer | None:
        """One request as a browser sends it; a 503 with Retry-After is sent again after it.

        A `name` with "{shows}" in it is filed under what the page turned out to show."""
        start = time.perf_counter()
        endpoint = self.endpoint(name.format(shows="meeting"), expected)
        response = None
        extra = dict(kwargs.pop("headers", {}))
        for _attempt in range(self.options.retries + 1):
            headers = dict(extra)
            if who.cookies:
                headers["Cookie"] = who.cookie
            try:
                response = await self.client.request(
                    who.connections, who.base, method, path, headers, kwargs.get("data")
                )
            except (OSError, EOFError, ValueError, TimeoutError) as error:
                endpoint.add(type(error).__name__, time.perf_counter() - start)
                return None
            if (
                response.status_code != 503
                or "retry-after" not in response.headers
                or 503 in expected  # a poll: its next one comes anyway
            ):
                break
            endpoint.retried += 1
            await asyncio.sleep(float(response.headers["retry-after"]))
        assert response is not None
        if "{shows}" in name:
            shows = "ballot" if KEY.search(response.text) else "meeting"
            endpoint = self.endpoint(name.format(shows=shows), expected)
        endpoint.add(str(response.status_code), time.perf_counter() - start)
        for name_, value in response.cookies.items():
            if value:
                who.cookies[name_] = value
        return response

    async def load(self, name: str, who: Browser, path: str) -> str:
        response = await self.request(name, OK, who, "GET", path)
        if response is None or response.status_code != 200:
            return ""
        who.page = response.text
        if found := SIGNATURE.search(who.page):
            who.signature = found.group(1)
        return who.page

    # --- staff

    async def log_in(self, who: Browser) -> None:
        response = await self.request(
            "login (staff)",
            REDIRECT,
            who,
            "POST",
            "/login",
            data={"email": EMAIL, "password": PASSWORD},
        )
        if response is None or response.status_code != 303:
            raise RuntimeError("the facilitator could not log in")

    async def staff(self, who: Browser, page: str, name: str, turnout_query: str) -> None:
        """The console or the projector: their page, its status poll every 2 s and the open
        round's turnout every second, as their htmx does; reloaded when the status changed."""
        await self.load(f"{name} page", who, page)
        tick = 0
        while not self.stop.is_set():
            await asyncio.sleep(1.0)
            tick += 1
            if self.open_round is not None:
                path = f"/console/rounds/{self.open_round}/turnout{turnout_query}"
                await self.request(f"{name} turnout (1 s)", OK, who, "GET", path)
            if tick % 2 == 0:
                path = f"/m/{self.night.meeting_id}/status?v={who.signature}"
                response = await self.request(f"{name} status (2 s)", POLLED, who, "GET", path)
                if response is not None and response.status_code == 200:
                    await self.load(f"{name} page", who, page)

    # --- phones

    def join_delay(self, phone: Browser) -> float:
        window = self.options.spread if self.options.mode_now == "paced" else self.options.burst
        return float(window) * phone.index / max(len(self.phones), 1)

    async def join(self, phone: Browser) -> None:
        """Join with the card: the QR code (even phones) or the typed code (odd phones)."""
        if phone.index % 2 == 0:
            response = await self.request(
                "join by QR (GET /j/TOKEN)", REDIRECT, phone, "GET", f"/j/{phone.token}"
            )
        else:
            response = await self.request(
                "join by code (POST /join)",
                REDIRECT,
                phone,
                "POST",
                "/join",
                data={"code": phone.code, "meeting": str(self.night.meeting_id)},
            )
        if response is not None and response.status_code == 303:
            await self.load("{shows} page (GET /m/M)", phone, response.headers["location"])

    def wait(self, seconds: float) -> float:
        jitter = self.polling.jitter
        return seconds * (1 - jitter + 2 * jitter * self.rng.random())

    async def phone(self, phone: Browser) -> None:
        """One resident's evening: join, then follow the meeting and vote in each round."""
        await asyncio.sleep(self.join_delay(phone))
        await self.join(phone)
        if not phone.page:
            return
        every = self.polling.fast
        while not self.stop.is_set():
            action = ACTION.search(phone.page)
            if (
                action is not None
                and KEY.search(phone.page)
                and self.kind_of(int(action.group(1))) not in phone.voted
            ):
                await self.vote(phone, int(action.group(1)))
                every = self.polling.fast
                continue
            await self.sleep(self.wait(every))
            if self.stop.is_set():
                break
            path = f"/m/{self.night.meeting_id}/status?v={phone.signature}"
            response = await self.request("status poll (phone)", POLLED, phone, "GET", path)
            if response is None:
                every = self.polling.slow
            elif response.status_code == 200:
                await self.load("{shows} page (GET /m/M)", phone, f"/m/{self.night.meeting_id}")
                await self.look_at_outcome(phone)
                every = self.polling.fast
            elif response.status_code == 503:
                every = max(float(response.headers.get("retry-after", 0)), self.polling.slow)
            else:
                every = min(every * self.polling.factor, self.polling.slow)

    async def look_at_outcome(self, phone: Browser) -> None:
        """After a close: some residents tap the round's outcome on their meeting page."""
        for path, round_id in OUTCOME.findall(phone.page):
            if round_id in phone.seen:
                continue
            phone.seen.add(round_id)
            if self.rng.random() < self.options.outcome_share:
                await asyncio.sleep(self.rng.uniform(0, 3))  # reading first, then tapping
                await self.request("outcome page (phone)", OK, phone, "GET", path)

    async def sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    def kind_of(self, round_id: int) -> str:
        return next(k for k, r in self.night.round_ids.items() if r == round_id)

    def fill(self, phone: Browser, kind: str, page: str) -> dict[str, Any]:
        """The ballot this phone sends (after its idempotency key)."""
        return fill(kind, phone.index, page)

    async def vote(self, phone: Browser, round_id: int) -> None:
        """The ballot page: think while polling as the page does, preview, send, see the receipt."""
        kind = self.kind_of(round_id)
        page = phone.page
        key = KEY.search(page)
        assert key is not None
        values = {"idempotency_key": key.group(1), **self.fill(phone, kind, page)}
        base = f"/m/{self.night.meeting_id}/rounds/{round_id}"
        think = self.think()
        previews = (
            [think * (i + 1) / (self.options.previews + 1) for i in range(self.options.previews)]
            if kind != "zeven"
            else []
        )
        started = time.perf_counter()
        every = self.polling.state_every or self.polling.fast
        next_poll = self.wait(every)
        while True:
            elapsed = time.perf_counter() - started
            if elapsed >= think:
                break
            upcoming = min([think, next_poll, *previews[:1]])
            await self.sleep(max(0.0, upcoming - elapsed))
            if self.stop.is_set():
                return
            elapsed = time.perf_counter() - started
            while previews and previews[0] <= elapsed:
                previews.pop(0)
                await self.request(
                    f"tally preview ({kind})", OK, phone, "POST", f"{base}/preview",
                    data=values, headers={"HX-Request": "true"},
                )  # fmt: skip
            if elapsed >= next_poll:
                closed = await self.ballot_page_poll(phone, base)
                if closed:
                    await self.load("{shows} page (GET /m/M)", phone, f"/m/{self.night.meeting_id}")
                    return
                next_poll = elapsed + self.wait(every)
                if self.polling.state_every is None:
                    every = min(every * self.polling.factor, self.polling.slow)
        response = await self.request(
            f"ballot ({kind})", REDIRECT, phone, "POST", f"{base}/ballot", data=values
        )
        if response is not None and response.status_code == 303:
            phone.voted.add(kind)
            if kind == "kiezen":
                phone.form = "&".join(
                    f"{k}={v}" for k, v in values.items() if k != "idempotency_key"
                )
            await self.load("receipt page (GET /m/M)", phone, response.headers["location"])
        else:
            await self.load("{shows} page (GET /m/M)", phone, f"/m/{self.night.meeting_id}")

    async def ballot_page_poll(self, phone: Browser, base: str) -> bool:
        """What the ballot page asks while it is open; True once the round has closed."""
        if self.polling.state_every is not None:  # htmx: the round's state on its own
            response = await self.request("round state poll", POLLED, phone, "GET", f"{base}/state")
            return response is not None and response.status_code == 200
        path = f"/m/{self.night.meeting_id}/status?v={phone.signature}"
        response = await self.request("status poll (phone)", POLLED, phone, "GET", path)
        if response is None or response.status_code != 200:
            return False
        phone.signature = response.headers.get("etag", "").strip('"') or phone.signature
        state = await self.request("round state poll", POLLED, phone, "GET", f"{base}/state")
        return state is not None and state.status_code == 200 and CLOSED in state.text

    def think(self) -> float:
        if self.options.mode_now == "burst":
            return self.rng.uniform(0, self.options.burst)
        low, high = self.options.think
        return self.rng.uniform(low, high)

    # --- the facilitator

    async def round(self, kind: str, url: str, folder: Path, pids: list[int]) -> dict[str, Any]:
        """Open a round from the console, wait for every phone's ballot, close it."""
        round_id = self.night.round_ids[kind]
        opened = await self.request(
            "open round (console)", REDIRECT, self.console, "POST",
            f"/console/rounds/{round_id}/open",
        )  # fmt: skip
        if opened is None or opened.status_code != 303:
            raise RuntimeError(f"could not open {kind}: {opened and opened.status_code}")
        self.open_round = round_id
        started = time.perf_counter()
        joined = [p for p in self.phones if p.signature]
        deadline = started + self.options.round_timeout
        while time.perf_counter() < deadline and not all(kind in p.voted for p in joined):
            await asyncio.sleep(0.5)
        acknowledged = sum(kind in p.voted for p in self.phones)
        took = time.perf_counter() - started
        extra: dict[str, Any] = {}
        if kind == "kiezen":
            extra = await self.copies_and_wrk(round_id, folder, pids)
            acknowledged += extra.pop("spare", 0)
        closed = await self.request(
            "close round (console)", REDIRECT, self.console, "POST",
            f"/console/rounds/{round_id}/close", data={"confirm": "1"},
        )  # fmt: skip
        if closed is None or closed.status_code != 303:
            raise RuntimeError(f"could not close {kind}: {closed and closed.status_code}")
        self.open_round = None
        stored = await asyncio.to_thread(stored_ballots, url, round_id)
        await asyncio.sleep(self.options.pause)  # phones, console and projector see the outcome
        return {
            "round": kind,
            "joined": len(joined),
            "acknowledged": acknowledged,
            "stored": stored,
            "seconds": round(took, 1),
            **extra,
        }

    async def copies_and_wrk(self, round_id: int, folder: Path, pids: list[int]) -> dict[str, Any]:
        """50 concurrent copies of one submission, then wrk's saturated ballots."""
        result: dict[str, Any] = {}
        path = f"/m/{self.night.meeting_id}/rounds/{round_id}/ballot"
        page = await self.load("ballot form (spare)", self.spare, path)
        key = KEY.search(page)
        if key is not None:
            values = {"idempotency_key": key.group(1), **self.fill(self.spare, "kiezen", page)}
            await asyncio.gather(
                *(
                    self.request(
                        f"{self.options.copies} copies of one ballot",
                        REDIRECT,
                        self.spare,
                        "POST",
                        path,
                        data=values,
                    )
                    for _ in range(self.options.copies)
                )
            )
            result["spare"] = 1
        if self.options.wrk_seconds:
            forms = [p for p in self.phones if p.form]
            ballots = folder / "ballots.tsv"
            ballots.write_text("".join(f"{p.cookie}\t{p.form}\n" for p in forms))
            result["wrk"] = await asyncio.to_thread(
                run_wrk,
                "ballots (Kiezen again, saturated)",
                self.phones[0].base + path,
                WRK_BALLOTS,
                folder,
                self.options.wrk_seconds,
                min(self.options.wrk_connections, len(forms)),
                pids,
                {"WZ_BALLOTS": str(ballots), "WZ_BALLOT_PATH": path},
            )
        return result


async def run_mode(
    url: str, night: Night, bases: list[str], pids: list[int], folder: Path, options: Any
) -> dict[str, Any]:
    """One meeting night; its figures."""
    polling = polling_of(options.app_dir)
    room = Room(night, bases, options, polling)
    wrks = []
    if options.wrk_seconds:
        wrks.append(
            await asyncio.to_thread(
                run_wrk,
                "bare (GET /join)",
                bases[0] + "/join",
                "",
                folder,
                options.wrk_seconds,
                options.wrk_connections,
                pids,
            )
        )
    cpu, server_cpu, started = _cpu(), _process_cpu(pids), time.perf_counter()
    await room.log_in(room.console)
    await room.log_in(room.projector)
    staff = [
        asyncio.create_task(
            room.staff(room.console, f"/console/meetings/{night.meeting_id}", "console", "")
        ),
        asyncio.create_task(
            room.staff(
                room.projector,
                f"/console/meetings/{night.meeting_id}/screen",
                "projector",
                "?screen=1",
            )
        ),
    ]
    phones = [asyncio.create_task(room.phone(p)) for p in room.phones]
    await asyncio.sleep(options.spread if options.mode_now == "paced" else options.burst)
    await room.join(room.spare)
    await asyncio.sleep(options.pause)
    rounds = []
    for kind in ("wegen", "zeven", "kiezen"):
        found = await room.round(kind, url, folder, pids)
        if "wrk" in found:
            wrks.append(found.pop("wrk"))
        rounds.append(found)
    room.stop.set()
    await asyncio.gather(*staff, *phones)
    wall = time.perf_counter() - started
    wrk_cpu = sum(w.cpu for w in wrks)
    for who in (*room.phones, room.spare, room.console, room.projector):
        Http.close(who.connections)
    client_cpu = _cpu() - cpu
    during = [w for w in wrks if not w.name.startswith("bare")]  # inside the night's wall time
    wrk_wall = sum(w.seconds for w in during)
    wrk_server = sum(w.server_cpu for w in during)
    return {
        "polling": polling.describe(),
        "endpoints": [e.row() for e in room.endpoints.values() if e.latencies],
        "rounds": rounds,
        "wrk": [w.__dict__ | {"per_s": round(w.per_s, 1)} for w in wrks],
        "wall_s": round(wall, 1),
        "client_cpu": round(client_cpu / max(wall - wrk_wall, 1e-9), 2),
        "client_requests": room.client.requests,
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(room.client.requests, 1), 3),
        "server_cpu": round(
            (_process_cpu(pids) - server_cpu - wrk_server) / max(wall - wrk_wall, 1e-9),
            2,
        ),
        "wrk_cpu": round(wrk_cpu / max(sum(w.seconds for w in wrks), 1e-9), 2),
    }


def table(title: str, found: dict[str, Any]) -> str:
    """The figures of one mode as Markdown."""
    lines = [f"**{title}**", "", f"Phones poll as {found['polling']}.", ""]
    lines += [
        "| endpoint | requests | not as expected | 503 (shed) | sent again after 503 | p50 ms "
        "| p95 ms | p99 ms "
        "| max ms |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in found["endpoints"]:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "0"
        lines.append(
            f"| {r['endpoint']} | {r['requests']} | {errors} | {r['answered_503']} "
            f"| {r['retried_503']} | {r['p50_ms']} "
            f"| {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} |"
        )
    lines += [
        "",
        "| round | phones joined | ballots acknowledged | stored | s from opening to last ballot |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in found["rounds"]:
        lines.append(
            f"| {r['round']} | {r['joined']} | {r['acknowledged']} | {r['stored']} "
            f"| {r['seconds']} |"
        )
    if found["wrk"]:
        bare = next((w for w in found["wrk"] if w["name"].startswith("bare")), None)
        lines += [
            "",
            "| wrk (saturated) | requests | req/s | × bare | statuses | socket errors | p50 ms "
            "| p95 ms | p99 ms | max ms | wrk CPU | server CPU |",
            "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for w in found["wrk"]:
            ratio = w["per_s"] / bare["per_s"] if bare and bare["per_s"] else 0
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(w["statuses"].items()))
            sockets = ", ".join(f"{k}: {v}" for k, v in w["socket_errors"].items()) or "0"
            lines.append(
                f"| {w['name']} | {w['requests']} | {w['per_s']} | {ratio:.2f} | {statuses} "
                f"| {sockets} | {w['p50_ms']:.0f} | {w['p95_ms']:.0f} | {w['p99_ms']:.0f} "
                f"| {w['max_ms']:.0f} | {w['cpu'] / max(w['seconds'], 1e-9):.2f} "
                f"| {w['server_cpu'] / max(w['seconds'], 1e-9):.2f} |"
            )
    lines += [
        "",
        f"Whole night {found['wall_s']} s. CPU seconds per wall second outside the wrk runs: "
        f"load generator (Python) {found['client_cpu']} "
        f"({found.get('client_cpu_ms_per_request', 0)} ms per request, "
        f"{found.get('client_requests', 0)} requests), server(s) and proxy "
        f"{found['server_cpu']}; wrk during its runs {found['wrk_cpu']}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the modes, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mode", choices=["paced", "burst", "both"], default="both")
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds to join, paced")
    parser.add_argument(
        "--burst", type=float, default=10.0, help="seconds to join and to vote in, burst"
    )
    parser.add_argument(
        "--think", type=float, nargs=2, default=(5.0, 30.0), help="seconds on a ballot, paced"
    )
    parser.add_argument("--previews", type=int, default=2, help="tally previews per ballot")
    parser.add_argument(
        "--outcome-share",
        type=float,
        default=0.5,
        help="share of the phones that open a round's outcome page after its close",
    )
    parser.add_argument("--pause", type=float, default=5.0, help="seconds after each close")
    parser.add_argument("--round-timeout", type=float, default=180.0)
    parser.add_argument("--copies", type=int, default=50, help="copies of one submission")
    parser.add_argument("--wrk-seconds", type=float, default=10.0, help="0: no wrk runs")
    parser.add_argument("--wrk-connections", type=int, default=50)
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--proxy", choices=["none", "caddy"], default="none")
    parser.add_argument("--proxy-port", type=int, default=8400)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--retries", type=int, default=5, help="times a 503 is sent again")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout to serve")
    parser.add_argument("--label", default="", help="a name for the served code in the titles")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--database",
        default=BENCH_DATABASE,
        help="PostgreSQL database to create and drop (two runs at once need two names)",
    )
    options = parser.parse_args(argv)
    if not re.fullmatch(r"wz_bench_\w+", options.database):
        parser.error("--database: a name starting with wz_bench_ (this benchmark's prefix)")
    globals()["BENCH_DATABASE"] = options.database
    used = [options.port + options.instances - 1, options.port, options.proxy_port]
    if not all(8400 <= p <= 8499 for p in used):
        parser.error("use ports 8400-8499 (the benchmark's range)")
    modes = ["paced", "burst"] if options.mode == "both" else [options.mode]
    results: list[dict[str, Any]] = []
    secret = secrets.token_urlsafe(48)
    for mode in modes:
        options.mode_now = mode
        with tempfile.TemporaryDirectory(prefix="wz-meeting-") as name:
            folder = Path(name)
            url = database_url(options.db, folder)
            log = folder / "server.log"
            processes: list[subprocess.Popen[bytes]] = []
            try:
                night = prepare(url, options.voters)
                ports = [options.port + i for i in range(options.instances)]
                front = (
                    [f"http://127.0.0.1:{options.proxy_port}"]
                    if options.proxy == "caddy"
                    else [f"http://127.0.0.1:{p}" for p in ports]
                )
                for port in ports:
                    processes.append(serve(url, port, options.app_dir, log, secret, front[0]))
                if options.proxy == "caddy":
                    processes.append(proxy(options.proxy_port, ports, folder, log))
                found = asyncio.run(
                    run_mode(url, night, front, [p.pid for p in processes], folder, options)
                )
            finally:
                for process in processes:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                drop_database(options.db)
            errors = [line for line in log.read_text().splitlines() if "Error" in line][:5]
        title = (
            f"{options.db}, {mode}, {options.voters} phones, {options.instances} instance(s)"
            + (" behind caddy" if options.proxy == "caddy" else "")
            + (f", {options.label}" if options.label else "")
        )
        print(table(title, found))
        if errors:
            print("\nServer log (first errors):\n    " + "\n    ".join(errors))
        print()
        results.append({"title": title, **found})
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
