"""The manual review queue: which outputs a person should look at, and why.

Triggers (an output is one ``stage_execution`` event):

* ``escalation``: every output an escalation is about (see
  :class:`~autoforge_learn.review.data.ReviewData` for the linking rule);
* ``low_automatic_score``: every output of a completed project whose automatic quality
  score (:func:`~autoforge_learn.schema.quality.quality_inputs`) is below 70;
* ``new_prompt_version``: the first 10 uses of each prompt version, ordered by
  ``timestamp_start`` (else ``timestamp``), then event id;
* ``random_sample``: a stable 5% draw: an output is chosen when
  :func:`sample_draw` of the seed and its event id is below the rate, so rebuilding
  with the same seed chooses the same outputs and new data only adds to them.

The queue is rewritten at once (never half-written) in ``labeled/review_queue.jsonl``.
Outputs already reviewed stay in it, marked ``done``, even when no trigger selects
them any more; pending outputs no trigger selects are dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autoforge_learn.review.data import ReviewData, load_review_data
from autoforge_learn.review.model import ManualReview
from autoforge_learn.review.store import (
    queue_lock,
    queue_path,
    read_reviews,
    write_jsonl_atomic,
)
from autoforge_learn.review.triggers import (
    DEFAULT_RATE,
    FIRST_USES,
    LOW_SCORE,
    TRIGGERS,
    select_outputs,
)
from autoforge_learn.review.triggers import sample_draw as sample_draw
from autoforge_learn.schema.events import StageExecution, UtcDatetime
from autoforge_learn.store.jsonl import iter_lines

#: Trigger recorded for a review of an output the queue did not select.
REQUESTED = "requested"
DEFAULT_SEED = 0


class QueueItem(BaseModel):
    """One output in the review queue.

    Attributes:
        details: Why each trigger fired: ``escalations`` (event ids),
            ``quality_score``, ``prompt_use`` (1 for the version's first use), ``draw``.
        status: ``pending`` until the output has a review, then ``done``.
        queued_at: When the output first entered the queue (kept across rebuilds).
    """

    model_config = ConfigDict(extra="allow")

    event_id: str
    project_id: str
    stage: str
    agent_role: str
    prompt_version: str | None = None
    output_at: UtcDatetime
    triggers: list[str]
    details: dict[str, Any] = Field(default_factory=dict)
    status: Literal["pending", "done"] = "pending"
    queued_at: UtcDatetime
    reviewed_at: UtcDatetime | None = None
    seed: int
    rate: float

    def sort_key(self) -> tuple[int, datetime, str]:
        """Escalations first, then low scores, new versions, the random sample; then time."""
        ranks = [TRIGGERS.index(t) for t in self.triggers if t in TRIGGERS]
        return (min(ranks, default=len(TRIGGERS)), self.output_at, self.event_id)


@dataclass
class QueueFile:
    """The review queue as read from disk.

    Attributes:
        items: The queue's items in queue order.
        bad_lines: Lines that are not valid items (skipped).
    """

    items: list[QueueItem] = field(default_factory=list)
    bad_lines: int = 0

    @property
    def seed(self) -> int | None:
        """The seed the queue was built with, if it has items."""
        return self.items[0].seed if self.items else None


def read_queue(root: Path | str) -> QueueFile:
    """Read ``labeled/review_queue.jsonl`` (an empty queue if it does not exist)."""
    queue = QueueFile()
    path = queue_path(root)
    if not path.exists():
        return queue
    for line in iter_lines(path):
        try:
            queue.items.append(QueueItem.model_validate(orjson.loads(line.data)))
        except (orjson.JSONDecodeError, ValidationError):
            queue.bad_lines += 1
    return queue


@dataclass
class QueueBuild:
    """What :func:`build_queue` did.

    Attributes:
        path: The queue file.
        items: The new queue.
        seed: Seed of the random sample.
        rate: Rate of the random sample.
        outputs: Outputs in the store.
        per_trigger: Outputs each trigger selected in the current data.
        added: Items that were not in the previous queue.
        dropped: Pending items of the previous queue that no trigger selects any more.
        unlinked_escalations: Escalations no output could be found for.
        bad_lines: Unreadable raw lines (skipped).
    """

    path: Path
    items: list[QueueItem]
    seed: int
    rate: float
    outputs: int
    per_trigger: dict[str, int]
    added: int = 0
    dropped: int = 0
    unlinked_escalations: int = 0
    bad_lines: int = 0

    @property
    def pending(self) -> int:
        return sum(1 for i in self.items if i.status == "pending")

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.status == "done")

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "seed": self.seed,
            "rate": self.rate,
            "outputs": self.outputs,
            "queued": len(self.items),
            "pending": self.pending,
            "done": self.done,
            "added": self.added,
            "dropped": self.dropped,
            "per_trigger": self.per_trigger,
            "unlinked_escalations": self.unlinked_escalations,
            "bad_lines": self.bad_lines,
        }


def _selected_item(
    event_id: str,
    output: StageExecution,
    hit: dict[str, Any],
    before: QueueItem | None,
    review: ManualReview | None,
    *,
    seed: int,
    rate: float,
    moment: datetime,
) -> QueueItem:
    """The queue item of a selected output (``hit``: what :func:`select_outputs` found).

    ``before`` is its item in the previous queue: its queue time and ``done`` carry over.
    A review marks it done with the review's time.
    """
    done = review is not None or (before is not None and before.status == "done")
    reviewed_at = review.reviewed_at if review else before.reviewed_at if before else None
    return QueueItem(
        event_id=event_id,
        project_id=output.project_id,
        stage=output.stage_id,
        agent_role=output.agent_role,
        prompt_version=output.prompt_version,
        output_at=output.timestamp,
        triggers=hit["triggers"],
        details=hit["details"],
        status="done" if done else "pending",
        queued_at=before.queued_at if before else moment,
        reviewed_at=reviewed_at if done else None,
        seed=seed,
        rate=rate,
    )


def _unselected_items(
    old: dict[str, QueueItem], selected: dict[str, Any], reviewed: dict[str, ManualReview]
) -> tuple[list[QueueItem], int]:
    """Items of the previous queue no trigger selects any more: the reviewed ones stay
    (marked done), the pending ones are dropped. Returns the kept items and the number
    dropped."""
    kept: list[QueueItem] = []
    dropped = 0
    for event_id, item in old.items():
        if event_id in selected:
            continue
        if item.status == "done" or event_id in reviewed:
            kept.append(item.model_copy(update={"status": "done"}))
        else:
            dropped += 1
    return kept, dropped


def _rebuilt_items(
    data: ReviewData,
    selected: dict[str, dict[str, Any]],
    old: dict[str, QueueItem],
    reviewed: dict[str, ManualReview],
    *,
    seed: int,
    rate: float,
    moment: datetime,
) -> tuple[list[QueueItem], int]:
    """The new queue in queue order, and how many pending items of the old one were dropped.

    Args:
        data: The linked outputs.
        selected: What :func:`select_outputs` selected.
        old: The previous queue's items by event id.
        reviewed: The review that counts for each reviewed output.
        seed: Seed of the random sample.
        rate: Rate of the random sample.
        moment: The ``queued_at`` of new items.
    """
    items = [
        _selected_item(
            event_id,
            data.contexts[event_id].output,
            hit,
            old.get(event_id),
            reviewed.get(event_id),
            seed=seed,
            rate=rate,
            moment=moment,
        )
        for event_id, hit in selected.items()
    ]
    kept, dropped = _unselected_items(old, selected, reviewed)
    items += kept
    items.sort(key=QueueItem.sort_key)
    return items, dropped


def build_queue(
    root: Path | str,
    *,
    seed: int | None = None,
    rate: float = DEFAULT_RATE,
    low_score: float = LOW_SCORE,
    first_uses: int = FIRST_USES,
    now: datetime | None = None,
    data: ReviewData | None = None,
) -> QueueBuild:
    """Build (or rebuild) the review queue of a store from its raw events.

    Args:
        root: The ``.autoforge`` directory.
        seed: Seed of the random sample; None keeps the previous queue's seed (else 0).
        rate: Share of all outputs drawn at random (default 5%).
        low_score: Outputs of completed projects scoring below this are queued (default 70).
        first_uses: The first this many uses of each prompt version are queued (default 10).
        now: The time recorded as ``queued_at`` of new items (default: now, UTC).
        data: Already loaded review data of ``root`` (read from ``root`` if None).

    Returns:
        The new queue and its counts.

    Raises:
        ValueError: If ``rate`` is not between 0 and 1, or ``first_uses`` is negative.
    """
    moment = now or datetime.now(UTC)
    with queue_lock(root):
        previous = read_queue(root)
        chosen_seed = seed if seed is not None else previous.seed
        chosen_seed = DEFAULT_SEED if chosen_seed is None else chosen_seed
        data = data if data is not None else load_review_data(root)
        selected = select_outputs(
            data, seed=chosen_seed, rate=rate, low_score=low_score, first_uses=first_uses
        )
        old = {item.event_id: item for item in previous.items}
        items, dropped = _rebuilt_items(
            data, selected, old, read_reviews(root).latest(), seed=chosen_seed, rate=rate,
            moment=moment,
        )
        path = queue_path(root)
        write_jsonl_atomic(path, [i.model_dump(mode="json") for i in items])
    counts = Counter(t for hit in selected.values() for t in hit["triggers"])
    return QueueBuild(
        path=path,
        items=items,
        seed=chosen_seed,
        rate=rate,
        outputs=len(data.contexts),
        per_trigger={t: counts.get(t, 0) for t in TRIGGERS},
        added=sum(1 for i in items if i.event_id not in old),
        dropped=dropped,
        unlinked_escalations=len(data.unlinked.get("escalation", [])),
        bad_lines=data.bad_lines,
    )


def pending_items(root: Path | str) -> list[QueueItem]:
    """Queue items not reviewed yet, in queue order (reviews file checked too)."""
    reviewed = read_reviews(root).latest()
    return [
        item
        for item in read_queue(root).items
        if item.status == "pending" and item.event_id not in reviewed
    ]


def mark_done(root: Path | str, event_id: str, reviewed_at: datetime) -> bool:
    """Mark a queue item done (the queue is rewritten at once). False if not queued."""
    with queue_lock(root):
        queue = read_queue(root)
        found = False
        for index, item in enumerate(queue.items):
            if item.event_id == event_id:
                queue.items[index] = item.model_copy(
                    update={"status": "done", "reviewed_at": reviewed_at}
                )
                found = True
        if found:
            write_jsonl_atomic(queue_path(root), [i.model_dump(mode="json") for i in queue.items])
    return found
