"""The suite's `one_database` marker (tests/conftest.py): a test that has it runs on SQLite only,
the others that use the database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest


def _collected(request: pytest.FixtureRequest, name: str) -> list[str]:
    """The ids this module's test `name` is collected with (collected again, unfiltered by -k)."""
    module = request.node.parent
    assert isinstance(module, pytest.Module)
    return [
        item.name
        for item in module.collect()
        if isinstance(item, pytest.Function) and item.originalname == name
    ]


@pytest.mark.one_database("checks the marker itself")
def test_a_test_marked_one_database_runs_on_sqlite_only(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    assert database_url.startswith("sqlite:")
    assert _collected(request, "test_a_test_marked_one_database_runs_on_sqlite_only") == [
        "test_a_test_marked_one_database_runs_on_sqlite_only[sqlite]"
    ]


def test_an_unmarked_test_runs_on_both(request: pytest.FixtureRequest, database_url: str) -> None:
    assert database_url.startswith(("sqlite:", "postgresql"))
    assert _collected(request, "test_an_unmarked_test_runs_on_both") == [
        "test_an_unmarked_test_runs_on_both[sqlite]",
        "test_an_unmarked_test_runs_on_both[postgresql]",
    ]
