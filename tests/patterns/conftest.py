"""Fixtures of the pattern tests: the engine fixture of the analytics tests (DuckDB and
PostgreSQL) and the simulation settings of the truth tests."""

from __future__ import annotations

from tests.analytics.conftest import engine  # noqa: F401  (re-exported fixture)

#: Seeds and size of the stores the truth tests simulate (200 projects, as the spec's
#: "after 50 projects" and more; see test_truth.py).
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
PROJECTS = 200
#: Auto-fix strategies need more attempts than 200 projects give (3-20 per strategy).
AUTOFIX_SEEDS = (1, 2, 3)
AUTOFIX_PROJECTS = 600
