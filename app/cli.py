"""The `waardenzeef` command: what an operator does without a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from app.db import get_engine
from app.domain.menu import MenuFormatError
from app.domain.vocabulary import Role
from app.errors import DomainError
from app.settings import ROOT, get_settings

cli = typer.Typer(
    help="Waardenzeef: participatory budget voting for neighbourhood meetings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

SEEDS_DIR = ROOT / "seeds"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


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
    from app.services import menus as menus_service

    path = Path(name)
    if not path.suffix:
        path = SEEDS_DIR / f"{name}.yaml"
    if not path.exists():
        available = ", ".join(sorted(p.stem for p in SEEDS_DIR.glob("*.yaml")))
        raise _fail(f"No seed '{name}': expected {path}. Available: {available}.")
    try:
        document = menus_service.read_menu_file(path)
        with Session(get_engine(), expire_on_commit=False) as session, session.begin():
            report = menus_service.load_menu(session, document=document)
    except MenuFormatError as error:
        raise _fail(str(error)) from None
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
    from app.services import users as users_service

    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        if if_none and users_service.has_users(session, role=role):
            typer.echo(f"A {role.value} account exists already; none created.")
            return
        try:
            user, password = users_service.create_user(session, email=email, role=role, name=name)
        except DomainError as error:
            raise _fail(error.message) from None
    typer.echo(f"Created {role.value} account {user.email}.")
    typer.echo(f"Password (shown only now): {password}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
) -> None:
    """Serve the web application with uvicorn and print the addresses for each kind of user."""
    import uvicorn

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    base = f"http://{host}:{port}"
    typer.echo(f"Residents:    {base}/")
    typer.echo(f"Facilitators: {base}/login  (then /facilitator)")
    typer.echo(f"Wijkteam:     {base}/login  (then /wijkteam)")
    typer.echo(f"API:          {base}/api/docs")
    uvicorn.run("app.main:app", host=host, port=port, reload=reload, proxy_headers=True)


def main() -> None:
    """Run the command line."""
    cli()


@cli.command()
def recount(
    file: Annotated[Path, typer.Argument(help="A Pabulib .pb file.", show_default=False)],
    rule: Annotated[
        str | None,
        typer.Option(
            help="greedy, mes, mes-add1 (equal shares, add one, then greedy: Pabulib's "
            "equalshares/add1), mes-add1-only or optimal. Default: the file's own rule, "
            "else greedy."
        ),
    ] = None,
    sat: Annotated[
        str | None,
        typer.Option(
            help="Satisfaction: cost, cardinality or cardinal. Default: cost for approval votes, "
            "cardinal (the points) for cumulative and scoring votes."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Recount a Pabulib instance with one of the allocation rules and explain the outcome."""
    import json

    from app.domain import plan_file
    from app.domain.allocation import Satisfaction
    from app.domain.pabulib import PabulibError, read_pabulib
    from app.domain.recount import RecountRule, render_table
    from app.domain.recount import recount as run_recount
    from app.i18n import gettext

    try:
        chosen_rule = RecountRule(rule) if rule else None
    except ValueError:
        raise _fail(
            f"Unknown rule '{rule}': use {', '.join(r.value for r in RecountRule)}."
        ) from None
    try:
        chosen_sat = Satisfaction(sat) if sat else None
    except ValueError:
        raise _fail(f"Unknown satisfaction '{sat}': use cost, cardinality or cardinal.") from None
    try:
        instance = read_pabulib(file)
        if plan_file.is_plan_file(instance) and chosen_rule is None and chosen_sat is None:
            # A bewonersplan's ballots: recount with the Waardenzeef rule it was computed with.
            plan = plan_file.recount(instance)
            typer.echo(json.dumps(plan.as_json()) if as_json else plan.render_table(), nl=as_json)
            if not plan.fingerprint_matches:
                raise typer.Exit(code=1)
            return
        result = run_recount(instance, chosen_rule, chosen_sat)
    except FileNotFoundError:
        raise _fail(f"{file}: no such file.") from None
    except IsADirectoryError:
        raise _fail(f"{file}: is a directory, not a .pb file.") from None
    except PabulibError as error:
        raise _fail(str(error)) from None
    except ValueError as error:
        raise _fail(f"{file}: {error}") from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        typer.echo(render_table(result, gettext), nl=False)
