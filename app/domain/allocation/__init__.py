"""The general allocation rules: greedy, optimal and equal shares, on frozen inputs.

Its records (`Project`, `Ballot`, `ProjectOutcome`, `Allocation`, ...) are NamedTuples, not
dataclasses, as are `app.domain.pabulib`'s and `app.domain.recount`'s: `waardenzeef recount`
loads these modules at every start, and `dataclasses` loads `inspect` (with `ast`, `dis` and
`tokenize`) while each frozen dataclass costs about four times a NamedTuple to make: together a
tenth of a whole recount of Warszawa Ochota. Change one with `_replace`; a record that checks its
values (`Project`) is a subclass of its fields' NamedTuple with its own `__new__`.
`tests/test_cli_recount.py` checks that a recount loads no `dataclasses`.
"""

from app.domain.allocation.completion import (
    Completion,
    compare_with_greedy,
    equal_shares_completed,
)
from app.domain.allocation.greedy import complete_with_greedy, density_order, greedy
from app.domain.allocation.mes import (
    equal_shares,
    equal_shares_add1,
    equal_shares_add1_greedy,
)
from app.domain.allocation.model import (
    Allocation,
    Ballot,
    Comparison,
    Election,
    EqualSharesRun,
    Number,
    Project,
    ProjectOutcome,
    Satisfaction,
    Stage,
    Verdict,
    approval_election,
    election_from_columns,
    election_from_votes,
    scored_election,
)
from app.domain.allocation.optimal import optimal

__all__ = [
    "Allocation",
    "Ballot",
    "Comparison",
    "Completion",
    "Election",
    "EqualSharesRun",
    "Number",
    "Project",
    "ProjectOutcome",
    "Satisfaction",
    "Stage",
    "Verdict",
    "approval_election",
    "compare_with_greedy",
    "complete_with_greedy",
    "density_order",
    "election_from_columns",
    "election_from_votes",
    "equal_shares",
    "equal_shares_add1",
    "equal_shares_add1_greedy",
    "equal_shares_completed",
    "greedy",
    "optimal",
    "scored_election",
]
