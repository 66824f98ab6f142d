"""What the room saw after Kiezen, and how the bewonersplan differs from it, measure by measure.

The Kiezen result is what the projector shows: how often each measure was chosen, and going
down that list (most chosen first, then the cheaper, then menu order) what still fits in the
budget, skipping what no longer fits and what nobody chose. The plan is made by a selection rule
on the Zeven values (or on the packages), so the two can differ; every measure where they do
gets the reason, from the plan's own reasons (`app.domain.reasons`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.domain.allocation import Ballot, Election, Project, greedy
from app.domain.reasons import Reason, Why
from app.domain.waardenzeef import Id, Number, Plan, Sieve


@dataclass(frozen=True)
class KiezenResult:
    """How often each measure was chosen, the order of the list, and what fits from the top."""

    chosen: Mapping[Id, int]
    order: tuple[Id, ...]
    fits: tuple[Id, ...]
    packages: int
    spent: int

    def place(self, measure_id: Id) -> int:
        """Its place in the list (1 = most chosen)."""
        return self.order.index(measure_id) + 1


def from_the_top(
    measures: Sequence[tuple[Id, int]],
    chosen: Mapping[Id, int],
    budget: Number,
    packages: int,
) -> KiezenResult:
    """The Kiezen result of measures `(id, cost)` in menu order, chosen so often, in a budget."""
    position = {m: i for i, (m, _) in enumerate(measures)}
    cost = dict(measures)
    order = tuple(sorted(position, key=lambda m: (-chosen.get(m, 0), cost[m], position[m])))
    election = Election(
        tuple(Project(m, c) for m, c in measures),
        budget,
        (Ballot({m: n for m, n in chosen.items() if n > 0 and m in cost}),),
        order,
    )
    fitted = greedy(election, ranking=order, fund_unsupported=False)
    return KiezenResult(
        chosen=dict(chosen),
        order=order,
        fits=fitted.selected,
        packages=packages,
        spent=sum(cost[m] for m in fitted.selected),
    )


def of_sieve(sieve: Sieve) -> KiezenResult:
    """The Kiezen result of a sieve's packages."""
    counts: Counter[Id] = Counter(m for p in sieve.packages for m in p.measure_ids)
    return from_the_top(
        [(m.id, m.binding_cost) for m in sieve.measures], counts, sieve.budget, len(sieve.packages)
    )


class Difference(StrEnum):
    """Why the plan and the Kiezen result differ on a measure."""

    CHOSEN_BUT_RANKED_LOWER = "chosen_but_ranked_lower"
    CHOSEN_BUT_UNVALUED = "chosen_but_unvalued"
    CHOSEN_BUT_NOT_OPTIMAL = "chosen_but_not_optimal"
    CHOSEN_BUT_SUPPORTERS_SHORT = "chosen_but_supporters_short"
    # equal shares with the comparison step took the greedy outcome, where the money ran out first
    CHOSEN_BUT_GREEDY_DID_NOT_FIT = "chosen_but_greedy_did_not_fit"
    # equal shares on the packages with "add one" alone: it costs nothing, so is worth nothing there
    CHOSEN_BUT_FREE_NOT_COUNTED = "chosen_but_free_not_counted"
    CHOSEN_BUT_TOO_EXPENSIVE = "chosen_but_too_expensive"
    CHOSEN_BUT_NOT_RATED = "chosen_but_not_rated"
    PLAN_BUT_DID_NOT_FIT_KIEZEN = "plan_but_did_not_fit_kiezen"
    PLAN_BUT_NOT_CHOSEN = "plan_but_not_chosen"


_LEFT_OUT = {
    Why.DID_NOT_FIT: Difference.CHOSEN_BUT_RANKED_LOWER,
    Why.UNVALUED: Difference.CHOSEN_BUT_UNVALUED,
    Why.NOT_IN_OPTIMUM: Difference.CHOSEN_BUT_NOT_OPTIMAL,
    Why.SUPPORTERS_SHORT: Difference.CHOSEN_BUT_SUPPORTERS_SHORT,
    Why.GREEDY_DID_NOT_FIT: Difference.CHOSEN_BUT_GREEDY_DID_NOT_FIT,
    Why.FREE_NOT_COUNTED: Difference.CHOSEN_BUT_FREE_NOT_COUNTED,
    Why.TOO_EXPENSIVE: Difference.CHOSEN_BUT_TOO_EXPENSIVE,
}


def differences(
    plan: Plan, reasons: Iterable[Reason], kiezen: KiezenResult
) -> dict[Id, Difference]:
    """Every measure that is in one of the plan and the Kiezen result but not in the other."""
    found = compare(plan, reasons, kiezen.fits, kiezen.chosen)
    assert set(found) == set(kiezen.fits) ^ set(plan.selected)
    return found


def compare(
    plan: Plan, reasons: Iterable[Reason], fits: Iterable[Id], chosen: Mapping[Id, int]
) -> dict[Id, Difference]:
    """Every measure that fits in a Kiezen result (`fits`, from measures chosen so often) or is
    in the plan, but not in both.

    The room's Kiezen result on the projector lists every measure of the menu; one linked to no
    desired effect is not in the plan's sieve (nobody could rate it in Zeven): it differs as
    `CHOSEN_BUT_NOT_RATED`.
    """
    fitting = set(fits)
    explained = {r.measure_id: r for r in reasons}
    found: dict[Id, Difference] = {}
    for measure in fitting - set(explained):
        found[measure] = Difference.CHOSEN_BUT_NOT_RATED
    for measure, reason in explained.items():
        if measure in fitting and not reason.selected:
            found[measure] = _LEFT_OUT[reason.why]
        elif reason.selected and measure not in fitting:
            found[measure] = (
                Difference.PLAN_BUT_DID_NOT_FIT_KIEZEN
                if chosen.get(measure, 0) > 0
                else Difference.PLAN_BUT_NOT_CHOSEN
            )
    return found
