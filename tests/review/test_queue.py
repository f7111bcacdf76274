"""The review queue: each trigger against an independent computation, determinism, stability."""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from autoforge_learn.review import (
    build_queue,
    load_review_data,
    read_queue,
    record_review,
    sample_draw,
    select_outputs,
)
from autoforge_learn.review.store import queue_path
from autoforge_learn.sim import simulate
from tests.review.conftest import FULL_ANSWERS, raw_events, ts

NOW = datetime(2025, 11, 2, tzinfo=UTC)


def _by_trigger(items) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for trigger in item.triggers:
            out[trigger].add(item.event_id)
    return out


def _expected(root: Path, *, seed: int, rate: float) -> dict[str, set[str]]:
    """Each trigger's selection, computed from the raw JSON without the review package."""
    events = raw_events(root)
    stages = [e for e in events if e["kind"] == "stage_execution"]

    def end(s):
        return (ts(s.get("timestamp_end") or s["timestamp"]), s["event_id"])

    escalated = set()
    for esc in (e for e in events if e["kind"] == "escalation"):
        candidates = sorted(
            (
                s for s in stages
                if s["project_id"] == esc["project_id"] and s["stage_id"] == esc["stage"]
                and s["agent_role"] == esc["agent_role"]
            ),
            key=end,
        )
        after = [s for s in candidates if end(s)[0] >= ts(esc["timestamp"])]
        escalated.add((after[0] if after else candidates[-1])["event_id"])

    # The score recorded by the simulator when each project completed (spec 3.1).
    recorded = {e["project_id"]: e["quality_score"] for e in events
                if e["kind"] == "project_completed"}
    low = {s["event_id"] for s in stages if recorded.get(s["project_id"], 100) < 70}

    uses = defaultdict(list)
    for s in stages:
        uses[s["prompt_version"]].append(
            (ts(s.get("timestamp_start") or s["timestamp"]), s["event_id"])
        )
    first = {eid for version in uses.values() for _, eid in sorted(version)[:10]}

    def draw(event_id: str) -> float:
        digest = hashlib.blake2b(f"{seed}:{event_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    sample = {s["event_id"] for s in stages if draw(s["event_id"]) < rate}
    return {
        "escalation": escalated,
        "low_automatic_score": low,
        "new_prompt_version": first,
        "random_sample": sample,
    }


def test_each_trigger_selects_what_an_independent_computation_selects(store):
    build = build_queue(store, seed=11, rate=0.05, now=NOW)
    expected = _expected(store, seed=11, rate=0.05)
    got = _by_trigger(build.items)
    for trigger, ids in expected.items():
        assert ids, f"the simulated store should exercise {trigger}"
        assert got[trigger] == ids, trigger
    assert build.per_trigger == {t: len(ids) for t, ids in expected.items()}
    assert {i.event_id for i in build.items} == set().union(*expected.values())
    assert all(i.status == "pending" for i in build.items)
    # Escalated outputs come first; details say why each trigger fired.
    assert "escalation" in build.items[0].triggers
    item = next(i for i in build.items if "low_automatic_score" in i.triggers)
    assert item.details["quality_score"] < 70


def test_queue_file_is_jsonl_with_triggers(store):
    build_queue(store, seed=3, now=NOW)
    lines = queue_path(store).read_bytes().splitlines()
    records = [orjson.loads(line) for line in lines]
    assert records and all(r["triggers"] and r["status"] == "pending" for r in records)
    assert {"event_id", "project_id", "stage", "agent_role", "prompt_version", "details",
            "seed", "rate", "queued_at"} <= set(records[0])


def test_same_seed_same_queue_other_seed_other_sample(store):
    first = build_queue(store, seed=5, now=NOW)
    content = queue_path(store).read_bytes()
    again = build_queue(store, seed=5, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert queue_path(store).read_bytes() == content  # queued_at kept, nothing else moves
    assert again.added == 0 and again.dropped == 0
    other = select_outputs(load_review_data(store), seed=6)
    sample5 = _by_trigger(first.items)["random_sample"]
    sample6 = {k for k, v in other.items() if "random_sample" in v["triggers"]}
    assert sample5 != sample6
    # Without --seed, a rebuild keeps the queue's seed.
    assert build_queue(store, now=NOW).seed == 5


def test_appended_data_only_adds(tmp_path, af_root):
    full = tmp_path / "full" / ".autoforge"
    simulate(full, projects=80, seed=8)
    raw = full / "ai" / "training_data" / "raw"
    early = {f"sim-{n:05d}" for n in range(1, 41)}

    def copy(projects: set[str]) -> None:
        for path in raw.glob("*/project_*"):
            project = path.name.removeprefix("project_").rsplit("_", 1)[0]
            if project in projects:
                target = af_root / path.relative_to(full)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)

    copy(early)
    before = build_queue(af_root, seed=2, now=NOW)
    copy({f"sim-{n:05d}" for n in range(41, 81)})
    after = build_queue(af_root, seed=2, now=NOW)
    old, new = _by_trigger(before.items), _by_trigger(after.items)
    for trigger in ("random_sample", "escalation", "low_automatic_score"):
        assert old[trigger] <= new[trigger], trigger
        added = {i.project_id for i in after.items
                 if trigger in i.triggers and i.event_id in new[trigger] - old[trigger]}
        assert added <= {f"sim-{n:05d}" for n in range(41, 81)}
    assert len(new["random_sample"]) > len(old["random_sample"])
    assert after.added > 0


def test_reviewed_items_stay_done_when_no_longer_selected(store):
    build = build_queue(store, seed=1, rate=0.05, now=NOW)
    only_random = next(i for i in build.items if i.triggers == ["random_sample"])
    data = load_review_data(store)
    record_review(store, context=data.find(only_random.event_id), answers=FULL_ANSWERS,
                  reviewer="ana", now=NOW)
    (done,) = [i for i in read_queue(store).items if i.event_id == only_random.event_id]
    assert done.status == "done" and done.reviewed_at == NOW
    seed = next(s for s in range(2, 50) if sample_draw(s, only_random.event_id) >= 0.05)
    rebuilt = build_queue(store, seed=seed, now=NOW)
    (kept,) = [i for i in rebuilt.items if i.event_id == only_random.event_id]
    assert kept.status == "done" and kept.triggers == ["random_sample"]
    assert rebuilt.dropped > 0  # pending random picks of the old seed are gone
    assert rebuilt.done == 1


@pytest.fixture(scope="module")
def big_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("big") / ".autoforge"
    simulate(root, projects=450, seed=4)
    return load_review_data(root)


def test_random_sample_rate_is_five_percent(big_data):
    n = len(big_data.contexts)
    assert n > 2500
    shares = []
    for seed in range(5):
        selected = select_outputs(big_data, seed=seed, rate=0.05)
        drawn = sum("random_sample" in hit["triggers"] for hit in selected.values())
        share = drawn / n
        assert 0.05 - 0.015 < share < 0.05 + 0.015  # about 3.5 standard deviations
        shares.append(share)
    assert abs(sum(shares) / len(shares) - 0.05) < 0.008
    # A larger rate keeps every output of a smaller one (nested, stable draws).
    small = {k for k, v in select_outputs(big_data, seed=1, rate=0.05).items()
             if "random_sample" in v["triggers"]}
    large = {k for k, v in select_outputs(big_data, seed=1, rate=0.1).items()
             if "random_sample" in v["triggers"]}
    assert small < large


def test_rate_is_checked(store):
    with pytest.raises(ValueError, match="rate"):
        build_queue(store, rate=1.5)


def test_thresholds_can_be_changed(store):
    data = load_review_data(store)
    chosen = select_outputs(data, seed=0, rate=0.0, low_score=50, first_uses=3)
    per_version: dict[str, int] = defaultdict(int)
    for event_id, hit in chosen.items():
        context = data.contexts[event_id]
        if "new_prompt_version" in hit["triggers"]:
            per_version[context.output.prompt_version] += 1
            assert hit["details"]["prompt_use"] <= 3
        if "low_automatic_score" in hit["triggers"]:
            assert context.quality_score is not None and context.quality_score < 50
        assert "random_sample" not in hit["triggers"]
    assert per_version and max(per_version.values()) == 3
