"""Fixtures of the pattern tests: the engine fixture of the analytics tests (DuckDB and
PostgreSQL) and the simulation settings of the truth tests."""

from __future__ import annotations

#: Seeds and size of the stores the truth tests simulate (200 projects, as the spec's
#: "after 50 projects" and more; see test_truth.py).
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
PROJECTS = 200
#: The truth tests pool their counts over these 8 more seeds as well (a type with one
#: problem per world needs more than 8 worlds for its recall to mean much).
AUTOFIX_SEEDS = tuple(range(9, 17))
AUTOFIX_PROJECTS = 200
#: A store without injected problems is checked at this size (more data, more power to
#: mistake noise for a problem).
HEALTHY_PROJECTS = 600
