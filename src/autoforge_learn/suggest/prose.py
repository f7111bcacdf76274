"""Clean prose for suggestions: real quotes only, no code, no masked fragments.

What a suggestion adds to a prompt is read by an agent and judged by a person, so it is
built from the data's own words, cut to size:

* :func:`clean_quote`: a real phrasing as a quote: the prose before any code (a code
  fence, an indented or code-like line), first paragraph only, cut at a sentence end or
  a word boundary to at most ``limit`` characters; None for a stack trace, code, or a
  masked template label (``<name>``).
* :func:`quotes`: the most frequent clean quotes of a list of phrasings (those differing
  only in numbers counted as one).
* :func:`~autoforge_learn.suggest.requirements.requirements` (its own module): what
  the rejections say is missing, as short requirements.
* :func:`is_runtime_error`: whether a text reads as a runtime or infrastructure error
  (a traceback, "An error occurred", a missing module, a timeout, a refused connection,
  an exit code...), which a prompt edit is not presumed to fix.
* :func:`~autoforge_learn.suggest.stated.key_stems` and
  :func:`~autoforge_learn.suggest.stated.stated_in` (their own module): the key words of
  a cause and whether a prompt section already states them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from autoforge_learn.findings import TextCount
from autoforge_learn.suggest.text import PLACEHOLDER

# -- code and runtime errors ------------------------------------------------------------

_TRACE = re.compile(r"Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+")
_CODE_LINE = re.compile(
    r"^\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(|class\s+\w+\s*[:(]|"
    r"(?:async\s+)?function\s+\w*\s*\(|(?:const|let|var)\s+\w+\s*=|return\b|"
    r"(?:public|private|protected)\s+\w+|#include\b|@\w+|[}\])]\s*;?\s*$|"
    r"(?:if|for|while|elif|else|try|except|with)\b[^.]*:\s*$|\w+\s*=\s*\S)"
)
_CODE_TOKENS = re.compile(r"=>|==|!=|&&|\|\||\+\+|::|\)\s*\{|;\s*$|\bself\.\w+|\w+\(\)")
_SYMBOLS = set("{}[];=<>|\\$")

_RUNTIME = re.compile(
    "|".join(
        (
            r"Traceback \(most recent call last\)",
            r"\bFile \"[^\"]+\", line \d+",
            r"\ban? (?:unexpected |unknown )?error (?:has )?occurr?ed\b",
            r"\bhas no attribute\b",
            r"\bno module named\b",
            r"\b(?:ModuleNotFound|Import|Name|Attribute|Syntax|Indentation|Key|Index|Type|"
            r"Value|Runtime|OS|IO|FileNotFound|Permission|Connection|Timeout|ZeroDivision|"
            r"Recursion|Memory|UnicodeDecode|UnicodeEncode|BrokenPipe)Error\b",
            r"\b(?:NullPointer|IllegalState|IllegalArgument)Exception\b",
            r"\bsegmentation fault\b",
            r"\bcore dumped\b",
            r"\btim(?:ed|es|ing) ?out\b",
            r"\btimeout\b",
            r"\bconnection (?:refused|reset|closed|timed out|aborted)\b",
            r"\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|ADDRINUSE|ACCES)\b",
            r"\bexit(?:ed)? (?:with )?(?:code|status) -?\d+",
            r"\bnon-zero exit\b",
            r"\bexit code\b",
            r"\bnpm ERR!",
            r"\bcommand not found\b",
            r"\bpermission denied\b",
            r"\bout of memory\b",
            r"\bOOM\b",
            r"\bcrash(?:ed|es)?\b",
            r"\bcould not (?:connect|resolve host)\b",
            r"\bservice unavailable\b",
            r"\bkilled by signal\b",
        )
    ),
    re.IGNORECASE,
)


def is_stack_trace(text: str) -> bool:
    """True for a traceback or stack frame."""
    return bool(_TRACE.search(text))


def is_runtime_error(text: str) -> bool:
    """True if ``text`` reads as a runtime or infrastructure error rather than a judgement
    of an output's content: a traceback, "An error occurred", "module ... has no
    attribute", a missing module, an exception name, a timeout, a refused connection, an
    exit code, a crash, a package manager error.

    Example:
        >>> is_runtime_error("An error occurred: module 'os' has no attribute 'setsid'")
        True
        >>> is_runtime_error("Endpoint POST /orders has no error responses defined")
        False
    """
    return bool(_RUNTIME.search(text or ""))


def runtime_share(items: Iterable[tuple[str, int]]) -> float:
    """The share of failures (by count) whose text reads as a runtime error."""
    total = runtime = 0
    for text, count in items:
        total += count
        runtime += count if is_runtime_error(text) else 0
    return runtime / total if total else 0.0


def looks_like_code(text: str) -> bool:
    """True for code rather than prose: a stack frame, a code-like line (``def``,
    ``import x``, an assignment, a closing brace...), code tokens (``=>``, ``==``,
    ``self.x``, a trailing ``;``) or a high density of code symbols."""
    if not text.strip():
        return False
    if is_stack_trace(text):
        return True
    stripped = re.sub(r"`[^`]*`", "", text)  # inline code spans are part of the prose
    for line in stripped.splitlines():
        if _CODE_LINE.match(line) or _CODE_TOKENS.search(line):
            return True
    if len(stripped) < 20:
        return False
    symbols = sum(1 for c in stripped if c in _SYMBOLS)
    parens = sum(1 for c in stripped if c in "()")
    return symbols / len(stripped) > 0.05 or parens / len(stripped) > 0.15


# -- quotes -----------------------------------------------------------------------------

#: The end of a sentence: a full stop, question or exclamation mark before a space.
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def prose_part(text: str) -> str:
    """The first paragraph of prose before any code (fence or code-like line)."""
    before_fence = text.split("```", 1)[0]
    kept: list[str] = []
    for line in before_fence.splitlines():
        if not line.strip():
            if kept:
                break
            continue
        if line.startswith(("    ", "\t")) or _CODE_LINE.match(line) or is_stack_trace(line):
            break
        kept.append(line.strip())
    return re.sub(r"\s+", " ", " ".join(kept)).strip()


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: at the last sentence end that keeps
    at least a third of it, else at a word boundary with ``...``."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]].strip()
    head = text[: limit - 3]
    space = head.rfind(" ")
    if space >= limit // 3:
        head = head[:space]
    return head.rstrip(" ,;:-(") + "..."


def clean_quote(text: str, limit: int = 160) -> str | None:
    """A real phrasing as a clean quote of at most ``limit`` characters, or None.

    None for a stack trace, for code (nothing but code before the first paragraph
    ends), and for a template label with placeholders (``<name>``, ``<*>``).
    """
    raw = (text or "").strip()
    if not raw or is_stack_trace(raw) or PLACEHOLDER.search(raw):
        return None
    prose = prose_part(raw)
    if not prose or looks_like_code(prose):
        return None
    quote = cut(prose, limit)
    if quote.endswith(":"):
        trimmed = quote[: max(m.end() for m in SENTENCE_END.finditer(quote))] if (
            SENTENCE_END.search(quote)) else ""
        quote = trimmed.strip()
    if len(quote) < 2 or looks_like_code(quote) or PLACEHOLDER.search(quote):
        return None
    return quote.replace('"', "'")


def quotes(
    items: Sequence[TextCount] | Sequence[tuple[str, int]], *, limit: int, chars: int = 160
) -> list[tuple[str, int]]:
    """The ``limit`` most frequent clean quotes, with counts; phrasings that differ only
    in numbers count as one (the most frequent wording is quoted)."""
    pairs = [(i.text, i.count) if isinstance(i, TextCount) else (i[0], i[1]) for i in items]
    groups: dict[str, list] = {}
    order: list[str] = []
    for text, count in pairs:
        quote = clean_quote(text, chars)
        if quote is None:
            continue
        key = re.sub(r"\d+", "N", quote.lower())
        if key not in groups:
            groups[key] = [quote, 0, count or 1]
            order.append(key)
        group = groups[key]
        group[1] += count or 1
        if (count or 1) > group[2]:
            group[0], group[2] = quote, count or 1
    ranked = sorted(order, key=lambda k: -groups[k][1])  # stable: first seen first
    return [(groups[k][0], groups[k][1]) for k in ranked[:limit]]


# -- budget -----------------------------------------------------------------------------


def fit_lines(lines: Sequence[str], budget: int) -> list[str]:
    """The leading lines that fit in ``budget`` characters (newlines counted)."""
    out: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if used + extra > budget:
            break
        out.append(line)
        used += extra
    return out


def added_text(old_text: str, new_text: str) -> str:
    """What ``new_text`` adds after ``old_text`` (the whole text if it does not start
    with it)."""
    old = old_text.rstrip()
    return new_text[len(old):] if old and new_text.startswith(old) else new_text

