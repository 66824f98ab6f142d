"""The printed plan and the workbook: page 1 first, headings with their tables, the same numbers,
Dutch throughout, shared reasons said once."""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from app import i18n
from app.exports import plan_files, plan_pdf, plan_text
from app.exports.content import LineReason, PlanContent
from app.services import plans as plans_service
from tests.conftest import Seeded
from tests.factories import meeting_night
from tests.pdf_text import pdf_pages

needs_pdf = pytest.mark.skipif(
    plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here"
)
SECTIONS = (
    "Wat er in dit plan staat",
    "Het plan naast de uitslag van Kiezen",
    "De maatregelen op volgorde",
    "Steun per groep",
    "Geld per gewenst effect",
    "De regels naast elkaar",
    "Wat als",
    "Wie deden mee",
    "Zo is dit plan berekend",
)


# The plan is computed once for the module and the PDF of it made once (a PDF takes seconds).
pytestmark = pytest.mark.one_database(
    "the PDF and the workbook made from a plan, the same whichever database the plan came from"
    " (its computation is tested on both in tests/services/test_plans.py)"
)


@pytest.fixture(scope="module")
def computed(seeded: Seeded) -> tuple[PlanContent, str]:
    """A meeting night of 30 on the Korrewegwijk seed and its plan, rolled back once computed."""
    i18n.current_language.set("nl")
    with seeded.rolled_back() as session:
        meeting_night(session, seeded.process_id, participants=30, paper=4)
        result = plans_service.compute(session, process_id=seeded.process_id)
    return result


@pytest.fixture
def plan(computed: tuple[PlanContent, str]) -> tuple[PlanContent, str]:
    i18n.current_language.set("nl")
    return computed


@pytest.fixture(scope="module")
def printed(computed: tuple[PlanContent, str]) -> list[str]:
    """The text of each page of the plan's PDF."""
    if plan_pdf.unavailable() is not None:
        pytest.skip("WeasyPrint cannot load here")
    i18n.current_language.set("nl")
    return _pdf_pages(*computed)


def _pdf_pages(content: PlanContent, ballots: str) -> list[str]:
    return pdf_pages(plan_files.render(content, ballots, "pdf"))


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _euro(amount: int) -> str:
    return _flat(i18n.euro(amount))


def _cells(book: Any) -> list[object]:
    return [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]


@needs_pdf
def test_page_one_says_what_is_in_the_plan_before_the_detailed_table(
    plan: tuple[PlanContent, str], printed: list[str]
) -> None:
    content, _ballots = plan
    pages = printed
    first = _flat(pages[0])
    assert "Wat er in dit plan staat" in first
    assert "De maatregelen op volgorde" not in first
    # The money, the rule, the turnout and every selected measure.
    assert _euro(content.ledger.spent) in first
    assert _euro(content.ledger.left) in first
    assert plan_text.rule_name(content.rule) in first
    assert "Opkomst: 30 bij Wegen, 30 bij Zeven, 30 bij Kiezen" in first
    for line in content.measures:
        if line.selected:
            assert _flat(line.title) in first
    # Two sentences on how the three rounds made the plan.
    how = _flat(plan_text.how_it_was_made(content))
    assert how in first
    assert how.count(". ") == 1


# A laid-out block: tag, class, id, where on its page (1/10 px from the page's top), how tall,
# and the start of its text. Two pages whose blocks are all alike hold the same content laid out
# the same way.
Block = tuple[str, str, str, int, int, str]
BLOCKS = ("h2", "h3", "p", "tr", "li", "dt", "dd")
SPACERS = tuple(range(180, 276, 15))  # mm: from about two thirds of a page down to past its end


def _laid_out(html: str, stylesheet: Any) -> list[list[Block]]:
    """Per page, its headings, paragraphs, rows, list items and the test's spacers, in order."""
    import weasyprint

    pages = []
    for page in weasyprint.HTML(string=html).render(stylesheets=[stylesheet]).pages:
        pages.append(
            [
                (
                    box.element_tag,
                    str(box.element.get("class") or ""),
                    str(box.element.get("id") or ""),
                    round(box.position_y * 10),
                    round(box.height * 10),
                    "".join(box.element.itertext())[:40],
                )
                for box in page._page_box.descendants()
                if type(box).__name__ in ("BlockBox", "TableRowBox")
                and (box.element_tag in BLOCKS or box.element.get("class") == "test-spacer")
            ]
        )
    return pages


def _assert_no_heading_ends_a_page(pages: list[list[Block]], what: str) -> None:
    for number, blocks in enumerate(pages[:-1], start=1):
        tag, classes = next(((b[0], b[1]) for b in reversed(blocks) if b[0] in BLOCKS), ("", ""))
        alone = tag in ("h2", "h3") or (tag == "p" and ("intro" in classes or "how" in classes))
        assert not alone, f"{what}: page {number} ends with {tag}"


def _spaced(html: str, spacers: dict[str, int]) -> str:
    for section, millimetres in spacers.items():
        marker = f'<section class="plan-section" id="{section}"'
        assert marker in html
        spacer = (
            f'<div class="test-spacer" id="spacer-{section}" style="height: {millimetres}mm"></div>'
        )
        html = html.replace(marker, spacer + marker)
    return html


def _first_page(pages: list[list[Block]], heading: str) -> int:
    return next(i for i, blocks in enumerate(pages) if any(b[2] == heading for b in blocks))


def _before(blocks: list[Block], section: str) -> list[Block]:
    """The blocks of a page up to the section's spacer or heading."""
    ends = (f"spacer-{section}", f"{section}-title")
    end = next((i for i, b in enumerate(blocks) if b[2] in ends), len(blocks))
    return blocks[:end]


@needs_pdf
@pytest.mark.slow
def test_no_page_ends_with_a_heading_or_its_introduction(plan: tuple[PlanContent, str]) -> None:
    # Push a section down the page bit by bit (a spacer of each height in SPACERS before it), so
    # that somewhere its heading falls at the end of a page: it must go to the next page with its
    # table or list, never stay behind alone. Pushed: the Kiezen section and the Wat als section,
    # each at every spacer height, every page of every layout checked.
    #
    # Fewer layouts than that (WeasyPrint takes seconds a plan): one layout pushes Kiezen by k mm
    # and Wat als by w mm. Pages are laid out one after another, each from where the one before
    # stopped, the same whatever its number (the print stylesheet styles no page by its number or
    # side), and nothing after a page changes it. So its pages up to the Wat als spacer are those
    # of Kiezen pushed by k alone. When it has caught up with the plan before the Wat als spacer
    # (a page, and the next one up to the spacer, block for block those before Wat als in the
    # plan laid out without spacers), its pages from there are those of Wat als pushed by w alone
    # from the same point, and the rest of Kiezen pushed by k alone is the plan's own: every page
    # of the two layouts it stands for is checked, here or in `printed`. Where it has not caught
    # up, it stands for neither: each is laid out alone as well. In this plan: 10 layouts for 14
    # (Kiezen pushed 180 mm does not catch up, so 180 mm of Kiezen and 270 mm of Wat als alone).
    content, _ballots = plan
    import weasyprint

    from app.templating import templates

    stylesheet = weasyprint.CSS(string=plan_pdf.print_css())
    html = templates.get_template("plan/print.html").render(
        plan=content, plan_text=plan_text, printed_on="03-12-2026", language="nl"
    )
    printed = _laid_out(html, stylesheet)
    _assert_no_heading_ends_a_page(printed, "without spacers")
    # The page before Wat als, and Wat als's page up to it: where the plan stands as Wat als starts.
    wat_als_page = _first_page(printed, "sensitivity-title")
    assert wat_als_page > 0
    standing = [printed[wat_als_page - 1], _before(printed[wat_als_page], "sensitivity")]
    alone: list[dict[str, int]] = []
    wat_als_left = list(SPACERS)
    for k in SPACERS:
        spacers = {"kiezen": k, "sensitivity": wat_als_left[0]} if wat_als_left else {"kiezen": k}
        pages = _laid_out(_spaced(html, spacers), stylesheet)
        _assert_no_heading_ends_a_page(pages, _said(spacers))
        if not any(
            [page, _before(following, "sensitivity")] == standing
            for page, following in itertools.pairwise(pages)
        ):
            if "sensitivity" in spacers:
                alone.append({"kiezen": k})
        elif wat_als_left:
            wat_als_left = wat_als_left[1:]
    alone += [{"sensitivity": w} for w in wat_als_left]
    for spacers in alone:
        _assert_no_heading_ends_a_page(
            _laid_out(_spaced(html, spacers), stylesheet), _said(spacers)
        )


def _said(spacers: dict[str, int]) -> str:
    return " and ".join(f"{mm} mm before #{section}" for section, mm in spacers.items())


@needs_pdf
def test_the_workbook_and_the_pdf_give_the_same_numbers(
    plan: tuple[PlanContent, str], printed: list[str]
) -> None:
    content, ballots = plan
    everything = _flat(" ".join(printed))
    book = load_workbook(io.BytesIO(plan_files.render(content, ballots, "xlsx")))
    sheet = book["Plan"]
    header = [c.value for c in sheet[1]]
    column = {name: header.index(name) for name in header}
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == len(content.measures)
    for row in rows:
        title = str(row[column["Maatregel"]])
        assert _flat(title) in everything
        cost = int(row[column["Kosten voor het budget"]])
        assert (_euro(cost) if cost else "geen extra kosten") in everything
        contribution = _flat(i18n.number(float(row[column["Gewogen bijdrage"]]), 2))
        assert contribution in everything, title
        reason = _flat(str(row[column["Reden"]]))
        # The reason the workbook gives is printed too (once, where several share it).
        assert reason in everything, title
    summary = {r[0]: r[1] for r in book["Samenvatting"].iter_rows(values_only=True) if r[0]}
    for label in ("Beschikbaar", "In het plan", "Over"):
        assert _euro(int(summary[label])) in everything
    method = {r[0]: r[1] for r in book["Methode"].iter_rows(values_only=True)}
    assert method["Vingerafdruk van de stemmen (SHA-256)"] == content.fingerprint
    assert content.fingerprint in everything.replace(" ", "")


def test_the_workbook_is_dutch_with_local_times_and_no_internal_keys(
    plan: tuple[PlanContent, str],
) -> None:
    content, ballots = plan
    book = load_workbook(io.BytesIO(plan_files.render(content, ballots, "xlsx")))
    texts = [str(c) for c in _cells(book) if isinstance(c, str)]
    internal = re.compile(
        r"years_4|year_1|years_10|cost_horizon|equal_shares|stand_in|add1|tie_break|"
        r"completion|\bnone\b|\bTrue\b|\bFalse\b|UTC|%\("
    )
    assert not [t for t in texts if internal.search(t)]
    method = {r[0]: r[1] for r in book["Methode"].iter_rows(values_only=True)}
    assert method["Kosten die tegen het budget tellen"] == "4 jaar"
    assert method["Regel"] == "Van boven naar beneden in de volgorde"
    assert method["Berekend"] == f"{i18n.local_time(content.computed_at)} (Europe/Amsterdam)"
    assert method["Vastgesteld"] == "niet vastgesteld"


@needs_pdf
def test_a_reason_several_measures_share_is_printed_once(plan: tuple[PlanContent, str]) -> None:
    content, ballots = plan
    unvalued = LineReason(why="unvalued")
    lines = [
        line.model_copy(update={"selected": False, "position": None, "reason": unvalued})
        if line.rank > 15
        else line
        for line in content.measures
    ]
    shared = content.model_copy(update={"measures": lines})
    text = plan_text.reason(shared, lines[-1])
    everything = _flat(" ".join(_pdf_pages(shared, ballots)))
    assert everything.count(_flat(text)) == 1
    assert "Reden A (7 maatregelen)" in everything
    assert everything.count("Reden A, onder de tabel.") == 7
