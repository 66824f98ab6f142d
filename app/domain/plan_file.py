"""The ballots behind a bewonersplan as an anonymised Pabulib file that anyone can recount.

The file is written for the plan's rule, so that an outside tool reading only the standard
columns (META `budget`, `vote_type`, `rule`; PROJECTS `project_id`, `cost`; VOTES `vote`,
`points`) and running that rule gets the plan's selection:

| plan rule | vote_type | `points` of a voter for a measure | META rule, satisfaction |
|---|---|---|---|
| greedy, by contribution | scoring | their share of its `V_m`: `v_pm / n_m` | `greedy`, `cost` |
| greedy, by value per euro | scoring | the same | `greedy`, `cardinal` |
| optimal | scoring | the same | `optimal`, `cardinal` |
| equal shares on the values | scoring | their value `v_pm` | `equalshares/add1` (1), `cardinal` |
| equal shares on the packages | approval | (their package) | `equalshares/add1` (1), `cost` |

(1) Equal shares is completed as the plan chose (META `waardenzeef_completion`, see
`app/domain/allocation/completion.py`), and META `rule` names that completion:
`equalshares/add1` for "add one" then greedy (Pabulib's name, the default),
`equalshares/add1-only` for "add one" alone, and `equalshares/add1-compare` for "add one", greedy,
then the comparison step of Wieliczka 2023 (the greedy outcome when more voters prefer it: on
approval votes by the number of their projects funded, on points by their points).

`n_m` is the number of participants who rated the measure, so a measure's points add up to its
weighted contribution `V_m`: greedy by total points (`cost`: points times cost, per euro the
points) walks the plan's ranking, and the largest total within the budget is the plan's optimum.
In pabutools: `greedy_utilitarian_welfare` with a points-times-cost satisfaction (by
contribution) or `Additive_Cardinal_Sat` (per euro), `max_additive_utilitarian_welfare` with
`Additive_Cardinal_Sat`, and `method_of_equal_shares(..., voter_budget_increment=1)` completed by
`greedy_utilitarian_welfare` (`completion_by_rule_combination`) with `Additive_Cardinal_Sat`
(values) or `Cost_Sat` (packages). Ties go to the earlier measure in META `waardenzeef_ranking`
(`tie_breaking`), which is the plan's ranking.

Who is in PROJECTS and VOTES (documented in META, so that nothing changes an outcome):

- PROJECTS lists the measures the rule can select. Measures that nobody valued in what the rule
  counts are never selected (the policy in `waardenzeef`); an outside rule would fill leftover
  money with them, so they are listed apart in META `waardenzeef_other_measures`.
- VOTES lists the voters of the rule: for equal shares on the values everyone who rated a
  measure (each of them has an equal share, also when everything they rated nobody valued: an
  empty vote, written `None`); for greedy and optimal everyone who rated a listed measure; for
  equal shares on the packages everyone who made a package (also an empty one). Participants
  without such a vote (for instance someone who only weighed the effects in Wegen) are no
  voters for an outside tool; their raw ballots are in META `waardenzeef_other_participants`,
  because their weights still count (they stand in for raters who did not weigh).

Participants are numbered 1..N (`voter_id`). The raw Waardenzeef ballots are in extra columns
(`weights`, `scores`, `package`, `group`), as are the effects, the rule and the ranking in META,
so that `waardenzeef recount` rebuilds exactly what the plan was computed from. A stakeholder
group of fewer than 5 people is written as no group (see `groups`), so that nobody's ballot can
be picked out by their group; groups do not change any rule's outcome.

The fingerprint (META `fingerprint`) is a SHA-256 over a canonical text of the anonymised
ballots, the menu (ids, titles, costs, groups, effects), the budget, the rule and the ranking,
and the completion of equal shares when it is not the default ("add one" then greedy, so that a
plan made before the completion could be chosen keeps its fingerprint). Everything an outside
tool reads either is part of that text or is derived from it, and `recount` derives those
columns again and refuses a file in which they differ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.domain.allocation import Completion, Satisfaction, election_from_votes, optimal
from app.domain.allocation import Project as _Project
from app.domain.allocation import equal_shares_completed as _equal_shares_completed
from app.domain.allocation import greedy as _greedy
from app.domain.groups import fold_small_groups
from app.domain.pabulib import (
    PbInstance,
    PbProject,
    PbVote,
    VoteType,
    format_number,
    make_instance,
)
from app.domain.vocabulary import StakeholderGroup
from app.domain.waardenzeef import (
    Effect,
    Id,
    Measure,
    PackageBallot,
    Participant,
    RankBy,
    Rule,
    ScoreBallot,
    Sieve,
    WeightBallot,
    contributions,
    id_order,
    make_plan,
    participant_values,
    rank,
    valued_measures,
)

FORMAT = "waardenzeef-sieve/2"
OLD_FORMAT = "waardenzeef-sieve/1"

EQUAL_SHARES_RULES = (Rule.EQUAL_SHARES, Rule.EQUAL_SHARES_PACKAGES)
# The completion of equal shares when none is named (a plan or file from before the choice).
DEFAULT_COMPLETION = Completion.ADD1_GREEDY

# What an outside tool runs for each plan rule: META `rule`, the satisfaction, the vote type.
_OUTSIDE: dict[tuple[Rule, RankBy | None], tuple[str, Satisfaction]] = {
    (Rule.GREEDY, RankBy.CONTRIBUTION): ("greedy", Satisfaction.COST),
    (Rule.GREEDY, RankBy.VALUE_PER_EURO): ("greedy", Satisfaction.CARDINAL),
    (Rule.OPTIMAL, None): ("optimal", Satisfaction.CARDINAL),
    (Rule.EQUAL_SHARES, None): ("equalshares/add1", Satisfaction.CARDINAL),
    (Rule.EQUAL_SHARES_PACKAGES, None): ("equalshares/add1", Satisfaction.COST),
}
# META `rule` of equal shares with each completion (`equalshares/add1` is Pabulib's name).
PABULIB_EQUAL_SHARES = {
    Completion.ADD1: "equalshares/add1-only",
    Completion.ADD1_GREEDY: "equalshares/add1",
    Completion.ADD1_COMPARE: "equalshares/add1-compare",
}
_POINTS = {
    Rule.GREEDY: "each voter's share of the measure's weighted contribution V_m (their value "
    "v_pm divided by the number of participants who rated it); a measure's points add up to V_m",
    Rule.OPTIMAL: "each voter's share of the measure's weighted contribution V_m (their value "
    "v_pm divided by the number of participants who rated it); a measure's points add up to V_m",
    Rule.EQUAL_SHARES: "each voter's value v_pm of the measure: the sum over its effects of "
    "their effect weight times their score (0-3)",
    Rule.EQUAL_SHARES_PACKAGES: "none: an approval vote is the voter's Kiezen package",
}


class PlanFileError(ValueError):
    """A `.pb` file that does not hold Waardenzeef ballots, or holds them wrongly."""


class Tampered(PlanFileError):
    """A file whose columns for outside tools do not follow from its own raw ballots."""


def completion_for(rule: Rule, completion: Completion | None) -> Completion | None:
    """The completion a plan of this rule uses: None for greedy and optimal (they have none),
    the default for equal shares when none is named."""
    if rule not in EQUAL_SHARES_RULES:
        return None
    return DEFAULT_COMPLETION if completion is None else completion


def outside_rule(
    rule: Rule, ranked_by: RankBy, completion: Completion | None = None
) -> tuple[str, Satisfaction]:
    """The Pabulib rule name and the satisfaction an outside tool uses for a plan rule."""
    name, satisfaction = _OUTSIDE[(rule, ranked_by if rule is Rule.GREEDY else None)]
    chosen = completion_for(rule, completion)
    return (name if chosen is None else PABULIB_EQUAL_SHARES[chosen]), satisfaction


def participant_numbers(sieve: Sieve) -> dict[Id, int]:
    """The anonymous number of each participant: 1..N in the order of their original ids."""
    seen: set[Id] = {p.id for p in sieve.participants}
    for ballots in (sieve.weights, sieve.scores, sieve.packages):
        seen.update(b.participant_id for b in ballots)
    return {pid: index for index, pid in enumerate(sorted(seen, key=id_order), start=1)}


def anonymise(sieve: Sieve) -> Sieve:
    """The same sieve with participants numbered 1..N in their original order, and nothing else."""
    number = participant_numbers(sieve)
    groups = {p.id: p.group for p in sieve.participants}
    return Sieve(
        effects=sieve.effects,
        measures=sieve.measures,
        budget=sieve.budget,
        participants=tuple(Participant(number[p], groups.get(p)) for p in number),
        weights=tuple(WeightBallot(number[b.participant_id], b.points) for b in sieve.weights),
        scores=tuple(ScoreBallot(number[b.participant_id], b.scores) for b in sieve.scores),
        packages=tuple(
            PackageBallot(number[b.participant_id], b.measure_ids) for b in sieve.packages
        ),
    )


def published(sieve: Sieve) -> Sieve:
    """What the ballots file holds: the anonymised sieve, groups of fewer than 5 left out."""
    return fold_small_groups(anonymise(sieve))


def canonical(
    sieve: Sieve, rule: Rule, ranked_by: RankBy, completion: Completion | None = None
) -> str:
    """The sieve, rule, ranking (and a completion of equal shares other than the default) as one
    canonical JSON text: ids as text, every list sorted."""

    def s(value: Id | None) -> str | None:
        return None if value is None else str(value)

    content: dict[str, Any] = {
        "format": FORMAT,
        "rule": rule.value,
        "ranked_by": ranked_by.value,
        "budget": str(Fraction(sieve.budget)),
        "effects": sorted([s(e.id), s(e.parent_id), e.title] for e in sieve.effects),
        "measures": sorted(
            [s(m.id), m.title, m.group or "", m.binding_cost, sorted(str(e) for e in m.effect_ids)]
            for m in sieve.measures
        ),
        "participants": sorted(
            [s(p.id), p.group.value if p.group else None] for p in sieve.participants
        ),
        "weights": sorted(
            [s(b.participant_id), sorted([str(e), v] for e, v in b.points.items())]
            for b in sieve.weights
        ),
        "scores": sorted(
            [s(b.participant_id), sorted([str(m), str(e), v] for (m, e), v in b.scores.items())]
            for b in sieve.scores
        ),
        "packages": sorted(
            [s(b.participant_id), sorted(str(m) for m in b.measure_ids)] for b in sieve.packages
        ),
    }
    chosen = completion_for(rule, completion)
    if chosen is not None and chosen is not DEFAULT_COMPLETION:
        content["completion"] = chosen.value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(
    sieve: Sieve, rule: Rule, ranked_by: RankBy, completion: Completion | None = None
) -> str:
    """SHA-256 of the canonical text of the (published) sieve with the rule, the ranking and the
    completion of equal shares."""
    return hashlib.sha256(canonical(sieve, rule, ranked_by, completion).encode()).hexdigest()


# --- writing ---------------------------------------------------------------------------------


def _weights_text(ballot: WeightBallot) -> str:
    return ",".join(
        f"{e}:{v}" for e, v in sorted(ballot.points.items(), key=lambda i: id_order(i[0]))
    )


def _scores_text(ballot: ScoreBallot) -> str:
    return ",".join(
        f"{m}:{e}:{v}"
        for (m, e), v in sorted(
            ballot.scores.items(), key=lambda i: (id_order(i[0][0]), id_order(i[0][1]))
        )
    )


def _package_text(ballot: PackageBallot) -> str:
    return ",".join(str(m) for m in ballot.measure_ids)


@dataclass(frozen=True)
class _Counted:
    """What the rule counts, per voter: the measures and their points (None for approval)."""

    valued: tuple[Id, ...]
    ranking: tuple[Id, ...]
    votes: Mapping[Id, tuple[tuple[Id, ...], tuple[Fraction, ...] | None]]


def _counted(sieve: Sieve, rule: Rule, ranked_by: RankBy) -> _Counted:
    values = participant_values(sieve)
    found = contributions(sieve, values)
    ranking = tuple(r.measure_id for r in rank(sieve, found, ranked_by))
    valued = valued_measures(sieve, rule, found, values)
    listed = set(valued)
    votes: dict[Id, tuple[tuple[Id, ...], tuple[Fraction, ...] | None]] = {}
    if rule is Rule.EQUAL_SHARES_PACKAGES:
        for package in sieve.packages:
            votes[package.participant_id] = (tuple(package.measure_ids), None)
        return _Counted(valued, ranking, votes)
    raters = {c.measure_id: c.rated_by for c in found}
    for participant, mine in values.by_participant.items():
        rated = sorted((m for m in mine if m in listed), key=id_order)
        if rule is Rule.EQUAL_SHARES:
            votes[participant] = (tuple(rated), tuple(mine[m] for m in rated))
        elif rated:
            votes[participant] = (tuple(rated), tuple(mine[m] / raters[m] for m in rated))
    return _Counted(valued, ranking, votes)


def to_pabulib(
    sieve: Sieve,
    *,
    description: str,
    unit: str,
    rule: Rule,
    ranked_by: RankBy,
    completion: Completion | None = None,
    meta: Mapping[str, str] | None = None,
) -> PbInstance:
    """The published sieve as a Pabulib instance an outside tool recounts with the plan's rule."""
    sieve = published(sieve)
    completion = completion_for(rule, completion)
    counted = _counted(sieve, rule, ranked_by)
    weights = {b.participant_id: b for b in sieve.weights}
    scores = {b.participant_id: b for b in sieve.scores}
    packages = {b.participant_id: b for b in sieve.packages}

    def raw(pid: Id, group: StakeholderGroup | None) -> dict[str, str]:
        # A column left out is written `None`: no ballot of that kind (an empty cell is an
        # empty ballot).
        fields = {"group": group.value if group else ""}
        if pid in weights:
            fields["weights"] = _weights_text(weights[pid])
        if pid in scores:
            fields["scores"] = _scores_text(scores[pid])
        if pid in packages:
            fields["package"] = _package_text(packages[pid])
        return fields

    votes = []
    others = []
    for participant in sieve.participants:
        pid = participant.id
        if pid in counted.votes:
            chosen, points = counted.votes[pid]
            votes.append(
                PbVote(
                    voter_id=str(pid),
                    projects=tuple(str(m) for m in chosen),
                    points=points,
                    fields=raw(pid, participant.group),
                )
            )
        else:
            others.append({"voter_id": str(pid), **raw(pid, participant.group)})
    listed = set(counted.valued)
    outside, satisfaction = outside_rule(rule, ranked_by, completion)
    full_meta = {
        "description": description,
        "country": "Netherlands",
        "unit": unit,
        "instance": "bewonersplan",
        "budget": format_number(sieve.budget),
        "vote_type": "approval" if rule is Rule.EQUAL_SHARES_PACKAGES else "scoring",
        **({} if rule is Rule.EQUAL_SHARES_PACKAGES else {"min_points": "0", "max_points": "3"}),
        "rule": outside,
        "satisfaction": satisfaction.value,
        "tie_breaking": "the earlier measure in waardenzeef_ranking",
        "waardenzeef_format": FORMAT,
        "waardenzeef_rule": rule.value,
        "waardenzeef_ranked_by": ranked_by.value,
        **({} if completion is None else {"waardenzeef_completion": completion.value}),
        "waardenzeef_points": _POINTS[rule],
        "waardenzeef_ranking": ",".join(str(m) for m in counted.ranking),
        "waardenzeef_effects": json.dumps(
            [
                [str(e.id), None if e.parent_id is None else str(e.parent_id), e.title]
                for e in sieve.effects
            ],
            ensure_ascii=False,
        ),
        "waardenzeef_other_measures": json.dumps(
            [_measure_fields(m) for m in sieve.measures if m.id not in listed],
            ensure_ascii=False,
        ),
        "waardenzeef_other_participants": json.dumps(others, ensure_ascii=False),
        "fingerprint": fingerprint(sieve, rule, ranked_by, completion),
        **(meta or {}),
    }
    projects = [
        PbProject(
            str(m.id),
            m.binding_cost,
            {k: v for k, v in _measure_fields(m).items() if k not in ("project_id", "cost")},
        )
        for m in sieve.measures
        if m.id in listed
    ]
    return make_instance(
        meta=full_meta,
        projects=projects,
        votes=votes,
        extra_project_columns=("name", "category", "effects"),
        extra_vote_columns=("group", "weights", "scores", "package"),
    )


def _measure_fields(measure: Measure) -> dict[str, str]:
    return {
        "project_id": str(measure.id),
        "cost": str(measure.binding_cost),
        "name": measure.title,
        "category": measure.group or "",
        "effects": ",".join(str(e) for e in measure.effect_ids),
    }


# --- reading ---------------------------------------------------------------------------------


def is_plan_file(instance: PbInstance) -> bool:
    """Whether a Pabulib instance carries Waardenzeef ballots."""
    return instance.meta.get("waardenzeef_format") in (FORMAT, OLD_FORMAT)


def _id(text: str) -> Id:
    # Database ids are whole numbers; reading them back as numbers keeps every tie-break the same.
    return int(text) if text.isdigit() else text


def _items(text: str, parts: int, where: str) -> list[list[str]]:
    if not text:
        return []
    items = [item.split(":") for item in text.split(",")]
    if any(len(item) != parts for item in items):
        raise PlanFileError(f"{where}: expected {parts} parts separated by ':' in {text!r}")
    return items


def _json(meta: Mapping[str, str], key: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(meta.get(key, "[]"))
    except ValueError as error:
        raise PlanFileError(f"META {key}: not readable ({error})") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PlanFileError(f"META {key}: expected a list of objects")
    return value


def _participant(
    pid: Id, fields: Mapping[str, Any], where: str, *, empty_is_none: bool = False
) -> tuple[Participant, WeightBallot | None, ScoreBallot | None, PackageBallot | None]:
    """One participant's raw ballots; a missing (or `None`) field is no ballot of that kind.

    The first format wrote an empty cell for no ballot (`empty_is_none`).
    """
    absent = ("None", "") if empty_is_none else ("None",)
    group_text = fields.get("group") or ""
    try:
        group = StakeholderGroup(group_text) if group_text not in ("", "None") else None
    except ValueError:
        raise PlanFileError(f"{where}, column group: unknown group {group_text!r}") from None
    weights = scores = package = None
    column = "weights"
    try:
        if (text := fields.get("weights")) is not None and text not in absent:
            weights = WeightBallot(
                pid, {_id(e): int(v) for e, v in _items(text, 2, f"{where}, column weights")}
            )
        column = "scores"
        if (text := fields.get("scores")) is not None and text not in absent:
            scores = ScoreBallot(
                pid,
                {
                    (_id(m), _id(e)): int(v)
                    for m, e, v in _items(text, 3, f"{where}, column scores")
                },
            )
        column = "package"
        if (text := fields.get("package")) is not None and text not in absent:
            package = PackageBallot(pid, tuple(_id(m) for m in text.split(",") if m))
    except PlanFileError:
        raise
    except ValueError as error:
        raise PlanFileError(f"{where}, column {column}: {error}") from None
    return Participant(pid, group), weights, scores, package


def from_pabulib(instance: PbInstance) -> tuple[Sieve, Rule, RankBy]:
    """Rebuild the sieve, the rule and the ranking a Waardenzeef `.pb` file was written from."""
    if not is_plan_file(instance):
        raise PlanFileError(f"META has no 'waardenzeef_format: {FORMAT}': not a Waardenzeef file")
    meta = instance.meta
    try:
        effects = tuple(
            Effect(_id(e), title, None if parent is None else _id(parent))
            for e, parent, title in json.loads(meta["waardenzeef_effects"])
        )
        rule = Rule(meta["waardenzeef_rule"])
        ranked_by = RankBy(meta["waardenzeef_ranked_by"])
    except (KeyError, ValueError, TypeError) as error:
        raise PlanFileError(
            f"META: waardenzeef_effects/_rule/_ranked_by unreadable ({error})"
        ) from None
    rows: list[dict[str, Any]] = [
        {"project_id": p.id, "cost": format_number(p.cost), **p.fields} for p in instance.projects
    ]
    rows += _json(meta, "waardenzeef_other_measures")
    try:
        measures = tuple(
            Measure(
                _id(str(row["project_id"])),
                str(row.get("name", row["project_id"])),
                int(row["cost"]) or None,
                tuple(_id(e) for e in str(row.get("effects", "")).split(",") if e),
                str(row.get("category") or "") or None,
            )
            for row in rows
        )
    except (KeyError, ValueError) as error:
        raise PlanFileError(f"PROJECTS: a measure is unreadable ({error})") from None
    participants, weights, scores, packages = [], [], [], []
    entries: list[tuple[str, Mapping[str, Any], str]] = [
        (vote.voter_id, vote.fields, f"voter {vote.voter_id}") for vote in instance.votes
    ]
    entries += [
        (str(o.get("voter_id", "")), o, f"participant {o.get('voter_id')} (META)")
        for o in _json(meta, "waardenzeef_other_participants")
    ]
    old = meta.get("waardenzeef_format") == OLD_FORMAT
    for voter_id, fields, where in entries:
        participant, weight, score, package = _participant(
            _id(voter_id), fields, where, empty_is_none=old
        )
        participants.append(participant)
        if weight is not None:
            weights.append(weight)
        if score is not None:
            scores.append(score)
        if package is not None:
            packages.append(package)
    try:
        sieve = Sieve(
            effects,
            measures,
            instance.budget,
            tuple(sorted(participants, key=lambda p: id_order(p.id))),
            tuple(weights),
            tuple(scores),
            tuple(packages),
        )
    except ValueError as error:
        raise PlanFileError(str(error)) from None
    return sieve, rule, ranked_by


def file_completion(instance: PbInstance, rule: Rule) -> Completion | None:
    """The completion of equal shares a Waardenzeef file was written for (META
    `waardenzeef_completion`; a file without it, from before the choice, has the default)."""
    text = instance.meta.get("waardenzeef_completion")
    if rule not in EQUAL_SHARES_RULES:
        if text is not None:
            raise PlanFileError(f"META waardenzeef_completion: {text!r}, but {rule.value} has none")
        return None
    if text is None:
        return DEFAULT_COMPLETION
    try:
        return Completion(text.strip())
    except ValueError:
        known = ", ".join(c.value for c in Completion)
        raise PlanFileError(
            f"META waardenzeef_completion: unknown completion {text!r} (use {known})"
        ) from None


# --- checking and recounting -----------------------------------------------------------------


def check_derived(
    instance: PbInstance,
    sieve: Sieve,
    rule: Rule,
    ranked_by: RankBy,
    completion: Completion | None = None,
) -> None:
    """Refuse a file whose columns for outside tools differ from what its raw ballots give.

    The message names the voter (or META key) and the column.
    """
    expected = to_pabulib(
        sieve,
        description="",
        unit="",
        rule=rule,
        ranked_by=ranked_by,
        completion=completion,
        meta=None,
    )
    listed = {p.id for p in instance.projects}
    should = {p.id for p in expected.projects}
    if listed != should:
        extra, missing = sorted(listed - should), sorted(should - listed)
        raise Tampered(
            "PROJECTS, column project_id: "
            + (f"{', '.join(extra)} listed, but nobody valued them" if extra else "")
            + ("; " if extra and missing else "")
            + (f"{', '.join(missing)} missing" if missing else "")
        )
    by_voter = {v.voter_id: v for v in expected.votes}
    seen = set()
    for vote in instance.votes:
        seen.add(vote.voter_id)
        should_vote = by_voter.get(vote.voter_id)
        if should_vote is None:
            raise Tampered(
                f"voter {vote.voter_id}, column vote: a vote, but the raw ballots give this "
                "participant nothing this rule counts"
            )
        if set(vote.projects) != set(should_vote.projects):
            raise Tampered(
                f"voter {vote.voter_id}, column vote: {','.join(vote.projects) or 'empty'}, the "
                f"raw ballots give {','.join(should_vote.projects) or 'empty'}"
            )
        if vote.points is not None and should_vote.points is not None:
            have = vote.points_by_project()
            want = should_vote.points_by_project()
            for project in should_vote.projects:
                if Fraction(have[project]) != Fraction(want[project]):
                    raise Tampered(
                        f"voter {vote.voter_id}, column points: {format_number(have[project])} "
                        f"for measure {project}, the raw ballots give "
                        f"{format_number(want[project])}"
                    )
    absent = [v for v in by_voter if v not in seen]
    if absent:
        raise Tampered(f"voter {absent[0]}, column vote: missing, but the raw ballots give a vote")
    # What tells an outside tool how to count, last: a voter's own column says more.
    for key in ("vote_type", "rule", "satisfaction", "waardenzeef_ranking"):
        if instance.meta.get(key, "").strip() != expected.meta[key]:
            raise Tampered(
                f"META {key}: the file says {instance.meta.get(key)!r}, the ballots give "
                f"{expected.meta[key]!r}"
            )


@dataclass(frozen=True)
class PlanRecount:
    """A bewonersplan recounted from its ballots file: the selection and the fingerprint.

    `outside_selected` is the selection of the general rule the file names (META `rule` and
    `satisfaction`, ties by `waardenzeef_ranking`) on the file's own `vote` and `points`: what an
    outside tool gets. It must be the plan's selection.
    """

    instance: PbInstance
    rule: Rule
    ranked_by: RankBy
    selected: tuple[Id, ...]
    spent: int
    fingerprint: str
    outside_selected: tuple[str, ...] | None = None
    completion: Completion | None = None

    @property
    def fingerprint_matches(self) -> bool:
        """Whether the ballots are those the file says the plan was computed from."""
        return self.instance.meta.get("fingerprint") == self.fingerprint

    @property
    def outside_agrees(self) -> bool:
        """Whether the general rule on the file's own votes selects the same measures."""
        return self.outside_selected is None or set(self.outside_selected) == {
            str(m) for m in self.selected
        }

    @property
    def ok(self) -> bool:
        """Whether the file is what it says it is and recounts to its plan."""
        return self.fingerprint_matches and self.outside_agrees

    def as_json(self) -> dict[str, Any]:
        """One JSON object: the selected measure ids in the order the rule selected them."""
        return {
            "rule": f"waardenzeef/{self.rule.value}",
            "ranked_by": self.ranked_by.value,
            "completion": None if self.completion is None else self.completion.value,
            "budget": str(self.instance.budget),
            "selected": [str(m) for m in self.selected],
            "spent": self.spent,
            "fingerprint": self.fingerprint,
            "fingerprint_matches": self.fingerprint_matches,
            "outside_rule": self.instance.meta.get("rule"),
            "outside_selected": None
            if self.outside_selected is None
            else list(self.outside_selected),
            "outside_agrees": self.outside_agrees,
        }

    def render_table(self) -> str:
        """A readable table of the selection."""
        names = {p.id: p.name for p in self.instance.projects}
        costs = {p.id: p.cost for p in self.instance.projects}
        lines = [
            f"{self.instance.name}",
            f"rule: waardenzeef/{self.rule.value}, ranked by {self.ranked_by.value}, "
            + ("" if self.completion is None else f"completion {self.completion.value}, ")
            + f"budget {self.instance.budget}",
            "",
            f"{'#':>3}  {'id':>6}  {'cost':>10}  measure",
        ]
        for position, measure in enumerate(self.selected, start=1):
            key = str(measure)
            lines.append(f"{position:>3}  {key:>6}  {costs[key]!s:>10}  {names[key]}")
        lines += [
            "",
            f"spent {self.spent} of {self.instance.budget}",
            f"fingerprint {self.fingerprint} "
            + ("(matches the file)" if self.fingerprint_matches else "(DIFFERS from the file)"),
        ]
        if self.outside_selected is not None:
            lines.append(
                f"{self.instance.meta.get('rule')} ({self.instance.meta.get('satisfaction')}) on "
                "the vote and points columns: "
                + ("the same selection" if self.outside_agrees else "a DIFFERENT selection: ")
                + ("" if self.outside_agrees else ", ".join(self.outside_selected))
            )
        return "\n".join(lines) + "\n"


def recount(instance: PbInstance) -> PlanRecount:
    """Recompute a bewonersplan's selection and fingerprint from its ballots file.

    Raises `PlanFileError` when the columns outside tools read do not follow from the raw
    ballots (naming the voter and the column).
    """
    if instance.meta.get("waardenzeef_format") == OLD_FORMAT:
        return _recount_old(instance)
    sieve, rule, ranked_by = from_pabulib(instance)
    completion = file_completion(instance, rule)
    check_derived(instance, sieve, rule, ranked_by, completion)
    plan = make_plan(sieve, rule, ranked_by, completion=completion or DEFAULT_COMPLETION)
    return PlanRecount(
        instance,
        rule,
        ranked_by,
        plan.selected,
        plan.spent,
        fingerprint(sieve, rule, ranked_by, completion),
        outside_selection(instance),
        completion,
    )


def outside_selection(instance: PbInstance) -> tuple[str, ...]:
    """The general rule the file names, on its `vote`/`points` columns, ties by its ranking."""
    satisfaction = Satisfaction(instance.meta["satisfaction"])
    ranking = [m for m in instance.meta.get("waardenzeef_ranking", "").split(",") if m]
    listed = {p.id for p in instance.projects}
    election = election_from_votes(
        [_Project(p.id, p.cost) for p in instance.projects],
        instance.budget,
        [(v.projects, v.points) for v in instance.votes],
        satisfaction,
        [m for m in ranking if m in listed],
    )
    name = instance.meta["rule"]
    if name == "greedy":
        return _greedy(election).selected
    if name == "optimal":
        return optimal(election).selected
    completion = next(c for c, n in PABULIB_EQUAL_SHARES.items() if n == name)
    # The comparison step counts a voter's projects funded on approval votes, else their points.
    by_projects = instance.vote_type is VoteType.APPROVAL
    return _equal_shares_completed(election, completion, by_projects=by_projects).selected


def _recount_old(instance: PbInstance) -> PlanRecount:
    """A file of the first format (every participant a voter, values as points): its plan.

    Its `vote` and `points` columns are not checked (that format did not keep them apart from
    the raw ballots); its fingerprint is the first format's.
    """
    sieve, rule, ranked_by = from_pabulib(instance)
    plan = make_plan(sieve, rule, ranked_by)
    return PlanRecount(instance, rule, ranked_by, plan.selected, plan.spent, fingerprint_v1(sieve))


def fingerprint_v1(sieve: Sieve) -> str:
    """The first format's fingerprint: the anonymised ballots, menu costs and budget only."""

    def s(value: Id | None) -> str | None:
        return None if value is None else str(value)

    content: dict[str, Any] = {
        "format": OLD_FORMAT,
        "budget": str(Fraction(sieve.budget)),
        "effects": sorted([s(e.id), s(e.parent_id)] for e in sieve.effects),
        "measures": sorted(
            [s(m.id), m.binding_cost, sorted(str(e) for e in m.effect_ids)] for m in sieve.measures
        ),
        "participants": sorted(
            [s(p.id), p.group.value if p.group else None] for p in sieve.participants
        ),
        "weights": sorted(
            [s(b.participant_id), sorted([str(e), v] for e, v in b.points.items())]
            for b in sieve.weights
        ),
        "scores": sorted(
            [s(b.participant_id), sorted([str(m), str(e), v] for (m, e), v in b.scores.items())]
            for b in sieve.scores
        ),
        "packages": sorted(
            [s(b.participant_id), sorted(str(m) for m in b.measure_ids)] for b in sieve.packages
        ),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
