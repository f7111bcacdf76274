"""The "nearby option" rule for human decisions, in one place.

The labels (``reasonable`` alignment) and the override detector (share of near misses)
both ask whether a human picked an option next to the agent's recommendation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def nearby_option(options: Any, recommendation: Any, decision: Any) -> bool | None:
    """Whether ``decision`` is listed right before or right after ``recommendation`` in
    ``options`` (the order the agent laid them out in); texts are compared with
    surrounding white space ignored.

    Returns:
        None when it cannot be told: no options, or either text not among them.
    """
    if not isinstance(options, Sequence) or isinstance(options, str) or not options:
        return None
    listed = [str(o).strip() for o in options]
    try:
        a = listed.index(str(recommendation).strip())
        b = listed.index(str(decision).strip())
    except ValueError:
        return None
    return abs(a - b) == 1
