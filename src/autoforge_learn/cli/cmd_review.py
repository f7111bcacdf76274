"""``autoforge review``: manual quality review of agent outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from autoforge_learn.cli.common import (
    PANEL_LEARN,
    console,
    err_console,
    exit_interrupted,
    fail,
    print_json,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption

review_app = typer.Typer(
    help="Manual quality review of agent outputs: build the review sample, "
    "review outputs one by one, summarise the reviews.\n\n"
    "Example:  autoforge review queue --seed 7 && autoforge review next",
    no_args_is_help=True,
)


@review_app.command("queue")
def queue_command(
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of the random sample (default: the queue's seed, else 0)."
    ),
    rate: float = typer.Option(
        0.05, "--rate", min=0.0, max=1.0, help="Share of all outputs drawn at random."
    ),
    low_score: float = typer.Option(
        70.0, "--low-score", help="Queue outputs of completed projects scoring below this."
    ),
    first_uses: int = typer.Option(
        10, "--first-uses", min=0, help="Queue the first N uses of each prompt version."
    ),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Build the review sample in labeled/review_queue.jsonl and print counts per trigger.

    Triggers: every output an escalation is about, every output of a project whose
    automatic quality score is below 70, the first 10 uses of each prompt version, and
    a stable random share of all outputs (same seed, same outputs). Rebuilding keeps
    reviewed outputs marked done.

    Example:  autoforge review queue --seed 7 --rate 0.05
    """
    from autoforge_learn.review import build_queue

    build = build_queue(
        resolve_root(root), seed=seed, rate=rate, low_score=low_score, first_uses=first_uses
    )
    if fmt == OutputFormat.json:
        print_json(build.to_dict())
        return
    rows = [{"trigger": t, "outputs": n} for t, n in build.per_trigger.items()]
    if fmt != OutputFormat.table:
        print_rows(rows, fmt=fmt)
        return
    print_rows(rows, fmt=OutputFormat.table, title="Review queue: outputs per trigger")
    console.print(
        f"{len(build.items)} of {build.outputs} outputs queued (seed {build.seed}, rate "
        f"{build.rate:g}): [bold]{build.pending} pending[/], {build.done} done, "
        f"{build.added} new, {build.dropped} dropped.",
        highlight=False,
        soft_wrap=True,
    )
    if build.unlinked_escalations:
        err_console.print(f"{build.unlinked_escalations} escalations match no output")
    if build.bad_lines:
        err_console.print(f"{build.bad_lines} invalid raw lines skipped (autoforge validate)")
    console.print(f"Wrote {build.path}", highlight=False, markup=False)


def _ask() -> dict[str, Any]:
    """Ask the checklist and the reviewer feedback (Rich prompts that re-ask until valid)."""
    from rich.prompt import Prompt

    from autoforge_learn.review import CHECKLIST

    def ask(text: str, choices: list[str] | None = None) -> str:
        try:
            if choices:
                return Prompt.ask(
                    f"  {text}", console=console, choices=choices, case_sensitive=False
                )
            return Prompt.ask(f"  {text}", console=console, default="", show_default=False)
        except EOFError:
            fail("input ended before the review was complete (nothing was written)")
        except KeyboardInterrupt:
            exit_interrupted("review abandoned (nothing was written)")

    answers: dict[str, Any] = {}
    section = ""
    for question in CHECKLIST:
        if question.section != section:
            section = question.section
            console.print(f"\n[bold]{section.capitalize()}[/]")
        answers[question.path] = ask(question.text, list(question.choices))
    console.print("\n[bold]Reviewer feedback[/]")
    answers["overall_rating"] = int(ask("Overall rating", ["1", "2", "3", "4", "5"]))
    answers["comments"] = ask("Comments")
    answers["suggested_improvements"] = ask("Suggested improvements")
    answers["learning_signal"] = ask("Learning signal (what should the prompt change?)")
    return answers


def _given_answers(pairs: list[str], from_json: Path | None) -> dict[str, Any] | None:
    import orjson

    from autoforge_learn.review import merge_answers, parse_pairs

    if not pairs and from_json is None:
        return None
    sources: list[dict[str, Any]] = []
    if from_json is not None:
        try:
            data = orjson.loads(from_json.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            fail(f"{from_json}: cannot read answers: {exc}")
        if not isinstance(data, dict):
            fail(f"{from_json}: expected a JSON object of answers")
        sources.append(data)
    sources.append(dict(parse_pairs(pairs)))
    return merge_answers(*sources)


@review_app.command("next")
def next_command(
    event: str | None = typer.Option(
        None, "--event", help="Review this output (event id or unique prefix) instead."
    ),
    reviewer: str | None = typer.Option(
        None, "--reviewer", help="Your name (default: $AUTOFORGE_REVIEWER, else login name)."
    ),
    answers: list[str] = typer.Option(
        None, "--answer", "--answers", "-a", metavar="KEY=VALUE",
        help="Answer without prompting, repeatable: e.g. edge_cases=partially, "
        "overall_rating=4, learning_signal='...'. All checklist items and the rating "
        "are then required.",
    ),
    from_json: Path | None = typer.Option(
        None, "--from-json", exists=True, dir_okay=False,
        help="Answers as a JSON object (nested, dotted or flat keys); --answer overrides.",
    ),
    root: RootOption = None,
) -> None:
    """Review the next pending output: show it with its context and ask the checklist.

    The output is claimed for you for 30 minutes: reviewers working at once get
    different outputs, and you get yours again if you stop half-way.

    Shows project, recipe, stage, role, prompt version, the output text, its gate
    checks, downstream feedback and escalation, then asks the review checklist,
    an overall rating, comments, suggested improvements and a learning signal. The
    review is appended to labeled/manual_reviews.jsonl.

    Example:  autoforge review next --reviewer ana -a matches_requirements=yes ...
    """
    from autoforge_learn.review import next_output, record_review
    from autoforge_learn.review.render import render_target

    base = resolve_root(root)
    given = _given_answers(list(answers or []), from_json)
    target = next_output(base, event_id=event, reviewer=reviewer)
    if target is None:
        from autoforge_learn.review.claims import CLAIM_MINUTES, active_claims
        from autoforge_learn.review.queue import pending_items

        held = active_claims(base)
        others = sorted({held[i.event_id].reviewer for i in pending_items(base)
                         if i.event_id in held})
        if others:
            console.print(
                f"Nothing to review for you: every pending output is being reviewed by "
                f"{', '.join(others)} (a claim lasts {CLAIM_MINUTES} minutes).",
                soft_wrap=True,
                highlight=False,
            )
            return
        console.print(
            "Nothing to review: no pending output in the queue "
            "(build it with: autoforge review queue).",
            soft_wrap=True,
        )
        return
    if given is None:
        console.print(render_target(target))
        given = _ask()
    review = record_review(
        base, context=target.context, answers=given, reviewer=reviewer, triggers=target.triggers
    )
    left = target.pending - (1 if target.item is not None and target.item.status == "pending"
                             else 0)
    console.print(
        f"Recorded review {review.review_id} of {review.event_id} ({review.agent_role}, "
        f"{review.prompt_version or 'no prompt version'}): rating {review.overall_rating}/5. "
        f"{max(0, left)} pending.",
        highlight=False,
        soft_wrap=True,
    )


@review_app.command("list")
def list_command(
    include_all: bool = typer.Option(
        False, "--all", help="Include reviews superseded by a later review of the same output."
    ),
    role: str | None = typer.Option(None, "--role", help="Only this agent role."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List manual reviews (the latest review of each output, unless --all).

    Example:  autoforge review list --role architect --format json
    """
    from autoforge_learn.review import read_reviews

    log = read_reviews(resolve_root(root))
    for problem in log.problems[:20]:
        err_console.print(str(problem), markup=False, highlight=False)
    latest = {r.review_id for r in log.latest().values()}
    chosen = [
        r for r in log.reviews
        if (include_all or r.review_id in latest) and (role is None or r.agent_role == role)
    ]
    if fmt == OutputFormat.json:
        print_json([{**r.to_record(), "superseded": r.review_id not in latest} for r in chosen])
        return
    wide = fmt != OutputFormat.table
    rows = [
        {
            "date": r.reviewed_at.isoformat() if wide else f"{r.reviewed_at:%Y-%m-%d}",
            "event": r.event_id if wide else r.event_id[:12],
            "project": r.project_id,
            "version": r.prompt_version or f"{r.agent_role} (none)",
            "reviewer": r.reviewer,
            "rating": r.overall_rating,
            "code review": r.checklist.quality.would_pass_code_review,
            "learning signal": r.learning_signal,
            **({"superseded": "yes" if r.review_id not in latest else ""} if include_all else {}),
        }
        for r in chosen
    ]
    if fmt == OutputFormat.table and not rows:
        console.print("No reviews yet (autoforge review next).")
        return
    print_rows(rows, fmt=fmt, title="Manual reviews")


@review_app.command("stats")
def stats_command(
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Summarise reviews per agent role and prompt version.

    Count, mean overall rating, share that would pass code review (and after minor
    fixes), and the most frequent learning signals. Only the latest review of each
    output counts.

    Example:  autoforge review stats --format json
    """
    from autoforge_learn.review import review_stats

    groups = review_stats(resolve_root(root))
    if fmt != OutputFormat.table:
        print_rows([g.to_dict() for g in groups], fmt=fmt)
        return
    if not groups:
        console.print("No reviews yet (autoforge review next).")
        return
    rows = [
        {
            "version": g.prompt_version or f"{g.agent_role} (none)",
            "reviews": g.reviews,
            "rating": g.mean_rating,
            "pass %": round(100 * g.pass_code_review, 1),
            "minor %": round(100 * g.minor_fixes, 1),
            "top learning signals": "; ".join(f"{t} ({n})" for t, n in g.top_learning_signals),
        }
        for g in groups
    ]
    print_rows(rows, fmt=OutputFormat.table, title="Manual reviews per role and prompt version")


@review_app.command("signals")
def signals_command(
    out: Path | None = typer.Option(
        None, "--out", help="Also write the findings as JSON (for autoforge suggest --findings)."
    ),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show the reviews as manual_review findings, the suggestion engine's evidence.

    Example:  autoforge review signals --out review_findings.json
    """
    import orjson

    from autoforge_learn.review import learning_signals

    found = learning_signals(resolve_root(root))
    data = [f.to_dict() for f in found]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    if fmt != OutputFormat.table:
        print_rows(data, fmt=fmt)
    elif not found:
        console.print("No reviews yet (autoforge review next).")
    else:
        rows = [
            {
                "id": f.id,
                "severity": str(f.severity),
                "mean_rating": f.value,
                "reviews": f.sample_size,
                "thin": "yes" if f.thin_evidence else "",
                "title": f.title,
            }
            for f in found
        ]
        print_rows(rows, fmt=OutputFormat.table, title="Learning signals from manual reviews")
    if out is not None:
        err_console.print(f"wrote {out}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review", rich_help_panel=PANEL_LEARN)
