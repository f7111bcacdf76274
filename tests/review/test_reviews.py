"""Review answers, the append-only reviews file, latest-wins reading, and learning signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from autoforge_learn.findings import Finding, Pattern, Severity
from autoforge_learn.review import (
    CHECKLIST,
    ReviewError,
    learning_signals,
    load_review_data,
    read_reviews,
    record_review,
    review_stats,
    validate_answers,
)
from autoforge_learn.review.signals import rating_severity
from autoforge_learn.review.store import reviews_path
from tests.review.conftest import FULL_ANSWERS

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def test_checklist_follows_the_spec():
    assert [(q.section, q.choices) for q in CHECKLIST] == [
        ("correctness", ("yes", "no")),
        ("correctness", ("yes", "no", "partially")),
        ("correctness", ("complete", "stub", "incomplete")),
        ("clarity", ("yes", "no", "mostly")),
        ("clarity", ("yes", "no")),
        ("quality", ("yes", "no", "minor_fixes")),
        ("quality", ("yes", "no")),
        ("efficiency", ("yes", "no")),
        ("efficiency", ("yes", "no")),
    ]


def test_answers_accept_flat_dotted_and_nested_keys_and_name_bad_fields():
    flat = validate_answers(FULL_ANSWERS)
    dotted = validate_answers(
        {f"{q.section}.{q.name}": FULL_ANSWERS[q.name] for q in CHECKLIST}
        | {"rating": "3", "learning_signal": FULL_ANSWERS["learning_signal"]}
    )
    assert flat.checklist == dotted.checklist and dotted.overall_rating == 3
    assert validate_answers({**FULL_ANSWERS, "would_pass_code_review": "Minor fixes"}).checklist \
        .quality.would_pass_code_review == "minor_fixes"
    with pytest.raises(ReviewError) as exc:
        validate_answers({**FULL_ANSWERS, "completeness": "done", "overall_rating": 0})
    fields = [f for f, _ in exc.value.errors]
    assert fields == ["checklist.correctness.completeness", "overall_rating"]
    with pytest.raises(ReviewError, match="clarity.edge_cases"):
        validate_answers({**FULL_ANSWERS, "clarity.edge_cases": "yes"})
    with pytest.raises(ReviewError, match="overall_rating"):
        validate_answers({**FULL_ANSWERS, "overall_rating": True})


@pytest.fixture
def data(store):
    return load_review_data(store)


def test_reviews_are_appended_and_latest_reviewed_at_wins(store, data):
    context = next(iter(data.contexts.values()))
    first = record_review(store, context=context, answers=FULL_ANSWERS, reviewer="a", now=T0)
    before = reviews_path(store).read_bytes()
    # A later line with an earlier time does not win; the same time goes to the later line.
    record_review(store, context=context, answers={**FULL_ANSWERS, "overall_rating": 1},
                  reviewer="b", now=T0 - timedelta(hours=1))
    assert reviews_path(store).read_bytes().startswith(before)
    log = read_reviews(store)
    assert len(log.reviews) == 2
    assert log.latest()[context.output.event_id].review_id == first.review_id
    third = record_review(store, context=context, answers={**FULL_ANSWERS, "overall_rating": 5},
                          reviewer="c", now=T0)
    log = read_reviews(store)
    assert log.latest()[context.output.event_id].review_id == third.review_id
    assert len(log.superseded()) == 2
    (group,) = review_stats(store)
    assert group.reviews == 1 and group.mean_rating == 5


def test_bad_lines_in_the_reviews_file_are_reported_not_fatal(store, data):
    context = next(iter(data.contexts.values()))
    record_review(store, context=context, answers=FULL_ANSWERS, reviewer="a", now=T0)
    with reviews_path(store).open("ab") as handle:
        handle.write(b'{"review_id": "x"}\nnot json\n{"torn": ')
    log = read_reviews(store)
    assert len(log.reviews) == 1
    assert {p.lineno for p in log.problems} == {2, 3, 4}


def test_invalid_answers_write_nothing(store, data):
    context = next(iter(data.contexts.values()))
    with pytest.raises(ReviewError):
        record_review(store, context=context, answers={"edge_cases": "yes"}, reviewer="a")
    with pytest.raises(ReviewError, match="reviewer"):
        record_review(store, context=context, answers=FULL_ANSWERS, reviewer=" ")
    assert not reviews_path(store).exists()


def _review(store, context, rating, signal, *, minutes=0, **changes):
    answers = {**FULL_ANSWERS, "overall_rating": rating, "learning_signal": signal, **changes}
    return record_review(store, context=context, answers=answers, reviewer="r",
                         now=T0 + timedelta(minutes=minutes))


def test_learning_signals_become_findings(store, data):
    by_version: dict[str, list] = {}
    for context in data.contexts.values():
        by_version.setdefault(context.output.prompt_version, []).append(context)
    poor, good = [v[:4] for v in by_version.values() if len(v) >= 4][:2]
    signals = ["Ignores error handling constraint; tighten prompt",
               "ignores error handling constraint;  tighten prompt.", "Too verbose", ""]
    for i, (context, signal) in enumerate(zip(poor, signals, strict=True)):
        _review(store, context, 2 if i < 3 else 3, signal, minutes=i,
                wasted_tokens="yes" if i == 0 else "no")
    _review(store, good[0], 5, "", matches_requirements="yes")
    # A superseded review does not count.
    _review(store, poor[3], 1, "old", minutes=-60)

    found = learning_signals(store)
    assert [f.pattern for f in found] == [Pattern.MANUAL_REVIEW] * 2
    bad, fine = found  # the larger impact first
    version = poor[0].output.prompt_version
    assert bad.key == {"agent_role": poor[0].output.agent_role, "prompt_version": version}
    assert bad.id == f"manual_review:agent_role={bad.agent_role},prompt_version={version}"
    assert bad.metric == "mean_rating" and bad.value == 2.25 and bad.sample_size == 4
    assert bad.severity == Severity.HIGH and not bad.thin_evidence
    assert bad.interval is not None and bad.interval[0] <= 2.25 <= bad.interval[1]
    assert bad.evidence.reviews == 4 and bad.evidence.mean_rating == 2.25
    assert [t.model_dump() for t in bad.evidence.learning_signals] == [
        {"text": "Ignores error handling constraint; tighten prompt", "count": 2},
        {"text": "Too verbose", "count": 1},
    ]
    assert [t.model_dump() for t in bad.evidence.suggested_improvements] == [
        {"text": FULL_ANSWERS["suggested_improvements"], "count": 4}
    ]
    failures = bad.evidence.checklist_failures
    assert failures["efficiency.wasted_tokens"] == 1
    assert failures["correctness.edge_cases"] == 4 and "correctness.matches_requirements" \
        not in failures
    assert {e.event_id for e in bad.examples} == {c.output.event_id for c in poor}
    assert bad.examples[-1].text is None  # reviews without a signal come last
    assert fine.severity == Severity.INFO and fine.thin_evidence and fine.value == 5
    # Findings survive the JSON round trip the suggestion engine reads.
    assert Finding.from_dict(orjson.loads(orjson.dumps(bad.to_dict()))) == bad


def test_rating_severity_bands():
    assert [rating_severity(x) for x in (1, 2.49, 2.5, 3.49, 3.5, 3.99, 4, 5)] == [
        Severity.HIGH, Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM,
        Severity.LOW, Severity.LOW, Severity.INFO, Severity.INFO,
    ]


def test_no_reviews_no_findings(af_root):
    assert learning_signals(af_root) == [] and review_stats(af_root) == []
