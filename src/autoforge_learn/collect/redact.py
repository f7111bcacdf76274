"""Redaction of secrets in free text before it reaches disk."""

from __future__ import annotations

import re
from collections.abc import Callable

#: A redaction hook: takes the text of one field, returns the text to store.
Redactor = Callable[[str], str]

#: Fields whose text passes through the redaction hook before anything is written.
REDACTED_FIELDS = ("output_raw", "prompt_template")

REDACTED = "[REDACTED]"

_SECRET_PATTERNS = [
    # Private key blocks.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    # Well-known token shapes: OpenAI/Anthropic, GitHub, Slack, AWS access keys, Google API keys.
    re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    # JSON web tokens.
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # Bearer tokens in headers.
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{12,}"),
    # Credentials in URLs: scheme://user:password@host.
    re.compile(r"(?<=://)[^\s:/@]+:[^\s@/]+(?=@)"),
    # key = value assignments of secret-looking names.
    re.compile(
        r"(?i)(\b[\w-]*(?:password|passwd|secret|api[_-]?key|access[_-]?key|token)[\w-]*"
        r"\s*[:=]\s*[\"']?)[^\s\"',;]{4,}"
    ),
]


def redact_secrets(text: str) -> str:
    """Replace common secret shapes (API keys, tokens, passwords, private keys) in ``text``.

    A conservative default: it keeps the name of an assignment (``password=``) and
    replaces only the value, so the output still reads sensibly.
    """
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text
