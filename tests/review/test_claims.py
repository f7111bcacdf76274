"""Claims: reviewers working at once get different outputs."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.review import next_output, pending_items, record_review
from autoforge_learn.review.claims import active_claims, claim_next, claims_path
from tests.review.conftest import FULL_ANSWERS, answer_flags

runner = CliRunner()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _queue(store: Path) -> None:
    result = runner.invoke(app, ["review", "queue", "--seed", "3"])
    assert result.exit_code == 0, result.output


def test_two_reviewers_get_different_outputs_and_resume_their_own(store: Path) -> None:
    _queue(store)
    ana = next_output(store, reviewer="ana", now=T0)
    bo = next_output(store, reviewer="bo", now=T0)
    assert ana and bo and ana.item and bo.item
    assert ana.item.event_id != bo.item.event_id
    # ana stopped half-way: she gets her output again, not a new one
    again = next_output(store, reviewer="ana", now=T0 + timedelta(minutes=5))
    assert again and again.item and again.item.event_id == ana.item.event_id
    # once reviewed, her next output is a new one; bo keeps his
    record_review(store, context=ana.context, answers=FULL_ANSWERS, reviewer="ana", now=T0)
    after = next_output(store, reviewer="ana", now=T0 + timedelta(minutes=6))
    assert after and after.item
    assert after.item.event_id not in (ana.item.event_id, bo.item.event_id)


def test_an_expired_claim_frees_the_output(store: Path) -> None:
    _queue(store)
    first = next_output(store, reviewer="ana", now=T0)
    assert first and first.item
    later = next_output(store, reviewer="bo", now=T0 + timedelta(minutes=31))
    assert later and later.item and later.item.event_id == first.item.event_id
    held = active_claims(store, now=T0 + timedelta(minutes=31))
    assert held[first.item.event_id].reviewer == "bo"


def test_all_pending_claimed_by_others_says_who(store: Path) -> None:
    _queue(store)
    items = pending_items(store)
    now = datetime.now(UTC)
    for k, item in enumerate(items):
        assert claim_next(store, [item], reviewer=f"r{k % 2}", now=now) == item
    assert next_output(store, reviewer="cy") is None
    result = runner.invoke(app, ["review", "next", "--reviewer", "cy", *answer_flags()])
    assert result.exit_code == 0, result.output
    assert "being reviewed by r0, r1" in result.output


def _claim(args: tuple[str, str]) -> str | None:
    root, reviewer = args
    item = claim_next(root, pending_items(root), reviewer=reviewer)
    return None if item is None else item.event_id


def test_reviewers_starting_at_once_never_share_an_output(store: Path) -> None:
    _queue(store)
    reviewers = [(str(store), f"reviewer{k}") for k in range(8)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        got = pool.map(_claim, reviewers)
    assert None not in got and len(set(got)) == len(got)
    assert len(active_claims(store)) == len(got)


def test_a_damaged_claims_file_is_not_fatal(store: Path) -> None:
    _queue(store)
    path = claims_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"event_id": "x"\nnot json\n')
    target = next_output(store, reviewer="ana")
    assert target and target.item
    assert list(active_claims(store)) == [target.item.event_id]
