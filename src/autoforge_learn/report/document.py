"""A tiny document model, rendered twice: to Markdown and to HTML.

The report's sections are built once as :class:`Document` blocks (headings, paragraphs,
lists, tables, collapsible details, chart slots) whose text is made of inline spans
(plain text, :class:`Strong`, :class:`Emph`, :class:`Code`). :func:`to_markdown` and
:func:`to_html` walk the same blocks, so the two files always hold the same sections in
the same order with the same words; only the charts differ (PNG files beside the
Markdown, inline plotly in the HTML). Markup is produced only here: the text of the
blocks never holds Markdown or HTML syntax.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Strong:
    """Bold text."""

    text: str


@dataclass(frozen=True)
class Emph:
    """Italic text."""

    text: str


@dataclass(frozen=True)
class Code:
    """A command, file name or identifier to be typed as is."""

    text: str


Inline = str | Strong | Emph | Code
Spans = tuple[Inline, ...]


def spans(*parts: Inline | Sequence[Inline] | None) -> Spans:
    """Inline spans from parts (nested sequences are flattened, ``None`` and ``""`` left out)."""
    out: list[Inline] = []
    for part in parts:
        if part is None or part == "":
            continue
        if isinstance(part, str | Strong | Emph | Code):
            out.append(part)
        else:
            out.extend(spans(*part))
    return tuple(out)


def quoted_code(text: str) -> Spans:
    """Free text (a rationale, a trigger) whose `back-quoted` parts become :class:`Code`
    spans, so no back quote reaches a reader as markup."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired back quote: plain text
        return (text,)
    return spans(*(Code(p) if i % 2 else p for i, p in enumerate(parts)))


def plain(parts: Spans) -> str:
    """The text of inline spans without any markup."""
    return "".join(p if isinstance(p, str) else p.text for p in parts)


@dataclass(frozen=True)
class Heading:
    """A section (level 2) or sub-section (level 3) heading; level 1 is the title."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: Spans


@dataclass(frozen=True)
class Item:
    """A list item, with optional sub-items (one line each)."""

    text: Spans
    sub: tuple[Spans, ...] = ()


@dataclass(frozen=True)
class ItemList:
    items: tuple[Item, ...]
    ordered: bool = False
    css: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Spans, ...], ...]


@dataclass(frozen=True)
class Details:
    """Content collapsed behind a summary line (``<details>`` in HTML; in Markdown the
    summary line followed by the content, kept short)."""

    summary: Spans
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Chart:
    """Where a chart goes: the renderers fill it from their own chart set by ``name``."""

    name: str
    caption: str


Block = Heading | Paragraph | ItemList | Table | Details | Chart


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)


# -- Markdown ----------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*`<|"})


def _md_text(text: str) -> str:
    return text.translate(_MD_SPECIAL)


def _md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_inline(parts: Spans) -> str:
    out = []
    for p in parts:
        if isinstance(p, Strong):
            out.append(f"**{_md_text(p.text)}**")
        elif isinstance(p, Emph):
            out.append(f"_{_md_text(p.text)}_")
        elif isinstance(p, Code):
            out.append(_md_code(p.text))
        else:
            out.append(_md_text(p))
    return "".join(out)


def _md_block(block: Block, images: Mapping[str, str]) -> str | None:
    if isinstance(block, Heading):
        return "#" * block.level + " " + _md_text(block.text)
    if isinstance(block, Paragraph):
        return _md_inline(block.text)
    if isinstance(block, ItemList):
        lines = []
        for i, item in enumerate(block.items, start=1):
            marker = f"{i}." if block.ordered else "-"
            lines.append(f"{marker} {_md_inline(item.text)}")
            indent = " " * (len(marker) + 1)
            lines.extend(f"{indent}- {_md_inline(sub)}" for sub in item.sub)
        return "\n".join(lines)
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(_md_text(h) for h in block.header) + " |",
            "|" + "---|" * len(block.header),
        ]
        lines.extend("| " + " | ".join(_md_inline(c) for c in row) + " |" for row in block.rows)
        return "\n".join(lines)
    if isinstance(block, Details):
        inner = [_md_block(b, images) for b in block.blocks]
        return "\n\n".join([_md_inline(block.summary), *(b for b in inner if b)])
    if isinstance(block, Chart):
        path = images.get(block.name)
        return f"![{_md_text(block.caption)}]({path})" if path else None
    raise TypeError(f"unknown block {block!r}")


def to_markdown(doc: Document, images: Mapping[str, str]) -> str:
    """The document as Markdown; ``images`` maps chart names to relative image paths
    (a chart without one is left out)."""
    parts = ["# " + _md_text(doc.title)]
    parts.extend(b for b in (_md_block(block, images) for block in doc.blocks) if b)
    return "\n\n".join(parts) + "\n"


# -- HTML --------------------------------------------------------------------------------


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_inline(parts: Spans) -> str:
    out = []
    for p in parts:
        if isinstance(p, Strong):
            out.append(f"<strong>{_h(p.text)}</strong>")
        elif isinstance(p, Emph):
            out.append(f"<em>{_h(p.text)}</em>")
        elif isinstance(p, Code):
            out.append(f"<code>{_h(p.text)}</code>")
        else:
            out.append(_h(p))
    return "".join(out)


def anchor(text: str) -> str:
    """The id of a heading: lower case, words joined by ``-``."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _html_block(block: Block, charts: Mapping[str, str]) -> str:
    if isinstance(block, Heading):
        n = block.level
        return f"<h{n} id='{anchor(block.text)}'>{_h(block.text)}</h{n}>"
    if isinstance(block, Paragraph):
        return f"<p>{_html_inline(block.text)}</p>"
    if isinstance(block, ItemList):
        tag = "ol" if block.ordered else "ul"
        css = f" class='{_h(block.css)}'" if block.css else ""
        items = []
        for item in block.items:
            sub = ""
            if item.sub:
                sub = "<ul>" + "".join(f"<li>{_html_inline(s)}</li>" for s in item.sub) + "</ul>"
            items.append(f"<li>{_html_inline(item.text)}{sub}</li>")
        return f"<{tag}{css}>" + "".join(items) + f"</{tag}>"
    if isinstance(block, Table):
        head = "".join(f"<th>{_h(h)}</th>" for h in block.header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>"
            for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Details):
        inner = "\n".join(_html_block(b, charts) for b in block.blocks)
        return f"<details><summary>{_html_inline(block.summary)}</summary>\n{inner}\n</details>"
    if isinstance(block, Chart):
        fragment = charts.get(block.name)
        if not fragment:
            return ""
        return (
            f"<figure class='chart' data-chart='{_h(block.name)}' aria-label='{_h(block.caption)}'>"
            f"{fragment}</figure>"
        )
    raise TypeError(f"unknown block {block!r}")


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#111827;line-height:1.45}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}"
    "code{background:#f3f4f6;padding:1px 4px}"
    "details{margin:.5em 0}summary{cursor:pointer}"
    "figure.chart{margin:1em 0}li{margin:.25em 0}"
    "ol.top-actions>li{margin:.5em 0}"
)


def to_html(doc: Document, charts: Mapping[str, str], *, script: str = "") -> str:
    """The document as one HTML page; ``charts`` maps chart names to HTML fragments and
    ``script`` is JavaScript inlined in the head (the page loads nothing else)."""
    head = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_h(doc.title)}</title><style>{_CSS}</style>"
    )
    if script:
        head += f"<script>{script}</script>"
    body = [f"<h1>{_h(doc.title)}</h1>"]
    body.extend(b for b in (_html_block(block, charts) for block in doc.blocks) if b)
    return head + "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
