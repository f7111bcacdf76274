"""``autoforge review``: interactive and scripted reviews, validation, append-only storage."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.review import pending_items, read_queue, read_reviews
from autoforge_learn.review.store import reviews_path
from tests.review.conftest import FULL_ANSWERS, answer_flags

runner = CliRunner()

# Answers typed at the prompts; "maybe" is not a choice and is asked again.
TYPED = "\n".join([
    "yes", "maybe", "partially", "complete",
    "mostly", "no",
    "minor_fixes", "yes",
    "no", "YES",
    "7", "2",
    "Contract lacks error responses",
    "Add 4xx/5xx responses",
    "Agent skips error definitions; tighten prompt",
]) + "\n"  # fmt: skip


def _queue(store):
    result = runner.invoke(app, ["review", "queue", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return read_queue(store).items


def test_queue_prints_counts_per_trigger(store):
    result = runner.invoke(app, ["review", "queue", "--seed", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert set(report["per_trigger"]) == {
        "escalation", "low_automatic_score", "new_prompt_version", "random_sample"
    }
    assert report["pending"] == report["queued"] > 0
    table = runner.invoke(app, ["review", "queue"])
    assert "random_sample" in table.output and "pending" in table.output


def test_interactive_review_shows_context_and_records_answers(store):
    items = _queue(store)
    first = items[0]
    assert "escalation" in first.triggers
    result = runner.invoke(app, ["review", "next", "--reviewer", "ana"], input=TYPED)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (first.project_id, first.stage, first.prompt_version, "Gates", "Escalation",
                 "Output (output_raw)", "Are edge cases considered?",
                 "Please select one of the available options", "Recorded review"):
        assert text in out, text
    (line,) = reviews_path(store).read_bytes().splitlines()
    review = orjson.loads(line)
    assert list(review)[:10] == [
        "review_id", "event_id", "project_id", "stage", "agent_role", "prompt_version",
        "reviewer", "reviewed_at", "triggers", "checklist",
    ]
    assert review["event_id"] == first.event_id and review["reviewer"] == "ana"
    assert review["triggers"] == first.triggers
    assert review["reviewed_at"].endswith("Z")
    assert review["checklist"] == {
        "correctness": {"matches_requirements": "yes", "edge_cases": "partially",
                        "completeness": "complete"},
        "clarity": {"understandable_by_next_agent": "mostly", "assumptions_documented": "no"},
        "quality": {"would_pass_code_review": "minor_fixes", "obvious_improvements": "yes"},
        "efficiency": {"wasted_tokens": "no", "prompt_could_be_tighter": "yes"},
    }
    assert review["overall_rating"] == 2
    assert review["learning_signal"] == "Agent skips error definitions; tighten prompt"
    assert first.event_id not in {i.event_id for i in pending_items(store)}
    (done,) = [i for i in read_queue(store).items if i.event_id == first.event_id]
    assert done.status == "done"
    # The next call shows the next output.
    again = runner.invoke(app, ["review", "next"], input=TYPED)
    assert items[1].event_id in again.output


def test_input_ending_early_writes_nothing(store):
    _queue(store)
    result = runner.invoke(app, ["review", "next"], input="yes\npartially\n")
    assert result.exit_code != 0
    assert "nothing was written" in result.output
    assert not reviews_path(store).exists()


def test_flags_review_a_chosen_event_by_prefix(store):
    items = _queue(store)
    target = items[5]
    args = ["review", "next", "--event", target.event_id[:20], "--reviewer", "bo"]
    result = runner.invoke(app, args + answer_flags())
    assert result.exit_code == 0, result.output
    assert "Gates" not in result.output  # scripted: no panels
    (review,) = read_reviews(store).reviews
    assert review.event_id == target.event_id and review.reviewer == "bo"
    assert review.checklist.correctness.edge_cases == "partially"
    assert review.overall_rating == 3 and review.triggers == target.triggers


def test_event_outside_the_queue_is_marked_requested(store):
    result = runner.invoke(app, ["review", "next", "--event", "nope"] + answer_flags())
    assert result.exit_code == 1 and "no output" in result.output
    from autoforge_learn.review import load_review_data

    outside = next(iter(load_review_data(store).contexts))
    result = runner.invoke(app, ["review", "next", "--event", outside] + answer_flags())
    assert result.exit_code == 0, result.output
    assert read_reviews(store).reviews[0].triggers == ["requested"]


def test_json_file_with_flag_override(store, tmp_path):
    _queue(store)
    nested = {
        "checklist": {
            "correctness": {"matches_requirements": True, "edge_cases": "no",
                            "completeness": "stub"},
            "clarity": {"understandable_by_next_agent": "yes", "assumptions_documented": "yes"},
        },
        "quality.would_pass_code_review": "No",
        "obvious_improvements": "yes",
        "efficiency": {"wasted_tokens": "yes", "prompt_could_be_tighter": "yes"},
        "overall_rating": 1,
        "learning_signal": "Stub output; require complete files",
    }
    path = tmp_path / "answers.json"
    path.write_bytes(orjson.dumps(nested))
    result = runner.invoke(
        app, ["review", "next", "--from-json", str(path), "-a", "rating=2"]
    )
    assert result.exit_code == 0, result.output
    (review,) = read_reviews(store).reviews
    assert review.checklist.correctness.completeness == "stub"
    assert review.checklist.correctness.matches_requirements == "yes"
    assert review.checklist.quality.would_pass_code_review == "no"
    assert review.overall_rating == 2


def test_invalid_answers_name_the_field_and_write_nothing(store):
    _queue(store)
    cases = {
        "edge_cases": ({**FULL_ANSWERS, "edge_cases": "maybe"}, "checklist.correctness.edge_cases"),
        "rating": ({**FULL_ANSWERS, "overall_rating": 6}, "overall_rating"),
        "unknown": ({**FULL_ANSWERS, "colour": "red"}, "colour"),
    }
    for name, (answers, field) in cases.items():
        result = runner.invoke(app, ["review", "next", *answer_flags(answers)])
        assert result.exit_code == 1, name
        assert field in result.output, (name, result.output)
        assert "nothing was written" in result.output
    missing = {k: v for k, v in FULL_ANSWERS.items() if k != "wasted_tokens"}
    result = runner.invoke(app, ["review", "next", *answer_flags(missing)])
    assert result.exit_code == 1 and "checklist.efficiency.wasted_tokens" in result.output
    result = runner.invoke(app, ["review", "next", "-a", "edge_cases"])
    assert result.exit_code == 1 and "KEY=VALUE" in result.output
    assert not reviews_path(store).exists()
    assert all(i.status == "pending" for i in read_queue(store).items)


def test_second_review_is_appended_and_wins_in_list(store):
    target = _queue(store)[0]
    base = ["review", "next", "--event", target.event_id]
    assert runner.invoke(app, base + answer_flags()).exit_code == 0
    first_bytes = reviews_path(store).read_bytes()
    changed = {**FULL_ANSWERS, "overall_rating": 5, "learning_signal": "fine now"}
    assert runner.invoke(app, base + answer_flags(changed)).exit_code == 0
    content = reviews_path(store).read_bytes()
    assert content.startswith(first_bytes) and len(content.splitlines()) == 2
    listed = orjson.loads(runner.invoke(app, ["review", "list", "--format", "json"]).stdout)
    assert [r["overall_rating"] for r in listed] == [5]
    everything = orjson.loads(
        runner.invoke(app, ["review", "list", "--all", "--format", "json"]).stdout
    )
    assert [(r["overall_rating"], r["superseded"]) for r in everything] == [(3, True), (5, False)]
    assert runner.invoke(app, ["review", "list"]).exit_code == 0
    csv = runner.invoke(app, ["review", "list", "--format", "csv"]).stdout.splitlines()
    assert len(csv) == 2 and csv[1].endswith(",5,minor_fixes,fine now")


def test_stats_and_signals_commands(store, tmp_path):
    items = _queue(store)
    for item, rating in zip(items[:3], (2, 3, 4), strict=True):
        answers = {**FULL_ANSWERS, "overall_rating": rating}
        args = ["review", "next", "--event", item.event_id, *answer_flags(answers)]
        assert runner.invoke(app, args).exit_code == 0
    stats = orjson.loads(runner.invoke(app, ["review", "stats", "--format", "json"]).stdout)
    assert sum(g["reviews"] for g in stats) == 3
    assert all(g["top_learning_signals"][0]["text"] == FULL_ANSWERS["learning_signal"]
               for g in stats)
    assert runner.invoke(app, ["review", "stats"]).exit_code == 0
    out = tmp_path / "findings.json"
    result = runner.invoke(app, ["review", "signals", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from autoforge_learn.suggest.store import load_findings

    assert sum(f.sample_size for f in load_findings(out)) == 3


def test_next_without_a_queue_says_what_to_do(af_root):
    af_root.mkdir()
    result = runner.invoke(app, ["review", "next"])
    assert result.exit_code == 0 and "autoforge review queue" in result.output
