"""A ChatDev run's config files, hashed into a recipe name and per-role prompt versions.

A run folder holds ``ChatChainConfig.json`` (the chain of phases), ``PhaseConfig.json``
(each phase's prompt and its two roles) and ``RoleConfig.json`` (each role's system
prompt). They are what the agents were told, so they are the "prompts" to version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

CONFIG_FILES = {
    "chain": "ChatChainConfig.json",
    "phase": "PhaseConfig.json",
    "role": "RoleConfig.json",
}

#: Bits of the hash kept in each part of a version number (20 bits: 0 to 1,048,575).
VERSION_BITS = 20


def normalize_role(name: str | None) -> str | None:
    """``Chief Technology Officer`` -> ``chief_technology_officer`` (None stays None)."""
    if not name:
        return None
    text = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not text:
        return None
    return text if text[0].isalpha() else f"role_{text}"


def normalize_phase(name: str) -> str:
    """``CodeReviewComment`` -> ``code_review_comment``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "phase"


def canonical_hash(obj: Any) -> str:
    """SHA-256 of an object's canonical JSON (sorted keys): formatting does not matter."""
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _number(digest: str) -> int:
    return int(digest, 16) >> (256 - VERSION_BITS)


@dataclass
class ChatDevConfigs:
    """The three config files of a run folder (each None when absent or unreadable)."""

    chain: dict[str, Any] | None = None
    phase: dict[str, Any] | None = None
    role: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> ChatDevConfigs:
        """Read the config files of ``folder``; a broken one is a problem, not an error."""
        configs = cls()
        for attr, name in CONFIG_FILES.items():
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                configs.problems.append(f"{path}: unreadable, ignored ({exc})")
                continue
            if not isinstance(data, dict):
                configs.problems.append(f"{path}: not a JSON object, ignored")
                continue
            setattr(configs, attr, data)
        return configs

    def hashes(self) -> dict[str, str]:
        """SHA-256 of each config present, by ``chain``/``phase``/``role``."""
        out = {}
        for attr in CONFIG_FILES:
            value = getattr(self, attr)
            if value is not None:
                out[attr] = canonical_hash(value)
        return out

    @property
    def recipe(self) -> str:
        """``chatdev_<first 8 hex digits of the chain config's hash>``, else ``chatdev``."""
        if self.chain is None:
            return "chatdev"
        return f"chatdev_{canonical_hash(self.chain)[:8]}"

    def chain_phases(self) -> list[str]:
        """The simple phases of the chain, in order (composed phases unrolled)."""
        out: list[str] = []

        def walk(items: Any) -> None:
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict):
                    continue
                if item.get("phaseType") == "ComposedPhase":
                    walk(item.get("Composition"))
                elif item.get("phase"):
                    out.append(str(item["phase"]))

        walk((self.chain or {}).get("chain"))
        return out

    def cycle_limits(self) -> dict[str, int]:
        """``cycleNum`` of each composed phase: the most attempts it allows."""
        limits: dict[str, int] = {}
        for item in (self.chain or {}).get("chain") or []:
            if isinstance(item, dict) and item.get("phaseType") == "ComposedPhase":
                cycles = item.get("cycleNum")
                if isinstance(cycles, int) and cycles >= 1:
                    limits[str(item.get("phase"))] = cycles
        return limits

    def phase_prompt(self, phase: str) -> str | None:
        """The prompt template of a phase in ``PhaseConfig.json`` (its lines joined)."""
        entry = (self.phase or {}).get(phase)
        prompt = entry.get("phase_prompt") if isinstance(entry, dict) else None
        if isinstance(prompt, list):
            return "\n".join(str(line) for line in prompt) or None
        return prompt if isinstance(prompt, str) and prompt else None

    def prompt_version(self, role: str | None) -> str | None:
        """The prompt version of a ChatDev role, ``<role>.v<MAJOR>.<MINOR>``.

        The version is a pure function of the config files, so the same files always give
        the same version, on any machine, in any import order, with no registry:

        * ``MAJOR`` comes from the role's own system prompt, its ``RoleConfig.json``
          entry: the first 20 bits of the SHA-256 of its canonical JSON, read as an
          integer (0 to 1,048,575);
        * ``MINOR`` comes from what the role is asked to do: the ``PhaseConfig.json``
          entries of the phases it takes part in (as assistant or user), together with
          ``ChatChainConfig.json``, hashed the same way.

        Editing a role's persona therefore changes its major number; editing the phase
        prompts it takes part in, or the chain, changes its minor number; editing another
        role's prompts leaves it unchanged. The numbers carry identity, not order: a
        higher number is not a newer prompt. Two different prompts get the same number
        only with a chance of about one in a million.

        Returns None when ``RoleConfig.json`` is absent or does not name the role.
        """
        if not role or self.role is None or role not in self.role:
            return None
        slug = normalize_role(role)
        if slug is None:
            return None
        major = _number(canonical_hash(self.role[role]))
        phases = {
            name: entry
            for name, entry in (self.phase or {}).items()
            if isinstance(entry, dict)
            and role in (entry.get("assistant_role_name"), entry.get("user_role_name"))
        }
        minor = _number(canonical_hash({"phases": phases, "chain": self.chain}))
        return f"{slug}.v{major}.{minor}"
