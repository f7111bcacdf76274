"""A role's prompt file on disk: ``<role>.yaml`` read and written as YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoforge_learn.registry.versions import PromptVersion, RegistryError
from autoforge_learn.store.atomic import replace_text
from autoforge_learn.store.yamlfile import read_yaml


def _load_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file."""
    import yaml

    try:
        data = read_yaml(path) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot be read: {exc}") from None
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
        # Repeated values are written out, never as aliases: readers refuse aliases.
        def ignore_aliases(self, data: Any) -> bool:
            return True

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
        """Read a role's file (no versions when it does not exist).

        Raises:
            RegistryError: If the file is not valid or holds another role's versions.
        """
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
        return cls(role=role, path=path, versions=in_version_order(versions), extra=extra)

    def save(self) -> None:
        """Write the file at once (never half-written), versions in version order."""
        data = {"role": self.role, **self.extra}
        ordered = in_version_order(self.versions).values()
        data["versions"] = {v.id: v.to_yaml_dict() for v in ordered}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(self.path, dump_yaml(data))


def in_version_order(versions: Mapping[str, PromptVersion]) -> dict[str, PromptVersion]:
    """The versions sorted by version number (``v1.2`` before ``v1.10``)."""
    return dict(sorted(versions.items(), key=lambda item: item[1].number))
