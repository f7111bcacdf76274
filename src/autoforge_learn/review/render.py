"""Rich panels that show a reviewer one output and its context.

Every text that comes from the data is shown as plain text (never parsed as Rich
markup), so an output containing ``[brackets]`` is shown as it is.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from autoforge_learn.review.record import ReviewTarget
from autoforge_learn.schema.events import format_timestamp


def _kv_table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, value in rows:
        table.add_row(key, Text(value))
    return table


def _header(target: ReviewTarget) -> Panel:
    c = target.context
    o = c.output
    details = dict(target.item.details) if target.item is not None else {}
    why = []
    for trigger in target.triggers:
        if trigger == "low_automatic_score":
            why.append(f"{trigger} ({details.get('quality_score')})")
        elif trigger == "new_prompt_version":
            why.append(f"{trigger} (use {details.get('prompt_use')} of the version)")
        else:
            why.append(trigger)
    rows = [
        ("Project", o.project_id),
        ("Recipe", c.project.recipe if c.project else "-"),
        ("Stage", o.stage_id),
        ("Agent role", o.agent_role + (f"  ({o.agent_model})" if o.agent_model else "")),
        ("Prompt version", o.prompt_version or "-"),
        ("Attempt", str(o.attempt) + ("" if o.succeeded is None else
                                     "  accepted" if o.succeeded else "  not accepted")),
        ("Produced", format_timestamp(o.timestamp)),
        ("Quality score", "-" if c.quality_score is None else f"{c.quality_score:g} (automatic)"),
        ("Why reviewed", ", ".join(why) or "-"),
    ]
    context = o.system_context
    if context is not None and context.acceptance_criteria:
        rows.append(("Acceptance", "; ".join(context.acceptance_criteria)))
    if context is not None and context.constraints:
        rows.append(("Constraints", "; ".join(context.constraints)))
    title = f"Output {o.event_id}"
    if target.item is not None and target.item.status == "pending":
        title += f"  ({target.pending} pending)"
    return Panel(_kv_table(rows), title=title, title_align="left", border_style="cyan")


def _gates(target: ReviewTarget) -> Panel:
    gates = target.context.gates
    if not gates:
        return Panel(Text("No gate checks recorded for this run."), title="Gates")
    table = Table(expand=True)
    for name in ("gate", "try", "result", "reason", "auto-fix", "escalated"):
        table.add_column(name, no_wrap=name in ("gate", "try", "result"))
    for g in gates:
        style = {"pass": "green", "fail": "red"}.get(str(g.validation_result), "yellow")
        fix = "-"
        if g.auto_fix_applied:
            fix = f"{g.auto_fix_strategy or '?'}: {'ok' if g.auto_fix_success else 'failed'}"
        table.add_row(
            Text(g.gate_id),
            str(g.retry_attempt),
            Text(str(g.validation_result), style=style),
            Text(g.validation_reason or "-"),
            Text(fix),
            "yes" if g.escalated else "",
        )
    return Panel(table, title=f"Gates ({len(gates)} checks)", title_align="left")


def _feedback(target: ReviewTarget) -> Panel | None:
    items = target.context.feedback
    if not items:
        return None
    lines = Text()
    for f in items:
        who = f.reporting_agent + (f" ({f.reporting_stage})" if f.reporting_stage else "")
        verdict = "rejected" if f.rejected else "remark"
        lines.append(f"{who}, {f.severity}, {verdict}: ", style="bold")
        lines.append(f.feedback + "\n")
    lines.rstrip()
    return Panel(lines, title="Downstream feedback about this output", title_align="left",
                 border_style="yellow")


def _escalations(target: ReviewTarget) -> Panel | None:
    items = target.context.escalations
    if not items:
        return None
    lines = Text()
    for e in items:
        state = "resolved" if e.resolved else "unresolved" if e.resolved is False else "?"
        lines.append(f"{format_timestamp(e.timestamp)} ({state}): ", style="bold")
        lines.append(e.reason + "\n")
        if e.resolution:
            lines.append(f"  resolution: {e.resolution}\n")
        if e.time_spent_escalated is not None:
            lines.append(f"  human time: {e.time_spent_escalated / 3600:.1f} h")
            if e.human_effort_required is not None:
                lines.append(f", effort {e.human_effort_required}/5")
            lines.append("\n")
    lines.rstrip()
    return Panel(lines, title="Escalation", title_align="left", border_style="red")


def render_target(target: ReviewTarget) -> RenderableType:
    """Panels for one output: header, output text, gates, feedback, escalation."""
    output = target.context.output.output_raw
    parts: list[RenderableType] = [
        _header(target),
        Panel(Text(output if output else "(no output text recorded)"),
              title="Output (output_raw)", title_align="left", border_style="green"),
        _gates(target),
    ]
    parts.extend(p for p in (_feedback(target), _escalations(target)) if p is not None)
    return Group(*parts)
