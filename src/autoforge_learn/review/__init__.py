"""Manual quality review of agent outputs.

* :func:`build_queue`: the review sample (escalations, low automatic scores, first uses
  of each prompt version, a stable random 5%) in ``labeled/review_queue.jsonl``;
* :func:`next_output` and :func:`record_review`: review one output and append the
  review to ``labeled/manual_reviews.jsonl``;
* :func:`read_reviews`, :func:`review_stats`: read and summarise the reviews;
* :func:`learning_signals`: the reviews as findings for the suggestion engine.
"""

from autoforge_learn.review.data import OutputContext, ReviewData, load_review_data
from autoforge_learn.review.model import (
    CHECKLIST,
    Checklist,
    ManualReview,
    Question,
    ReviewAnswers,
    ReviewError,
    merge_answers,
    normalize_answers,
    parse_pairs,
    validate_answers,
)
from autoforge_learn.review.queue import (
    TRIGGERS,
    QueueBuild,
    QueueItem,
    build_queue,
    pending_items,
    read_queue,
    sample_draw,
    select_outputs,
)
from autoforge_learn.review.record import ReviewTarget, next_output, record_review
from autoforge_learn.review.signals import learning_signals
from autoforge_learn.review.stats import GroupStats, review_stats
from autoforge_learn.review.store import ReviewLog, queue_path, read_reviews, reviews_path

__all__ = [
    "CHECKLIST",
    "TRIGGERS",
    "Checklist",
    "GroupStats",
    "ManualReview",
    "OutputContext",
    "Question",
    "QueueBuild",
    "QueueItem",
    "ReviewAnswers",
    "ReviewData",
    "ReviewError",
    "ReviewLog",
    "ReviewTarget",
    "build_queue",
    "learning_signals",
    "load_review_data",
    "merge_answers",
    "next_output",
    "normalize_answers",
    "parse_pairs",
    "pending_items",
    "queue_path",
    "read_queue",
    "read_reviews",
    "record_review",
    "review_stats",
    "reviews_path",
    "sample_draw",
    "select_outputs",
    "validate_answers",
]
