"""Redaction of secrets before events reach disk: the rules live in
:mod:`autoforge_learn.redaction` (used by prompts and suggestions too)."""

from autoforge_learn.redaction import (
    REDACTED,
    Redactor,
    find_secrets,
    looks_like_secret,
    redact_fields,
    redact_secrets,
)

__all__ = [
    "REDACTED",
    "Redactor",
    "find_secrets",
    "looks_like_secret",
    "redact_fields",
    "redact_secrets",
]
