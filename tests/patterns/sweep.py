"""The full sweep of the detection targets (issue 11), too slow for CI:

* healthy worlds, seeds 1-10 at 50, 200 and 600 projects: share of worlds without a
  high/medium finding beyond the documented real differences (target >= 95%), loops
  fired per world (target <= 0.1), worlds with a claim or loop on a null contrast
  (target <= 5%);
* injected worlds at 10 and 50 projects (seeds 1-8): precision and recall as measured
  (the targets hold at 200 projects: ``tests/patterns/test_truth.py``).

``python -m tests.patterns.sweep [healthy|injected]`` (both by default; ~15 minutes).
"""

from __future__ import annotations

import sys

from tests.patterns.targets import measure, report

HEALTHY_SIZES = (50, 200, 600)
INJECTED_SIZES = (10, 50)
SEEDS = list(range(1, 11))


def main(argv: list[str]) -> None:
    kinds = argv or ["healthy", "injected"]
    if "healthy" in kinds:
        for projects in HEALTHY_SIZES:
            print(f"== healthy worlds, {projects} projects")
            print(report(measure(projects, SEEDS, inject=False)))
    if "injected" in kinds:
        for projects in INJECTED_SIZES:
            print(f"== injected worlds, {projects} projects")
            print(report(measure(projects, SEEDS[:8], inject=True)))


if __name__ == "__main__":
    main(sys.argv[1:])
