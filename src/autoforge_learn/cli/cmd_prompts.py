"""``autoforge prompts``: the prompt registry (list, show, diff, new, deprecate, prune)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from autoforge_learn.cli.common import (
    PANEL_LEARN,
    console,
    err_console,
    fail,
    print_record,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption
from autoforge_learn.store.yamlfile import read_text
from autoforge_learn.words import plural

if TYPE_CHECKING:
    from autoforge_learn.registry import PromptRegistry, PromptVersion

prompts_app = typer.Typer(
    help="Versioned agent prompts in .autoforge/ai/prompts/<role>.yaml.\n\n"
    "Example:  autoforge prompts list --role architect",
    no_args_is_help=True,
)


def _registry(root: Path | None) -> PromptRegistry:
    from autoforge_learn.registry import PromptRegistry

    return PromptRegistry(resolve_root(root))


def _get(root: Path | None, version_id: str) -> PromptVersion:
    return _registry(root).get(version_id)


@prompts_app.command("list")
def list_versions(
    role: str | None = typer.Option(None, "--role", help="Only this role."),
    archived: bool = typer.Option(True, "--archived/--no-archived", help="Include deprecated."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List prompt versions with their status, dates, sections and changes.

    Example:  autoforge prompts list --role architect --format json
    """
    registry = _registry(root)
    versions = registry.versions(role, include_archived=archived)
    defaults = {}
    for name in {v.role for v in versions}:
        found = registry.default(name)
        defaults[name] = found.id if found else None
    rows = [
        {
            "version": v.id,
            "status": v.status,
            "default": "yes" if v.id == defaults.get(v.role) else "",
            "created": v.created,
            "parent": v.parent,
            "source": v.source,
            "sections": len(v.sections) if fmt != OutputFormat.json else list(v.sections),
            "changes": "; ".join(v.changes) if fmt != OutputFormat.json else v.changes,
        }
        for v in versions
    ]
    if not rows and fmt == OutputFormat.table:
        console.print("No prompt versions yet (they live in .autoforge/ai/prompts/<role>.yaml).")
        return
    if fmt == OutputFormat.table:
        # Readable at 80 columns: parent, source and sections are in --format json.
        rows = [
            {
                "version": r["version"],
                "status": f"{r['status']}, default" if r["default"] else r["status"],
                "created": r["created"],
                "changes": r["changes"],
            }
            for r in rows
        ]
        print_rows(rows, fmt=fmt, title="Prompt versions (details: --format json)")
        return
    print_rows(rows, fmt=fmt, title="Prompt versions")


@prompts_app.command()
def show(
    version: str = typer.Argument(..., help="A version id, e.g. architect.v2.3."),
    section: str | None = typer.Option(None, "--section", help="Print only this section."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Print a prompt version's text, section by section.

    Example:  autoforge prompts show architect.v1.1 --section API_contract_generation
    """
    found = _get(root, version)
    if section is not None and section not in found.sections:
        fail(f"{version} has no section {section!r}; it has: {', '.join(found.sections)}")
    if fmt != OutputFormat.table:
        print_record({"id": found.id, **found.to_yaml_dict()}, fmt=fmt, message="")
        return
    if section is not None:
        typer.echo(found.sections[section].rstrip("\n"))
        return
    console.print(f"[bold]{found.id}[/]  status={found.status}  created={found.created}")
    for change in found.changes:
        console.print(f"  - {change}", highlight=False, markup=False)
    for name, body in found.sections.items():
        console.rule(name)
        console.print(body.rstrip("\n"), highlight=False, markup=False)


@prompts_app.command()
def diff(
    old: str = typer.Argument(..., help="The older version."),
    new: str = typer.Argument(..., help="The newer version."),
    html: Path | None = typer.Option(None, "--html", help="Also write a side-by-side HTML page."),
    unified: bool = typer.Option(False, "--unified", help="Print a unified diff (for pipes)."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show what changed between two prompt versions, side by side per section.

    Example:  autoforge prompts diff architect.v1.0 architect.v1.1 --html diff.html
    """
    from rich.table import Table
    from rich.text import Text

    from autoforge_learn.registry.diff import diff_versions, html_diff, unified_diff

    before, after = _get(root, old), _get(root, new)
    if html is not None:
        html.write_text(html_diff(before, after))
        err_console.print(f"wrote {html}", markup=False, highlight=False)
    if unified:
        typer.echo(unified_diff(before, after), nl=False)
        return
    if fmt != OutputFormat.table:
        rows = [{"section": d.name, "status": d.status, "old": d.old, "new": d.new}
                for d in diff_versions(before, after)]
        print_rows(rows, fmt=fmt, columns=["section", "status", "old", "new"])
        return
    for d in diff_versions(before, after):
        if d.status == "same":
            console.print(Text(f"{d.name}: unchanged", style="dim"))
            continue
        table = Table(title=f"{d.name} ({d.status})", expand=True, show_lines=False)
        table.add_column(before.id, ratio=1)
        table.add_column(after.id, ratio=1)
        old_lines, new_lines = d.old.splitlines(), d.new.splitlines()
        import difflib

        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            left, right = old_lines[i1:i2], new_lines[j1:j2]
            for k in range(max(len(left), len(right))):
                a = left[k] if k < len(left) else ""
                b = right[k] if k < len(right) else ""
                style_a = "" if tag == "equal" else "red"
                style_b = "" if tag == "equal" else "green"
                table.add_row(Text(a, style=style_a), Text(b, style=style_b))
        console.print(table)


@prompts_app.command()
def new(
    role: str = typer.Argument(..., help="The agent role, e.g. architect."),
    change: list[str] = typer.Option(..., "--change", "-m", help="Changelog line (repeatable)."),
    section: list[str] = typer.Option(
        [], "--section", help="NAME=FILE: set a section's text from a file (repeatable)."
    ),
    remove_section: list[str] = typer.Option([], "--remove-section", help="Drop a section."),
    base: str | None = typer.Option(None, "--from", help="Version to start from (default newest)."),
    major: bool = typer.Option(False, "--major", help="Bump the major number."),
    draft: bool = typer.Option(False, "--draft", help="Create as a draft (not the default yet)."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create the next prompt version of a role and log it in CHANGELOG.md.

    Sections not named are inherited from the base version.

    Example:  autoforge prompts new architect --section rules=rules.txt -m "Add error taxonomy"
    """
    sections: dict[str, str | None] = {}
    for item in section:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            fail(f"--section {item!r}: expected NAME=FILE")
        try:
            sections[name] = read_text(Path(path))
        except OSError as exc:
            fail(f"--section {name}: cannot read {path}: {exc.strerror or exc}")
        except UnicodeDecodeError as exc:
            fail(f"--section {name}: {path} is not UTF-8 text: {exc.reason} at byte {exc.start}")
    for name in remove_section:
        sections[name] = None
    created = _registry(root).new_version(
        role,
        sections=sections,
        changes=change,
        base=base,
        major=major,
        status="draft" if draft else "active",
    )
    print_record({"id": created.id, **created.to_yaml_dict()}, fmt=fmt,
                 message=f"Created {created.id} from {created.parent or 'nothing'}")


@prompts_app.command()
def deprecate(
    version: str = typer.Argument(..., help="The version to retire."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Retire a prompt version: move it to ai/prompts/deprecated/ (kept for the retention period).

    Example:  autoforge prompts deprecate architect.v1.0
    """
    _not_in_a_running_experiment(root, version)
    retired = _registry(root).deprecate(version)
    print_record({"id": retired.id, **retired.to_yaml_dict()}, fmt=fmt,
                 message=f"Deprecated {retired.id}; archived in ai/prompts/deprecated/")


def _not_in_a_running_experiment(root: Path | None, version: str) -> None:
    from autoforge_learn.experiments.store import list_experiments

    for e in list_experiments(resolve_root(root)):
        if e.status == "running" and version in (e.control, e.treatment):
            fail(f"{version} is in {e.kind} {e.id}, still running: conclude or stop it first")


@prompts_app.command("default")
def default_cmd(
    version: str = typer.Argument(..., help="The version new projects should use."),
    reason: str = typer.Option(..., "--reason", help="Why (written to the changelog)."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Make a version its role's default (what new projects run outside experiments).

    An experiment's conclusion and a completed rollout set the default themselves; this
    is for doing it by hand.

    Example:  autoforge prompts default architect.v1.1 --reason "v1.2 broke the API gate"
    """
    from autoforge_learn.registry import parse_version_id

    _not_in_a_running_experiment(root, version)
    registry = _registry(root)
    chosen = registry.set_default(version, reason=reason)
    role = parse_version_id(version)[0]
    print_record({"role": role, "default": chosen.id, "reason": reason}, fmt=fmt,
                 message=f"{chosen.id} is now the default of {role}.")


@prompts_app.command()
def prune(
    retention_days: int = typer.Option(90, "--retention-days", min=0, help="Keep this long."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Delete archived versions whose last use is older than the retention period.

    Example:  autoforge prompts prune --retention-days 90
    """
    removed = _registry(root).prune(retention=timedelta(days=retention_days))
    print_record(
        {"removed": list(removed), "retention_days": retention_days}, fmt=fmt,
        message=f"Removed {plural(len(removed), 'archived version')}"
        + (f": {', '.join(removed)}" if removed else ""),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(prompts_app, name="prompts", rich_help_panel=PANEL_LEARN)
