"""`waardenzeef recount`: a Pabulib file recounted with one of the allocation rules.

Its own small parser (argparse), not typer's: typer loads pydantic to read any command's options,
and typer and pydantic together took longer to load than reading a city's file and counting it.
`app.__main__` sends `recount` here before anything else is loaded; `app.cli` forwards to it too,
so `waardenzeef --help` lists it. Keep the imports here to the standard library and the domain,
and away from what is slow to load: `dataclasses` (see `app.domain.allocation`), `pathlib`, and
babel (the table's translations are read without it: see `app.i18n`). `tests/test_cli_recount.py`
checks that a recount loads no `dataclasses`, `inspect` or babel.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.domain.recount import Recount

SUMMARY = "Recount a Pabulib instance with one of the allocation rules and explain the outcome."


class _Help(argparse.HelpFormatter):
    """argparse's help as wide as the terminal, found without `shutil` (argparse imports it for
    the width on every `add_argument`, and it loads bz2 and lzma: about 4 ms of a recount's
    start)."""

    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            columns = 80
        super().__init__(prog, width=columns - 2)


def parser() -> argparse.ArgumentParser:
    """The command's options."""
    parse = argparse.ArgumentParser(
        prog="waardenzeef recount", description=SUMMARY, formatter_class=_Help
    )
    parse.add_argument("file", metavar="FILE", help="A Pabulib .pb file.")
    parse.add_argument(
        "--rule",
        metavar="RULE",
        help="greedy; mes (equal shares, no completion); mes-add1 (equal shares, add one, then "
        "greedy: Pabulib's equalshares/add1); mes-add1-only (add one, no greedy); "
        "mes-add1-compare (mes-add1, then greedy's outcome instead if more voters prefer it: "
        "Wieliczka 2023); optimal. "
        "Default: the file's own rule, else greedy.",
    )
    parse.add_argument(
        "--sat",
        metavar="SAT",
        help="Satisfaction: cost, cardinality or cardinal. Default: cost for approval votes, "
        "cardinal (the points) for cumulative and scoring votes.",
    )
    parse.add_argument("--json", action="store_true", help="Print one JSON object.")
    return parse


def main(arguments: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (2: bad input, 1: a plan file's fingerprint differs
    or its vote and points columns do not follow from its raw ballots)."""
    options = parser().parse_args(arguments)
    # A recount is short and the engine's data hold no reference cycles (reference counting
    # frees them): the cyclic collector's passes over its long lists of big whole numbers only
    # cost time, 14% of Warszawa 2023 Ochota's "add one" (11.95 s to 10.32 s of CPU).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _recount(options.file, options.rule, options.sat, as_json=options.json)
    except _Refused as refused:
        print(refused, file=sys.stderr)
        return 2
    finally:
        if collecting:
            gc.enable()


class _Refused(Exception):
    """Bad input: the message says what and where; the exit code is 2."""


def _recount(file: str, rule: str | None, sat: str | None, *, as_json: bool) -> int:
    from app.domain.allocation import Satisfaction
    from app.domain.pabulib import PabulibError, read_pabulib
    from app.domain.recount import RecountRule
    from app.domain.recount import recount as run_recount

    try:
        chosen_rule = RecountRule(rule) if rule else None
    except ValueError:
        known = ", ".join(r.value for r in RecountRule)
        raise _Refused(f"Unknown rule '{rule}': use {known}.") from None
    try:
        chosen_sat = Satisfaction(sat) if sat else None
    except ValueError:
        known = "cost, cardinality or cardinal"
        raise _Refused(f"Unknown satisfaction '{sat}': use {known}.") from None
    try:
        instance = read_pabulib(file)
        if "waardenzeef_format" in instance.meta and rule is None and sat is None:
            # Perhaps a bewonersplan's ballots (app.domain.plan_file, loaded only then).
            from app.domain import plan_file

            if plan_file.is_plan_file(instance):
                try:
                    plan = plan_file.recount(instance)
                except plan_file.Tampered as error:
                    # The columns outside tools read do not follow from the raw ballots.
                    print(f"{file}: {error}", file=sys.stderr)
                    return 1
                _print_json(plan.as_json()) if as_json else _print(plan.render_table())
                return 0 if plan.ok else 1
        result = run_recount(instance, chosen_rule, chosen_sat)
    except FileNotFoundError:
        raise _Refused(f"{file}: no such file.") from None
    except IsADirectoryError:
        raise _Refused(f"{file}: is a directory, not a .pb file.") from None
    except PabulibError as error:
        raise _Refused(str(error)) from None
    except ValueError as error:
        raise _Refused(f"{file}: {error}") from None
    if as_json:
        _print_json(result.as_json())
    else:
        _print(_table(result))
    return 0


def _table(result: Recount) -> str:
    from app import i18n
    from app.domain.recount import render_table

    try:
        i18n.current_language.set(i18n.configured_language())
    except ValueError as error:
        raise _Refused(str(error)) from None
    return render_table(result, i18n.gettext)


def _print_json(data: object) -> None:
    import json

    _print(json.dumps(data, ensure_ascii=False) + "\n")


def _print(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
