"""Arrows run one way: no module imports a layer above its own, and no modules import each other.

The layers, lowest first, are the house of docs/architecture: settings; the plumbing (database,
translations, errors, security); the domain; the tables; the templates; the exports; the
services; the web edge (routes, middleware); the entry points. A route module (one that defines
a router) is imported by no other route module: what pages and API share lives in the routes'
helper modules (dependencies, `api_common`, `_files`).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
LAYERS = [
    ["app.settings"],
    ["app.db", "app.i18n", "app.schema", "app.errors", "app.security", "app.static_assets"],
    ["app.domain"],
    ["app.models"],
    ["app.wording", "app.templating"],
    ["app.exports"],
    ["app.services"],
    ["app.routes", "app.limits", "app.capacity"],
    ["app.main", "app.cli", "app.cli_recount", "app.__main__", "app"],
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The app modules a file imports, anywhere in it (a function body counts too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("app"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if candidate in MODULES else node.module)
    return {n for n in names if n in MODULES}


def _layer(module: str) -> int:
    best = (-1, -1)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                best = max(best, (len(prefix), index))
    assert best[1] >= 0, f"{module} is on no layer: add it to LAYERS"
    return best[1]


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert upward == []


def test_no_modules_import_each_other() -> None:
    # Depth-first search for a back edge: any loop, however long, is a circle.
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                circles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_route_module_imports_another() -> None:
    routers = {
        module
        for module, path in MODULES.items()
        if module.startswith("app.routes.") and "APIRouter(" in path.read_text(encoding="utf-8")
    }
    crossing = sorted(
        f"{module} -> {target}"
        for module in routers
        for target in GRAPH[module]
        if target in routers
    )
    assert crossing == []
