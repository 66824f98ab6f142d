"""The domain is pure Python: nothing under app/domain reaches for the web or the database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
FORBIDDEN = ("fastapi", "sqlmodel", "sqlalchemy", "jinja2", "starlette")


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_no_domain_module_imports_a_framework_or_the_database() -> None:
    offenders = {
        str(path.relative_to(DOMAIN)): sorted(
            name for name in _imported(path) if name.split(".")[0] in FORBIDDEN
        )
        for path in _domain_modules()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_the_whole_domain_loads_none_of_them() -> None:
    # In a fresh interpreter, so that what the test suite itself imports does not count.
    modules = [
        "app.domain." + ".".join(path.relative_to(DOMAIN).with_suffix("").parts)
        for path in _domain_modules()
    ]
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=DOMAIN.parents[1],
    )
    assert completed.stdout.strip() == "[]"
