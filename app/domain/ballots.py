"""The ballot rules of the three rounds: what a valid Wegen, Zeven or Kiezen ballot is.

Wegen: whole points for the desired effects, adding up to exactly 100. Zeven: a score 0..3 for a
measure on each effect it is linked to; one decision per measure: it is rated on all its effects
or skipped as a whole ("weet ik niet"; a skipped measure does not count as 0), and every measure
rated only partly is reported at once, each with its own message. Kiezen:
a package of measures whose binding costs fit within the budget; regular measures cost nothing.
Everything is checked against a `BallotMenu` (the process's menu as the ballot sees it), so these
rules need no database. Refusals are `InvalidInput` errors whose message names the field and what
is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.domain.menu import Costs
from app.domain.vocabulary import CostHorizon, RoundKind
from app.errors import N_, InvalidInput

TOTAL_POINTS = 100
SCORES = (0, 1, 2, 3)


class PointsNotHundred(InvalidInput):
    """The Wegen points do not add up to 100."""

    code = "points_not_100"


class OverBudget(InvalidInput):
    """The Kiezen package costs more than the budget; params total, budget and over (euros)."""

    code = "over_budget"


class EmptyBallot(InvalidInput):
    """Nothing was filled in."""

    code = "empty_ballot"


class MeasuresUnfinished(InvalidInput):
    """Zeven: some measures are rated on only some of their effects; one message per measure.

    `problems` maps each such measure's id to its message (a catalogue template and its
    params), in menu order, so that a form can show each beside its measure; the exception's
    own message lists them all.
    """

    def __init__(self, problems: Mapping[int, tuple[str, Mapping[str, object]]]) -> None:
        self.problems = dict(problems)
        super().__init__(N_("Some measures are rated on only some of their effects."))

    @property
    def message(self) -> str:
        """Every measure's problem, in English."""
        return " ".join(
            text % dict(params) for text, params in getattr(self, "problems", {}).values()
        )

    def localized(self) -> str:
        """Every measure's problem, in the current language."""
        return " ".join(self.measure_messages().values())

    def measure_messages(self) -> dict[int, str]:
        """Each measure's problem in the current language, for showing beside the measure."""
        from app.i18n import gettext

        return {
            measure_id: gettext(text) % dict(params)
            for measure_id, (text, params) in self.problems.items()
        }


@dataclass(frozen=True)
class EffectChoice:
    """A desired effect that can be weighed in Wegen."""

    id: int
    title: str


@dataclass(frozen=True)
class MeasureChoice:
    """A measure as a ballot sees it: its binding cost and the effects it is rated on."""

    id: int
    title: str
    cost: int
    is_regular: bool
    effect_ids: tuple[int, ...]


@dataclass(frozen=True)
class BallotMenu:
    """What can be voted on in a process: its effects, its measures and the budget."""

    effects: tuple[EffectChoice, ...]
    measures: tuple[MeasureChoice, ...]
    budget: int
    effect_titles: Mapping[int, str] = field(default_factory=dict)
    _by_id: Mapping[int, MeasureChoice] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({m.id: m for m in self.measures}))

    def measure(self, measure_id: int) -> MeasureChoice | None:
        """The measure with this id, or None."""
        return self._by_id.get(measure_id)

    def effect_title(self, effect_id: int) -> str:
        """The title of an effect (weighable or only linked), or its id."""
        for effect in self.effects:
            if effect.id == effect_id:
                return effect.title
        return self.effect_titles.get(effect_id, str(effect_id))


@dataclass(frozen=True)
class Line:
    """One stored line of a ballot: points for an effect, a score, or a measure picked."""

    measure_id: int | None
    effect_id: int | None
    value: int


@dataclass(frozen=True)
class PackageTally:
    """What a package costs against the budget: the money left, or how much it is over."""

    total: int
    budget: int

    @property
    def left(self) -> int:
        """Money left (negative when over)."""
        return self.budget - self.total

    @property
    def over(self) -> int:
        """How much the package is over the budget (0 when it fits)."""
        return max(0, self.total - self.budget)

    @property
    def fits(self) -> bool:
        """Whether the package is within the budget."""
        return self.total <= self.budget


@dataclass(frozen=True)
class ValidBallot:
    """A checked ballot of one round kind, as the lines to store."""

    kind: RoundKind
    lines: tuple[Line, ...]


def binding_cost(
    *,
    year_1: int | None,
    years_4: int | None,
    years_10: int | None,
    horizon: CostHorizon,
    is_regular: bool,
) -> int:
    """A measure's cost at the binding horizon: 0 for a regular measure or a missing amount."""
    if is_regular:
        return 0
    return Costs(year_1, years_4, years_10).at(horizon) or 0


# --- reading what was typed -------------------------------------------------------------------


def _whole(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def read_points(raw: Mapping[int, str | int], menu: BallotMenu) -> dict[int, int]:
    """Points per effect as typed: blank is 0; anything but a whole number is refused."""
    unknown = set(raw) - {e.id for e in menu.effects}
    if unknown:
        raise InvalidInput(
            N_("points: effect %(id)s is not one of the effects to weigh."), id=min(unknown)
        )
    points: dict[int, int] = {}
    for effect in menu.effects:
        text = str(raw.get(effect.id, "")).strip()
        value = _whole(text) if text else 0
        if value is None:
            raise InvalidInput(
                N_("%(effect)s: '%(value)s' is not a whole number of points."),
                effect=effect.title,
                value=text[:20],
            )
        points[effect.id] = value
    return points


def read_scores(
    raw: Mapping[tuple[int, int], str | int], menu: BallotMenu
) -> dict[tuple[int, int], int]:
    """Scores per (measure, effect) as given: blank means skipped; 0..3 otherwise."""
    scores: dict[tuple[int, int], int] = {}
    for (measure_id, effect_id), value in raw.items():
        text = str(value).strip()
        if not text:
            continue
        if text not in {str(s) for s in SCORES}:
            measure = menu.measure(measure_id)
            raise InvalidInput(
                N_("%(measure)s: a score is 0, 1, 2 or 3, not '%(value)s'."),
                measure=measure.title if measure else measure_id,
                value=text[:20],
            )
        scores[(measure_id, effect_id)] = int(text)
    return scores


def point_problems(raw: Mapping[int, str | int], menu: BallotMenu) -> dict[int, InvalidInput]:
    """Every weighable effect whose typed points cannot be used, with the refusal the ballot
    would get for it: not a whole number, below 0 or above 100 (blank is 0, as on submit)."""
    problems: dict[int, InvalidInput] = {}
    for effect in menu.effects:
        try:
            points = read_points({effect.id: raw.get(effect.id, "")}, menu)
            check_points_range(points, menu)
        except InvalidInput as problem:
            problems[effect.id] = problem
    return problems


def refuse_repeated_scores(fields: Iterable[tuple[str, int, int]]) -> None:
    """Refuse a Zeven ballot that scores a measure on the same effect twice.

    `fields` are (field name, measure id, effect id) in the order they were sent; a second score
    must not silently replace the first, so the refusal names the field that repeats it.
    """
    first: dict[tuple[int, int], str] = {}
    for name, measure_id, effect_id in fields:
        pair = (measure_id, effect_id)
        if pair in first:
            raise InvalidInput(
                N_(
                    "%(field)s: measure %(measure)s already has a score for effect %(effect)s "
                    "(%(first)s); give one score per measure and effect."
                ),
                field=name,
                measure=measure_id,
                effect=effect_id,
                first=first[pair],
            )
        first[pair] = name


# --- the rules --------------------------------------------------------------------------------


def points_left(points: Mapping[int, int]) -> int:
    """How many of the 100 points are still to be divided (negative when too many)."""
    return TOTAL_POINTS - sum(points.values())


def check_points_range(points: Mapping[int, int], menu: BallotMenu) -> None:
    """Refuse points for an unknown effect, or points below 0 or above 100 for one effect."""
    known = {e.id for e in menu.effects}
    for effect_id, value in points.items():
        if effect_id not in known:
            raise InvalidInput(
                N_("points: effect %(id)s is not one of the effects to weigh."), id=effect_id
            )
        if not 0 <= value <= TOTAL_POINTS:
            raise InvalidInput(
                N_("%(effect)s: give between 0 and 100 points, not %(value)s."),
                effect=menu.effect_title(effect_id),
                value=value,
            )


def check_weights(points: Mapping[int, int], menu: BallotMenu) -> ValidBallot:
    """A Wegen ballot: known effects, no negative points, exactly 100 in total."""
    check_points_range(points, menu)
    total = sum(points.values())
    if total < TOTAL_POINTS:
        raise PointsNotHundred(
            N_("Your points add up to %(total)s, not 100: you still have %(left)s points to give."),
            total=total,
            left=TOTAL_POINTS - total,
        )
    if total > TOTAL_POINTS:
        raise PointsNotHundred(
            N_("Your points add up to %(total)s, not 100: take away %(over)s points."),
            total=total,
            over=total - TOTAL_POINTS,
        )
    lines = tuple(
        Line(measure_id=None, effect_id=e.id, value=points[e.id])
        for e in menu.effects
        if points.get(e.id, 0) > 0
    )
    return ValidBallot(RoundKind.WEGEN, lines)


def check_scores(
    scores: Mapping[tuple[int, int], int],
    menu: BallotMenu,
    *,
    skipped: Iterable[int] = (),
) -> ValidBallot:
    """A Zeven ballot: scores 0..3 only on linked effects; a measure rated fully or skipped.

    `skipped` are measures skipped as a whole ("weet ik niet" on the form): their scores, if any
    were also ticked, are left out, because skipping is the one decision made for the measure.
    Every measure rated on only some of its effects is refused together (MeasuresUnfinished).
    """
    skip = set(skipped)
    for measure_id in skip:
        if menu.measure(measure_id) is None:
            raise InvalidInput(N_("skip: measure %(id)s is not on this menu."), id=measure_id)
    scores = {pair: value for pair, value in scores.items() if pair[0] not in skip}
    rated: dict[int, set[int]] = {}
    for (measure_id, effect_id), value in scores.items():
        measure = menu.measure(measure_id)
        if measure is None:
            raise InvalidInput(
                N_("scores: measure %(id)s is not on this menu."),
                id=measure_id,
            )
        if effect_id not in measure.effect_ids:
            raise InvalidInput(
                N_(
                    "%(measure)s is not linked to the effect '%(effect)s', so it cannot be "
                    "rated on it."
                ),
                measure=measure.title,
                effect=menu.effect_title(effect_id),
            )
        if value not in SCORES:
            raise InvalidInput(
                N_("%(measure)s: a score is 0, 1, 2 or 3, not '%(value)s'."),
                measure=measure.title,
                value=value,
            )
        rated.setdefault(measure_id, set()).add(effect_id)
    unfinished: dict[int, tuple[str, Mapping[str, object]]] = {}
    for measure in menu.measures:
        done = rated.get(measure.id)
        if done is not None and done != set(measure.effect_ids):
            missing = [menu.effect_title(e) for e in measure.effect_ids if e not in done]
            unfinished[measure.id] = (
                N_(
                    "%(measure)s: choose a number for %(effects)s too, or choose "
                    '"I don\'t know" for the whole measure.'
                ),
                {"measure": measure.title, "effects": ", ".join(missing)},
            )
    if unfinished:
        raise MeasuresUnfinished(unfinished)
    if not rated:
        raise EmptyBallot(N_("You have not rated any measure yet. Rate at least one."))
    lines = tuple(
        Line(measure_id=m.id, effect_id=e, value=scores[(m.id, e)])
        for m in menu.measures
        if m.id in rated
        for e in m.effect_ids
    )
    return ValidBallot(RoundKind.ZEVEN, lines)


def tally_package(measure_ids: Iterable[int], menu: BallotMenu) -> PackageTally:
    """What the known measures among these cost together, against the budget."""
    chosen = set(measure_ids)
    total = sum(m.cost for m in menu.measures if m.id in chosen)
    return PackageTally(total=total, budget=menu.budget)


def check_package(measure_ids: Iterable[int], menu: BallotMenu) -> ValidBallot:
    """A Kiezen ballot: known measures, at least one, and within the budget."""
    chosen = list(dict.fromkeys(measure_ids))
    for measure_id in chosen:
        if menu.measure(measure_id) is None:
            raise InvalidInput(N_("measures: measure %(id)s is not on this menu."), id=measure_id)
    if not chosen:
        raise EmptyBallot(N_("Your package is empty. Choose at least one measure."))
    tally = tally_package(chosen, menu)
    if not tally.fits:
        raise OverBudget(
            N_(
                "Your package costs %(total)s, which is %(over)s more than the budget of "
                "%(budget)s. Take something out."
            ),
            total=tally.total,
            over=tally.over,
            budget=tally.budget,
        )
    lines = tuple(
        Line(measure_id=m.id, effect_id=None, value=1) for m in menu.measures if m.id in chosen
    )
    return ValidBallot(RoundKind.KIEZEN, lines)


def lines_to_points(lines: Iterable[Line]) -> dict[int, int]:
    """A stored Wegen ballot as points per effect."""
    return {ln.effect_id: ln.value for ln in lines if ln.effect_id is not None}


def lines_to_scores(lines: Iterable[Line]) -> dict[tuple[int, int], int]:
    """A stored Zeven ballot as scores per (measure, effect)."""
    return {
        (ln.measure_id, ln.effect_id): ln.value
        for ln in lines
        if ln.measure_id is not None and ln.effect_id is not None
    }


def lines_to_package(lines: Iterable[Line]) -> list[int]:
    """A stored Kiezen ballot as the measures chosen."""
    return [ln.measure_id for ln in lines if ln.measure_id is not None]
