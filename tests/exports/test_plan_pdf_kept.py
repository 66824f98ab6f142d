"""A printed plan is rendered once per page and kept on disk by what it is made of: the same page
is served from the file, a page of other ballots (or another day) is rendered afresh."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from app import i18n
from app.domain.vocabulary import BallotChannel, RoundKind, StakeholderGroup
from app.exports import plan_files, plan_pdf
from app.models import Measure, Participant, Round
from app.services import plans as plans_service
from tests.factories import cast, meeting_night

pytestmark = pytest.mark.skipif(
    plan_pdf.unavailable() is not None, reason="WeasyPrint cannot load here"
)


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "plan-pdf"
    monkeypatch.setattr(plan_pdf, "CACHE", folder)
    i18n.current_language.set("nl")
    return folder


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_same_page_is_rendered_once(
    session: Session, korrewegwijk: int, kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_night(session, korrewegwijk, participants=8)
    content, ballots = plans_service.compute(session, process_id=korrewegwijk)
    first = plan_files.render(content, ballots, "pdf")
    assert len(list(kept.glob("*.pdf"))) == 1
    import weasyprint

    def no_rendering(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered again")

    monkeypatch.setattr(weasyprint, "HTML", no_rendering)
    assert plan_files.render(content, ballots, "pdf") == first


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
    assert after.fingerprint[:16] in _text(second).replace(" ", "")
    assert before.fingerprint[:16] not in _text(second).replace(" ", "")
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
