"""Where reviews and the review queue live, and how reviews are appended and read.

Reviews are only ever appended to ``labeled/manual_reviews.jsonl`` (through
:class:`~autoforge_learn.store.jsonl.JsonlAppender`); an earlier review is never
rewritten. When an output is reviewed again, the review with the latest ``reviewed_at``
wins when reading (on a tie, the one further down the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from pydantic import ValidationError

from autoforge_learn.review.model import ManualReview
from autoforge_learn.store.jsonl import JsonlAppender, iter_lines
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.store.locks import exclusive
from autoforge_learn.store.validate import TORN_LINE, LineProblem

REVIEWS_FILE = "manual_reviews.jsonl"
QUEUE_FILE = "review_queue.jsonl"
_LOCK_FILE = ".review_queue.lock"


def reviews_path(root: Path | str) -> Path:
    """``labeled/manual_reviews.jsonl`` of a store."""
    return StoreLayout(Path(root)).labeled / REVIEWS_FILE


def queue_path(root: Path | str) -> Path:
    """``labeled/review_queue.jsonl`` of a store."""
    return StoreLayout(Path(root)).labeled / QUEUE_FILE


@contextmanager
def queue_lock(root: Path | str) -> Iterator[None]:
    """Hold the queue's lock while rewriting the queue."""
    with exclusive(StoreLayout(Path(root)).labeled / _LOCK_FILE):
        yield


def write_jsonl_atomic(path: Path, records: list[dict[str, object]]) -> None:
    """Replace a JSONL file at once: readers see the old file or the new one, never a half."""
    from autoforge_learn.store.atomic import replace_bytes

    replace_bytes(path, b"".join(orjson.dumps(record) + b"\n" for record in records))


def append_review(root: Path | str, review: ManualReview) -> Path:
    """Append one review to ``labeled/manual_reviews.jsonl``; returns the file."""
    path = reviews_path(root)
    appender = JsonlAppender()
    try:
        appender.append_objects(path, [review.to_record()])
    finally:
        appender.close()
    return path


@dataclass
class ReviewLog:
    """The reviews read from ``manual_reviews.jsonl``.

    Attributes:
        reviews: Every valid review, in file order.
        problems: Lines that are not valid reviews (skipped).
    """

    reviews: list[ManualReview] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    def latest(self) -> dict[str, ManualReview]:
        """The review that counts for each output: latest ``reviewed_at``, then file order."""
        best: dict[str, ManualReview] = {}
        for review in self.reviews:
            current = best.get(review.event_id)
            if current is None or review.reviewed_at >= current.reviewed_at:
                best[review.event_id] = review
        return best

    def superseded(self) -> set[str]:
        """Ids of reviews that a later review of the same output replaced."""
        kept = {r.review_id for r in self.latest().values()}
        return {r.review_id for r in self.reviews if r.review_id not in kept}


def read_reviews(root: Path | str) -> ReviewLog:
    """Read every review of a store; bad lines are reported, not raised."""
    log = ReviewLog()
    path = reviews_path(root)
    if not path.exists():
        return log
    for line in iter_lines(path):
        if not line.complete:
            log.problems.append(LineProblem(path, line.lineno, "(line)", TORN_LINE))
            continue
        try:
            log.reviews.append(ManualReview.model_validate(orjson.loads(line.data)))
        except orjson.JSONDecodeError as exc:
            log.problems.append(LineProblem(path, line.lineno, "(line)", f"not JSON: {exc}"))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = ".".join(str(p) for p in err["loc"]) or "(review)"
                log.problems.append(LineProblem(path, line.lineno, name, err["msg"]))
    return log
