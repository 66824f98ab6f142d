"""What the bewonersplan says in words: reasons, differences with Kiezen, notes, names.

One place for the sentences, so that the page, the PDF, the XLSX and the CSV say the same thing
(the plan notes are worded in `app.wording`, with the other codes lower layers report). Every
sentence goes through the catalogue (English message ids, plain Dutch for residents). Templates
get this module as `plan_text` in their context (the templating layer sits below the exports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.exports.content import LineReason, PlanContent, PlanLine
from app.i18n import euro, local_time, number
from app.i18n import gettext as _


def rule_name(rule: str) -> str:
    """A rule as the plan names it."""
    return {
        "greedy": _("Down the ranking"),
        "optimal": _("Most value within the budget (optimal)"),
        "equal_shares": _("Equal shares on the values"),
        "equal_shares_packages": _("Equal shares on the packages"),
    }.get(rule, rule)


def completion_name(completion: str | None) -> str:
    """A completion of equal shares as the plan names it (short, for a list or a heading)."""
    return {
        "add1": _("add one"),
        "add1-greedy": _("add one, then greedy"),
        "add1-compare": _("add one, then greedy, then compared as in Wieliczka 2023"),
    }.get(completion or "", completion or "")


def method_name(rule: str, completion: str | None) -> str:
    """A rule with its completion, when it has one: "Equal shares on the values (add one)"."""
    if not completion:
        return rule_name(rule)
    return f"{rule_name(rule)} ({completion_name(completion)})"


def _greedy_order(plan: PlanContent) -> str:
    # Greedy after equal shares, and the greedy outcome of the comparison step, take the
    # measures by satisfaction per euro: with packages that is how many packages hold a measure.
    if plan.rule == "equal_shares_packages":
        return _("by how many packages hold them, most first")
    return _("by value per euro, highest first")


def completion_text(plan: PlanContent) -> str:
    """How equal shares spent what it left, for the method section ("" for the other rules)."""
    raised = _(
        "Completion: the budget per person is raised one euro at a time as long as the plan "
        "stays within the budget (“add one”)."
    )
    if plan.completion == "add1":
        return raised + " " + _("What is then left stays unspent.")
    filled = _(
        "Then what is left is spent going down the measures not yet in %(order)s, taking each "
        "that still fits."
    ) % {"order": _greedy_order(plan)}
    if plan.rule != "equal_shares_packages":
        filled += " " + _(
            "A measure's value per euro is everyone's values of it added up, divided by its cost."
        )
    if plan.completion == "add1-greedy":
        return f"{raised} {filled}"
    if plan.completion == "add1-compare":
        better = (
            _("more of the measures in their package are in it")
            if plan.rule == "equal_shares_packages"
            else _("their own values of the measures in it add up to more")
        )
        compared = _(
            "Last, the comparison step, as in Wieliczka 2023: the greedy outcome goes down all "
            "measures %(order)s and takes each that still fits. Each participant is better off "
            "with the outcome in which %(better)s; when more participants are better off with "
            "the greedy outcome than with this one, the plan is the greedy outcome."
        ) % {"better": better, "order": _greedy_order(plan)}
        return f"{raised} {filled} {compared}"
    return ""


def comparison_sentence(plan: PlanContent) -> str:
    """What the comparison step found ("" when the plan has none)."""
    found = plan.comparison
    if found is None:
        return ""
    values = {"greedy": found.prefer_greedy, "mine": found.prefer_equal_shares}
    if found.switched:
        return (
            _(
                "Comparison step: %(greedy)s participants were better off with the greedy "
                "outcome and %(mine)s with the outcome of equal shares (the others alike), so "
                "this plan is the greedy outcome."
            )
            % values
        )
    return (
        _(
            "Comparison step: %(mine)s participants were better off with the outcome of equal "
            "shares and %(greedy)s with the greedy outcome (the others alike), so the outcome of "
            "equal shares was kept."
        )
        % values
    )


def _greedy_taken(plan: PlanContent) -> bool:
    return plan.comparison is not None and plan.comparison.switched


def ranking_name(ranked_by: str) -> str:
    """How the measures are ranked, as the plan says it."""
    if ranked_by == "value_per_euro":
        return _("by value per euro")
    return _("by score")


def horizon_name(horizon: str) -> str:
    """Which cost binds, in words."""
    return {
        "year_1": _("the first year"),
        "years_4": _("4 years"),
        "years_10": _("10 years"),
    }.get(horizon, horizon)


def group_name(group: str | None) -> str:
    """A stakeholder group in words (plural, as in "everyone weighs like the students")."""
    return {
        "bewoner": _("residents"),
        "ondernemer": _("entrepreneurs"),
        "student": _("students"),
        "werker": _("neighbourhood workers"),
    }.get(group or "", _("group not given"))


def small_groups_label() -> str:
    """The one line under which groups of fewer than 5 people appear, without figures."""
    return _("small group (fewer than 5)")


def round_name(kind: str) -> str:
    """A round kind in words."""
    return {
        "wegen": _("Weigh (Wegen)"),
        "zeven": _("Sieve (Zeven)"),
        "kiezen": _("Choose (Kiezen)"),
    }.get(kind, kind)


def when(moment: datetime | None) -> str:
    """A stored moment in local time, with the time zone named."""
    from app.settings import get_settings

    if moment is None:
        return "–"
    return f"{local_time(moment)} ({get_settings().time_zone})"


def _money(value: float | int | None) -> str:
    return euro(None if value is None else round(value))


# --- reasons ---------------------------------------------------------------------------------


def reason(plan: PlanContent, line: PlanLine) -> str:
    """Why a measure is in or out of the plan, in the reader's language."""
    why = line.reason
    if why is None:
        return _schema_1_reason(line)
    text = _reason_of(plan, line, why)
    if not line.selected and why.why not in ("unvalued", "too_expensive", "free_not_counted"):
        text += " " + budget_sentence(plan, why)
    return text


def _reason_of(plan: PlanContent, line: PlanLine, why: LineReason) -> str:
    packages = plan.rule == "equal_shares_packages"
    cost = euro(line.binding_cost)
    values = {"rank": line.rank, "cost": cost, "position": line.position}
    if why.why == "no_cost":
        return _("In the plan: it costs nothing extra.")
    if why.why == "fitted":
        return _(
            "In the plan, as number %(position)s: when its turn came (place %(rank)s in the "
            "ranking), %(left)s was left; it costs %(cost)s."
        ) % {**values, "left": _money(why.money_left)}
    if why.why == "in_optimum":
        return _(
            "In the plan: part of the combination with the highest total contribution that fits "
            "the budget (%(total)s together)."
        ) % {"total": number(why.total_best, 2)}
    if why.why == "shares":
        if packages:
            return _(
                "In the plan: the %(n)s people who chose it paid for it together from their equal "
                "shares of the budget."
            ) % {"n": why.supporters}
        return _(
            "In the plan: the %(n)s people who valued it paid for it together from their equal "
            "shares of the budget."
        ) % {"n": why.supporters}
    if why.why == "completion":
        return _(
            "In the plan: added when the money that was left was filled up (%(left)s left; it "
            "costs %(cost)s)."
        ) % {**values, "left": _money(why.money_left)}
    if why.why == "greedy_fitted":
        return _(
            "In the plan, as number %(position)s: more participants were better off with the "
            "greedy outcome, which goes down the measures %(order)s; there %(left)s was left "
            "when its turn came, and it costs %(cost)s."
        ) % {**values, "order": _greedy_order(plan), "left": _money(why.money_left)}
    if why.why == "greedy_did_not_fit":
        return _(
            "Not in the plan: more participants were better off with the greedy outcome, which "
            "goes down the measures %(order)s; there only %(left)s was left when its turn came, "
            "and it costs %(cost)s."
        ) % {**values, "order": _greedy_order(plan), "left": _money(why.money_left)}
    if why.why == "did_not_fit":
        return _(
            "Not in the plan: when its turn came (place %(rank)s in the ranking), only %(left)s "
            "was left and it costs %(cost)s; the measures above it took the rest."
        ) % {**values, "left": _money(why.money_left)}
    if why.why == "not_in_optimum":
        return _(
            "Not in the plan: the best combination within the budget does without it; with it, "
            "the highest total contribution would be %(with)s instead of %(best)s."
        ) % {"with": number(why.total_with, 2), "best": number(why.total_best, 2)}
    if why.why == "supporters_short":
        text = (
            _(
                "Not in the plan: the %(n)s people who chose it had %(money)s left together when "
                "the equal shares were spent; it costs %(cost)s."
            )
            if packages
            else _(
                "Not in the plan: the %(n)s people who valued it had %(money)s left together when "
                "the equal shares were spent; it costs %(cost)s."
            )
        ) % {**values, "n": why.supporters, "money": _money(why.supporters_money)}
        if why.money_left is not None:
            text += " " + _("When the rest was filled up, %(left)s was left.") % {
                "left": _money(why.money_left)
            }
        return text
    if why.why == "free_not_counted":
        return _(
            "Not in the plan, although it was chosen in Kiezen: equal shares on the packages "
            "counts a measure at its cost, so a measure that costs nothing is worth nothing there "
            "and nobody's share pays for it; with “add one” alone nothing is filled up afterwards."
        )
    if why.why == "too_expensive":
        return _("Not in the plan: it costs %(cost)s, more than the whole budget.") % values
    if packages:
        return _("Not in the plan: nobody chose it in Kiezen, and what nobody chooses is never in.")
    return _(
        "Not in the plan: in Zeven nobody valued its contribution above zero, and what nobody "
        "values is never chosen."
    )


def budget_sentence(plan: PlanContent, why: LineReason) -> str:
    """The smallest budget above the plan's at which the rule would have chosen it."""
    budget = plan.ledger.available
    if why.budget_needed is None:
        return _(
            "Even with a budget of up to %(upto)s (twice as much) this rule would not choose it."
        ) % {"upto": euro(why.searched_to)}
    values = {"needed": euro(why.budget_needed), "more": euro(why.budget_needed - budget)}
    if why.budget_step:
        return _(
            "With a budget of %(needed)s (%(more)s more) this rule would have chosen it "
            "(budgets tried in steps of %(step)s)."
        ) % {**values, "step": euro(why.budget_step)}
    return (
        _(
            "With a budget of %(needed)s (%(more)s more) this rule would have chosen it; with less "
            "extra money it would not."
        )
        % values
    )


def short_reason(line: PlanLine) -> str:
    """A few words for a table cell: in or out, and the kind of reason."""
    why = line.reason.why if line.reason else None
    return {
        "fitted": _("in: fitted at its turn"),
        "no_cost": _("in: no extra cost"),
        "in_optimum": _("in: best combination"),
        "shares": _("in: paid from equal shares"),
        "completion": _("in: filled up"),
        "greedy_fitted": _("in: greedy outcome, fitted at its turn"),
        "did_not_fit": _("out: money spent above it"),
        "not_in_optimum": _("out: best combination without it"),
        "supporters_short": _("out: its supporters' shares ran out"),
        "greedy_did_not_fit": _("out: greedy outcome, money spent above it"),
        "too_expensive": _("out: dearer than the budget"),
        "unvalued": _("out: nobody valued it"),
        "free_not_counted": _("out: free, so worth nothing to equal shares"),
    }.get(why or "", _("in") if line.selected else _("out"))


def _schema_1_reason(line: PlanLine) -> str:
    # Plans adopted before schema 2 kept only these numbers; they stay as adopted.
    if line.verdict == "selected":
        if line.is_regular or line.binding_cost == 0:
            return _("In the plan: it costs nothing extra.")
        return _("In the plan, as number %(position)s.") % {"position": line.position}
    if line.verdict == "no_support":
        return _("Out: nobody valued it above zero.")
    if line.verdict == "supporters_short":
        return _("Out: its supporters had %(money)s left, %(short)s short.") % {
            "money": _money(line.money_at_turn),
            "short": _money(line.shortfall),
        }
    if line.verdict == "did_not_fit":
        return _("Out: only %(left)s was left at its turn.") % {"left": _money(line.money_at_turn)}
    return _("Out: the best combination within the budget does without it.")


@dataclass(frozen=True)
class ReasonGroup:
    """A reason that several measures share, listed once (with a letter) in the printed plan."""

    letter: str
    text: str
    titles: tuple[str, ...]


def repeated_reasons(plan: PlanContent) -> dict[str, ReasonGroup]:
    """Reasons that more than one measure has, by text: listed once instead of in every row."""
    by_text: dict[str, list[str]] = {}
    for line in plan.measures:
        by_text.setdefault(reason(plan, line), []).append(line.title)
    shared = [(text, titles) for text, titles in by_text.items() if len(titles) > 1]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return {
        text: ReasonGroup(letters[i % 26], text, tuple(titles))
        for i, (text, titles) in enumerate(shared)
    }


# --- the plan beside what the room saw in Kiezen ---------------------------------------------


def difference(plan: PlanContent, line: PlanLine) -> str:
    """One plain sentence on why the plan and the Kiezen result differ on this measure."""
    kiezen = plan.kiezen
    if line.difference is None or kiezen is None:
        return ""
    most = max((m.in_packages for m in plan.measures), default=0)
    return difference_sentence(
        line.difference,
        rule=plan.rule,
        chosen=line.in_packages,
        packages=kiezen.packages,
        most_chosen=line.in_packages == most,
        rank=line.rank,
        no_cost=line.binding_cost == 0,
        greedy_taken=_greedy_taken(plan),
        filled_up=line.reason is not None and line.reason.why == "completion",
    )


def difference_sentence(
    difference: str,
    *,
    rule: str,
    chosen: int,
    packages: int,
    most_chosen: bool,
    rank: int | None,
    no_cost: bool,
    greedy_taken: bool = False,
    filled_up: bool = False,
) -> str:
    """Why the plan (made with `rule`) and the Kiezen result differ on a measure, in one plain
    sentence: the plan page, its documents and the projector say it alike (`greedy_taken`: equal
    shares' comparison step took the greedy outcome; `filled_up`: equal shares' completion took
    the measure, not its supporters' shares)."""
    values = {"n": chosen, "total": packages, "rank": rank}
    if difference.startswith("chosen_but"):
        opening = (
            _("The most chosen in Kiezen (%(n)s of %(total)s)")
            if most_chosen
            else _("In the Kiezen result (%(n)s of %(total)s chose it)")
        ) % values
        rest = {
            "chosen_but_ranked_lower": _(
                "but in Zeven it was rated lower on average than the measures above it (place "
                "%(rank)s): when its turn came, the money was spent."
            ),
            "chosen_but_unvalued": _(
                "but in Zeven nobody thought it contributes anything to the desired effects."
            ),
            "chosen_but_not_optimal": _(
                "but the combination with the highest contribution in Zeven fits the budget "
                "better without it."
            ),
            "chosen_but_supporters_short": _(
                "but with equal shares the people who chose it had already spent their share on "
                "other measures."
            )
            if rule == "equal_shares_packages"
            else _(
                "but with equal shares the people who valued it in Zeven had already spent their "
                "share on other measures."
            ),
            "chosen_but_greedy_did_not_fit": _(
                "but more participants were better off with the greedy outcome, and there the "
                "money was spent before its turn."
            ),
            "chosen_but_free_not_counted": _(
                "but it costs nothing extra, and equal shares on the packages counts a measure at "
                "its cost, so with “add one” alone nothing paid for it."
            ),
            "chosen_but_too_expensive": _("but it costs more than the whole budget."),
            "chosen_but_not_rated": _(
                "but it is linked to no desired effect, so nobody could rate it in Zeven and the "
                "plan cannot take it."
            ),
        }[difference] % values
        return f"{opening}, {rest}"
    if difference == "plan_but_not_chosen":
        if no_cost:
            return (
                _(
                    "Nobody chose it in Kiezen, but it costs nothing extra and in Zeven it was "
                    "rated at place %(rank)s."
                )
                % values
            )
        return _("Nobody chose it in Kiezen, but in Zeven it was rated at place %(rank)s.") % values
    if rule in ("equal_shares", "equal_shares_packages") and greedy_taken:
        return (
            _(
                "It no longer fitted in the Kiezen result (%(n)s of %(total)s chose it), but more "
                "participants were better off with the greedy outcome, which has it."
            )
            % values
        )
    if rule in ("equal_shares", "equal_shares_packages") and filled_up:
        return (
            _(
                "It no longer fitted in the Kiezen result (%(n)s of %(total)s chose it), but with "
                "equal shares it came in when the money that was left was filled up."
            )
            % values
        )
    if rule in ("equal_shares", "equal_shares_packages"):
        return (
            _(
                "It no longer fitted in the Kiezen result (%(n)s of %(total)s chose it), but with "
                "equal shares the people who wanted it paid for it from their own share."
            )
            % values
        )
    return (
        _(
            "It no longer fitted in the Kiezen result (%(n)s of %(total)s chose it), but in Zeven "
            "it was rated high (place %(rank)s)."
        )
        % values
    )


def how_it_was_made(plan: PlanContent) -> str:
    """Two sentences: how the plan was made from the three rounds."""
    counts = {t.kind: t.phone + t.paper for t in plan.turnout}
    first = _(
        "In Wegen %(weighed)s participants divided 100 points each over the desired effects, and "
        "in Zeven %(rated)s participants rated how much each measure contributes to them: "
        "together that gives each measure a score, and the ranking."
    ) % {"weighed": counts.get("wegen", 0), "rated": counts.get("zeven", 0)}
    chose = counts.get("kiezen", 0)
    second = {
        "greedy": _(
            "Then the measures were taken from the top down as long as they fitted the budget; "
            "the result of Kiezen (%(chose)s packages) is shown beside it, with the reason "
            "wherever the two differ."
        ),
        "optimal": _(
            "Then the combination with the highest total contribution that fits the budget was "
            "chosen; the result of Kiezen (%(chose)s packages) is shown beside it, with the "
            "reason wherever the two differ."
        ),
        "equal_shares": _(
            "Then every participant got an equal share of the budget to spend on what they "
            "valued in Zeven (equal shares); the result of Kiezen (%(chose)s packages) is shown "
            "beside it, with the reason wherever the two differ."
        ),
        "equal_shares_packages": _(
            "Then every participant got an equal share of the budget for the measures in their "
            "Kiezen package (%(chose)s packages, equal shares), and the ranking only settles ties; "
            "the most chosen measures are shown beside it, with the reason wherever they differ."
        ),
    }[plan.rule] % {"chose": chose}
    third = comparison_sentence(plan)
    return f"{first} {second} {third}" if third else f"{first} {second}"


def summary_measures(plan: PlanContent) -> Sequence[PlanLine]:
    """The selected measures in the order the rule took them."""
    chosen = [m for m in plan.measures if m.selected]
    return sorted(chosen, key=lambda m: (m.position or 0, m.rank))
