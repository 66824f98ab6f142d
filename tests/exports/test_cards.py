"""Voting cards: an A4 PDF of 12 cut-out cards a page whose QR codes scan to the join link."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from app.domain import codes
from app.domain.codes import IssuedCode
from app.domain.vocabulary import StakeholderGroup
from app.exports import cards as cards_export
from app.i18n import current_language
from tests.conftest import unavailable
from tests.pdf_text import pdf_pages

BASE_URL = "https://stem.waardenzeef.example"


def _cards(count: int) -> list[IssuedCode]:
    return [
        IssuedCode(
            100 + i,
            codes.new_code(),
            codes.new_token(),
            StakeholderGroup.STUDENT if i % 2 else None,
            "Bewonersavond",
        )
        for i in range(count)
    ]


def _pages(pdf: bytes, tmp_path: Path, dpi: int = 150) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is missing (apt-get install poppler-utils)")
    source = tmp_path / "cards.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(source), str(tmp_path / "page")], check=True
    )
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.png"))]


@pytest.fixture(autouse=True)
def dutch() -> object:
    token = current_language.set("nl")
    yield
    current_language.reset(token)


def test_the_pdf_is_a4_with_twelve_cards_a_page_that_scan(tmp_path: Path) -> None:
    if cards_export.pdf_unavailable():
        unavailable(f"WeasyPrint cannot run here: {cards_export.pdf_unavailable()}")
    cards = _cards(14)
    pdf = cards_export.cards_pdf(cards, base_url=BASE_URL, process_title="Bewonersbudget Oost")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = pdf_pages(pdf)[0]
    assert cards[0].code in text
    assert "Scan de QR-code" in text
    assert "stem.waardenzeef.example/join" in text.replace("\n", "")
    assert "kaart 100" in text
    pages = _pages(pdf, tmp_path)
    decoded = [r.text for page in pages for r in zxingcpp.read_barcodes(page)]
    links = {cards_export.join_link(BASE_URL, card.token) for card in cards}
    assert len(decoded) == 14
    assert set(decoded) == links
    assert all(link.startswith(f"{BASE_URL}/j/") for link in decoded)


def test_the_qr_codes_also_scan_from_a_coarse_rendering(tmp_path: Path) -> None:
    if cards_export.pdf_unavailable():
        unavailable(f"WeasyPrint cannot run here: {cards_export.pdf_unavailable()}")
    cards = _cards(12)
    pdf = cards_export.cards_pdf(cards, base_url=BASE_URL, process_title="Oost")
    [page] = _pages(pdf, tmp_path, dpi=100)
    assert len(zxingcpp.read_barcodes(page)) == 12


def test_the_csv_has_the_number_code_link_group_and_batch() -> None:
    cards = _cards(3)
    content = cards_export.cards_csv(cards, base_url=BASE_URL + "/")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [r["kaart"] for r in rows] == ["100", "101", "102"]
    assert rows[1]["groep"] == "student"
    assert rows[0]["link"] == f"{BASE_URL}/j/{cards[0].token}"
    assert rows[2]["code"] == cards[2].code
    assert {r["batch"] for r in rows} == {"Bewonersavond"}
