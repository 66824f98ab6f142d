"""The PDF renderer is a process of its own beside a server process, and ends with it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.exports import plan_pdf

pytestmark = pytest.mark.skipif(
    plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here"
)


def test_the_renderer_ends_when_its_server_is_killed(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from app.exports import plan_pdf\n"
            f"plan_pdf.CACHE = Path({str(tmp_path)!r})\n"
            "plan_pdf.render('<p>Bewonersplan</p>')\n"
            "print(*(p.pid for p in plan_pdf._RENDERER._processes.values()), flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stdout is not None
        renderer = int(server.stdout.readline())
    finally:
        server.kill()
        server.wait()

    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    end = time.monotonic() + 15
    while running(renderer) and time.monotonic() < end:
        time.sleep(0.2)
    assert not running(renderer), "the renderer outlived its server"
