"""The prompt registry: versioned prompts per role in ``ai/prompts/<role>.yaml`` (spec 6.2).

A role's file holds every version with its text in named sections::

    role: architect
    versions:
      architect.v1.0:
        created: "2025-05-01"
        status: active
        changes: ["Initial version"]
        sections:
          role_definition: You are the software architect agent...
          API_contract_generation: Generate an OpenAPI contract...

Each new version also gets an entry in ``ai/prompts/CHANGELOG.md``. Deprecated versions
move to ``ai/prompts/deprecated/<role>.yaml``, where they are kept for a retention
period after their last use (spec: 3 months) before ``prune`` may remove them.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.schema.events import check_safe_id
from autoforge_learn.store.atomic import replace_text

VERSION_RE = re.compile(r"^(?P<role>[a-z][a-z0-9_]*)\.v(?P<major>[0-9]+)\.(?P<minor>[0-9]+)$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
STATUSES = ("draft", "active", "deprecated")
DEFAULT_RETENTION = timedelta(days=90)


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
        return parse_version_id(self.id)[0]

    @property
    def number(self) -> tuple[int, int]:
        _, major, minor = parse_version_id(self.id)
        return major, minor

    def text(self) -> str:
        """The whole prompt: each section under a ``## name`` heading."""
        return "\n\n".join(f"## {name}\n{body.strip()}" for name, body in self.sections.items())

    def to_yaml_dict(self) -> dict[str, Any]:
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
        parse_version_id(version_id)
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


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a mapping with 'role' and 'versions'")
    return data


def dump_yaml(data: Any) -> str:
    """YAML with multi-line text as ``|`` blocks, so prompt files and suggestions diff and
    read well; keys keep their order."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class RoleFile:
    """One role's prompt file: its versions, in version order."""

    role: str
    path: Path
    versions: dict[str, PromptVersion]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, *, role: str) -> RoleFile:
        if not path.exists():
            return cls(role=role, path=path, versions={})
        data = _load_yaml(path)
        file_role = data.get("role", role)
        if file_role != role:
            raise RegistryError(f"{path}: role {file_role!r} does not match the file name")
        raw_versions = data.get("versions") or {}
        if not isinstance(raw_versions, Mapping):
            raise RegistryError(f"{path}: versions: expected a mapping of version id to version")
        versions = {}
        for version_id, body in raw_versions.items():
            version = PromptVersion.from_yaml_dict(str(version_id), body, where=str(path))
            if version.role != role:
                raise RegistryError(f"{path}: version {version_id} belongs to another role")
            versions[version.id] = version
        extra = {k: v for k, v in data.items() if k not in ("role", "versions")}
        return cls(role=role, path=path, versions=_sorted(versions), extra=extra)

    def save(self) -> None:
        data = {"role": self.role, **self.extra}
        data["versions"] = {v.id: v.to_yaml_dict() for v in _sorted(self.versions).values()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(self.path, dump_yaml(data))


def _sorted(versions: Mapping[str, PromptVersion]) -> dict[str, PromptVersion]:
    return dict(sorted(versions.items(), key=lambda item: item[1].number))


class PromptRegistry:
    """Read and change the prompt files under ``<root>/ai/prompts/``.

    Args:
        root: The ``.autoforge`` directory.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.directory = self.root / "ai" / "prompts"
        self.archive = self.directory / "deprecated"
        self.changelog = self.directory / "CHANGELOG.md"

    # -- reading ---------------------------------------------------------------------

    def roles(self) -> list[str]:
        """Roles that have a prompt file (active or archived)."""
        names: set[str] = set()
        for directory in (self.directory, self.archive):
            if directory.is_dir():
                names.update(p.stem for p in directory.glob("*.yaml") if ROLE_RE.match(p.stem))
        return sorted(names)

    def role_file(self, role: str, *, archived: bool = False) -> RoleFile:
        check_role(role)
        directory = self.archive if archived else self.directory
        return RoleFile.load(directory / f"{role}.yaml", role=role)

    def versions(
        self, role: str | None = None, *, include_archived: bool = True
    ) -> list[PromptVersion]:
        """Every version of one role (or all roles), oldest first."""
        out: list[PromptVersion] = []
        for name in [role] if role else self.roles():
            merged = dict(self.role_file(name).versions)
            if include_archived:
                merged.update(self.role_file(name, archived=True).versions)
            out.extend(_sorted(merged).values())
        return out

    def get(self, version_id: str) -> PromptVersion:
        """One version, active or archived.

        Raises:
            RegistryError: If there is no such version.
        """
        role, _, _ = parse_version_id(version_id)
        for archived in (False, True):
            found = self.role_file(role, archived=archived).versions.get(version_id)
            if found is not None:
                return found
        raise RegistryError(f"no prompt version {version_id!r} in {self.directory}")

    def latest(self, role: str, *, include_drafts: bool = False) -> PromptVersion | None:
        """The newest active (or draft) version of a role."""
        wanted = ("active", "draft") if include_drafts else ("active",)
        candidates = [v for v in self.role_file(role).versions.values() if v.status in wanted]
        return candidates[-1] if candidates else None

    # -- changing --------------------------------------------------------------------

    @contextmanager
    def _locked(self, role: str) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f".{role}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add_version(self, version: PromptVersion) -> PromptVersion:
        """Add a version as given (its id must be new for its role)."""
        role = version.role
        check_role(role)
        with self._locked(role):
            current = self.role_file(role)
            archived = self.role_file(role, archived=True)
            if version.id in current.versions or version.id in archived.versions:
                raise RegistryError(f"prompt version {version.id} already exists")
            current.versions[version.id] = version
            current.versions = _sorted(current.versions)
            current.save()
            self._log(version)
        return version

    def new_version(
        self,
        role: str,
        *,
        sections: Mapping[str, str | None],
        changes: Sequence[str],
        base: str | None = None,
        major: bool = False,
        source: str | None = None,
        status: str = "active",
        created: date | None = None,
    ) -> PromptVersion:
        """Create the next version of a role from ``base`` (default: the newest version).

        Args:
            role: The agent role.
            sections: Sections to set (new text) or remove (None); others are inherited.
            changes: Changelog lines describing the change.
            base: The version to start from.
            major: Bump the major number (``v2.0``) instead of the minor one.
            source: Where the change came from, e.g. a suggestion id.
            status: ``active`` or ``draft`` (a draft is not picked as the latest).
            created: The creation day (default today, UTC).

        Raises:
            RegistryError: If the role, base or sections are invalid.
        """
        check_role(role)
        if status not in ("active", "draft"):
            raise RegistryError(f"a new version's status must be active or draft, not {status!r}")
        if not changes:
            raise RegistryError("describe the change: at least one changelog line is needed")
        with self._locked(role):
            existing = self.versions(role)
            parent = self.get(base) if base else (existing[-1] if existing else None)
            if parent is not None and parent.role != role:
                raise RegistryError(f"base {parent.id} is not a version of {role}")
            merged = dict(parent.sections) if parent else {}
            for name, text in sections.items():
                if text is None:
                    merged.pop(name, None)
                else:
                    merged[name] = text
            if not merged:
                raise RegistryError("a prompt version needs at least one section")
            if not existing:
                number = (1, 0)
            else:
                top_major, top_minor = max(v.number for v in existing)
                number = (top_major + 1, 0) if major else (top_major, top_minor + 1)
            version = PromptVersion(
                id=f"{role}.v{number[0]}.{number[1]}",
                sections=merged,
                created=(created or datetime.now(UTC).date()).isoformat(),
                status=status,
                changes=list(changes),
                parent=parent.id if parent else None,
                source=source,
            )
            current = self.role_file(role)
            current.versions[version.id] = version
            current.save()
            self._log(version)
        return version

    def deprecate(
        self, version_id: str, *, last_used: date | None = None, now: datetime | None = None
    ) -> PromptVersion:
        """Retire a version: move it to ``deprecated/<role>.yaml`` with the day it retired."""
        role, _, _ = parse_version_id(version_id)
        now = now or datetime.now(UTC)
        with self._locked(role):
            current = self.role_file(role)
            version = current.versions.pop(version_id, None)
            if version is None:
                raise RegistryError(f"no active prompt version {version_id!r} for {role}")
            version.status = "deprecated"
            version.deprecated_at = now.date().isoformat()
            version.last_used = (last_used or now.date()).isoformat()
            archive = self.role_file(role, archived=True)
            archive.versions[version.id] = version
            archive.versions = _sorted(archive.versions)
            # Archive first: a crash in between leaves the version in both files, never in neither.
            archive.save()
            current.save()
        return version

    def prune(
        self, *, retention: timedelta = DEFAULT_RETENTION, now: datetime | None = None
    ) -> list[str]:
        """Remove archived versions last used longer than ``retention`` ago; return their ids."""
        now = now or datetime.now(UTC)
        removed: list[str] = []
        for role in self.roles():
            with self._locked(role):
                archive = self.role_file(role, archived=True)
                keep = {}
                for version_id, version in archive.versions.items():
                    last = version.last_used or version.deprecated_at
                    if last and date.fromisoformat(last[:10]) + retention < now.date():
                        removed.append(version_id)
                    else:
                        keep[version_id] = version
                if len(keep) != len(archive.versions):
                    archive.versions = keep
                    archive.save()
        return removed

    def _log(self, version: PromptVersion) -> None:
        lines = [f"## {version.id} ({version.created or 'undated'})", ""]
        if version.parent:
            source = f" Source: {version.source}." if version.source else ""
            lines += [f"From {version.parent}.{source}", ""]
        elif version.source:
            lines += [f"Source: {version.source}.", ""]
        lines += [f"- {change}" for change in version.changes] + ["", ""]
        entry = "\n".join(lines)
        if self.changelog.exists():
            body = self.changelog.read_text()
            head, sep, rest = body.partition("\n## ")
            text = head.rstrip("\n") + "\n\n" + entry + (("## " + rest) if sep else "")
        else:
            text = "# Prompt changelog\n\nNewest first. Written by `autoforge prompts`.\n\n" + entry
        replace_text(self.changelog, text.rstrip("\n") + "\n")
