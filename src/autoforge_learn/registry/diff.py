"""Readable diffs between two prompt versions: side by side in the terminal, and HTML."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from autoforge_learn.registry.prompts import PromptVersion


@dataclass(frozen=True)
class SectionDiff:
    """How one named section differs between two versions.

    Attributes:
        name: The section.
        status: ``added``, ``removed``, ``changed`` or ``same``.
        old: The text in the old version ("" if added).
        new: The text in the new version ("" if removed).
    """

    name: str
    status: str
    old: str
    new: str

    def unified(self, *, old_label: str, new_label: str) -> str:
        lines = difflib.unified_diff(
            self.old.splitlines(),
            self.new.splitlines(),
            fromfile=f"{old_label}#{self.name}",
            tofile=f"{new_label}#{self.name}",
            lineterm="",
        )
        return "\n".join(lines)


def diff_versions(old: PromptVersion, new: PromptVersion) -> list[SectionDiff]:
    """Section-by-section differences, in the new version's order, removed sections last."""
    out = []
    for name, text in new.sections.items():
        if name not in old.sections:
            out.append(SectionDiff(name, "added", "", text))
        else:
            before = old.sections[name]
            status = "same" if before.strip() == text.strip() else "changed"
            out.append(SectionDiff(name, status, before, text))
    for name, text in old.sections.items():
        if name not in new.sections:
            out.append(SectionDiff(name, "removed", text, ""))
    return out


def unified_diff(old: PromptVersion, new: PromptVersion) -> str:
    """A unified diff of every section that differs (for pipes and reviews)."""
    parts = [
        d.unified(old_label=old.id, new_label=new.id)
        for d in diff_versions(old, new)
        if d.status != "same"
    ]
    return "\n".join(p for p in parts if p) + "\n"


def html_diff(old: PromptVersion, new: PromptVersion) -> str:
    """A standalone HTML page with a side-by-side table per changed section."""
    import html

    maker = difflib.HtmlDiff(wrapcolumn=80)
    blocks = []
    for d in diff_versions(old, new):
        if d.status == "same":
            continue
        table = maker.make_table(
            d.old.splitlines(),
            d.new.splitlines(),
            fromdesc=f"{html.escape(old.id)}",
            todesc=f"{html.escape(new.id)}",
        )
        blocks.append(f"<h2>{html.escape(d.name)} <small>({d.status})</small></h2>\n{table}")
    if not blocks:
        blocks.append("<p>The two versions have the same text.</p>")
    title = f"{html.escape(old.id)} → {html.escape(new.id)}"
    changes = "".join(f"<li>{html.escape(c)}</li>" for c in new.changes)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}"
        "table.diff{font-family:ui-monospace,monospace;font-size:13px;border-collapse:collapse}"
        ".diff_header{background:#eee;color:#666}.diff_next{display:none}"
        ".diff_add{background:#d4f8d4}.diff_chg{background:#fff3b0}.diff_sub{background:#ffd6d6}"
        "td{padding:0 6px;vertical-align:top}"
        f"</style></head><body><h1>{title}</h1><ul>{changes}</ul>\n"
        + "\n".join(blocks)
        + "\n</body></html>\n"
    )
