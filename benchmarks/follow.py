"""What following a meeting costs the server: phones asking "has anything changed?".

    .venv/bin/python -m benchmarks.follow                       # this checkout, SQLite
    .venv/bin/python -m benchmarks.follow --app-dir /tmp/old    # another checkout (before)
    .venv/bin/python -m benchmarks.follow --db postgresql

A fresh database with the Korrewegwijk menu and a meeting (benchmarks.meeting's `prepare`), the
app under uvicorn (one process, as `waardenzeef serve`) on 127.0.0.1:8301. Then, with one
asyncio httpx client and keep-alive connections:

- `saturated`: `--clients` loops ask the poll of the meeting as fast as it answers for
  `--seconds` (the signature the page carries, unchanged: the answer is "nothing changed");
  requests per second, latency p50/p95, and the server's CPU time per request, which is what
  500 phones cost whatever their timing;
- `room`: `--phones` phones (spread evenly over the first `--every` seconds) asking for
  `--seconds`, either every `--every` seconds (`--schedule fixed`: 500 phones every 2 s are
  250/s) or as vote.js does (`--schedule phone`, the default: 2 s, then 1.5 times longer after
  each "nothing changed" up to `--slowest` 5 s, each wait +-20%): the rate that reaches the
  server, its CPU share, the latency.

Both are run with `?v=SIGNATURE` (204 when unchanged) and, when the server sends an ETag,
with `If-None-Match` (304). The client's own CPU is reported: it must stay well under one core.

`--in-process N` instead calls the app (the checkout's `app.main:app`, every middleware and
dependency, no HTTP) N times in a child process and prints its CPU time per poll: on a shared
machine the least disturbed figure, as it does not depend on how much processor the server got.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from benchmarks import meeting
from benchmarks.meeting import DEFAULT_POSTGRES, REPO, database_url, prepare, serve

meeting.BENCH_DATABASE = "wz_pages_follow"  # on PostgreSQL: a database of this helper's own


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """This process's CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def signature_of(url: str, meeting_id: int) -> str:
    """The meeting's signature as its page carries it."""
    from app.db import build_engine
    from app.services import meetings as meetings_service

    engine = build_engine(url)
    with Session(engine) as session:
        found = meetings_service.resident_view(session, meeting_id=meeting_id).signature
    engine.dispose()
    return found


class Run:
    """One measured run: statuses, latencies, CPU of both sides."""

    def __init__(self, name: str, pid: int) -> None:
        self.name = name
        self.pid = pid
        self.latencies: list[float] = []
        self.statuses: Counter[int | str] = Counter()
        self.wall = 0.0
        self.server_cpu = 0.0
        self.client_cpu = 0.0

    def row(self) -> dict[str, Any]:
        """The figures of this run."""
        ordered = sorted(self.latencies) or [0.0]
        n = len(self.latencies)

        def q(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        return {
            "run": self.name,
            "requests": n,
            "statuses": dict(self.statuses),
            "per_s": n / self.wall if self.wall else 0.0,
            "p50_ms": q(0.50),
            "p95_ms": q(0.95),
            "server_cpu_ms_per_request": self.server_cpu / n * 1000 if n else 0.0,
            "server_cpu_share": self.server_cpu / self.wall if self.wall else 0.0,
            "client_cpu_share": self.client_cpu / self.wall if self.wall else 0.0,
        }


async def measure(
    run: Run, client: httpx.AsyncClient, loops: list[Any], seconds: float
) -> dict[str, Any]:
    """Run the loops for `seconds`, with CPU read before and after."""
    stop = asyncio.Event()
    server0, client0, start = process_cpu(run.pid), own_cpu(), time.perf_counter()
    tasks = [asyncio.create_task(loop(stop)) for loop in loops]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    run.wall = time.perf_counter() - start
    run.server_cpu = process_cpu(run.pid) - server0
    run.client_cpu = own_cpu() - client0
    return run.row()


async def ask(run: Run, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    """One poll, timed."""
    start = time.perf_counter()
    try:
        response = await client.get(path, headers=headers)
        run.statuses[response.status_code] += 1
    except httpx.HTTPError as error:
        run.statuses[type(error).__name__] += 1
    run.latencies.append(time.perf_counter() - start)


async def bench(base: str, pid: int, meeting_id: int, signature: str, options: Any) -> list[Any]:
    """Every run against one server."""
    rows = []
    async with httpx.AsyncClient(
        base_url=base,
        timeout=30,
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
    ) as client:
        first = await client.get(f"/m/{meeting_id}/status?v={signature}")
        etag = first.headers.get("etag")
        ways: list[tuple[str, str, dict[str, str]]] = [
            ("v=", f"/m/{meeting_id}/status?v={signature}", {})
        ]
        if etag:
            ways.append(("If-None-Match", f"/m/{meeting_id}/status", {"If-None-Match": etag}))
        for label, path, headers in ways:
            for _warm in range(50):
                await client.get(path, headers=headers)
            run = Run(f"saturated, {options.clients} clients, {label}", pid)

            def flat_out(
                stop: asyncio.Event, run: Run = run, path: str = path, headers: Any = headers
            ) -> Any:
                async def loop() -> None:
                    while not stop.is_set():
                        await ask(run, client, path, headers)

                return loop()

            rows.append(await measure(run, client, [flat_out] * options.clients, options.seconds))
            pace = (
                f"every {options.every:g} s"
                if options.schedule == "fixed"
                else f"{options.every:g} s slowing to {options.slowest:g} s"
            )
            room = Run(f"room, {options.phones} phones, {pace}, {label}", pid)

            def phone(i: int, room: Run = room, path: str = path, headers: Any = headers) -> Any:
                def start(stop: asyncio.Event) -> Any:
                    async def loop() -> None:
                        await asyncio.sleep(options.every * i / options.phones)
                        wait = options.every
                        while not stop.is_set():
                            await ask(room, client, path, headers)
                            if options.schedule == "fixed":
                                await asyncio.sleep(options.every)
                            else:  # as vote.js: slower while nothing changes, with jitter
                                await asyncio.sleep(wait * random.uniform(0.8, 1.2))
                                wait = min(wait * 1.5, options.slowest)

                    return loop()

                return start

            loops = [phone(i) for i in range(options.phones)]
            rows.append(await measure(room, client, loops, options.seconds))
    return rows


def table(title: str, rows: list[dict[str, Any]]) -> str:
    """The runs as a Markdown table."""
    lines = [
        f"**{title}**",
        "",
        "| run | requests | answers | req/s | p50 ms | p95 ms | server CPU ms/req "
        "| server CPU | client CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items(), key=str))
        lines.append(
            f"| {r['run']} | {r['requests']} | {answers} | {r['per_s']:.0f} | {r['p50_ms']:.1f} "
            f"| {r['p95_ms']:.1f} | {r['server_cpu_ms_per_request']:.2f} "
            f"| {r['server_cpu_share']:.0%} | {r['client_cpu_share']:.0%} |"
        )
    return "\n".join(lines)


def drop_database() -> None:
    """Remove the PostgreSQL database of the run."""
    from sqlalchemy import create_engine, text

    from app.settings import normalise_database_url

    admin_url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{meeting.BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


async def _call(app: Any, path: str, query: bytes) -> int:
    """One request straight into the ASGI app; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


def child(meeting_id: int, signature: str, n: int) -> None:
    """In the child: poll the app n times in this process, print CPU ms per poll."""
    from app.main import app

    async def run() -> None:
        path, query = f"/m/{meeting_id}/status", f"v={signature}".encode()
        async with app.router.lifespan_context(app):
            for _ in range(100):
                await _call(app, path, query)
            cpu = own_cpu()
            statuses = Counter([await _call(app, path, query) for _ in range(n)])
            print(f"{(own_cpu() - cpu) / n * 1000:.3f} {dict(statuses)}")

    asyncio.run(run())


def in_process(url: str, meeting_id: int, signature: str, options: Any) -> str:
    """The CPU per poll of the checkout's app, called in a child process."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "lan",
        "SECRET_KEY": "in-process-" * 6,
        "PYTHONPATH": str(options.app_dir),
    }
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(meeting_id), signature, str(options.in_process)],
        cwd=options.app_dir, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    """Parse the options, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=32, help="loops in the saturated run")
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between a phone's polls")
    parser.add_argument(
        "--schedule",
        choices=["fixed", "phone"],
        default="phone",
        help="room run: every --every seconds, or as vote.js (x1.5 up to --slowest, +-20%%)",
    )
    parser.add_argument("--slowest", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run")
    parser.add_argument("--port", type=int, default=8301)
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout to serve")
    parser.add_argument("--label", default="", help="a name for the served code in the title")
    parser.add_argument("--in-process", type=int, default=0, metavar="N")
    parser.add_argument("--repeat", type=int, default=3, help="in-process: measurements")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wz_pages_follow-") as folder:
        url = database_url(options.db, Path(folder))
        night = prepare(url, 2)
        signature = signature_of(url, night.meeting_id)
        if options.in_process:
            for _ in range(options.repeat):
                line = in_process(url, night.meeting_id, signature, options)
                print(f"{options.label or options.app_dir}: CPU ms per poll, answers: {line}")
            if options.db == "postgresql":
                drop_database()
            return 0
        server = serve(url, options.port, options.app_dir, Path(folder) / "server.log")
        try:
            rows = asyncio.run(
                bench(
                    f"http://127.0.0.1:{options.port}",
                    server.pid,
                    night.meeting_id,
                    signature,
                    options,
                )
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if options.db == "postgresql":
        drop_database()
    title = f"The poll, {options.db}" + (f", {options.label}" if options.label else "")
    print(table(title, rows))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
