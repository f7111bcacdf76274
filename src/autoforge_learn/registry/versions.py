"""Prompt versions: the version model, version ids (``role.vMAJOR.MINOR``) and role names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.schema.events import check_safe_id

VERSION_RE = re.compile(r"^(?P<role>[a-z][a-z0-9_]*)\.v(?P<major>[0-9]+)\.(?P<minor>[0-9]+)\Z")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*\Z")
STATUSES = ("draft", "active", "deprecated")


class RegistryError(AutoforgeError, ValueError):
    """A prompt file or a registry request is invalid; the message names the file or version."""


def parse_version_id(version_id: str) -> tuple[str, int, int]:
    """``("architect", 2, 3)`` for ``"architect.v2.3"``.

    Raises:
        RegistryError: If the id is not ``role.vMAJOR.MINOR``.
    """
    match = VERSION_RE.match(version_id)
    if match is None:
        raise RegistryError(f"prompt version {version_id!r} must look like role.vMAJOR.MINOR")
    return match["role"], int(match["major"]), int(match["minor"])


def check_role(role: str) -> str:
    """Return ``role`` if it is a valid role name (it becomes a file name)."""
    if not ROLE_RE.match(role):
        raise RegistryError(
            f"role {role!r} must be lower-case letters, digits and '_', starting with a letter"
        )
    check_safe_id(role, what="role")
    return role


@dataclass
class PromptVersion:
    """One version of a role's prompt.

    Attributes:
        id: ``role.vMAJOR.MINOR``.
        sections: Section name -> text, in order.
        created: The day it was created.
        status: ``draft``, ``active`` or ``deprecated``.
        changes: What changed against the version it came from.
        parent: The version it was derived from.
        source: Where it came from, e.g. a suggestion id ``SUG-2025-10-001``.
        deprecated_at: When it was deprecated.
        last_used: The last day a project used it, recorded at deprecation.
        extra: Keys of the file this registry does not know, kept as they are.
    """

    id: str
    sections: dict[str, str]
    created: str | None = None
    status: str = "active"
    changes: list[str] = field(default_factory=list)
    parent: str | None = None
    source: str | None = None
    deprecated_at: str | None = None
    last_used: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        """The role the version belongs to (from its id)."""
        return parse_version_id(self.id)[0]

    @property
    def number(self) -> tuple[int, int]:
        """``(major, minor)`` from the id, for ordering versions."""
        _, major, minor = parse_version_id(self.id)
        return major, minor

    def text(self) -> str:
        """The whole prompt: each section under a ``## name`` heading."""
        return "\n\n".join(f"## {name}\n{body.strip()}" for name, body in self.sections.items())

    def to_yaml_dict(self) -> dict[str, Any]:
        """The version as its entry in the role file (unset fields left out)."""
        out: dict[str, Any] = {}
        for key in ("created", "status", "parent", "source", "deprecated_at", "last_used"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["changes"] = list(self.changes)
        out.update(self.extra)
        out["sections"] = dict(self.sections)
        return out

    @classmethod
    def from_yaml_dict(
        cls, version_id: str, data: Mapping[str, Any], *, where: str
    ) -> PromptVersion:
        """Read a version's entry of a role file; ``where`` names the file in errors.

        Raises:
            RegistryError: If the id, sections or status are invalid.
        """
        try:
            parse_version_id(version_id)
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from None
        if not isinstance(data, Mapping):
            raise RegistryError(f"{where}: {version_id}: expected a mapping")
        sections = data.get("sections")
        if not isinstance(sections, Mapping) or not sections:
            raise RegistryError(f"{where}: {version_id}.sections: expected named sections")
        for name, body in sections.items():
            if not isinstance(body, str):
                raise RegistryError(f"{where}: {version_id}.sections.{name}: expected text")
        status = str(data.get("status", "active"))
        if status not in STATUSES:
            raise RegistryError(f"{where}: {version_id}.status: {status!r} not in {STATUSES}")
        changes = data.get("changes") or []
        if isinstance(changes, str):
            changes = [changes]
        known = {"sections", "status", "changes", "created", "parent", "source"}
        known |= {"deprecated_at", "last_used"}
        return cls(
            id=version_id,
            sections={str(k): str(v) for k, v in sections.items()},
            created=_text(data.get("created")),
            status=status,
            changes=[str(c) for c in changes],
            parent=_text(data.get("parent")),
            source=_text(data.get("source")),
            deprecated_at=_text(data.get("deprecated_at")),
            last_used=_text(data.get("last_used")),
            extra={k: v for k, v in data.items() if k not in known},
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
