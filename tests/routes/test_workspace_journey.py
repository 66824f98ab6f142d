"""The issue's 'done when', as a new wijkteam member would go through it.

Log in, download the import template, fill it in as in a spreadsheet program (with the mistakes
people make), upload it, fix every problem using only what the page says (row, column, message,
suggestion), upload again, print 200 voting cards, create and assign a facilitator; the
facilitator then sees only that process.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlmodel import Session

from app.domain.vocabulary import Role
from app.exports import cards as cards_export
from app.main import app
from app.services import users as users_service
from tests.conftest import unavailable

PASSWORD = "correct horse battery"
WHERE = re.compile(r"Regel (\d+), kolom (\w+) \((\w+)\)")


def _page(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")  # type: ignore[attr-defined]


def _fill_in(template: bytes) -> bytes:
    """What a wijkteam member types over the template's example rows (mistakes included)."""
    book = load_workbook(io.BytesIO(template))
    sheet = book["Menu"]
    columns = [c.value for c in sheet[1]]
    sheet.delete_rows(3, sheet.max_row)  # keep the column names and the comment row

    def row(**values: object) -> None:
        sheet.append([values.get(str(c)) for c in columns])

    row(
        soort="proces",
        titel="Bewonersbudget Oosterparkwijk",
        wijk="Oosterparkwijk",
        gemeente="Groningen",
        budget="€ 300.000",
        horizon=4,
    )
    row(soort="effect", sleutel="groen", titel="Groen en schoon")
    row(soort="subeffect", titel="Meer bomen", hoort_bij="groen")
    row(soort="effect", sleutel="samen", titel="Samen in de wijk")
    row(
        soort="indicator",
        titel="Cijfer woonomgeving",
        hoort_bij="groen",
        eenheid="cijfers",
        lager_is_beter="nee",
        basisjaar=2025,
        basiswaarde=6.5,
        doel_2028=6.9,
        doel_2030=7.2,
    )
    row(
        soort="maatregel",
        sleutel="bankjes",
        titel="Bankjes op het plein",
        hoort_bij="gron",
        effecten="groen, meer-bomen",
        kosten_jaar_1=5000,
        kosten_4_jaar="20.000,50",
        kosten_10_jaar=40000,
        organisatie="Gemeente",
    )
    row(
        soort="maatregel",
        sleutel="feest",
        hoort_bij="samen",
        kosten_jaar_1=2000,
        kosten_4_jaar=8000,
        kosten_10_jaar=6000,
    )
    row(
        soort="maatregel",
        sleutel="bankjes",
        titel="Bankjes op het plein",
        hoort_bij="groen",
        kosten_jaar_1=5000,
        kosten_4_jaar=20000,
        kosten_10_jaar=40000,
    )
    row(
        soort="maatregel",
        sleutel="speeltuin",
        titel="Speeltuin opknappen",
        hoort_bij="samen",
        kosten_jaar_1=30000,
        kosten_4_jaar=30000,
        kosten_10_jaar=45000,
        regulier="nee",
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()  # fmt: skip


def _fix(workbook: bytes, problems: list[tuple[str, str]]) -> bytes:
    """Fix each problem at the place the page names, with what the message says to do."""
    book = load_workbook(io.BytesIO(workbook))
    sheet = book["Menu"]
    rows_to_delete = []
    for where, message in problems:
        match = WHERE.search(where)
        assert match, f"the problem does not say where: {where} {message}"
        row, column, letter = int(match.group(1)), match.group(2), match.group(3)
        cell = sheet[f"{letter}{row}"]
        assert sheet.cell(row=1, column=cell.column).value == column
        if suggestion := re.search(r"Bedoelt u '([^']+)'\?", message):
            cell.value = suggestion.group(1)
        elif "laat de centen weg" in message:
            cell.value = int(str(cell.value).split(",")[0].replace(".", ""))
        elif "schrijf cijfer, procent of score" in message:
            cell.value = "cijfer"
        elif "komt twee keer voor" in message:
            rows_to_delete.append(row)
        elif "is leeg" in message and column == "titel":
            cell.value = "Buurtfeest"
        else:
            raise AssertionError(f"no way to fix this from the message: {where}: {message}")
    for row in sorted(rows_to_delete, reverse=True):
        sheet.delete_rows(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _problems(page: BeautifulSoup) -> list[tuple[str, str]]:
    found = []
    for item in page.select("ol.problems-list:not(.warnings) li"):
        where = item.select_one(".where")
        assert where is not None
        text = where.get_text(strip=True)
        found.append((text, item.get_text(" ", strip=True)[len(text) :].strip()))
    return found


@pytest.mark.one_database(
    "the pages' messages and the 200 cards' PDF a new member goes through; importing a file,"
    " issuing cards, accounts and a facilitator's access are tested on both databases"
    " (test_imports, test_workspace, test_access_control)"
)
def test_a_new_wijkteam_member_sets_up_a_second_neighbourhood(
    client: TestClient, session: Session, korrewegwijk: int, tmp_path: Path
) -> None:
    users_service.create_user(
        session, email="nieuw@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    login = client.post(
        "/login", data={"email": "nieuw@example.org", "password": PASSWORD}, follow_redirects=True
    )
    dashboard = _page(login)
    import_link = dashboard.select_one("a[href='/wijkteam/import']")
    assert import_link is not None
    import_page = _page(client.get(str(import_link["href"])))
    template_link = import_page.select_one("a[href$='/template/xlsx']")
    assert template_link is not None
    template = client.get(str(template_link["href"]))
    assert template.headers["content-disposition"].endswith(".xlsx")

    # First upload: every mistake is reported at once, and nothing is made.
    filled = _fill_in(template.content)
    first = client.post(
        "/wijkteam/import", files={"file": ("oosterpark.xlsx", filled)}, data={"mode": "import"}
    )
    assert first.status_code == 422
    page = _page(first)
    assert "er is niets ingelezen" in page.select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    problems = _problems(page)
    assert len(problems) == 5, problems
    assert client.get("/api/processes").json()[-1]["id"] == korrewegwijk

    # Fix them from the messages alone, and upload again.
    second = client.post(
        "/wijkteam/import",
        files={"file": ("oosterpark.xlsx", _fix(filled, problems))},
        data={"mode": "import"},
    )
    assert second.status_code == 200, _problems(_page(second))
    done = _page(second)
    warnings = [li.get_text(" ", strip=True) for li in done.select("ol.warnings li")]
    assert any("Buurtfeest" in w and "lager" in w for w in warnings), warnings
    go = done.select_one("a.button[href^='/wijkteam/processes/']")
    assert go is not None
    process_url = str(go["href"])
    process_id = int(process_url.rsplit("/", 1)[1])
    menu = client.get(f"/api/processes/{process_id}/menu").json()
    assert menu["process"]["neighbourhood"] == "Oosterparkwijk"
    assert menu["measure_count"] == 3
    assert menu["binding_total"] == 20_000 + 8_000 + 30_000

    # Print 200 voting cards.
    codes_page = _page(client.get(f"{process_url}/codes"))
    form = codes_page.select_one(f"form[action='{process_url}/codes']")
    assert form is not None
    cards = client.post(
        f"{process_url}/codes", data={"allow_local": "1", "count": "200", "output": "pdf"}
    )
    assert cards.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(cards.content)).pages) == 17
    if shutil.which("pdftoppm") is None or cards_export.pdf_unavailable():
        unavailable("pdftoppm or WeasyPrint is missing")
    (tmp_path / "cards.pdf").write_bytes(cards.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "120", "-f", "17", "-l", "17", str(tmp_path / "cards.pdf"),
         str(tmp_path / "last")],
        check=True,
    )  # fmt: skip
    [last_page] = tmp_path.glob("last-*.png")
    scanned = zxingcpp.read_barcodes(Image.open(last_page))
    assert len(scanned) == 200 - 16 * 12
    assert all(r.text.startswith("http://127.0.0.1:8000/j/") for r in scanned)
    used = _page(client.get(f"{process_url}/codes")).select_one(".figures strong")
    assert used is not None
    assert used.get_text() == "200"

    # Create a facilitator and assign them; they see only this process.
    created = _page(
        client.post("/wijkteam/users", data={"email": "gespreksleider@example.org",
                                             "name": "Sanne", "role": "facilitator"})
    )  # fmt: skip
    password = created.select_one(".password-once").get_text(strip=True)  # type: ignore[union-attr]
    hub = _page(client.get(process_url))
    option = hub.select_one("#f-user_id option")
    assert option is not None
    client.post(f"{process_url}/facilitators", data={"user_id": str(option["value"])})
    facilitator = TestClient(app, base_url="http://testserver")
    facilitator.post("/login", data={"email": "gespreksleider@example.org", "password": password})
    landing = _page(facilitator.get("/facilitator"))
    listed = [a["href"] for a in landing.select("a[href$='/menu']")]
    assert listed == [f"/processes/{process_id}/menu"]
    for url in (
        f"/wijkteam/processes/{korrewegwijk}",
        f"/api/processes/{korrewegwijk}/codes",
        f"/wijkteam/processes/{process_id}",  # the wijkteam's own pages are not for them either
    ):
        assert facilitator.get(url).status_code == 404, url
