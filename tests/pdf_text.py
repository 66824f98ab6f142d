"""The text of a PDF for the tests, read by poppler's `pdftotext` (Debian's poppler-utils).

`-raw` keeps the text in the order the PDF's content stream has it, which for WeasyPrint's PDFs
is the order of the HTML: a table row's cells one after the other on one line, a wrapped title
in one piece. On the printed plans of 30 participants it gave the words and line breaks pypdf's
`extract_text` gives, but for a no-break space read as a space and no blanks at a line's end,
in 0.02-0.06 s per plan instead of pypdf's 0.3-0.45 s of CPU. The tests that look at a PDF's
structure (its pages, their size) still read that with pypdf.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import unavailable


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, its lines as they are printed."""
    program = shutil.which("pdftotext")
    if program is None:
        unavailable("pdftotext is missing: install Debian's poppler-utils")
    done = subprocess.run(
        [str(program), "-raw", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    # Each page ends with a form feed.
    return done.stdout.decode("utf-8").split("\f")[:-1]


def pdf_text(pdf: bytes) -> str:
    """The text of every page as one line, each run of blanks and line breaks one space."""
    return " ".join(" ".join(page.split()) for page in pdf_pages(pdf))
