"""Reading and writing Pabulib `.pb` files: the format, round trips, and clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.allocation import (
    Project,
    Satisfaction,
    election_from_columns,
    election_from_votes,
)
from app.domain.pabulib import (
    PabulibError,
    PbInstance,
    PbProject,
    PbVote,
    VoteType,
    format_number,
    format_pabulib,
    make_instance,
    parse_pabulib,
    read_pabulib,
    write_pabulib,
)
from app.domain.pabulib import _Parser as _Parser  # the row-by-row reader, the reference
from tests.domain.test_exactness import EXPECTED, require_pabulib

APPROVAL = """META
key;value
description;"Buurtbudget; de Kleine Wereld"
country;Netherlands
num_projects;3
num_votes;4
budget;1000,50
vote_type;approval
min_length;1
max_length;2
PROJECTS
project_id;cost;name
01;500;"Bankjes; groen"
10;250.25;Speeltuin
9;300;None
VOTES
voter_id;vote;age
v1;01,10;34
v2;9;None
v3;;51
v4;01,,9;20
"""

CUMULATIVE = """META
key;value
budget;100
vote_type;cumulative
max_sum_points;5
PROJECTS
project_id;cost
a;60
b;40
VOTES
voter_id;vote;points
1;a,b;3,2
2;b;1.5
3;None;None
"""


def test_approval_file_is_read_as_pabutools_reads_it() -> None:
    instance = parse_pabulib(APPROVAL)
    assert instance.vote_type is VoteType.APPROVAL
    assert instance.budget == Fraction(2001, 2)
    assert instance.meta["description"] == "Buurtbudget; de Kleine Wereld"
    assert [p.id for p in instance.projects] == ["01", "10", "9"]
    assert instance.project("10").cost == Fraction(1001, 4)
    assert instance.project("01").cost == 500
    assert instance.project("01").name == "Bankjes; groen"
    # A field that reads None is absent; the id stands in for a missing name.
    assert "name" not in instance.project("9").fields
    assert instance.project("9").name == "9"
    votes = {v.voter_id: v for v in instance.votes}
    assert votes["v1"].projects == ("01", "10")
    assert votes["v1"].fields == {"age": "34"}
    assert votes["v2"].fields == {}
    assert votes["v3"].projects == ()  # an empty ballot, still a voter
    assert votes["v4"].projects == ("01", "9")  # empty names are skipped, as pabutools does
    assert votes["v1"].points is None
    assert votes["v1"].points_by_project() == {"01": 1, "10": 1}
    assert instance.warnings == ()


def test_cumulative_points_are_exact_and_an_absent_vote_is_empty() -> None:
    instance = parse_pabulib(CUMULATIVE)
    assert instance.vote_type is VoteType.CUMULATIVE
    assert [v.points_by_project() for v in instance.votes] == [
        {"a": 3, "b": 2},
        {"b": Fraction(3, 2)},
        {},
    ]


def test_choose_one_is_approval_and_scoring_has_points() -> None:
    choose_one = CUMULATIVE.replace("cumulative", "choose-1").replace(";points", "")
    choose_one = choose_one.replace(";3,2", "").replace(";1.5", "").replace("None;None", "")
    assert parse_pabulib(choose_one).vote_type is VoteType.APPROVAL
    scoring = parse_pabulib(CUMULATIVE.replace("cumulative", "scoring"))
    assert scoring.vote_type is VoteType.SCORING
    assert scoring.votes[0].points == (3, 2)


def test_byte_order_mark_and_windows_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "bom.pb"
    path.write_bytes(("\ufeff" + APPROVAL.replace("\n", "\r\n")).encode("utf-8"))
    assert read_pabulib(path) == parse_pabulib(APPROVAL)


@pytest.mark.parametrize(
    "text", [APPROVAL, CUMULATIVE, CUMULATIVE.replace("cumulative", "scoring")]
)
def test_round_trip(text: str, tmp_path: Path) -> None:
    instance = parse_pabulib(text)
    path = tmp_path / "out.pb"
    write_pabulib(instance, path)
    again = read_pabulib(path)
    assert again == instance
    assert format_pabulib(again) == format_pabulib(instance)


def test_round_trip_of_every_shared_instance() -> None:
    folder = require_pabulib()
    for reference in EXPECTED.values():
        instance = read_pabulib(folder / reference["file"])
        assert parse_pabulib(format_pabulib(instance)) == instance


def test_make_instance_fills_the_counts_and_writes_exact_points() -> None:
    instance = make_instance(
        meta={"description": "Zeven", "budget": "1000000", "vote_type": "scoring"},
        projects=[PbProject("m1", 500000, {"name": "Drainage"}), PbProject("m2", 0)],
        votes=[PbVote("p1", ("m1", "m2"), (Fraction(7, 4), Fraction(1, 3)))],
        extra_project_columns=["name"],
    )
    text = format_pabulib(instance)
    assert "num_projects;2" in text
    assert "num_votes;1" in text
    assert "p1;m1,m2;1.75,1/3" in text
    assert "m2;0;None" in text
    assert parse_pabulib(text) == instance


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (Fraction(-7, 2), "-3.5"),
        (Fraction(1, 8), "0.125"),
        (Fraction(1001, 4), "250.25"),
        (Fraction(1, 3), "1/3"),
    ],
)
def test_format_number(value: int | Fraction, text: str) -> None:
    assert format_number(value) == text


def test_counts_and_lengths_that_disagree_are_warnings() -> None:
    text = APPROVAL.replace("num_votes;4", "num_votes;5").replace("v1;01,10;34", "v1;01,10,9;34")
    instance = parse_pabulib(text)
    assert instance.warnings == (
        "META num_votes is 5, but the file has 4 votes",
        "1 vote(s) name fewer or more projects than min_length/max_length",
    )


BROKEN = [
    (APPROVAL.replace("v2;9;None", "v2;7;None"), 19, "unknown project '7'"),
    (CUMULATIVE.replace("1;a,b;3,2", "1;a,b;3"), 12, "2 projects but 1 points"),
    (CUMULATIVE.replace("1;a,b;3,2", "1;a,b;3,x"), 12, "'x' is not a number"),
    (CUMULATIVE.replace("1;a,b;3,2", "1;a,a;3,2"), 12, "project(s) a twice"),
    (CUMULATIVE.replace("a;60", "a;sixty"), 8, "cost of project 'a' 'sixty' is not a number"),
    (CUMULATIVE.replace("a;60", "a;-60"), 8, "is negative"),
    (CUMULATIVE.replace("b;40", "a;40"), 9, "project 'a' appears twice"),
    (CUMULATIVE.replace("b;40", "b;40;extra"), 9, "PROJECTS row has 3 fields, the header has 2"),
    (CUMULATIVE.replace("budget;100\n", ""), 6, "META has no 'budget'"),
    (CUMULATIVE.replace("budget;100", "budget;lots"), 3, "budget 'lots' is not a number"),
    (CUMULATIVE.replace("cumulative", "ordinal"), 4, "vote_type 'ordinal' is not supported"),
    (CUMULATIVE.replace("max_sum_points;5", "budget;5"), 5, "META key 'budget' given twice"),
    (CUMULATIVE.replace("project_id;cost", "project_id;price"), 7, "no 'cost' column"),
    (CUMULATIVE.replace("voter_id;vote;points", "voter_id;vote"), 11, "no 'points' column"),
    (CUMULATIVE.replace("VOTES\n", "PROJECTS\n"), 10, "section PROJECTS appears twice"),
    ("PROJECTS\nproject_id;cost\n", 1, "PROJECTS found where META was due"),
    ("hello;world\n", 1, "expected the META section first"),
    (CUMULATIVE.split("VOTES")[0], None, "section VOTES is missing"),
    (APPROVAL.replace("v1;01,10;34", "v1;01,10;34;5"), 18, "VOTES row has 4 fields"),
    (APPROVAL.replace("country;Netherlands", 'country;"Nether'), 4, "unreadable row"),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_malformed_files_say_where_and_what(text: str, line: int | None, message: str) -> None:
    with pytest.raises(PabulibError) as caught:
        parse_pabulib(text, source="test.pb")
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith("test.pb" + (f", line {line}" if line else ""))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.pb"
    path.write_bytes(APPROVAL.replace("Speeltuin", "Speeltuïn").encode("latin-1"))
    with pytest.raises(PabulibError, match="not UTF-8"):
        read_pabulib(path)


def test_a_vote_with_points_and_projects_of_different_lengths_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="2 projects but 1 points"):
        PbVote("v", ("a", "b"), (1,))


def _row_by_row(text: str) -> PbInstance:
    return _Parser(text, None, bulk=False).parse()


def test_plain_votes_are_read_in_bulk_as_row_by_row() -> None:
    folder = require_pabulib()
    for reference in EXPECTED.values():
        text = (folder / reference["file"]).read_text(encoding="utf-8-sig")
        bulk = parse_pabulib(text)
        assert bulk.columns is not None, reference["file"]  # the shared files are plain
        assert bulk == _row_by_row(text)


cell = st.sampled_from(["1", "2", "10", "9", " 2", "None", "", "x", "1.5", "0", "3"])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["approval", "cumulative", "scoring"]),
    st.lists(st.tuples(st.lists(cell, max_size=4), st.lists(cell, max_size=4)), max_size=6),
)
def test_any_votes_section_reads_as_row_by_row(
    vote_type: str, votes: list[tuple[list[str], list[str]]]
) -> None:
    # Bulk where the section is plain, row by row otherwise: the same instance or the same
    # error (naming the same line) as reading every row on its own.
    points = vote_type != "approval"
    lines = ["META", "key;value", "budget;100", f"vote_type;{vote_type}", "PROJECTS"]
    lines += ["project_id;cost", "1;10", "2;20", "9;30", "10;40", "VOTES"]
    lines.append("voter_id;vote;points" if points else "voter_id;vote")
    for number, (named, scores) in enumerate(votes):
        row = f"v{number};{','.join(named)}"
        lines.append(row + (f";{','.join(scores)}" if points else ""))
    text = "\n".join(lines) + "\n"
    try:
        expected: PbInstance | str = _row_by_row(text)
    except PabulibError as error:
        expected = str(error)
    try:
        found: PbInstance | str = parse_pabulib(text)
    except PabulibError as error:
        found = str(error)
    assert found == expected


def test_an_election_from_the_columns_is_the_election_from_the_votes() -> None:
    folder = require_pabulib()
    for reference in EXPECTED.values():
        instance = read_pabulib(folder / reference["file"])
        assert instance.columns is not None
        projects = [Project(p.id, p.cost) for p in instance.projects]
        for satisfaction in Satisfaction:
            if satisfaction is Satisfaction.CARDINAL and not instance.vote_type.has_points:
                continue
            quick = election_from_columns(projects, instance.budget, instance.columns, satisfaction)
            slow = election_from_votes(projects, instance.budget, instance.ballots(), satisfaction)
            assert quick.index.total_satisfaction == slow.index.total_satisfaction
            assert quick.index.supporters == slow.index.supporters
            assert quick.ballots == slow.ballots
