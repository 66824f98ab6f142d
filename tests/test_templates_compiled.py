"""Every template is compiled when the server starts, not for the first visitor of its page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from app.templating import compile_all, templates


def test_the_server_compiles_every_template_before_its_first_request() -> None:
    names = templates.env.list_templates(extensions=["html"])
    assert len(names) > 50
    templates.env.cache.clear()  # type: ignore[union-attr]
    with TestClient(create_app()):
        compiled = {key[1] for key in templates.env.cache}  # type: ignore[union-attr]
    assert set(names) <= compiled


def test_compiling_every_template_counts_them() -> None:
    assert compile_all() == len(templates.env.list_templates(extensions=["html"]))
