"""Small random sieves for property tests of the plan, and fractions for the elections of the
allocation's property tests (hypothesis strategies)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from app.domain.vocabulary import StakeholderGroup
from app.domain.waardenzeef import (
    Effect,
    Measure,
    PackageBallot,
    Participant,
    ScoreBallot,
    Sieve,
    WeightBallot,
)

EFFECTS = (Effect("V", "Veiligheid"), Effect("L", "Leefomgeving"), Effect("G", "Groen", "L"))
LINKS = (("V",), ("L",), ("G",), ("V", "L"), ("V", "G"))


@st.composite
def fractions(draw: st.DrawFn, top: int, max_denominator: int) -> Fraction:
    """Any fraction from 0 to `top` with a denominator up to `max_denominator`.

    The values of `st.fractions(0, top, max_denominator=...)`, drawn as it draws them (a
    denominator, then a numerator over it), at a sixth of its cost: it builds and validates a new
    strategy for every value (300 elections of test_against_pabutools: 9 s of drawing, of which
    `st.fractions` was two thirds).
    """
    denominator = draw(st.integers(min_value=1, max_value=max_denominator))
    return Fraction(draw(st.integers(min_value=0, max_value=top * denominator)), denominator)


@st.composite
def sieves(draw: st.DrawFn, max_people: int = 7) -> Sieve:
    """Up to 6 measures (some free), a few participants, some who only weigh or only choose."""
    count = draw(st.integers(min_value=1, max_value=6))
    measures = tuple(
        Measure(
            f"m{i}",
            f"Maatregel {i}",
            draw(st.one_of(st.none(), st.integers(min_value=0, max_value=40))),
            draw(st.sampled_from(LINKS)),
        )
        for i in range(count)
    )
    people = draw(st.integers(min_value=1, max_value=max_people))
    groups = st.sampled_from([None, *StakeholderGroup])
    participants = tuple(Participant(p, draw(groups)) for p in range(1, people + 1))
    weights = []
    scores = []
    packages = []
    for p in range(1, people + 1):
        if draw(st.booleans()):
            points = draw(st.lists(st.integers(0, 10), min_size=2, max_size=2))
            if sum(points):
                weights.append(WeightBallot(p, {"V": points[0], "L": points[1]}))
        if draw(st.integers(0, 3)):
            rated = draw(st.sets(st.sampled_from([m.id for m in measures])))
            scores.append(
                ScoreBallot(
                    p,
                    {
                        (m.id, e): draw(st.integers(0, 3))
                        for m in measures
                        if m.id in rated
                        for e in m.effect_ids
                    },
                )
            )
        if draw(st.booleans()):
            chosen = draw(st.sets(st.sampled_from([m.id for m in measures])))
            packages.append(PackageBallot(p, tuple(sorted(chosen))))
    budget = draw(st.integers(min_value=0, max_value=80))
    return Sieve(
        EFFECTS, measures, budget, participants, tuple(weights), tuple(scores), tuple(packages)
    )
