"""A made-up city-wide Pabulib instance the size of Budapest 2024 (175 projects, 28,943 voters).

No shared Pabulib file is that large; issue 19 asks that equal shares with "add one" finish on one
in under 10 s. The instance is random but fixed by its seed (the same file on every machine) and
shaped like a city's vote: approval ballots of 1 to 8 projects, a few projects very popular and
most not (popularity falls with rank as in Zipf's law), voters mostly choosing projects of their
own district (23 districts, a project belongs to one or to the whole city), costs from 5 to 150
million forint in steps of 100,000, and a budget of one billion.

    .venv/bin/python benchmarks/city.py var/city.pb                 # write the file
    .venv/bin/python benchmarks/city.py var/city.pb --voters 5000   # a smaller town
"""

from __future__ import annotations

import argparse
import random
from bisect import bisect_left
from itertools import accumulate
from pathlib import Path

PROJECTS = 175
VOTERS = 28_943
DISTRICTS = 23
BUDGET = 1_000_000_000


def city(projects: int = PROJECTS, voters: int = VOTERS, seed: int = 2024) -> str:
    """The instance as the text of a .pb file."""
    chance = random.Random(seed)
    ids = [str(1000 + i) for i in range(projects)]
    costs = [round(chance.lognormvariate(17.2, 0.7) / 100_000) * 100_000 for _ in ids]
    costs = [min(max(c, 5_000_000), 150_000_000) for c in costs]
    # A fifth of the projects are city-wide (district 0); the others belong to a district.
    district = [0 if chance.random() < 0.2 else chance.randint(1, DISTRICTS) for _ in ids]
    popularity = [1 / (rank + 1) ** 0.9 for rank in range(projects)]
    chance.shuffle(popularity)
    lines = [
        "META",
        "key;value",
        "description;Made-up city, the size of Budapest 2024 (benchmarks/city.py)",
        "country;Nowhere",
        "unit;City",
        "instance;synthetic",
        f"num_projects;{projects}",
        f"num_votes;{voters}",
        f"budget;{BUDGET}",
        "vote_type;approval",
        "rule;equalshares/add1",
        "currency;HUF",
        "PROJECTS",
        "project_id;cost;name",
    ]
    lines += [f"{i};{c};Project {i}" for i, c in zip(ids, costs, strict=True)]
    lines += ["VOTES", "voter_id;vote"]
    # Per district, the cumulative weights of the projects a voter there picks from: their own
    # district's and the city-wide ones count five times as much as the others'.
    tables = []
    for home in range(1, DISTRICTS + 1):
        weights = [
            p * (5 if d in (0, home) else 1) for p, d in zip(popularity, district, strict=True)
        ]
        tables.append(list(accumulate(weights)))
    for voter in range(voters):
        table = tables[chance.randrange(DISTRICTS)]
        size = min(projects, chance.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8)))
        chosen: set[int] = set()
        while len(chosen) < size:
            chosen.add(bisect_left(table, chance.random() * table[-1]))
        lines.append(f"{voter + 1};{','.join(ids[p] for p in sorted(chosen))}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parse = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parse.add_argument("file", type=Path)
    parse.add_argument("--projects", type=int, default=PROJECTS)
    parse.add_argument("--voters", type=int, default=VOTERS)
    parse.add_argument("--seed", type=int, default=2024)
    options = parse.parse_args()
    options.file.parent.mkdir(parents=True, exist_ok=True)
    options.file.write_text(city(options.projects, options.voters, options.seed), encoding="utf-8")


if __name__ == "__main__":
    main()
