"""Secrets in free text: found, and replaced before anything reaches disk or a prompt.

The rules are Yelp's ``detect-secrets`` detectors (a maintained rule set: cloud keys,
tokens of GitHub, GitLab, Slack, Stripe, OpenAI, npm, PyPI, JWTs, private keys,
credentials in URLs, and ``password = ...`` style assignments in many languages), plus a
few shapes it does not know yet (fine-grained GitHub tokens, Hugging Face and newer
OpenAI/Anthropic keys, ``pwd=``/``passphrase=``, bearer headers) and long random-looking
tokens (a bare AWS secret key) found by their entropy.

The detectors take about half a second to import, so they load on first use: only a
collector that redacts, and a suggestion being checked, pay for them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: A redaction hook: takes the text of one field, returns the text to store.
Redactor = Callable[[str], str]

REDACTED = "[REDACTED]"

_SECRET_NAME = (
    r"[\w.-]*(?:password|passwd|pwd|passphrase|secret|api[_-]?key|access[_-]?key|"
    r"auth[_-]?token|token|credential)s?"
)

#: Shapes the library does not cover (checked in tests against a corpus of real shapes).
_EXTRA_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GitHub fine-grained token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("OpenAI or Anthropic key", re.compile(r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{16,}")),
    ("Stripe key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Bearer token", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{12,})")),
    ("Credentials in a URL", re.compile(r"://[^\s:/@]+:([^\s@/]+)@")),
    # name = value, name: "value", "name": "value" (JSON): any value of 4+ characters
    (
        "Secret assignment",
        re.compile(
            rf"(?i)[\"']?\b{_SECRET_NAME}[\"']?\s*(?:=\s*[\"']?|:\s*[\"'])"
            # a plain number is a setting (max_tokens=4096), not a secret
            rf"((?![0-9.]+(?:[\s\"',;}}]|$))[^\s\"',;}}]{{4,}})"
        ),
    ),
    # name: value without quotes reads like prose ("password: must be long") unless the
    # value looks generated: digits or symbols among letters
    (
        "Secret assignment",
        re.compile(
            rf"(?i)\b{_SECRET_NAME}\s*:\s*((?![0-9.]+(?:[\s\"',;}}]|$))"
            rf"(?=[^\s\"',;}}]*[0-9!@#$%^&*+/\\])[^\s\"',;}}]{{4,}})"
        ),
    ),
)

#: A bare token this long and this random (bits per character) is taken for a key.
ENTROPY_MIN_LENGTH = 32
ENTROPY_MIN_BITS = 4.5
_TOKEN = re.compile(rf"[A-Za-z0-9+/=_-]{{{ENTROPY_MIN_LENGTH},}}")


@dataclass(frozen=True)
class SecretMatch:
    """One secret found in a text: the rule that found it and where it is."""

    rule: str
    start: int
    end: int


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret in ``text``, by position (overlapping finds merged)."""
    spans = sorted(_spans(text), key=lambda m: (m.start, -m.end))
    merged: list[SecretMatch] = []
    for m in spans:
        if merged and m.start < merged[-1].end:
            last = merged[-1]
            if m.end > last.end:
                merged[-1] = SecretMatch(last.rule, last.start, m.end)
            continue
        merged.append(m)
    return merged


def redact_secrets(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``.

    Only the value is replaced: ``password = hunter2`` becomes ``password =
    [REDACTED]``, so the text still reads sensibly.
    """
    found = find_secrets(text)
    if not found:
        return text
    out, at = [], 0
    for m in found:
        out.append(text[at : m.start])
        out.append(REDACTED)
        at = m.end
    out.append(text[at:])
    return "".join(out)


def looks_like_secret(text: str) -> str | None:
    """The rule that finds a secret in ``text``, or None."""
    found = find_secrets(text)
    return found[0].rule if found else None


def _spans(text: str) -> Iterator[SecretMatch]:
    for rule, pattern in _EXTRA_RULES:
        for match in pattern.finditer(text):
            start, end = match.span(1) if pattern.groups else match.span()
            yield SecretMatch(rule, start, end)
    for match in _TOKEN.finditer(text):
        token = match.group().strip("=")
        if _bits_per_char(token) >= ENTROPY_MIN_BITS and _mixed(token):
            yield SecretMatch("High-entropy token", match.start(), match.end())
    regex_rules, keyword_rules = _detectors()
    for rule, pattern in regex_rules:
        for match in pattern.finditer(text):
            # the secret itself when the rule captures it, else all the rule matched
            if pattern.groups and len(match.group(1) or "") >= 8:
                yield SecretMatch(rule, *match.span(1))
            else:
                yield SecretMatch(rule, *match.span())
    lines = [line for line in text.splitlines() if _KEYWORD_HINT.search(line)]
    for detector in keyword_rules:
        for line in lines:
            for value in detector.analyze_string(line):
                start = text.find(value) if isinstance(value, str) and len(value) >= 4 else -1
                while start >= 0:
                    yield SecretMatch(detector.secret_type, start, start + len(value))
                    start = text.find(value, start + len(value))


#: Lines without any of these cannot hold a keyword assignment: the slow keyword rules
#: skip them.
_KEYWORD_HINT = re.compile(r"(?i)pass|pwd|secret|key|token|auth|cred|private")


@functools.cache
def _detectors() -> tuple[tuple[tuple[str, re.Pattern[str]], ...], tuple[Any, ...]]:
    """The library's rules: (name, regex) of the detectors that know a secret by its
    shape, and the keyword detectors that know it by its name (``password = ...``).
    Entropy detectors are left out (handled above with a stricter bar), as are public
    IP addresses (not secrets)."""
    import importlib
    import inspect
    import pkgutil

    import detect_secrets.plugins as plugins
    from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.ip_public import IPPublicDetector

    regexes: list[tuple[str, re.Pattern[str]]] = []
    keywords: list[Any] = []
    for module in pkgutil.iter_modules(plugins.__path__):
        loaded = importlib.import_module(f"{plugins.__name__}.{module.name}")
        for value in vars(loaded).values():
            if (
                not isinstance(value, type)
                or not issubclass(value, BasePlugin)
                or value.__module__ != loaded.__name__
                or inspect.isabstract(value)
                or issubclass(value, HighEntropyStringsPlugin | IPPublicDetector)
            ):
                continue
            detector = value()
            if isinstance(detector, RegexBasedDetector):
                regexes.extend((detector.secret_type, r) for r in detector.denylist)
            else:
                keywords.append(detector)
    return tuple(sorted(regexes, key=lambda r: r[0])), tuple(keywords)


def _bits_per_char(token: str) -> float:
    counts: dict[str, int] = {}
    for ch in token:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _mixed(token: str) -> bool:
    """Random keys mix cases and digits; long words and identifiers rarely do all three."""
    return (
        any(c.isdigit() for c in token)
        and any(c.islower() for c in token)
        and any(c.isupper() for c in token)
    )


def redact_fields(fields: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """An event's fields with ``redactor`` applied to every text in them.

    Every field but the envelope's (event id, project id, kind, timestamp, schema
    version: identifiers with fixed shapes) is free text that a pipeline may have filled
    from a model's output or a human's words, so every string in it (nested lists and
    objects included, and fields the schema does not know) passes through the redactor.
    """
    from autoforge_learn.schema.events import EventBase

    envelope = EventBase.model_fields
    return {k: v if k in envelope else _redact_value(v, redactor) for k, v in fields.items()}


def _redact_value(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, list | tuple):
        return [_redact_value(v, redactor) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v, redactor) for k, v in value.items()}
    return value
