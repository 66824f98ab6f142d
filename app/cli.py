"""The `waardenzeef` command: what an operator does without a browser."""

from __future__ import annotations

import typer

cli = typer.Typer(
    help="Waardenzeef: participatory budget voting for neighbourhood meetings.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Run the command line."""
    cli()
