"""The general allocation rules: greedy, optimal and equal shares, on frozen inputs."""

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
