"""What a ballot costs the server in CPU: the phone's three requests of a round, in-process.

    .venv/bin/python -m benchmarks.ballot_cost                          # this checkout, SQLite
    .venv/bin/python -m benchmarks.ballot_cost --app-dir /tmp/before    # another checkout
    .venv/bin/python -m benchmarks.ballot_cost --profile kiezen         # cProfile of its ballots
    .venv/bin/python -m benchmarks.ballot_cost --profile kiezen --request "ballot page"

A fresh SQLite database with the Korrewegwijk menu, a meeting and `--phones` code cards
(benchmarks.meeting's `prepare`). A child process (the checkout's `app.main:app`, every
middleware and dependency, called as ASGI without HTTP, as benchmarks.follow does) lets every
phone join with its card's QR code; then for Wegen, Zeven and Kiezen in turn the round is opened
(by the service, not timed) and every phone loads the ballot (GET /m/M, the first view of the
round), sends its ballot (POST .../ballot, as benchmarks.meeting fills it) and loads the page
that follows (GET /m/M, the receipt). Printed per round: the CPU milliseconds per request of
each of the three (user + system time of the process, all threads: the ballot's share of a
core whatever the machine's load), and the statements each ran. `--repeat` runs the child
again (a new database each time); `--profile KIND` prints cProfile's top functions for that
round's ballots instead (`--request` another of the three requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from benchmarks.meeting import REPO, fill, prepare

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def call(
    app: Any, method: str, path: str, cookie: str = "", body: bytes = b""
) -> tuple[int, dict[str, str], str]:
    """One request straight into the ASGI app: status, headers (last of each), text."""
    headers = [(b"host", b"127.0.0.1"), (b"accept-encoding", b"identity")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"origin", b"http://127.0.0.1"),
        ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            await asyncio.sleep(3600)
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    answer = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    cookies = [v.decode() for k, v in start["headers"] if k.lower() == b"set-cookie"]
    if cookies:
        answer["set-cookie"] = "; ".join(c.split(";", 1)[0] for c in cookies)
    text = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    return int(start["status"]), answer, text


def child(
    meeting_id: int, rounds: dict[str, int], tokens: list[str], profile: str, request: str
) -> None:
    """In the child: join every phone, then the three rounds; print the figures as JSON."""
    import cProfile
    import pstats

    from sqlalchemy import event
    from sqlmodel import Session

    from app.db import get_engine
    from app.main import app
    from app.models import User
    from app.services import rounds as rounds_service

    if profile:
        # cProfile sees one thread: run what FastAPI sends to its thread pool on this one.
        import anyio.to_thread

        async def on_this_thread(func: Any, *args: Any, **_options: Any) -> Any:
            return func(*args)

        anyio.to_thread.run_sync = on_this_thread  # type: ignore[assignment]

    statements = [0]

    shown: list[str] = []
    show = os.environ.get("WZ_SHOW_STATEMENTS") == "1"

    @event.listens_for(get_engine(), "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements[0] += 1
        if show:
            shown.append(" ".join(statement.split())[:160])

    def staff(action: str, round_id: int) -> None:
        with Session(get_engine()) as session:
            user = session.get(User, 1)
            assert user is not None
            getattr(rounds_service, f"{action}_round")(session, user=user, round_id=round_id)
            session.commit()

    async def run() -> dict[str, Any]:
        found: dict[str, Any] = {}
        async with app.router.lifespan_context(app):
            cookies = []
            for token in tokens:
                status, headers, _ = await call(app, "GET", f"/j/{token}")
                assert status == 303, status
                cookies.append(headers["set-cookie"])
            page_path = f"/m/{meeting_id}"
            for kind in ("wegen", "zeven", "kiezen"):
                round_id = rounds[kind]
                await asyncio.to_thread(staff, "open", round_id)
                action = f"/m/{meeting_id}/rounds/{round_id}/ballot"
                figures = {"ballot page": [0.0, 0], "ballot": [0.0, 0], "receipt page": [0.0, 0]}
                profiler = cProfile.Profile() if profile == kind else None
                for index, cookie in enumerate(cookies):
                    cpu, counted = _cpu(), statements[0]
                    if profiler and request == "ballot page":
                        profiler.enable()
                    status, _, page = await call(app, "GET", page_path, cookie)
                    if profiler and request == "ballot page":
                        profiler.disable()
                    figures["ballot page"][0] += _cpu() - cpu
                    figures["ballot page"][1] += statements[0] - counted
                    key = KEY.search(page)
                    assert status == 200, (status, page[:300])
                    assert key, page[:300]
                    form = {"idempotency_key": key.group(1), **fill(kind, index, page)}
                    body = urllib.parse.urlencode(form).encode()
                    cpu, counted = _cpu(), statements[0]
                    shown.clear()
                    if profiler and request == "ballot":
                        profiler.enable()
                    status, headers, text = await call(app, "POST", action, cookie, body)
                    if profiler and request == "ballot":
                        profiler.disable()
                    figures["ballot"][0] += _cpu() - cpu
                    figures["ballot"][1] += statements[0] - counted
                    assert status == 303, (status, text[:500])
                    if show and index == 1:
                        print(kind, *shown, sep="\n  ", file=sys.stderr)
                    cpu, counted = _cpu(), statements[0]
                    if profiler and request == "receipt page":
                        profiler.enable()
                    status, _, page = await call(app, "GET", page_path, cookie)
                    if profiler and request == "receipt page":
                        profiler.disable()
                    figures["receipt page"][0] += _cpu() - cpu
                    figures["receipt page"][1] += statements[0] - counted
                    assert status == 200, status
                    assert not KEY.search(page), "still the ballot after voting"
                await asyncio.to_thread(staff, "close", round_id)
                n = len(cookies)
                found[kind] = {
                    name: {"cpu_ms": 1000 * cpu / n, "statements": count / n}
                    for name, (cpu, count) in figures.items()
                }
                if profiler:
                    profiler.dump_stats(os.environ.get("WZ_PROFILE_FILE", "ballot.prof"))
                    stats = pstats.Stats(profiler, stream=sys.stderr)
                    stats.sort_stats("cumulative").print_stats(60)
                    stats.sort_stats("tottime").print_stats(25)
        return found

    print(json.dumps(asyncio.run(run())))


def measure(app_dir: Path, phones: int, profile: str, request: str = "ballot") -> dict[str, Any]:
    """One child run on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="ballot_ballot_cost-") as folder:
        url = f"sqlite:///{Path(folder) / 'ballots.sqlite3'}"
        night = prepare(url, phones)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ENVIRONMENT": "lan",
            "SECRET_KEY": "ballot-cost-" * 6,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "PYTHONPATH": str(app_dir),
            "PYTHONHASHSEED": "0",
        }
        arguments = json.dumps(
            [
                night.meeting_id,
                night.round_ids,
                [t for _, t in night.cards[:phones]],
                profile,
                request,
            ]
        )
        result = subprocess.run(
            [sys.executable, __file__, "--child", arguments],
            cwd=app_dir, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        if profile or os.environ.get("WZ_SHOW_STATEMENTS"):
            print(result.stderr)
        return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure each checkout `--repeat` times (alternating), print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--app-dir", type=Path, action="append", help="a checkout to measure (repeatable)"
    )
    parser.add_argument("--profile", choices=["wegen", "zeven", "kiezen"], default="")
    parser.add_argument(
        "--request",
        choices=["ballot page", "ballot", "receipt page"],
        default="ballot",
        help="which request --profile profiles (default: the ballot)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        meeting_id, rounds, tokens, profile, request = json.loads(options.child)
        child(meeting_id, rounds, tokens, profile, request)
        return 0
    dirs = options.app_dir or [REPO]
    rows: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for _ in range(options.repeat if not options.profile else 1):
        for app_dir in dirs:
            found = measure(app_dir.resolve(), options.phones, options.profile, options.request)
            for kind, requests in found.items():
                for name, figures in requests.items():
                    rows.setdefault((str(app_dir), kind, name), []).append(
                        (figures["cpu_ms"], figures["statements"])
                    )
    print(f"{options.phones} phones, CPU ms per request (each run), statements per request\n")
    print("| checkout | round | request | CPU ms | statements |")
    print("|---|---|---|---:|---:|")
    for (app_dir, kind, name), runs in rows.items():
        cpu = " / ".join(f"{c:.2f}" for c, _ in runs)
        print(f"| {app_dir} | {kind} | {name} | {cpu} | {runs[0][1]:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
