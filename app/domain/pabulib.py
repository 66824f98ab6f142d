"""Pabulib `.pb` files: read and write participatory-budgeting instances (META, PROJECTS, VOTES).

The format is the one described on pabulib.org: three sections, each a header line naming the
columns and then rows, semicolon separated, fields quoted with double quotes where needed. Reading
follows pabutools 1.2.3 (`pabutools.election.pabulib`) wherever that decides an outcome:

- project ids are kept as strings exactly as in the file (stripped of surrounding spaces);
- costs, the budget and points may be decimals, also with a decimal comma, and are read exactly;
- a field that reads `None` counts as absent;
- `choose-1` votes are approval votes; an empty vote is an empty ballot, and it still counts as a
  voter (equal shares divides the budget over all voters, empty ballots included);
- the ballot-length and point-limit meta (`min_length`, `max_length`, `max_sum_points`, ...) do not
  change an outcome in pabutools; here they are kept as meta and violations become warnings.

Where pabutools is silent or lenient about a broken file (a vote naming an unknown project, a vote
and its points of different lengths, a project twice in one vote, a cost that is not a number) this
reader stops with a `PabulibError` naming the line, instead of guessing.

Speed: META and PROJECTS are read row by row; the VOTES section, nearly all of a file, is read by
the `csv` module in one go and checked in bulk (`_Parser.bulk_votes`), and the votes are kept as
columns: an election is built straight from them (`PbInstance.ballots`), and `PbVote` objects
are only made when asked for. A votes section that is not plain (spaces around names, "None",
decimals, anything wrong) is read again row by row, which names the line of any error.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from fractions import Fraction
from itertools import accumulate, islice, repeat
from operator import add, itemgetter
from types import MappingProxyType
from typing import NamedTuple

Number = int | Fraction

SECTIONS = ("meta", "projects", "votes")
VOTE_FIELDS = ("voter_id", "vote", "points")


class VoteType(StrEnum):
    """The kinds of ballots this reader understands."""

    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"

    @property
    def has_points(self) -> bool:
        """Whether ballots of this kind carry points next to the projects."""
        return self is not VoteType.APPROVAL


class PabulibError(ValueError):
    """A `.pb` file that cannot be read: says on which line and what is wrong."""

    def __init__(self, message: str, line: int | None = None, source: str | None = None) -> None:
        self.line = line
        self.source = source
        self.reason = message
        where = source or "pabulib"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


class _PbProjectFields(NamedTuple):
    id: str
    cost: Number
    fields: Mapping[str, str]


class PbProject(_PbProjectFields):
    """A project row: its id, its exact cost and every other column as written."""

    __slots__ = ()

    def __new__(cls, id: str, cost: Number, fields: Mapping[str, str] | None = None) -> PbProject:
        return cls._make((id, cost, MappingProxyType(dict(fields or {}))))

    @property
    def name(self) -> str:
        """The project's name, or its id when the file gives none."""
        return self.fields.get("name", self.id)


class _PbVoteFields(NamedTuple):
    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Number, ...] | None
    fields: Mapping[str, str]


class PbVote(_PbVoteFields):
    """A voter's ballot: the projects in the order written, their points, and any other columns."""

    __slots__ = ()

    def __new__(
        cls,
        voter_id: str,
        projects: tuple[str, ...],
        points: tuple[Number, ...] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> PbVote:
        if points is not None and len(points) != len(projects):
            raise ValueError(f"voter {voter_id}: {len(projects)} projects but {len(points)} points")
        return cls._make((voter_id, projects, points, MappingProxyType(dict(fields or {}))))

    def points_by_project(self) -> dict[str, Number]:
        """Points per project (1 per project for an approval vote)."""
        if self.points is None:
            return dict.fromkeys(self.projects, 1)
        return dict(zip(self.projects, self.points, strict=True))


class VoteColumns(NamedTuple):
    """The votes of a file as the reader found them, as columns: every vote's project ids one
    after the other (`flat_projects`; `lengths` says how many per vote), their points likewise
    (None for approval votes), the voter ids, and the rows (for the other columns)."""

    voter_ids: list[str]
    flat_projects: list[str]
    lengths: list[int]
    flat_points: list[int] | None
    rows: list[list[str]]
    columns: tuple[str, ...]

    def per_vote(self) -> list[tuple[tuple[str, ...], tuple[Number, ...] | None]]:
        """Each vote's projects and points (None for approval votes)."""
        ends = list(accumulate(self.lengths))
        starts = [end - length for end, length in zip(ends, self.lengths, strict=True)]
        projects = [tuple(self.flat_projects[a:b]) for a, b in zip(starts, ends, strict=True)]
        if self.flat_points is None:
            return [(named, None) for named in projects]
        points = self.flat_points
        return [
            (named, tuple(points[a:b])) for named, a, b in zip(projects, starts, ends, strict=True)
        ]

    def votes(self) -> tuple[PbVote, ...]:
        """The votes as `PbVote` objects."""
        others = [(i, c) for i, c in enumerate(self.columns) if c not in VOTE_FIELDS]
        return tuple(
            PbVote(
                voter,
                named,
                given,
                {c: row[i].strip() for i, c in others if not _absent(row[i])},
            )
            for voter, (named, given), row in zip(
                self.voter_ids, self.per_vote(), self.rows, strict=True
            )
        )


class PbInstance:
    """A whole `.pb` file: meta, projects in file order and votes in file order."""

    def __init__(
        self,
        meta: Mapping[str, str],
        projects: Sequence[PbProject],
        votes: Sequence[PbVote] | VoteColumns,
        project_columns: tuple[str, ...] = ("project_id", "cost"),
        vote_columns: tuple[str, ...] = ("voter_id", "vote"),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.meta: Mapping[str, str] = MappingProxyType(dict(meta))
        self.projects = tuple(projects)
        self._votes = votes if isinstance(votes, VoteColumns) else tuple(votes)
        self.project_columns = tuple(project_columns)
        self.vote_columns = tuple(vote_columns)
        self.warnings = tuple(warnings)

    @property
    def votes(self) -> tuple[PbVote, ...]:
        """The votes (made from the columns read, the first time they are asked for)."""
        if isinstance(self._votes, VoteColumns):
            self._votes = self._votes.votes()
        return self._votes

    def ballots(self) -> Iterable[tuple[tuple[str, ...], tuple[Number, ...] | None]]:
        """Each vote as its projects and its points (None for approval votes), in file order."""
        if isinstance(self._votes, VoteColumns):
            return self._votes.per_vote()
        return ((vote.projects, vote.points) for vote in self._votes)

    @property
    def columns(self) -> VoteColumns | None:
        """The votes as columns, when they were read in bulk (else None)."""
        return self._votes if isinstance(self._votes, VoteColumns) else None

    @property
    def voter_count(self) -> int:
        """How many votes (voters) the file has."""
        if isinstance(self._votes, VoteColumns):
            return len(self._votes.lengths)
        return len(self._votes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PbInstance):
            return NotImplemented
        return (
            self.meta,
            self.projects,
            self.votes,
            self.project_columns,
            self.vote_columns,
            self.warnings,
        ) == (
            other.meta,
            other.projects,
            other.votes,
            other.project_columns,
            other.vote_columns,
            other.warnings,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PbInstance({self.name!r}, {len(self.projects)} projects, {self.voter_count} votes)"

    @property
    def vote_type(self) -> VoteType:
        """How the voters voted (approval, cumulative or scoring)."""
        return _vote_type(self.meta.get("vote_type", ""), None, None)

    @property
    def budget(self) -> Number:
        """The money available, exactly as the file states it."""
        return _number(self.meta.get("budget", ""), "budget", None, None)

    @property
    def name(self) -> str:
        """A short readable name: the description, or unit and instance."""
        if "description" in self.meta:
            return self.meta["description"]
        return " ".join(v for k in ("unit", "instance") if (v := self.meta.get(k, "")))

    def project(self, project_id: str) -> PbProject:
        """The project with this id."""
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)


def read_pabulib(path: str | os.PathLike[str]) -> PbInstance:
    """Read a `.pb` file (UTF-8, with or without byte-order mark)."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode()  # a byte-order mark becomes U+FEFF, which parse_pabulib drops
    except UnicodeDecodeError as error:
        raise PabulibError(f"not UTF-8 text ({error.reason})", source=os.fspath(path)) from None
    return parse_pabulib(text, source=os.fspath(path))


def parse_pabulib(text: str, source: str | None = None) -> PbInstance:
    """Parse the text of a `.pb` file."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return _Parser(text, source, bulk=True).parse()
    except _Irregular:
        # Read again row by row: the same outcome, or the error with its line.
        return _Parser(text, source, bulk=False).parse()


def write_pabulib(instance: PbInstance, path: str | os.PathLike[str]) -> None:
    """Write an instance as a `.pb` file (UTF-8, `\\n` line ends)."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(format_pabulib(instance))


def format_pabulib(instance: PbInstance) -> str:
    """The text of a `.pb` file for this instance; reading it back gives the same instance."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in instance.meta.items():
        writer.writerow([key, value])
    writer.writerow(["PROJECTS"])
    writer.writerow(instance.project_columns)
    for project in instance.projects:
        row = []
        for column in instance.project_columns:
            if column == "project_id":
                row.append(project.id)
            elif column == "cost":
                row.append(format_number(project.cost))
            else:
                row.append(project.fields.get(column, "None"))
        writer.writerow(row)
    writer.writerow(["VOTES"])
    writer.writerow(instance.vote_columns)
    # pabutools reads an empty vote with points as a project named "": write it as "None".
    empty = "None" if instance.vote_type.has_points else ""
    for vote in instance.votes:
        row = []
        for column in instance.vote_columns:
            if column == "voter_id":
                row.append(vote.voter_id)
            elif column == "vote":
                row.append(",".join(vote.projects) or empty)
            elif column == "points":
                points = vote.points or ()
                row.append(",".join(format_number(p) for p in points) or empty)
            else:
                row.append(vote.fields.get(column, "None"))
        writer.writerow(row)
    return out.getvalue()


def format_number(value: Number) -> str:
    """An exact number as Pabulib writes it: an integer, a finite decimal, or else `n/d`."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        # Not a finite decimal (e.g. 1/3): write it exactly; Fraction and gmpy2 both read "n/d".
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    sign = "-" if value < 0 else ""
    digits = str(scaled).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def make_instance(
    *,
    meta: Mapping[str, str],
    projects: Sequence[PbProject],
    votes: Sequence[PbVote],
    extra_project_columns: Sequence[str] = (),
    extra_vote_columns: Sequence[str] = (),
) -> PbInstance:
    """Build an instance to write, filling `num_projects`, `num_votes` and the column lists."""
    vote_type = _vote_type(meta.get("vote_type", ""), None, None)
    full_meta = dict(meta)
    full_meta["num_projects"] = str(len(projects))
    full_meta["num_votes"] = str(len(votes))
    vote_columns = ["voter_id", "vote"]
    if vote_type.has_points:
        vote_columns.append("points")
    return PbInstance(
        meta=full_meta,
        projects=tuple(projects),
        votes=tuple(votes),
        project_columns=("project_id", "cost", *extra_project_columns),
        vote_columns=(*vote_columns, *extra_vote_columns),
    )


def _vote_type(raw: str, line: int | None, source: str | None) -> VoteType:
    value = raw.strip().lower()
    if value == "choose-1":
        return VoteType.APPROVAL
    try:
        return VoteType(value)
    except ValueError:
        known = ", ".join(v.value for v in VoteType)
        raise PabulibError(
            f"vote_type {raw!r} is not supported (expected one of: {known}, choose-1)",
            line,
            source,
        ) from None


def _number(raw: str, what: str, line: int | None, source: str | None) -> Number:
    text = raw.strip().replace(",", ".")
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise PabulibError(f"{what} {raw!r} is not a number", line, source) from None
    if value < 0:
        raise PabulibError(f"{what} {raw!r} is negative", line, source)
    return value.numerator if value.denominator == 1 else value


def _absent(value: str) -> bool:
    return value.strip().lower() == "none"


def _present(cells: Mapping[str, str]) -> dict[str, str]:
    # pabutools drops fields that read "None"; writing puts "None" back in their column.
    return {column: value for column, value in cells.items() if not _absent(value)}


class _Irregular(Exception):
    """The votes section is not plain enough to be read in bulk: read it row by row."""


class _Parser:
    """One pass over the rows, remembering the line each row started on; with `bulk`, the votes
    section in one go (see the module's docstring)."""

    def __init__(self, text: str, source: str | None, *, bulk: bool = False) -> None:
        self.source = source
        self.bulk = bulk
        self.columns: VoteColumns | None = None
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
        self.line = 0
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: dict[str, PbProject] = {}
        self.project_columns: tuple[str, ...] = ()
        self.votes: list[PbVote] = []
        self.vote_columns: tuple[str, ...] = ()
        self.warnings: list[str] = []
        self.vote_type = VoteType.APPROVAL

    def error(self, message: str, line: int | None = None) -> PabulibError:
        return PabulibError(message, self.line if line is None else line, self.source)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self.reader.line_num + 1
            try:
                row = next(self.reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise PabulibError(f"unreadable row ({error})", start, self.source) from None
            self.line = start
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            yield start, row

    def parse(self) -> PbInstance:
        section = ""
        seen: list[str] = []
        rows = self.rows()
        for line, row in rows:
            name = row[0].strip().lower()
            if name in SECTIONS and all(not cell.strip() for cell in row[1:]):
                if name in seen:
                    raise self.error(f"section {name.upper()} appears twice")
                expected = SECTIONS[len(seen)]
                if name != expected:
                    raise self.error(
                        f"section {name.upper()} found where {expected.upper()} was due"
                    )
                seen.append(name)
                section = name
                header = next(rows, None)
                if header is None:
                    raise self.error(f"section {name.upper()} has no header line")
                self.header(section, header[0], [cell.strip() for cell in header[1]])
                if section == "votes" and self.bulk:
                    try:
                        rest = list(self.reader)
                    except csv.Error:
                        raise _Irregular from None
                    self.columns = self.bulk_votes(rest)
                    break
                continue
            if section == "meta":
                self.meta_row(line, row)
            elif section == "projects":
                self.project_row(line, row)
            elif section == "votes":
                self.vote_row(line, row)
            else:
                raise self.error("expected the META section first")
        for name in SECTIONS:
            if name not in seen:
                raise PabulibError(f"section {name.upper()} is missing", None, self.source)
        self.check_counts()
        return PbInstance(
            meta=self.meta,
            projects=tuple(self.projects.values()),
            votes=self.columns if self.columns is not None else tuple(self.votes),
            project_columns=self.project_columns,
            vote_columns=self.vote_columns,
            warnings=tuple(self.warnings),
        )

    def header(self, section: str, line: int, columns: list[str]) -> None:
        if len(set(columns)) != len(columns):
            raise self.error(f"{section.upper()} header names a column twice", line)
        if section == "meta":
            return
        if section == "projects":
            for required in ("project_id", "cost"):
                if required not in columns:
                    raise self.error(f"PROJECTS header has no {required!r} column", line)
            self.project_columns = tuple(columns)
            self.check_meta()
            return
        for required in ("voter_id", "vote"):
            if required not in columns:
                raise self.error(f"VOTES header has no {required!r} column", line)
        if self.vote_type.has_points and "points" not in columns:
            raise self.error(
                f"VOTES header has no 'points' column for {self.vote_type} votes", line
            )
        self.vote_columns = tuple(columns)

    def meta_row(self, line: int, row: list[str]) -> None:
        if len(row) < 2 or any(cell.strip() for cell in row[2:]):
            raise self.error("a META row must be 'key;value'")
        key, value = row[0].strip(), row[1].strip()
        if not key:
            raise self.error("META row without a key")
        if key in self.meta:
            raise self.error(f"META key {key!r} given twice (first on line {self.meta_lines[key]})")
        self.meta[key] = value
        self.meta_lines[key] = line

    def check_meta(self) -> None:
        for required in ("budget", "vote_type"):
            if required not in self.meta:
                raise self.error(f"META has no {required!r}")
        self.vote_type = _vote_type(
            self.meta["vote_type"], self.meta_lines["vote_type"], self.source
        )
        _number(self.meta["budget"], "budget", self.meta_lines["budget"], self.source)

    def cells(self, row: list[str], columns: tuple[str, ...], what: str) -> dict[str, str]:
        if len(row) != len(columns):
            raise self.error(f"{what} row has {len(row)} fields, the header has {len(columns)}")
        return {column: cell.strip() for column, cell in zip(columns, row, strict=True)}

    def project_row(self, line: int, row: list[str]) -> None:
        cells = self.cells(row, self.project_columns, "PROJECTS")
        project_id = cells.pop("project_id")
        if not project_id or _absent(project_id):
            raise self.error("project without a project_id")
        if project_id in self.projects:
            raise self.error(f"project {project_id!r} appears twice")
        cost_text = cells.pop("cost")
        if _absent(cost_text) or not cost_text:
            raise self.error(f"project {project_id!r} has no cost")
        cost = _number(cost_text, f"cost of project {project_id!r}", line, self.source)
        self.projects[project_id] = PbProject(project_id, cost, _present(cells))

    def vote_row(self, line: int, row: list[str]) -> None:
        cells = self.cells(row, self.vote_columns, "VOTES")
        voter_id = cells.pop("voter_id")
        vote_text = cells.pop("vote")
        points_text = cells.pop("points", "")
        if _absent(vote_text):
            vote_text = ""
        if _absent(points_text):
            points_text = ""
        projects = tuple(p.strip() for p in vote_text.split(",")) if vote_text else ()
        if self.vote_type is VoteType.APPROVAL:
            # pabutools skips empty names in an approval vote ("1,,2" is "1,2").
            projects = tuple(p for p in projects if p)
        for project_id in projects:
            if project_id not in self.projects:
                raise self.error(f"voter {voter_id!r} votes for unknown project {project_id!r}")
        if len(set(projects)) != len(projects):
            twice = sorted({p for p in projects if projects.count(p) > 1})
            raise self.error(f"voter {voter_id!r} names project(s) {', '.join(twice)} twice")
        points: tuple[Number, ...] | None = None
        if self.vote_type.has_points:
            raw_points = [p.strip() for p in points_text.split(",")] if points_text else []
            if len(raw_points) != len(projects):
                raise self.error(
                    f"voter {voter_id!r} has {len(projects)} projects but {len(raw_points)} points"
                )
            points = tuple(
                _number(p, f"points of voter {voter_id!r}", line, self.source) for p in raw_points
            )
        elif points_text:
            raise self.error(f"voter {voter_id!r} has points, but the votes are approval votes")
        self.votes.append(PbVote(voter_id, projects, points, _present(cells)))

    def check_counts(self) -> None:
        if self.columns is not None:
            voter_ids, lengths = self.columns.voter_ids, self.columns.lengths
        else:
            voter_ids = [vote.voter_id for vote in self.votes]
            lengths = [len(vote.projects) for vote in self.votes]
        for key, actual, what in (
            ("num_projects", len(self.projects), "projects"),
            ("num_votes", len(voter_ids), "votes"),
        ):
            stated = self.meta.get(key)
            if stated is not None and stated != str(actual):
                self.warnings.append(f"META {key} is {stated}, but the file has {actual} {what}")
        if len(set(voter_ids)) != len(voter_ids):
            self.warnings.append("some voter_id values appear more than once")
        self.warnings.extend(_length_warnings(self.meta, lengths))

    def bulk_votes(self, rest: list[list[str]]) -> VoteColumns:
        """The votes section read in one go and checked in bulk: what the row-by-row reading
        would give, for a plain section (no spaces around names, no "None", whole points, every
        project known and named once per vote); anything else is `_Irregular`.

        Every step is one pass of the standard library over a whole column (joining, splitting,
        counting), not Python code per vote.
        """
        columns = self.vote_columns
        rows = [row for row in rest if row] if [] in rest else rest
        if set(map(len, rows)) - {len(columns)}:
            raise _Irregular
        voter_ids = list(map(itemgetter(columns.index("voter_id")), rows))
        texts = list(map(itemgetter(columns.index("vote")), rows))
        plain = "\x00".join(voter_ids) + "\x00" + "\x00".join(texts)
        if " " in plain or "\t" in plain or "none" in plain.lower():
            raise _Irregular
        flat, lengths = _flatten(texts)
        if not set(flat) <= self.projects.keys():
            raise _Irregular  # an unknown project, or an empty name ("1,,2")
        # Each vote's names, taken in turn off the flat list (no second split).
        named = map(islice, repeat(iter(flat)), lengths)
        if sum(map(len, map(set, named))) != len(flat):
            raise _Irregular  # a project twice on one vote (fewer distinct names than names)
        points = self.bulk_points(rows, lengths)
        return VoteColumns(voter_ids, flat, lengths, points, rows, columns)

    def bulk_points(self, rows: list[list[str]], lengths: list[int]) -> list[int] | None:
        """The points column, flat, as whole numbers (None for approval votes)."""
        if "points" not in self.vote_columns:
            if self.vote_type.has_points:
                raise _Irregular
            return None
        texts = list(map(itemgetter(self.vote_columns.index("points")), rows))
        if not self.vote_type.has_points:
            if any(texts):
                raise _Irregular
            return None
        flat, given = _flatten(texts)
        if given != lengths:
            raise _Irregular
        digits = "".join(flat)
        if (not (digits.isascii() and digits.isdigit()) and digits) or "" in flat:
            raise _Irregular  # decimals, signs, an empty point: anything but whole numbers
        return list(map(int, flat))


def _flatten(texts: list[str]) -> tuple[list[str], list[int]]:
    """Comma-separated cells as one list of their items, and how many items each cell has."""
    flat = ",".join(filter(None, texts)).split(",") if any(texts) else []
    lengths = list(map(add, map(str.count, texts, repeat(",")), map(bool, texts)))
    return flat, lengths


def _length_warnings(meta: Mapping[str, str], lengths: Iterable[int]) -> list[str]:
    warnings = []
    bounds = {}
    for key in ("min_length", "max_length"):
        if key in meta and not _absent(meta[key]):
            try:
                bounds[key] = int(meta[key])
            except ValueError:
                warnings.append(f"META {key} {meta[key]!r} is not a whole number")
    if not bounds:
        return warnings
    low, high = bounds.get("min_length", 0), bounds.get("max_length")
    outside = sum(
        1 for length in lengths if length and (length < low or (high is not None and length > high))
    )
    if outside:
        warnings.append(f"{outside} vote(s) name fewer or more projects than min_length/max_length")
    return warnings
