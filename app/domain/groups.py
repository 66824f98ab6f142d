"""Small stakeholder groups: nothing is shown apart for a group of fewer than 5 people.

One rule for every output (plan page, PDF, XLSX, CSV, JSON, the ballots file, the console and
the projector): a group is shown apart, with its own figures, charts and what-ifs, only when at
least `MIN_GROUP_SIZE` people of it count in what is shown; "group not given" is a group like
the others. Smaller groups count in every total and appear as one line, "kleine groep (minder
dan 5)", without figures, so that nobody's vote can be read from them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TypeVar

from app.domain.waardenzeef import Participant, Sieve

MIN_GROUP_SIZE = 5

G = TypeVar("G")


def shown_apart(sizes: Mapping[G, int]) -> tuple[list[G], list[G]]:
    """The groups shown apart (at least `MIN_GROUP_SIZE` people) and the small ones, in order.

    Groups with nobody in them are in neither list.
    """
    apart = [g for g, n in sizes.items() if n > 0 and not is_small(n)]
    small = [g for g, n in sizes.items() if n > 0 and is_small(n)]
    return apart, small


def is_small(count: int) -> bool:
    """Whether this many people are too few to be shown apart."""
    return count < MIN_GROUP_SIZE


def group_sizes(groups: Iterable[G]) -> dict[G, int]:
    """How many people each group has, from one group per person, in order of appearance."""
    return dict(Counter(groups))


def fold_small_groups(sieve: Sieve) -> Sieve:
    """The sieve with the people of small groups given no group (for files that leave the tool)."""
    _, small = shown_apart(group_sizes(p.group for p in sieve.participants if p.group))
    if not small:
        return sieve
    folded = set(small)
    return Sieve(
        sieve.effects,
        sieve.measures,
        sieve.budget,
        tuple(
            Participant(p.id, None if p.group in folded else p.group) for p in sieve.participants
        ),
        sieve.weights,
        sieve.scores,
        sieve.packages,
    )
