"""The bewonersplan as a print-ready A4 PDF, rendered by WeasyPrint from the page's templates."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

from app.i18n import gettext as _

STATIC = Path(__file__).resolve().parent.parent / "static"
# Rendered PDFs by the SHA-256 of what they are made of (WeasyPrint's version, the stylesheet
# and the page): a PDF is a function of these, so one found here is the one WeasyPrint would
# make now, whichever instance made it; another plan, other ballots or another day (the footer
# prints the date) is another page and another file. Shared by the instances on one machine;
# an instance that cannot read or write here renders every time.
CACHE = STATIC.parent.parent / "var" / "cache" / "plan-pdf"
CACHE_KEPT = 200  # files; the oldest go first


@lru_cache
def unavailable() -> str | None:
    """Why PDFs cannot be made on this server (WeasyPrint or its system libraries missing)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        # OSError: WeasyPrint is installed but Pango/HarfBuzz are not (see the README).
        return f"WeasyPrint cannot load ({type(error).__name__}: {error}); install Pango 1.44+"
    return None


def print_css() -> str:
    """The stylesheet of the printed plan: the site's look, A4 pages, page numbers and date."""
    page = _("Page")
    of = _("of")
    return (
        (STATIC / "site.css").read_text(encoding="utf-8")
        + (STATIC / "plan.css").read_text(encoding="utf-8")
        + (STATIC / "schedule.css").read_text(encoding="utf-8")
        + f"""
@page {{
  size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left {{ content: element(footer); font-size: 8pt; color: #4f5863; }}
  @bottom-right {{ content: "{page} " counter(page) " {of} " counter(pages); font-size: 8pt; }}
}}
:root {{ font-size: 10pt; background: white; }}
#footer-text {{ position: running(footer); }}
h1 {{ font-size: 18pt; margin-bottom: 4pt; }}
h2 {{ font-size: 13pt; margin: 14pt 0 4pt; }}
h3 {{ font-size: 11pt; margin: 8pt 0 2pt; }}
/* A heading, its introduction and the head of its table stay on one page. */
h2, h3, p.intro, p.how {{ break-after: avoid; }}
p.intro, p.how {{ break-inside: avoid; }}
table {{ break-before: avoid; }}
.plan-section {{ break-inside: auto; }}
.round-turnout, .effect-money, dl.shared-reasons div {{ break-inside: avoid; }}
section.summary {{ break-after: page; }}
section.summary p.how {{ font-size: 10.5pt; }}
table.stack {{ font-size: 8.5pt; }}
table.stack th, table.stack td {{ padding: 4px 5px; }}
table.plan-table {{ table-layout: fixed; }}
table.plan-table th:nth-child(1) {{ width: 4%; }}
table.plan-table th:nth-child(2) {{ width: 25%; }}
table.plan-table th:nth-child(3) {{ width: 17%; }}
table.plan-table th:nth-child(4) {{ width: 19%; }}
table.plan-table th:nth-child(6) {{ width: 35%; }}
section#method {{ break-inside: avoid; }}
table.kiezen-table th:nth-child(1) {{ width: 26%; }}
table.kiezen-table th:nth-child(2) {{ width: 11%; }}
table.kiezen-table th:nth-child(3) {{ width: 12%; }}
table.kiezen-table th:nth-child(4) {{ width: 7%; }}
.support-col {{ display: none; }}
.horizons span {{ display: block; }}
.horizons span::after {{ content: none !important; }}
dl.ledger {{ grid-template-columns: repeat(3, 1fr); }}
dl.shared-reasons dt {{ font-weight: 700; margin-top: 4pt; }}
dl.shared-reasons dd {{ margin: 0 0 2pt 0; }}
table.stack tr {{ break-inside: avoid; }}
table.stack thead {{ display: table-header-group; }}
svg.bar {{ height: 12pt; }}
a {{ color: inherit; text-decoration: none; }}
"""
    )


def render(html: str) -> bytes:
    """The PDF of a printed plan page (rendered once per page; see `CACHE` and `_rendering`)."""
    css = print_css()
    path = _kept_path(html, css)
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        return _rendering(html, css, path).result()
    except BrokenProcessPool:
        # The renderer died (killed, out of memory): render here, start another one next time.
        _lost_renderer()
        return _render_and_keep(html, css, path)


def prepare(html: str) -> None:
    """Start rendering a printed plan page in the renderer's process, not waiting for it, so
    that the download that follows finds it kept (or waits for the same rendering)."""
    css = print_css()
    path = _kept_path(html, css)
    if not path.exists():
        try:
            _rendering(html, css, path)
        except BrokenProcessPool:
            _lost_renderer()


def _kept_path(html: str, css: str) -> Path:
    import weasyprint

    key = hashlib.sha256(
        "\0".join((weasyprint.__version__, str(STATIC), css, html)).encode()
    ).hexdigest()
    return CACHE / f"{key}.pdf"


# WeasyPrint lays out a 13-page plan in 2-3 s of CPU. Done in the server's process it would hold
# the interpreter (the GIL) that long, and every phone in the room would wait behind the
# download; in a process of its own it runs on the core the server's one Python thread leaves
# free. One rendering per page at a time: a second request for a page
# being rendered waits for that one (and a prepared page is picked up the same way).
_RENDERER: ProcessPoolExecutor | None = None
_RENDERING: dict[Path, Future[bytes]] = {}
_RENDERING_LOCK = threading.Lock()


def _rendering(html: str, css: str, path: Path) -> Future[bytes]:
    global _RENDERER
    with _RENDERING_LOCK:
        found = _RENDERING.get(path)
        if found is not None:
            return found
        # Looked for again under the lock: a rendering that ended since the caller looked has
        # left the map and its file is kept (it is written before its future is done).
        try:
            kept = path.read_bytes()
        except OSError:
            pass
        else:
            done: Future[bytes] = Future()
            done.set_result(kept)
            return done
        if _RENDERER is None:
            _RENDERER = ProcessPoolExecutor(
                max_workers=1,
                mp_context=get_context("spawn"),
                initializer=_follow_the_server,
                initargs=(os.getpid(),),
            )
        future = _RENDERER.submit(_render_and_keep, html, css, path)
        _RENDERING[path] = future
    future.add_done_callback(lambda _: _forget(path))
    return future


def _follow_the_server(server: int) -> None:
    # A server process that is killed, or stopped by uvicorn's supervisor, does not always
    # stop its pool: the renderer would go on waiting for pages nobody sends. It ends itself
    # once its server is gone (it is then another process's child).
    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="follow-the-server", daemon=True).start()


def _lost_renderer() -> None:
    global _RENDERER
    with _RENDERING_LOCK:
        _RENDERER = None
        _RENDERING.clear()


def _forget(path: Path) -> None:
    with _RENDERING_LOCK:
        _RENDERING.pop(path, None)


def _render_and_keep(html: str, css: str, path: Path) -> bytes:
    import weasyprint

    # The stylesheet goes in apart: the template holds no <style> block (the CSP agreement).
    stylesheet = weasyprint.CSS(string=css)
    pdf = bytes(
        weasyprint.HTML(string=html, base_url=str(STATIC)).write_pdf(stylesheets=[stylesheet])
    )
    _keep(path, pdf)
    return pdf


def _keep(path: Path, pdf: bytes) -> None:
    # Written aside and renamed into place: a reader finds the whole file or none.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        os.replace(name, path)
        kept = sorted(path.parent.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
        for old in kept[: max(0, len(kept) - CACHE_KEPT)]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk: the PDF is still served, only not kept
