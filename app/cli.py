"""The `waardenzeef` command: what an operator does without a browser.

Each command imports what it needs when it runs, not at the top: `recount` (and `--help`) then
start without the web stack (FastAPI, SQLModel, SQLAlchemy) or the settings (pydantic), which
took longer to import than a recount takes. Keep it so: a test checks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.domain.vocabulary import Role, StakeholderGroup

cli = typer.Typer(
    help="Waardenzeef: participatory budget voting for neighbourhood meetings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _use_configured_language() -> None:
    # Messages and tables in the configured language (DEFAULT_LANGUAGE), as on the pages.
    from app import i18n

    try:
        i18n.current_language.set(i18n.configured_language())
    except ValueError as error:
        raise _fail(str(error)) from None


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


def _box(lines: list[str]) -> str:
    """Lines in a frame that stands out in a terminal full of log lines."""
    width = max(len(line) for line in lines)
    rule = "#" * (width + 6)
    inner = [f"#  {line.ljust(width)}  #" for line in lines]
    return "\n".join([rule, *inner, rule])


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL) to the newest schema."""
    from app import schema

    schema.upgrade()
    typer.echo("Database is up to date.")


@cli.command()
def seed(
    name: Annotated[str, typer.Argument(help="A seed in seeds/ (e.g. korrewegwijk) or a file.")],
) -> None:
    """Load a menu (idempotently) and report its data-quality warnings."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.domain.menu import MenuProblems
    from app.errors import DomainError
    from app.services import menus as menus_service
    from app.settings import ROOT

    seeds = ROOT / "seeds"
    path = Path(name)
    if not path.suffix:
        path = seeds / f"{name}.yaml"
    if not path.exists():
        available = ", ".join(sorted(p.stem for p in seeds.glob("*.yaml")))
        raise _fail(f"No seed '{name}': expected {path}. Available: {available}.")
    try:
        document = menus_service.read_menu_file(path)
        with Session(get_engine(), expire_on_commit=False) as session, session.begin():
            report = menus_service.load_menu(session, document=document)
    except MenuProblems as error:
        raise _fail(f"{path}: {error}") from None
    except DomainError as error:
        raise _fail(f"{path}: {error.message}") from None
    state = (
        f"{report.created} created, {report.updated} updated, {report.removed} removed"
        if report.changed
        else "already up to date, nothing changed"
    )
    typer.echo(f"Seed '{document.seed_key}' -> process {report.process_id}: {state}.")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}")


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="E-mail address, used to log in.")],
    role: Annotated[Role, typer.Option(help="wijkteam or facilitator.")] = Role.WIJKTEAM,
    name: Annotated[str, typer.Option(help="Name shown in the audit log.")] = "",
    if_none: Annotated[
        bool, typer.Option("--if-none", help="Only create it when no account of this role exists.")
    ] = False,
) -> None:
    """Create an account with a random password, printed once."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.errors import DomainError
    from app.services import users as users_service

    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        if if_none and users_service.has_users(session, role=role):
            typer.echo(
                f"A {role.value} account exists already; none created. Its password was shown "
                f"when it was made; forgotten? waardenzeef reset-password {email}"
            )
            return
        try:
            user, password = users_service.create_user(session, email=email, role=role, name=name)
        except DomainError as error:
            raise _fail(error.message) from None
    typer.echo(
        _box(
            [
                f"Created {role.value} account {user.email}.",
                f"One-time password (shown only now): {password}",
                "Log in at /login; you will be asked to choose your own password.",
            ]
        )
    )


@cli.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="E-mail address of the account.")],
) -> None:
    """Give an account a new one-time password (printed once) and end all its sessions."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.errors import DomainError
    from app.services import users as users_service

    _use_configured_language()
    try:
        with Session(get_engine(), expire_on_commit=False) as session, session.begin():
            user, password, ended = users_service.reset_password(session, email=email)
    except DomainError as error:
        raise _fail(error.localized()) from None
    typer.echo(
        _box(
            [
                f"New one-time password for {user.email} (shown only now): {password}",
                f"{ended} login session(s) ended. At the next login a new password is chosen.",
            ]
        )
    )


AsEmail = Annotated[
    str,
    typer.Option(
        "--as", help="E-mail of the wijkteam account the action is recorded under (audit log)."
    ),
]


@cli.command("import-menu")
def import_menu(
    file: Annotated[Path, typer.Argument(help="A menu as CSV, XLSX, YAML or JSON (see README).")],
    as_email: AsEmail,
    process: Annotated[
        int | None, typer.Option(help="Import into this process instead of creating a new one.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the file; write nothing.")
    ] = False,
) -> None:
    """Import a menu file: every problem is listed with its row and column, and nothing is written
    unless the whole file is right."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.errors import DomainError
    from app.services import imports as imports_service
    from app.services import users as users_service

    _use_configured_language()

    if not file.is_file():
        raise _fail(f"{file}: no such file.")
    try:
        with Session(get_engine(), expire_on_commit=False) as session, session.begin():
            user = users_service.operator(session, email=as_email)
            result = imports_service.import_menu(
                session,
                user=user,
                filename=file.name,
                data=file.read_bytes(),
                process_id=process,
                dry_run=check,
            )
    except DomainError as error:
        raise _fail(f"{file}: {error.localized()}") from None
    for note in result.read.notes:
        typer.echo(f"note: {note}")
    for warning in result.read.warnings:
        typer.echo(f"warning: {warning}")
    if not result.ok:
        for problem in result.read.problems:
            typer.echo(f"problem: {problem}", err=True)
        raise _fail(f"{file}: {len(result.read.problems)} problem(s); nothing was written.")
    action = "checked, nothing written" if check else f"imported into process {result.process_id}"
    typer.echo(
        f"{file}: {action}: {result.created} created, {result.updated} updated, "
        f"{result.removed} removed."
    )


@cli.command()
def cards(
    process_id: Annotated[int, typer.Argument(help="The process the cards are for.")],
    count: Annotated[int, typer.Option(help="How many cards (1..5000).")],
    out: Annotated[
        Path, typer.Option(help="Where to write them: a .pdf (A4 cut-out cards) or .csv.")
    ],
    as_email: AsEmail,
    group: Annotated[
        StakeholderGroup | None, typer.Option(help="Tag the batch with a stakeholder group.")
    ] = None,
    batch: Annotated[str, typer.Option(help="A name for the batch.")] = "",
    allow_local: Annotated[
        bool,
        typer.Option(
            "--allow-local",
            help="Allow an address on this computer (127.0.0.1, localhost): cards for a test here.",
        ),
    ] = False,
) -> None:
    """Issue voting-code cards and write them; the codes exist in plain text only in that file."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.errors import DomainError
    from app.exports import cards as cards_export
    from app.services import code_cards
    from app.services import users as users_service

    _use_configured_language()

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise _fail(f"--out: {out} must end in .pdf or .csv.")
    if suffix == ".pdf" and (missing := cards_export.pdf_unavailable()):
        raise _fail(f"--out: PDF cannot be made here ({missing}); use a .csv file.")
    try:
        base_url = code_cards.card_address(allow_local=allow_local)
    except DomainError as error:
        raise _fail(error.localized()) from None
    try:
        # Written inside the transaction: if the file cannot be made, no card is issued.
        with Session(get_engine(), expire_on_commit=False) as session, session.begin():
            user = users_service.operator(session, email=as_email)
            request = code_cards.IssueRequest(count, group, batch)
            process, issued = code_cards.issue(
                session, user=user, process_id=process_id, request=request
            )
            if suffix == ".pdf":
                data = cards_export.cards_pdf(
                    issued, base_url=base_url, process_title=process.title
                )
            else:
                data = cards_export.cards_csv(issued, base_url=base_url)
            out.write_bytes(data)
    except DomainError as error:
        raise _fail(error.localized()) from None
    except OSError as error:
        raise _fail(f"--out: cannot write {out}: {error.strerror}; no card was issued.") from None
    typer.echo(f"{len(issued)} cards for '{process.title}' written to {out}.")


@cli.command("export-plan")
def export_plan(
    process_id: Annotated[int, typer.Argument(help="The process whose plan to export.")],
    out: Annotated[
        Path, typer.Option(help="The file: .pdf, .xlsx, .csv, .json or .pb (the ballots).")
    ],
    rule: Annotated[
        str, typer.Option(help="greedy, optimal, equal_shares, equal_shares_packages.")
    ] = "greedy",
    ranked_by: Annotated[
        str, typer.Option(help="contribution or value_per_euro.")
    ] = "contribution",
    adopted: Annotated[
        bool, typer.Option("--adopted", help="The latest adopted plan, exactly as adopted.")
    ] = False,
) -> None:
    """Export a bewonersplan (the current outcome, or the adopted one) as a file."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.domain.waardenzeef import RankBy, Rule
    from app.errors import DomainError
    from app.exports import plan_files
    from app.services import plans as plans_service
    from app.services import schedules as schedules_service

    _use_configured_language()

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in plan_files.FORMATS:
        raise _fail(f"--out: {out} must end in one of .{', .'.join(plan_files.FORMATS)}.")
    try:
        chosen_rule, chosen_ranking = Rule(rule), RankBy(ranked_by)
    except ValueError as error:
        raise _fail(f"{error}.") from None
    try:
        with Session(get_engine(), expire_on_commit=False) as session:
            if adopted:
                snapshot = plans_service.adopted(session, process_id=process_id)
                if snapshot is None:
                    raise _fail(f"Process {process_id} has no adopted plan yet.")
                plan, ballots = plans_service.snapshot_content(snapshot)
                schedules_service.attach(session, plan)
            else:
                plan, ballots = plans_service.compute(
                    session, process_id=process_id, rule=chosen_rule, ranked_by=chosen_ranking
                )
        out.write_bytes(plan_files.render(plan, ballots, fmt))
    except DomainError as error:
        raise _fail(error.localized()) from None
    except OSError as error:
        raise _fail(f"--out: cannot write {out}: {error.strerror}.") from None
    typer.echo(
        f"Plan of process {process_id} ({plan.rule}) written to {out}; "
        f"fingerprint {plan.fingerprint}."
    )


@cli.command("purge-offers")
def purge_offers(
    check: Annotated[
        bool, typer.Option("--check", help="Only say how many are due; delete nothing.")
    ] = False,
) -> None:
    """Delete residents' offers of help past their retention date (recorded in the audit log)."""
    from sqlmodel import Session

    from app.db import get_engine
    from app.services import offers as offers_service

    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        if check:
            due = len(offers_service.due(session))
            if due:
                typer.echo(
                    f"{due} offer(s) of help are past their retention date: "
                    "run 'waardenzeef purge-offers' to delete them."
                )
            return
        purged = offers_service.purge(session)
    total = sum(purged.values())
    where = ", ".join(f"process {p}: {n}" for p, n in sorted(purged.items()))
    typer.echo(
        f"Deleted {total} offer(s) of help past their retention date ({where})."
        if total
        else "No offers of help are past their retention date."
    )


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (one process).")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Server processes (WORKERS).")] = None,
) -> None:
    """Serve the web application with uvicorn and print the addresses for each kind of user."""
    import os

    import uvicorn

    from app.settings import get_settings, public_address

    # The options win over HOST and PORT, also for the address on cards and the projector.
    if host is not None:
        os.environ["HOST"] = host
    if port is not None:
        os.environ["PORT"] = str(port)
    get_settings.cache_clear()
    settings = get_settings()
    address = public_address(settings)
    base = address.base_url
    typer.echo(f"Residents:    {base}/")
    typer.echo(f"Facilitators: {base}/login  (then /facilitator)")
    typer.echo(f"Wijkteam:     {base}/login  (then /wijkteam)")
    typer.echo(f"API:          {base}/api/docs")
    typer.echo(f"Listening on {settings.host}:{settings.port}.")
    if address.source == "lan":
        typer.echo(
            f"HOST={settings.host}: using this machine's LAN address {address.host}, found at "
            "start-up. Phones on the same wifi reach it; check with the test QR code on the "
            "console."
        )
    elif address.source == "no_lan":
        typer.echo(
            f"HOST={settings.host}, but this machine has no LAN address (no network?): cards and "
            "the projector would point at 127.0.0.1, which no phone reaches."
        )
    if address.is_loopback:
        typer.echo(
            "Note: this address is this computer only; no phone can reach it. For a meeting, "
            "use HOST=0.0.0.0 on the venue's network or set PUBLIC_BASE_URL (README: Running a "
            "meeting). Cards are refused until then."
        )
    else:
        import io

        import segno

        qr = io.StringIO()
        segno.make(f"{base}/", error="m").terminal(out=qr, compact=True)
        typer.echo("Residents scan this to open the start page (type the code from a card):")
        typer.echo(qr.getvalue(), nl=False)
    processes = 1 if reload else (workers or settings.workers)
    typer.echo(f"{processes} server process(es) (WORKERS).")
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=processes,
        proxy_headers=True,
    )


def main() -> None:
    """Run the command line."""
    cli()


@cli.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def recount(context: typer.Context) -> None:
    """Recount a Pabulib instance with one of the allocation rules and explain the outcome.

    FILE [--rule R] [--sat S] [--json]; `waardenzeef recount --help` says more.
    """
    # Parsed in app.cli_recount (argparse): typer would load pydantic just to read the options.
    from app.cli_recount import main as run

    code = run(context.args)
    if code:
        raise typer.Exit(code=code)
