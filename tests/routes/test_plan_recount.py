"""The bewonersplan's ballots file from a real meeting, recounted outside: it loads in pabutools
and gives the plan's outcome under every rule, also when some participants only weighed; a file
whose vote or points columns were changed so that pabutools selects another plan is refused by
`waardenzeef recount` (exit 1, naming the voter and the column)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pabutools.election.pabulib import parse_pabulib_from_string
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.cli import cli
from app.domain import plan_file
from app.domain.pabulib import PbInstance, PbVote, format_pabulib, parse_pabulib
from app.domain.vocabulary import Role, RoundKind
from app.models import Effect, Participant, Round
from app.services import users as users_service
from tests.domain.test_plan_file import _pabutools
from tests.factories import cast, meeting_night

PASSWORD = "correct horse battery"
ONLY_WEIGHED = 3
RULES = [
    ("greedy", "contribution"),
    ("greedy", "value_per_euro"),
    ("optimal", "contribution"),
    ("equal_shares", "contribution"),
    ("equal_shares_packages", "contribution"),
]


def _night(client: TestClient, session: Session, process_id: int, participants: int) -> int:
    """`participants` people voted in all three rounds; three more only weighed (Wegen); the
    wijkteam is logged in."""
    meeting = meeting_night(
        session,
        process_id,
        participants=participants,
        start=datetime(2026, 11, 20, 19, 30, tzinfo=UTC),
    )
    wegen = session.exec(
        select(Round).where(Round.meeting_id == meeting.id, Round.kind == RoundKind.WEGEN)
    ).one()
    effects = session.exec(
        select(Effect)
        .where(Effect.process_id == process_id, col(Effect.parent_id).is_(None))
        .order_by(col(Effect.position))
    ).all()
    for n in range(ONLY_WEIGHED):
        person = Participant(process_id=process_id)
        session.add(person)
        session.flush()
        points = [100 - 10 * n, 10 * n] + [0] * (len(effects) - 2)
        cast(
            session, wegen, person, [(None, e.id, p) for e, p in zip(effects, points, strict=True)]
        )
    users_service.create_user(
        session, email="wijkteam@example.org", role=Role.WIJKTEAM, password=PASSWORD
    )
    session.commit()
    response = client.post(
        "/login",
        data={"email": "wijkteam@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return process_id


@pytest.fixture
def night(client: TestClient, session: Session, korrewegwijk: int) -> int:
    """Twelve people voted in all three rounds; three more only weighed (Wegen)."""
    return _night(client, session, korrewegwijk, 12)


@pytest.fixture
def small_night(client: TestClient, session: Session, korrewegwijk: int) -> int:
    """Four people voted in all three rounds; three more only weighed. Enough to change a file
    so that pabutools selects another plan: the twelve of `night` show that too, but pabutools'
    equal shares take 5 and 9 s on their changed files (by one euro more per voter at a time),
    on these four 0.0 and 3.8 s."""
    return _night(client, session, korrewegwijk, 4)


def _download(
    client: TestClient, process_id: int, rule: str, ranked_by: str
) -> tuple[str, set[str]]:
    base = f"/wijkteam/processes/{process_id}/plan"
    query = {"rule": rule, "ranked_by": ranked_by}
    ballots = client.get(f"{base}.pb", params=query)
    assert ballots.status_code == 200
    plan = client.get(f"{base}.json", params=query).json()
    assert plan["rule"] == rule
    return ballots.text, {str(m["measure_id"]) for m in plan["measures"] if m["selected"]}


@pytest.mark.parametrize(("rule", "ranked_by"), RULES[:3])
def test_the_meetings_ballots_file_gives_the_plan_in_pabutools(
    client: TestClient, night: int, rule: str, ranked_by: str
) -> None:
    _recounted_outside(client, night, rule, ranked_by)


@pytest.mark.one_database(
    "pabutools' equal shares on the file; the ballots are read from the database alike for every"
    " rule (load_source), and the file from PostgreSQL's meeting is checked by the test above"
)
@pytest.mark.parametrize(("rule", "ranked_by"), RULES[3:])
def test_the_meetings_ballots_file_gives_the_equal_shares_plan_in_pabutools(
    client: TestClient, night: int, rule: str, ranked_by: str
) -> None:
    _recounted_outside(client, night, rule, ranked_by)


def _recounted_outside(client: TestClient, night: int, rule: str, ranked_by: str) -> None:
    text, selected = _download(client, night, rule, ranked_by)
    # pabutools reads the file (no empty vote for those who only weighed) ...
    _instance, profile = parse_pabulib_from_string(text)
    assert all(len(ballot) > 0 for ballot in profile)
    assert selected
    # ... and selects the plan's measures with the rule the file names.
    assert selected in _pabutools(text)
    # Those who only weighed are no voters: they are named apart, with their weights.
    ours = parse_pabulib(text)
    others = plan_file._json(ours.meta, "waardenzeef_other_participants")
    assert len(others) >= ONLY_WEIGHED
    assert {o["voter_id"] for o in others}.isdisjoint({v.voter_id for v in ours.votes})
    recounted = plan_file.recount(ours)
    assert recounted.ok
    assert {str(m) for m in recounted.selected} == selected


def _tampered(text: str, project: str) -> str:
    """Every voter's vote and points changed in favour of one project (the raw ballots kept)."""
    instance = parse_pabulib(text)
    votes = []
    for vote in instance.votes:
        projects, points = list(vote.projects), list(vote.points or ())
        if project in projects:
            at = projects.index(project)
            if points:
                points[at] = Fraction(1000)
        else:
            projects.append(project)
            if vote.points is not None:
                points.append(Fraction(1000))
        votes.append(
            PbVote(
                vote.voter_id, tuple(projects), tuple(points) if vote.points else None, vote.fields
            )
        )
    changed = PbInstance(
        instance.meta, instance.projects, votes, instance.project_columns, instance.vote_columns
    )
    return format_pabulib(changed)


@pytest.mark.one_database(
    "pabutools and `waardenzeef recount` on a changed file; the file as PostgreSQL's meeting"
    " gives it is checked by the test above, on both databases"
)
@pytest.mark.parametrize(("rule", "ranked_by"), [RULES[0], RULES[3], RULES[4]])
def test_a_file_changed_so_that_pabutools_selects_another_plan_is_refused(
    client: TestClient, small_night: int, rule: str, ranked_by: str, tmp_path: Path
) -> None:
    text, selected = _download(client, small_night, rule, ranked_by)
    ours = parse_pabulib(text)
    budget = Fraction(ours.meta["budget"])
    left_out = [p.id for p in ours.projects if p.id not in selected and p.cost <= budget]
    assert left_out
    changed = _tampered(text, left_out[-1])
    # The change is one that matters: outside, pabutools now selects another plan.
    assert selected not in _pabutools(changed)
    path = tmp_path / "changed.pb"
    path.write_text(changed, encoding="utf-8")
    result = CliRunner().invoke(cli, ["recount", str(path)])
    assert result.exit_code == 1, result.output
    column = "points" if ours.votes[0].points is not None else "vote"
    assert f"column {column}" in result.output
    assert "voter " in result.output
