"""A printed plan is rendered once per page and kept on disk by what it is made of: the same page
is served from the file, a page of other ballots (or another day) is rendered afresh."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import i18n
from app.domain.vocabulary import BallotChannel, Role, RoundKind, StakeholderGroup
from app.exports import plan_files, plan_pdf
from app.exports.content import PlanContent
from app.models import Measure, Participant, Round
from app.services import plans as plans_service
from app.services import users as users_service
from app.settings import get_settings
from tests.conftest import Seeded
from tests.factories import cast, meeting_night
from tests.pdf_text import pdf_text

pytestmark = [
    pytest.mark.skipif(plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here"),
    pytest.mark.one_database(
        "what is kept, and where the PDF is rendered, does not depend on the database; the"
        " plans the PDFs are made of are computed on both in tests/services/test_plans.py"
    ),
    pytest.mark.usefixtures("renderer"),
]


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "plan-pdf"
    monkeypatch.setattr(plan_pdf, "CACHE", folder)
    i18n.current_language.set("nl")
    return folder


def test_other_ballots_make_another_pdf(session: Session, korrewegwijk: int, kept: Path) -> None:
    meeting = meeting_night(session, korrewegwijk, participants=8)
    before, ballots = plans_service.compute(session, process_id=korrewegwijk)
    first = plan_files.render(before, ballots, "pdf")
    kiezen = session.exec(
        select(Round).where(Round.meeting_id == meeting.id, Round.kind == RoundKind.KIEZEN)
    ).one()
    late = Participant(process_id=korrewegwijk, stakeholder_group=StakeholderGroup.WERKER)
    session.add(late)
    session.flush()
    measure = session.exec(select(Measure).where(Measure.key == "wip")).one()
    cast(session, kiezen, late, [(measure.id, None, 1)], BallotChannel.PAPER)
    after, ballots = plans_service.compute(session, process_id=korrewegwijk)
    assert after.fingerprint != before.fingerprint
    second = plan_files.render(after, ballots, "pdf")
    assert second != first
    printed = pdf_text(second).replace(" ", "")
    assert after.fingerprint[:16] in printed
    assert before.fingerprint[:16] not in printed
    assert len(list(kept.glob("*.pdf"))) == 2


def test_a_cache_that_cannot_be_written_only_costs_time(
    session: Session, korrewegwijk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(plan_pdf, "CACHE", blocked / "plan-pdf")
    meeting_night(session, korrewegwijk, participants=8)
    content, ballots = plans_service.compute(session, process_id=korrewegwijk)
    assert plan_files.render(content, ballots, "pdf").startswith(b"%PDF")


class _CountedRenderer(ProcessPoolExecutor):
    """The renderer's process pool, counting the pages it is given."""

    pages = 0

    def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
        type(self).pages += 1
        return super().submit(*args, **kwargs)


@pytest.fixture(scope="module")
def renderer() -> Iterator[None]:
    """The module's tests share one renderer process, a counting one that plan_pdf starts as it
    starts its own (starting one and loading WeasyPrint in it takes about 1.5 s of CPU); the test
    that kills it leaves plan_pdf to start the next."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_pdf, "ProcessPoolExecutor", _CountedRenderer)
        patch.setattr(plan_pdf, "_RENDERER", None)
        yield
        if plan_pdf._RENDERER is not None:
            plan_pdf._RENDERER.shutdown()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[_CountedRenderer]:
    """The pages given to the renderer during the test."""
    monkeypatch.setattr(_CountedRenderer, "pages", 0)
    return _CountedRenderer


@dataclass(frozen=True)
class FirstPrint:
    folder: Path
    content: PlanContent
    ballots: str
    pdf: bytes
    rendered: int  # pages given to the renderer
    renderer: list[int | None]  # its processes


@pytest.fixture(scope="module")
def first_print(
    seeded: Seeded, renderer: None, tmp_path_factory: pytest.TempPathFactory
) -> FirstPrint:
    """A plan of a meeting of eight printed once, into an empty folder, by the module's
    renderer: the two tests below read what this did (its ballots rolled back)."""
    folder = tmp_path_factory.mktemp("plan-pdf")
    i18n.current_language.set("nl")
    with seeded.rolled_back() as session:
        meeting_night(session, seeded.process_id, participants=8)
        content, ballots = plans_service.compute(session, process_id=seeded.process_id)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_pdf, "CACHE", folder)
        patch.setattr(_CountedRenderer, "pages", 0)
        pdf = plan_files.render(content, ballots, "pdf")
        rendered = _CountedRenderer.pages
    assert plan_pdf._RENDERER is not None
    processes = [p.pid for p in plan_pdf._RENDERER._processes.values()]
    return FirstPrint(folder, content, ballots, pdf, rendered, processes)


def test_the_same_page_is_rendered_once(
    first_print: FirstPrint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_pdf, "CACHE", first_print.folder)
    assert len(list(first_print.folder.glob("*.pdf"))) == 1

    def no_rendering(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered again")

    monkeypatch.setattr(plan_pdf, "_rendering", no_rendering)
    assert plan_files.render(first_print.content, first_print.ballots, "pdf") == first_print.pdf


def test_a_rendering_that_ended_since_the_download_looked_is_not_done_again(
    first_print: FirstPrint, counted: type[_CountedRenderer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A download looks for the kept file, then for a rendering under way. A rendering ahead that
    # ends between the two has left the map and kept its file: that file is read, not rendered
    # again (a full run once rendered a plan twice this way).
    monkeypatch.setattr(plan_pdf, "CACHE", first_print.folder)
    i18n.current_language.set("nl")
    html, css = plan_files._printed(first_print.content), plan_pdf.print_css()
    path = plan_pdf._kept_path(html, css)
    assert path.exists()
    assert path not in plan_pdf._RENDERING
    assert plan_pdf._rendering(html, css, path).result() == first_print.pdf
    assert counted.pages == 0


def test_a_pdf_is_rendered_in_a_process_of_its_own(first_print: FirstPrint) -> None:
    assert first_print.rendered == 1
    assert first_print.renderer
    assert first_print.renderer != [os.getpid()]
    assert first_print.content.fingerprint[:16] in pdf_text(first_print.pdf).replace(" ", "")


def test_the_plan_prepared_after_kiezen_has_its_pdf_rendered_ahead(
    session: Session,
    korrewegwijk: int,
    kept: Path,
    counted: type[_CountedRenderer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        plans_service, "get_settings", lambda: get_settings().model_copy(update={"pdf_ahead": True})
    )
    meeting_night(session, korrewegwijk, participants=8)
    source = plans_service.load_source(session, process_id=korrewegwijk)
    plans_service.prepare(source)  # what the console does after showing the closed Kiezen round
    assert counted.pages == 1
    content, ballots = plans_service.compute(session, process_id=korrewegwijk)
    pdf = plan_files.render(content, ballots, "pdf")  # the wijkteam's download
    assert counted.pages == 1, "the download rendered the page again"
    assert pdf.startswith(b"%PDF")
    assert len(list(kept.glob("*.pdf"))) == 1


@pytest.mark.parametrize("rule", ["greedy", "equal_shares"])
def test_the_plan_pages_have_their_pdf_rendered_ahead(
    client: TestClient,
    session: Session,
    korrewegwijk: int,
    kept: Path,
    counted: type[_CountedRenderer],
    monkeypatch: pytest.MonkeyPatch,
    rule: str,
) -> None:
    monkeypatch.setattr(
        plans_service, "get_settings", lambda: get_settings().model_copy(update={"pdf_ahead": True})
    )
    meeting_night(session, korrewegwijk, participants=8)
    users_service.create_user(
        session, email="wijkteam@example.org", role=Role.WIJKTEAM, password="correct horse"
    )
    client.post("/login", data={"email": "wijkteam@example.org", "password": "correct horse"})
    plan = f"/wijkteam/processes/{korrewegwijk}/plan"
    assert client.get(f"{plan}?rule={rule}").status_code == 200
    assert counted.pages == 1
    pdf = client.get(f"{plan}.pdf?rule={rule}")
    assert pdf.content.startswith(b"%PDF")
    assert counted.pages == 1, "the download rendered the page again"
    adopted = client.post(f"{plan}/adopt", data={"rule": rule}, follow_redirects=True)
    assert adopted.status_code == 200
    assert counted.pages == 2  # the adopted plan is printed as adopted: another page
    assert client.get(f"{adopted.url.path}.pdf").content.startswith(b"%PDF")
    assert counted.pages == 2, "the adopted plan's download rendered the page again"


def test_nothing_is_rendered_ahead_when_pdf_ahead_is_off(
    session: Session, korrewegwijk: int, kept: Path, counted: type[_CountedRenderer]
) -> None:
    assert get_settings().pdf_ahead is False  # tests/__init__.py
    meeting_night(session, korrewegwijk, participants=8)
    plans_service.prepare(plans_service.load_source(session, process_id=korrewegwijk))
    assert counted.pages == 0


def test_a_renderer_that_died_costs_only_time(
    session: Session, korrewegwijk: int, kept: Path, counted: type[_CountedRenderer]
) -> None:
    meeting_night(session, korrewegwijk, participants=8)
    content, ballots = plans_service.compute(session, process_id=korrewegwijk)
    plan_files.render(content, ballots, "pdf")
    renderer = plan_pdf._RENDERER
    assert renderer is not None
    for process in list(renderer._processes.values()):
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join()
    for pdf in kept.glob("*.pdf"):
        pdf.unlink()
    assert plan_files.render(content, ballots, "pdf").startswith(b"%PDF")
    assert plan_files.render(content, ballots, "pdf").startswith(b"%PDF")  # a new renderer
