"""The logic behind `waardenzeef recount`: run a rule on a Pabulib instance and show the outcome.

Rules (`--rule`):

- `greedy`: pabutools' `greedy_utilitarian_welfare`: projects by total satisfaction per unit of
  cost, each taken if it still fits;
- `mes`: the Method of Equal Shares without completion (`method_of_equal_shares`);
- `mes-add1`: equal shares with the "add one" completion, then greedy for what is left
  (`completion_by_rule_combination` of `method_of_equal_shares(voter_budget_increment=1)` and
  greedy): what Pabulib calls `equalshares/add1`, the rule cities such as Assen and Wieliczka use;
- `mes-add1-only`: the "add one" completion without the greedy step after it;
- `mes-add1-compare`: `mes-add1`, then the comparison step of Wieliczka's Green Million (2023,
  equalshares.net): the greedy outcome instead when more voters prefer it (on approval ballots,
  a voter prefers the outcome that funds more of their projects; on points, the one that gives
  them more points); see `app/domain/allocation/completion.py`;
- `optimal`: the largest total satisfaction within the budget (exact).

When no rule is given, the file's own `rule` (META) is recounted if it is one of these
(`greedy`, `equalshares`, `equalshares/add1`), otherwise greedy.

Satisfaction (`--sat`): `cost` (an approved project is worth its cost; with points, points times
cost), `cardinality` (1 per project on the ballot), `cardinal` (the points). The default follows
the vote type: approval votes are valued by `cost` (as Pabulib and equalshares.net do), cumulative
and scoring votes by their points (`cardinal`). Cities that count points greedily rank projects by
their total points, not points per euro: that is `--rule greedy --sat cost` (points times cost),
which gives, for instance, Katowice's official outcome.

Ties are broken as pabutools does: the smaller project id, compared as a string, wins. The JSON
form writes exact numbers as strings (`"2882600"`, `"1234/5"`); the table rounds money to cents.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from fractions import Fraction
from typing import Any, NamedTuple

from app.domain.allocation import (
    Allocation,
    Completion,
    Election,
    Project,
    ProjectOutcome,
    Satisfaction,
    Stage,
    Verdict,
    election_from_columns,
    election_from_votes,
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
    equal_shares_completed,
    greedy,
    optimal,
)
from app.domain.pabulib import PbInstance, VoteType

Number = int | Fraction


class RecountRule(StrEnum):
    """The rules the recount command offers."""

    GREEDY = "greedy"
    MES = "mes"
    MES_ADD1 = "mes-add1"
    MES_ADD1_ONLY = "mes-add1-only"
    MES_ADD1_COMPARE = "mes-add1-compare"
    OPTIMAL = "optimal"


# What Pabulib's META `rule` values mean here.
PABULIB_RULES = {
    "greedy": RecountRule.GREEDY,
    "equalshares": RecountRule.MES,
    "equalshares/add1": RecountRule.MES_ADD1,
    # The names a bewonersplan's ballots file gives the other two completions (plan_file).
    "equalshares/add1-only": RecountRule.MES_ADD1_ONLY,
    "equalshares/add1-compare": RecountRule.MES_ADD1_COMPARE,
}


def default_satisfaction(vote_type: VoteType) -> Satisfaction:
    """Cost for approval votes, the points for cumulative and scoring votes."""
    return Satisfaction.COST if vote_type is VoteType.APPROVAL else Satisfaction.CARDINAL


def default_rule(instance: PbInstance) -> RecountRule:
    """The rule the file says was used, when it is one of ours; otherwise greedy."""
    return PABULIB_RULES.get(instance.meta.get("rule", "").strip().lower(), RecountRule.GREEDY)


def election_from_pabulib(instance: PbInstance, satisfaction: Satisfaction) -> Election[str]:
    """The instance as an election, each vote valued by the satisfaction function."""
    projects = [Project(p.id, p.cost) for p in instance.projects]
    if instance.columns is not None:
        return election_from_columns(projects, instance.budget, instance.columns, satisfaction)
    return election_from_votes(projects, instance.budget, instance.ballots(), satisfaction)


def run_rule(
    election: Election[str], rule: RecountRule, *, by_projects: bool = True
) -> Allocation[str]:
    """One of the recount rules on an election (`by_projects`: how the comparison step counts a
    voter's preference, by their projects funded (approval) or their satisfaction (points))."""
    if rule is RecountRule.GREEDY:
        return greedy(election)
    if rule is RecountRule.MES:
        return equal_shares(election)
    if rule is RecountRule.MES_ADD1:
        return equal_shares_add1_greedy(election)
    if rule is RecountRule.MES_ADD1_ONLY:
        return equal_shares_add1(election)
    if rule is RecountRule.MES_ADD1_COMPARE:
        return equal_shares_completed(election, Completion.ADD1_COMPARE, by_projects=by_projects)
    return optimal(election)


class Recount(NamedTuple):
    """A recount: which instance, rule and satisfaction, and the outcome with its explanations."""

    instance: PbInstance
    rule: RecountRule
    satisfaction: Satisfaction
    allocation: Allocation[str]
    voters: int

    def as_json(self) -> dict[str, Any]:
        """One JSON object; `selected` lists the project ids in the order they were selected."""
        allocation = self.allocation
        shares = allocation.equal_shares
        return {
            "instance": self.instance.name,
            "vote_type": self.instance.vote_type.value,
            "rule": self.rule.value,
            "satisfaction": self.satisfaction.value,
            "tie_breaking": "smaller project id as a string",
            "budget": exact(allocation.budget),
            "voters": self.voters,
            "selected": list(allocation.selected),
            "total_cost": exact(allocation.total_cost),
            "left": exact(allocation.left),
            "welfare": exact(allocation.welfare),
            "equal_shares": None
            if shares is None
            else {
                "share": exact(shares.share),
                "per_voter_budget": exact(shares.per_voter_budget),
                "increments": shares.increments,
                "runs": shares.runs,
            },
            "comparison": None
            if allocation.comparison is None
            else {
                "prefer_equal_shares": allocation.comparison.prefer_equal_shares,
                "prefer_greedy": allocation.comparison.prefer_greedy,
                "measure": allocation.comparison.measure,
                "greedy_taken": allocation.comparison.switched,
            },
            "projects": [self._project_json(o) for o in self.ordered_outcomes()],
            "warnings": list(self.instance.warnings),
        }

    def _project_json(self, outcome: ProjectOutcome[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "id": outcome.project_id,
            "name": self.instance.project(outcome.project_id).name,
            "cost": exact(outcome.cost),
            "total_satisfaction": exact(outcome.total_satisfaction),
            "supporters": outcome.supporters,
            "selected": outcome.selected,
            "position": outcome.position,
            "verdict": outcome.verdict.value,
            "stage": None if outcome.stage is None else outcome.stage.value,
        }
        for name in (
            "money_at_turn",
            "shortfall",
            "budget_needed",
            "price",
            "welfare_if_forced",
        ):
            value = getattr(outcome, name)
            if value is not None:
                fields[name] = exact(value)
        for name in ("supporters_needed", "paid_everything"):
            if getattr(outcome, name) is not None:
                fields[name] = getattr(outcome, name)
        return fields

    def ordered_outcomes(self) -> list[ProjectOutcome[str]]:
        """Selected projects in selection order, then the others by total satisfaction."""
        chosen = [self.allocation.outcome(p) for p in self.allocation.selected]
        rest = [o for o in self.allocation.outcomes if not o.selected]
        rest.sort(key=lambda o: (-Fraction(o.total_satisfaction), o.project_id))
        return chosen + rest


def recount(
    instance: PbInstance,
    rule: RecountRule | None = None,
    satisfaction: Satisfaction | None = None,
) -> Recount:
    """Run a rule on a parsed instance (defaults: the file's rule, the vote type's satisfaction)."""
    rule = rule or default_rule(instance)
    satisfaction = satisfaction or default_satisfaction(instance.vote_type)
    election = election_from_pabulib(instance, satisfaction)
    by_projects = instance.vote_type is VoteType.APPROVAL
    allocation = run_rule(election, rule, by_projects=by_projects)
    return Recount(instance, rule, satisfaction, allocation, election.voters)


def exact(value: Number) -> str:
    """An exact number as text: `12`, `-3` or `7/2`."""
    return str(Fraction(value))


def money(value: Number) -> str:
    """Money for reading: whole units as they are, anything else rounded to cents."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    return f"{float(round(value, 2)):,.2f}"


def _same(text: str) -> str:
    return text


def render_table(result: Recount, gettext: Callable[[str], str] = _same) -> str:
    """The outcome as a plain-text table, one line per project, with why it is in or out."""
    _ = gettext
    allocation = result.allocation
    lines = [
        f"{result.instance.name}",
        _("Rule: {rule}; satisfaction: {sat}; ties: smaller project id (as text) wins").format(
            rule=result.rule.value, sat=result.satisfaction.value
        ),
        _("Budget {budget}, spent {spent}, left {left}; {voters} voters; welfare {welfare}").format(
            budget=money(allocation.budget),
            spent=money(allocation.total_cost),
            left=money(allocation.left),
            voters=result.voters,
            welfare=money(allocation.welfare),
        ),
    ]
    shares = allocation.equal_shares
    if shares is not None:
        lines.append(
            _(
                "Equal shares: {share} per voter at the start, {budget} per voter in the end "
                "({increments} increments, {runs} runs)"
            ).format(
                share=money(shares.share),
                budget=money(shares.per_voter_budget),
                increments=shares.increments,
                runs=shares.runs,
            )
        )
    comparison = allocation.comparison
    if comparison is not None:
        text = (
            _(
                "Comparison with greedy: {mes} voters prefer the outcome of equal shares, "
                "{greedy} that of greedy: greedy's outcome taken"
            )
            if comparison.switched
            else _(
                "Comparison with greedy: {mes} voters prefer the outcome of equal shares, "
                "{greedy} that of greedy: equal shares' outcome kept"
            )
        )
        lines.append(
            text.format(mes=comparison.prefer_equal_shares, greedy=comparison.prefer_greedy)
        )
    for warning in result.instance.warnings:
        lines.append(_("Warning: {warning}").format(warning=warning))
    header = ("#", _("project"), _("cost"), _("satisfaction"), _("supporters"), _("outcome"))
    rows = [
        (
            str(o.position) if o.position else "",
            o.project_id,
            money(o.cost),
            money(o.total_satisfaction),
            str(o.supporters),
            _why(o, gettext),
        )
        for o in result.ordered_outcomes()
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines.append("")
    for row in (header, *rows):
        cells = [
            cell.rjust(width) if i in (0, 2, 3, 4) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _why(outcome: ProjectOutcome[str], gettext: Callable[[str], str]) -> str:
    _ = gettext
    if outcome.selected:
        by = {
            Stage.GREEDY: _("selected (greedy)"),
            Stage.OPTIMAL: _("selected (optimal set)"),
            Stage.NO_COST: _("selected (costs nothing)"),
            Stage.EQUAL_SHARES: _("selected (equal shares)"),
            Stage.COMPLETION: _("selected (greedy completion)"),
        }[outcome.stage or Stage.GREEDY]
        if outcome.price is not None and outcome.stage is Stage.EQUAL_SHARES:
            by += " " + _("at {price} per unit of satisfaction").format(
                price=f"{float(outcome.price):.6g}"
            )
        return by
    if outcome.verdict is Verdict.NO_SUPPORT:
        return _("not selected: nobody supports it")
    if outcome.verdict is Verdict.NOT_IN_OPTIMUM:
        if outcome.welfare_if_forced is not None:
            return _("not selected: the best set with it reaches only {welfare}").format(
                welfare=money(outcome.welfare_if_forced)
            )
        return _("not selected: not in the optimal set")
    if outcome.verdict is Verdict.SUPPORTERS_SHORT:
        text = _(
            "not selected: its supporters had {money} left, {short} short; it needs at least "
            "{needed} supporters spending their whole share"
        ).format(
            money=money(outcome.money_at_turn or 0),
            short=money(outcome.shortfall or 0),
            needed=outcome.supporters_needed,
        )
        if outcome.budget_needed is not None:
            text += "; " + _("greedy completion: needed a budget of {budget}").format(
                budget=money(outcome.budget_needed)
            )
        return text
    return _(
        "not selected: did not fit, {money} left at its turn, {short} short "
        "(it needed a budget of {budget})"
    ).format(
        money=money(outcome.money_at_turn or 0),
        short=money(outcome.shortfall or 0),
        budget=money(outcome.budget_needed or 0),
    )
