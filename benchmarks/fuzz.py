"""Fuzz the JSON API with schemathesis on SQLite and PostgreSQL: 0 server errors, 0 violations.

    .venv/bin/python -m benchmarks.fuzz                       # both databases, 10,000 requests each
    .venv/bin/python -m benchmarks.fuzz --database sqlite --requests 2000

For each database: a fresh database (SQLite in a temporary folder; PostgreSQL `wz_integrity_fuzz_*`
on TEST_DATABASE_URL's server, dropped afterwards), migrated, with the Korrewegwijk menu, a
wijkteam account, a facilitator assigned to it, a closed meeting night with ballots, a meeting
of three rounds with Wegen open and cards; the app served by uvicorn on 127.0.0.1; then through
the API the life after the vote (receipts published, plan and schedule adopted, follow-up begun,
an offer of help, an editable new version of the menu), whose ids and keys the fuzz uses for its
path parameters half of the time (the other half it makes them up); then `schemathesis run`
against its OpenAPI document, once as the wijkteam and once as the facilitator, each time also
as a resident who joined with a card (benchmarks/fuzz_hooks.py), in all phases (examples,
coverage, fuzzing, stateful), repeated with new seeds until the requests reach the target.
Every response is checked: no 5xx, and status code, content type, headers and body as the
document says.

`POST /api/logout` and `POST /api/users/{user_id}/deactivate` are left out: they would end the
identities the fuzz runs as (the tests cover both). Prints one line per run and a summary, which
it writes between the fuzz markers of benchmarks/README.md (unless --no-write); exit code 1 when
any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
        "allow_header_conformance",
    )
)
EXCLUDED = ("/api/logout", "/api/users/{user_id}/deactivate")


@dataclass
class Identity:
    """Who the fuzz runs as."""

    name: str
    email: str
    password: str
    codes: list[str]


@dataclass
class Totals:
    """What the runs on one database added up to."""

    database: str
    requests: int = 0
    cases: int = 0
    server_errors: int = 0
    violations: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runs: int = 0


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str) -> tuple[list[Identity], list[int]]:
    """Migrate, load the demo menu, make the accounts, a meeting with Wegen open, and cards."""
    from app import schema
    from app.db import build_engine
    from app.domain.vocabulary import Role, RoundKind
    from app.models import Process, ProcessFacilitator
    from app.services import codes as codes_service
    from app.services import meetings as meetings_service
    from app.services import menus as menus_service
    from app.services import rounds as rounds_service
    from app.services import users as users_service
    from tests.factories import meeting_night

    schema.upgrade(url=url)
    engine = build_engine(url)
    identities = []
    with Session(engine, expire_on_commit=False) as session, session.begin():
        document = menus_service.read_menu_file(REPO / "seeds" / "korrewegwijk.yaml")
        menus_service.load_menu(session, document=document)
        process = session.exec(select(Process).order_by(col(Process.id))).first()
        assert process is not None
        assert process.id is not None
        password = secrets.token_urlsafe(16)
        wijkteam, _ = users_service.create_user(
            session, email="fuzz-wijkteam@example.org", role=Role.WIJKTEAM, password=password
        )
        facilitator, _ = users_service.create_user(
            session, email="fuzz-facilitator@example.org", role=Role.FACILITATOR, password=password
        )
        assert facilitator.id is not None
        session.add(ProcessFacilitator(process_id=process.id, user_id=facilitator.id))
        session.flush()
        # A night already behind the process: closed Wegen, Zeven and Kiezen with ballots, so
        # that the plan can be adopted (and with it the schedule, follow-up and offers).
        meeting_night(session, process.id, participants=12, seed=14)
        meeting = meetings_service.create_meeting(
            session, user=facilitator, process_id=process.id, title="Fuzzavond"
        )
        assert meeting.id is not None
        rounds = {r.kind: r for r in meetings_service.rounds_of(session, meeting_id=meeting.id)}
        rounds_service.open_round(
            session, user=facilitator, round_id=rounds[RoundKind.WEGEN].id or 0
        )
        cards = codes_service.issue_codes(session, process_id=process.id, count=8, batch="fuzz")
        codes = [c.code for c in cards]
        code_ids = [c.id for c in cards]
        for user, own in ((wijkteam, codes[:4]), (facilitator, codes[4:])):
            identities.append(Identity(user.role.value, user.email, password, own))
    engine.dispose()
    return identities, code_ids


def serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The app under uvicorn on 127.0.0.1:port, on this database."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).is_success:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"the app did not start; see {log}")


def after_the_vote(
    port: int, identities: list[Identity], code_ids: list[int]
) -> dict[str, list[int | str]]:
    """Through the API: receipts published, plan and schedule adopted, follow-up begun, an
    offer of help, an editable new version of the menu; returns the ids and keys that exist,
    which the fuzz uses for its path parameters half of the time (the rest it makes up)."""
    base = f"http://127.0.0.1:{port}/api"
    staff = {}
    for identity in identities:
        client = httpx.Client(timeout=120)
        login = client.post(
            f"{base}/login", json={"email": identity.email, "password": identity.password}
        )
        login.raise_for_status()
        staff[identity.name] = client
    wijkteam, facilitator = staff["wijkteam"], staff["facilitator"]
    [process] = wijkteam.get(f"{base}/processes").raise_for_status().json()
    pid = process["id"]
    meetings: list[int] = []
    rounds: list[int] = []
    for meeting_id in range(1, 4):
        answer = facilitator.get(f"{base}/meetings/{meeting_id}")
        if answer.is_success:
            meetings.append(meeting_id)
            for round_ in answer.json()["rounds"]:
                rounds.append(round_["id"])
                if round_["state"] == "closed":
                    facilitator.post(f"{base}/rounds/{round_['id']}/receipts/publish")
    wijkteam.post(f"{base}/processes/{pid}/plan/adopt").raise_for_status()
    wijkteam.post(f"{base}/processes/{pid}/plan/schedule/adopt").raise_for_status()
    wijkteam.patch(f"{base}/processes/{pid}/follow-up", json={"first_year": 2027})
    menu = wijkteam.get(f"{base}/processes/{pid}/menu").raise_for_status().json()
    effect_list = [e for top in menu["effects"] for e in (top, *top.get("sub_effects", []))]
    measure_ids = {m["key"]: m["id"] for e in effect_list for m in e.get("measures", [])}
    measures = list(measure_ids)
    effects = [e["key"] for e in effect_list]
    indicators = [i["key"] for e in effect_list for i in e.get("indicators", [])]
    wijkteam.put(
        f"{base}/processes/{pid}/follow-up/measures/{measures[0]}", json={"status": "bezig"}
    )
    resident = httpx.Client(timeout=60)
    resident.post(f"{base}/join", json={"code": identities[0].codes[-1]}).raise_for_status()
    resident.post(
        f"{base}/offers",
        json={
            "measure_ids": [measure_ids[measures[0]]],
            "name": "Fuzz Bewoner",
            "contact_kind": "email",
            "contact": "bewoner@example.org",
            "consent": True,
        },
    ).raise_for_status()
    version = wijkteam.post(f"{base}/processes/{pid}/versions").raise_for_status().json()
    offers = wijkteam.get(f"{base}/processes/{pid}/offers").raise_for_status().json()
    users = wijkteam.get(f"{base}/users").raise_for_status().json()
    for client in (*staff.values(), resident):
        client.close()
    return {
        "process": [pid, version["id"]],
        "meeting": meetings,
        "round": rounds,
        "key": measures + effects + indicators,
        "user": [u["id"] for u in users],
        "code": code_ids,
        "offer": [o["id"] for m in offers for o in m["offers"]],
        "year": [2027, 2028],
    }


# Path parameters and the ids they take from after_the_vote.
BOUND = {
    "process_id": "process",
    "meeting_id": "meeting",
    "round_id": "round",
    "key": "key",
    "user_id": "user",
    "code_id": "code",
    "offer_id": "offer",
    "year": "year",
}


def config_file(report: Path, known: dict[str, list[int | str]]) -> Path:
    """Schemathesis' settings for one run: its cache beside the report (not a .schemathesis/
    folder in the working tree), and real ids for path parameters half of the time."""
    lines = ["[cache]", f"directory = {json.dumps(str(report.with_suffix('.cache')))}", ""]
    for name, values in known.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for parameter, name in BOUND.items():
        if known.get(name):
            lines.append(f'"path.{parameter}" = {{ dictionary = "{name}", probability = 0.5 }}')
    config = report.with_suffix(".toml")
    config.write_text("\n".join(lines) + "\n")
    return config


def run_schemathesis(
    port: int,
    identity: Identity,
    *,
    seed: int,
    max_examples: int,
    report: Path,
    known: dict[str, list[int | str]],
) -> tuple[int, int, dict[str, int], list[str]]:
    """One `schemathesis run`; returns requests, test cases, failures per check, and samples."""
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "benchmarks.fuzz_hooks",
        "PYTHONPATH": str(REPO),
        "WZ_FUZZ_BASE": f"http://127.0.0.1:{port}",
        "WZ_FUZZ_EMAIL": identity.email,
        "WZ_FUZZ_PASSWORD": identity.password,
        "WZ_FUZZ_CODES": ",".join(identity.codes),
    }
    config = config_file(report, known)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run",
        f"http://127.0.0.1:{port}/api/openapi.json",
        "--checks", CHECKS,
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--workers", "1",
        "--continue-on-failure",
        "--suppress-health-check", "all",
        "--request-timeout", "60",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        "--output-truncate", "true",
        *[arg for path in EXCLUDED for arg in ("--exclude-path", path)],
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    (report.with_suffix(".log")).write_text(done.stdout + done.stderr)
    return _read_report(report)


def _read_report(report: Path) -> tuple[int, int, dict[str, int], list[str]]:
    requests = cases = 0
    failures: dict[str, int] = {}
    samples: list[str] = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for kind, body in event.items():
            if kind != "ScenarioFinished":
                continue
            recorder = body.get("recorder", {})
            interactions = recorder.get("interactions", {})
            requests += len(interactions)
            cases += len(recorder.get("cases", {}))
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if str(check.get("status")).lower() == "failure":
                        name = check.get("name", "?")
                        failures[name] = failures.get(name, 0) + 1
                        if len(samples) < 30:
                            failure = (check.get("failure_info") or {}).get("failure", {})
                            samples.append(
                                f"{failure.get('operation')}: {failure.get('title')}: "
                                f"{str(failure.get('message'))[:300]}"
                            )
    return requests, cases, failures, samples


def make_database(kind: str, folder: Path) -> tuple[str, str | None]:
    """A fresh database URL, and the admin URL to drop it with (PostgreSQL)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'fuzz.sqlite3'}", None
    from app.settings import normalise_database_url

    admin_url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    name = f"wz_integrity_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), admin_url


def drop_database(url: str, admin_url: str | None) -> None:
    """Drop a PostgreSQL database made by make_database."""
    if admin_url is None:
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def fuzz(kind: str, *, target: int, port: int, seed: int, max_examples: int, keep: Path) -> Totals:
    """Fuzz one database until `target` requests were made; each run on a fresh database."""
    totals = Totals(kind)
    started = time.monotonic()
    run = 0
    while totals.requests < target:
        # A fresh database per run: one run may revoke the cards or unassign the facilitator
        # that the next run's identity needs.
        with tempfile.TemporaryDirectory(prefix=f"wz-fuzz-{kind}-") as tmp:
            url, admin_url = make_database(kind, Path(tmp))
            server = None
            try:
                identities, code_ids = prepare(url)
                server = serve(url, port, keep / f"server-{kind}-{run:02d}.log")
                known = after_the_vote(port, identities, code_ids)
                identity = identities[run % len(identities)]
                report = keep / f"{kind}-{run:02d}-{identity.name}.ndjson"
                requests, cases, failures, samples = run_schemathesis(
                    port,
                    identity,
                    seed=seed + run,
                    max_examples=max_examples,
                    report=report,
                    known=known,
                )
            finally:
                if server is not None:
                    server.send_signal(signal.SIGTERM)
                    server.wait(timeout=30)
                drop_database(url, admin_url)
        run += 1
        totals.runs = run
        totals.requests += requests
        totals.cases += cases
        totals.server_errors += failures.get("not_a_server_error", 0)
        totals.violations += sum(n for name, n in failures.items() if name != "not_a_server_error")
        totals.failures.extend(samples)
        print(
            f"{kind} run {run} as {identity.name}: {requests} requests, {cases} cases, "
            f"failures {failures or 'none'}",
            flush=True,
        )
        if requests == 0:
            raise RuntimeError(f"schemathesis made no request; see {report}.log")
    totals.seconds = time.monotonic() - started
    return totals


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz on the chosen databases and print the figures for benchmarks/README.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=10_000, help="requests per database")
    parser.add_argument("--port", type=int, default=8341)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--max-examples", type=int, default=60, help="per operation and run")
    parser.add_argument("--reports", type=Path, default=REPO / "var" / "fuzz")
    parser.add_argument(
        "--no-write", dest="write", action="store_false", help="print only, leave the README"
    )
    args = parser.parse_args(argv)
    args.reports = args.reports.resolve()
    args.reports.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    for kind in kinds:
        port = _free_port(args.port)
        results.append(
            fuzz(
                kind,
                target=args.requests,
                port=port,
                seed=args.seed,
                max_examples=args.max_examples,
                keep=args.reports,
            )
        )
    text = summary(results, commit=_commit(), requests=args.requests)
    print("\n" + text)
    for t in results:
        for sample in t.failures:
            print(f"{t.database}: {sample}")
    if args.write:
        write_readme(text)
    return 1 if any(t.server_errors or t.violations for t in results) else 0


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def summary(results: list[Totals], *, commit: str, requests: int) -> str:
    """The figures for benchmarks/README.md: when, at which commit, per database."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Last run: {when}, commit {commit}, schemathesis 4.32.5, "
        f"`python -m benchmarks.fuzz` (at least {requests:,} requests per database, "
        "each run on a fresh database; niced on 2 shared cores).",
        "",
        "| database | runs | requests | test cases | server errors | schema violations | time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.database} | {t.runs} | {t.requests:,} | {t.cases:,} | {t.server_errors} | "
        f"{t.violations} | {t.seconds / 60:.0f} min |"
        for t in results
    ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Put the figures between the fuzz markers of benchmarks/README.md."""
    readme = REPO / "benchmarks" / "README.md"
    content = readme.read_text()
    start, end = "<!-- fuzz:start -->", "<!-- fuzz:end -->"
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    sys.exit(main())
