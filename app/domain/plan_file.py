"""The ballots behind a bewonersplan as an anonymised Pabulib file, and their fingerprint.

The file is a `scoring` Pabulib instance that outside tools can recount as it is: each voter's
`vote` lists the measures they rated and `points` their value `v_pm` of each (exact, `n/d` where
it is not a finite decimal). Extra columns carry the raw Waardenzeef ballots (`weights`, `scores`,
`package`, `group`), and META the effects, the rule and the ranking, so that
`waardenzeef recount` rebuilds exactly the sieve the plan was computed from.

The fingerprint is a SHA-256 over a canonical text of that sieve (ids as text, everything
sorted), so it does not depend on how the file is laid out and anyone holding the file gets the
same hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.domain.pabulib import PbInstance, PbProject, PbVote, make_instance
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
    id_order,
    make_plan,
    participant_values,
)

FORMAT = "waardenzeef-sieve/1"


class PlanFileError(ValueError):
    """A `.pb` file that does not hold Waardenzeef ballots, or holds them wrongly."""


def participant_numbers(sieve: Sieve) -> dict[Id, int]:
    """The anonymous number of each participant: 1..N in the order of their original ids."""
    seen: set[Id] = {p.id for p in sieve.participants}
    for ballots in (sieve.weights, sieve.scores, sieve.packages):
        seen.update(b.participant_id for b in ballots)
    return {pid: index for index, pid in enumerate(sorted(seen, key=id_order), start=1)}


def anonymise(sieve: Sieve) -> Sieve:
    """The same sieve with participants numbered 1..N in their original order, and nothing else."""
    number = participant_numbers(sieve)
    ordered = list(number)
    groups = {p.id: p.group for p in sieve.participants}
    return Sieve(
        effects=sieve.effects,
        measures=sieve.measures,
        budget=sieve.budget,
        participants=tuple(Participant(number[p], groups.get(p)) for p in ordered),
        weights=tuple(WeightBallot(number[b.participant_id], b.points) for b in sieve.weights),
        scores=tuple(ScoreBallot(number[b.participant_id], b.scores) for b in sieve.scores),
        packages=tuple(
            PackageBallot(number[b.participant_id], b.measure_ids) for b in sieve.packages
        ),
    )


def canonical(sieve: Sieve) -> str:
    """The sieve as one canonical JSON text: ids as text, every list sorted."""

    def s(value: Id | None) -> str | None:
        return None if value is None else str(value)

    content: dict[str, Any] = {
        "format": FORMAT,
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
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(sieve: Sieve) -> str:
    """SHA-256 of the canonical text of the (anonymised) sieve."""
    return hashlib.sha256(canonical(sieve).encode()).hexdigest()


def to_pabulib(
    sieve: Sieve,
    *,
    description: str,
    unit: str,
    rule: Rule,
    ranked_by: RankBy,
    meta: dict[str, str] | None = None,
) -> PbInstance:
    """The anonymised sieve as a Pabulib instance (scoring votes, raw ballots in extra columns)."""
    sieve = anonymise(sieve)
    values = participant_values(sieve)
    weights = {b.participant_id: b for b in sieve.weights}
    scores = {b.participant_id: b for b in sieve.scores}
    packages = {b.participant_id: b for b in sieve.packages}
    votes = []
    for participant in sieve.participants:
        pid = participant.id
        valued = values.by_participant.get(pid, {})
        rated = sorted(valued, key=id_order)
        votes.append(
            PbVote(
                voter_id=str(pid),
                projects=tuple(str(m) for m in rated),
                points=tuple(valued[m] for m in rated),
                fields={
                    "group": participant.group.value if participant.group else "",
                    "weights": ",".join(
                        f"{e}:{v}"
                        for e, v in sorted(
                            weights[pid].points.items(), key=lambda i: id_order(i[0])
                        )
                    )
                    if pid in weights
                    else "",
                    "scores": ",".join(
                        f"{m}:{e}:{v}"
                        for (m, e), v in sorted(
                            scores[pid].scores.items(),
                            key=lambda i: (id_order(i[0][0]), id_order(i[0][1])),
                        )
                    )
                    if pid in scores
                    else "",
                    "package": ",".join(str(m) for m in packages[pid].measure_ids)
                    if pid in packages
                    else "",
                },
            )
        )
    full_meta = {
        "description": description,
        "country": "Netherlands",
        "unit": unit,
        "instance": "bewonersplan",
        "budget": str(Fraction(sieve.budget))
        if Fraction(sieve.budget).denominator != 1
        else str(int(sieve.budget)),
        "vote_type": "scoring",
        "min_points": "0",
        "max_points": "3",
        "rule": f"waardenzeef/{rule.value}",
        "waardenzeef_format": FORMAT,
        "waardenzeef_rule": rule.value,
        "waardenzeef_ranked_by": ranked_by.value,
        "waardenzeef_effects": json.dumps(
            [
                [str(e.id), None if e.parent_id is None else str(e.parent_id), e.title]
                for e in sieve.effects
            ],
            ensure_ascii=False,
        ),
        "fingerprint": fingerprint(sieve),
        **(meta or {}),
    }
    projects = [
        PbProject(
            str(m.id),
            m.binding_cost,
            {
                "name": m.title,
                "category": m.group or "",
                "effects": ",".join(str(e) for e in m.effect_ids),
            },
        )
        for m in sieve.measures
    ]
    return make_instance(
        meta=full_meta,
        projects=projects,
        votes=votes,
        extra_project_columns=("name", "category", "effects"),
        extra_vote_columns=("group", "weights", "scores", "package"),
    )


def is_plan_file(instance: PbInstance) -> bool:
    """Whether a Pabulib instance carries Waardenzeef ballots."""
    return instance.meta.get("waardenzeef_format") == FORMAT


def _id(text: str) -> Id:
    # Database ids are whole numbers; reading them back as numbers keeps every tie-break the same.
    return int(text) if text.isdigit() else text


def _pairs(text: str, parts: int, line: str) -> list[list[str]]:
    if not text or text == "None":
        return []
    items = [item.split(":") for item in text.split(",")]
    if any(len(item) != parts for item in items):
        raise PlanFileError(f"{line}: expected {parts} parts separated by ':' in {text!r}")
    return items


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
    measures = tuple(
        Measure(
            _id(p.id),
            p.name,
            int(p.cost) or None,
            tuple(_id(e) for e in p.fields.get("effects", "").split(",") if e),
            p.fields.get("category") or None,
        )
        for p in instance.projects
    )
    participants, weights, scores, packages = [], [], [], []
    for vote in instance.votes:
        where = f"voter {vote.voter_id}"
        pid = _id(vote.voter_id)
        group = vote.fields.get("group", "")
        participants.append(
            Participant(pid, StakeholderGroup(group) if group not in ("", "None") else None)
        )
        if raw := _pairs(vote.fields.get("weights", ""), 2, where):
            weights.append(WeightBallot(pid, {_id(e): int(v) for e, v in raw}))
        if raw := _pairs(vote.fields.get("scores", ""), 3, where):
            scores.append(ScoreBallot(pid, {(_id(m), _id(e)): int(v) for m, e, v in raw}))
        package = vote.fields.get("package", "")
        if package and package != "None":
            packages.append(PackageBallot(pid, tuple(_id(m) for m in package.split(","))))
    try:
        sieve = Sieve(
            effects,
            measures,
            instance.budget,
            tuple(participants),
            tuple(weights),
            tuple(scores),
            tuple(packages),
        )
    except ValueError as error:
        raise PlanFileError(str(error)) from None
    return sieve, rule, ranked_by


@dataclass(frozen=True)
class PlanRecount:
    """A bewonersplan recounted from its ballots file: the selection and the fingerprint."""

    instance: PbInstance
    rule: Rule
    ranked_by: RankBy
    selected: tuple[Id, ...]
    spent: int
    fingerprint: str

    @property
    def fingerprint_matches(self) -> bool:
        """Whether the ballots are those the file says the plan was computed from."""
        return self.instance.meta.get("fingerprint") == self.fingerprint

    def as_json(self) -> dict[str, Any]:
        """One JSON object: the selected measure ids in the order the rule selected them."""
        return {
            "rule": f"waardenzeef/{self.rule.value}",
            "ranked_by": self.ranked_by.value,
            "budget": str(self.instance.budget),
            "selected": [str(m) for m in self.selected],
            "spent": self.spent,
            "fingerprint": self.fingerprint,
            "fingerprint_matches": self.fingerprint_matches,
        }

    def render_table(self) -> str:
        """A readable table of the selection."""
        names = {p.id: p.name for p in self.instance.projects}
        costs = {p.id: p.cost for p in self.instance.projects}
        lines = [
            f"{self.instance.name}",
            f"rule: waardenzeef/{self.rule.value}, ranked by {self.ranked_by.value}, "
            f"budget {self.instance.budget}",
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
        return "\n".join(lines) + "\n"


def recount(instance: PbInstance) -> PlanRecount:
    """Recompute a bewonersplan's selection and fingerprint from its ballots file."""
    sieve, rule, ranked_by = from_pabulib(instance)
    plan = make_plan(sieve, rule, ranked_by)
    return PlanRecount(instance, rule, ranked_by, plan.selected, plan.spent, fingerprint(sieve))
