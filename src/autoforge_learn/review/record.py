"""Reviewing one output: pick it, validate the answers, append the review.

The command line asks the questions; everything else happens here, so a script can
review outputs without the command line::

    from autoforge_learn.review import next_output, record_review

    item = next_output(root)
    review = record_review(root, context=item.context, reviewer="ana",
                           answers={"matches_requirements": "yes", ..., "overall_rating": 4})
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autoforge_learn.review.data import OutputContext, ReviewData, load_review_data
from autoforge_learn.review.model import ManualReview, ReviewError, validate_answers
from autoforge_learn.review.queue import REQUESTED, QueueItem, mark_done, pending_items, read_queue
from autoforge_learn.review.store import append_review

ENV_REVIEWER = "AUTOFORGE_REVIEWER"


def default_reviewer() -> str:
    """``$AUTOFORGE_REVIEWER``, else the login name, else ``unknown``."""
    name = os.environ.get(ENV_REVIEWER, "").strip()
    if name:
        return name
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):
        return "unknown"


@dataclass
class ReviewTarget:
    """An output to review with its context and queue entry.

    Attributes:
        context: The output and what is known about it.
        item: Its review queue entry, None if the queue did not select it.
        pending: Pending queue items, this one included if it is pending.
        triggers: Why it is reviewed: its queue triggers, else ``requested``.
    """

    context: OutputContext
    item: QueueItem | None = None
    pending: int = 0
    triggers: list[str] = field(default_factory=list)


def next_output(
    root: Path | str,
    *,
    event_id: str | None = None,
    data: ReviewData | None = None,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> ReviewTarget | None:
    """The next pending output of the review queue for a reviewer, or a chosen output.

    The next pending output is claimed for ``reviewer`` (see
    :mod:`autoforge_learn.review.claims`): outputs another reviewer claimed within the
    last 30 minutes are passed over, so reviewers working at once see different outputs.

    Args:
        root: The ``.autoforge`` directory.
        event_id: Review this output (its event id or a unique prefix) instead of the
            next pending one; it need not be in the queue.
        data: Already loaded review data of ``root``.
        reviewer: Who reviews (default: :func:`default_reviewer`).
        now: The time of the claim (default: now, UTC).

    Returns:
        The output to review, or None when nothing is pending, or every pending output
        is claimed by another reviewer.

    Raises:
        KeyError: If ``event_id`` names no output, or a queued output is missing from
            the raw data.
    """
    from autoforge_learn.review.claims import claim_next

    pending = pending_items(root)
    if event_id is None and not pending:
        return None
    item: QueueItem | None
    if event_id is None:
        item = claim_next(root, pending, reviewer=reviewer or default_reviewer(), now=now)
        if item is None:
            return None
        data = data if data is not None else load_review_data(root)
        context = data.find(item.event_id)
    else:
        data = data if data is not None else load_review_data(root)
        context = data.find(event_id)
        item = next(
            (i for i in read_queue(root).items if i.event_id == context.output.event_id), None
        )
    triggers = list(item.triggers) if item is not None else [REQUESTED]
    return ReviewTarget(context=context, item=item, pending=len(pending), triggers=triggers)


def record_review(
    root: Path | str,
    *,
    context: OutputContext,
    answers: Mapping[str, Any],
    reviewer: str | None = None,
    triggers: list[str] | None = None,
    now: datetime | None = None,
) -> ManualReview:
    """Validate a reviewer's answers about one output and append the review.

    Nothing is written when the answers are invalid. The output's queue item, if any,
    is marked done.

    Args:
        root: The ``.autoforge`` directory.
        context: The reviewed output (from :func:`next_output`).
        answers: Checklist answers and reviewer feedback (nested, dotted or flat keys;
            see :func:`~autoforge_learn.review.model.normalize_answers`).
        reviewer: Who reviewed (default: :func:`default_reviewer`).
        triggers: Why the output was reviewed (default: its queue triggers, else
            ``requested``).
        now: The review time (default: now, UTC).

    Returns:
        The stored review.

    Raises:
        ReviewError: If an answer is missing or invalid; each error names its field.
    """
    valid = validate_answers(answers)
    who = (reviewer if reviewer is not None else default_reviewer()).strip()
    if not who:
        raise ReviewError([("reviewer", "must not be empty")])
    output = context.output
    if triggers is None:
        queued = next((i for i in read_queue(root).items if i.event_id == output.event_id), None)
        triggers = list(queued.triggers) if queued is not None else [REQUESTED]
    review = ManualReview(
        review_id=uuid.uuid4().hex,
        event_id=output.event_id,
        project_id=output.project_id,
        stage=output.stage_id,
        agent_role=output.agent_role,
        prompt_version=output.prompt_version,
        reviewer=who,
        reviewed_at=now or datetime.now(UTC),
        triggers=triggers,
        **valid.model_dump(),
    )
    append_review(root, review)
    mark_done(root, output.event_id, review.reviewed_at)
    return review
