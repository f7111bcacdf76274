"""The prompt registry: versioned prompts per role in ``ai/prompts/<role>.yaml``.

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
period after their last use (90 days by default) before ``prune`` may remove them.

The version model and ids live in :mod:`.versions`, the file reading and writing in
:mod:`.role_files`, the changelog in :mod:`.changelog`; their public names stay
importable from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from autoforge_learn.registry.changelog import log_entry, log_version
from autoforge_learn.registry.role_files import RoleFile, in_version_order
from autoforge_learn.registry.role_files import dump_yaml as dump_yaml
from autoforge_learn.registry.versions import (
    ROLE_RE,
    PromptVersion,
    RegistryError,
    check_role,
    parse_version_id,
)
from autoforge_learn.registry.versions import STATUSES as STATUSES
from autoforge_learn.registry.versions import VERSION_RE as VERSION_RE
from autoforge_learn.store.locks import exclusive

DEFAULT_RETENTION = timedelta(days=90)


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
            out.extend(in_version_order(merged).values())
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
        known = [v.id for v in self.versions(role)]
        hint = f"{role} has: {', '.join(known)}" if known else f"{role} has no versions yet"
        raise RegistryError(f"no prompt version {version_id!r} in {self.directory}; {hint}")

    def latest(self, role: str, *, include_drafts: bool = False) -> PromptVersion | None:
        """The newest active (or draft) version of a role."""
        wanted = ("active", "draft") if include_drafts else ("active",)
        candidates = [v for v in self.role_file(role).versions.values() if v.status in wanted]
        return candidates[-1] if candidates else None

    def default(self, role: str) -> PromptVersion | None:
        """The role's default version: the one set explicitly (``set_default``, an
        experiment's conclusion), else the newest active version."""
        current = self.role_file(role)
        chosen = current.extra.get("default")
        found = current.versions.get(str(chosen)) if chosen else None
        if found is not None and found.status == "active":
            return found
        return self.latest(role)

    def set_default(self, version_id: str, *, reason: str, now: datetime | None = None
                    ) -> PromptVersion:
        """Make an active version its role's default, and log why in the changelog.

        Raises:
            RegistryError: If the version is unknown or not active.
        """
        role, _, _ = parse_version_id(version_id)
        now = now or datetime.now(UTC)
        with self._locked(role):
            current = self.role_file(role)
            version = current.versions.get(version_id)
            if version is None or version.status != "active":
                raise RegistryError(f"{version_id} is not an active version of {role}")
            previous = current.extra.get("default")
            current.extra["default"] = version_id
            current.save()
            log_entry(
                self.changelog,
                f"{role}: default {version_id} ({now.date().isoformat()})",
                [f"Was {previous or 'the newest active version'}.", reason],
            )
        return version

    # -- changing --------------------------------------------------------------------

    @contextmanager
    def _locked(self, role: str) -> Iterator[None]:
        with exclusive(self.directory / f".{role}.lock"):
            yield

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
            current.versions = in_version_order(current.versions)
            current.save()
            log_version(self.changelog, version)
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
        _refuse_secrets(sections)
        with self._locked(role):
            existing = self.versions(role)
            parent = self.get(base) if base else (existing[-1] if existing else None)
            if parent is not None and parent.role != role:
                raise RegistryError(f"base {parent.id} is not a version of {role}")
            merged = _merged_sections(parent, sections)
            number = _next_number(existing, major=major)
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
            log_version(self.changelog, version)
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
            archive.versions = in_version_order(archive.versions)
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


def _merged_sections(
    parent: PromptVersion | None, sections: Mapping[str, str | None]
) -> dict[str, str]:
    """The parent's sections with ``sections`` set on top (None removes a section).

    Raises:
        RegistryError: If no section is left.
    """
    merged = dict(parent.sections) if parent else {}
    for name, text in sections.items():
        if text is None:
            merged.pop(name, None)
        else:
            merged[name] = text
    if not merged:
        raise RegistryError("a prompt version needs at least one section")
    return merged


def _next_number(existing: Sequence[PromptVersion], *, major: bool) -> tuple[int, int]:
    """The next (major, minor) after the highest existing version; ``(1, 0)`` for the first."""
    if not existing:
        return (1, 0)
    top_major, top_minor = max(v.number for v in existing)
    return (top_major + 1, 0) if major else (top_major, top_minor + 1)


def _refuse_secrets(sections: Mapping[str, str | None]) -> None:
    """Prompts are shared, versioned and sent to models: text that looks like a key or a
    password never goes into one (a suggestion built from failures that quoted a secret
    would otherwise carry it there)."""
    from autoforge_learn.redaction import looks_like_secret

    for name, text in sections.items():
        rule = looks_like_secret(text) if text else None
        if rule is not None:
            raise RegistryError(
                f"section {name!r} looks like it holds a secret ({rule}); remove it "
                "from the text first"
            )
