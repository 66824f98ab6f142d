"""The `waardenzeef` command (also `python -m app`): `recount` starts on its own, quickly.

`recount` is sent to `app.cli_recount` before anything else is loaded (start-up time: see there);
every other command goes through the typer application in `app.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line."""
    if sys.argv[1:2] == ["recount"]:
        # No garbage collection from here on (as `app.cli_recount` runs the recount): importing
        # the domain makes thousands of objects and frees none, and the collector would walk
        # them all over again (6-7 ms of a 60 ms start).
        import gc

        gc.disable()
        from app.cli_recount import main as recount

        raise SystemExit(recount(sys.argv[2:]))
    from app.cli import main as everything_else

    everything_else()


if __name__ == "__main__":
    main()
