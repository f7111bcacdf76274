"""Settings: every key of ``.autoforge/config.yaml``, declared once as typed models.

Each section of the file is a model below; each setting has its type, its bounds, its
default and a description (the settings reference in ``docs/settings.md`` is generated
from these models, and a test keeps it in step). Every key is optional: a missing key
takes its default. An unknown key, a wrong type or a value out of bounds is a
:class:`~autoforge_learn.errors.ConfigError` naming the file and the key.

    settings = load_settings(Path(".autoforge/config.yaml"))
    settings.patterns.retry_hotspot.threshold   # 1.0
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from autoforge_learn.errors import ConfigError
from autoforge_learn.settings.sections import (
    SUGGESTION_TYPES,
    AutoFixSettings,
    CalibrationSettings,
    CollectSettings,
    GateCauseSettings,
    GateSettings,
    HandoffSettings,
    LoopSettings,
    OverrideSettings,
    PatternSettings,
    RecipeSettings,
    RetrySettings,
    SuggestSettings,
    TokenSettings,
    _Section,
)


class Settings(_Section):
    """The whole ``config.yaml``."""

    schema_version: str = Field("1.0", description="Version of the config file's layout.")
    collect: CollectSettings = Field(default_factory=CollectSettings)
    gates: GateSettings = Field(default_factory=GateSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    loops: LoopSettings = Field(default_factory=LoopSettings)
    suggest: SuggestSettings = Field(default_factory=SuggestSettings)

    def merged(self, overrides: Mapping[str, Any] | None) -> Settings:
        """These settings with ``overrides`` (a nested mapping, as in the file) on top.

        Raises:
            ConfigError: If an override names an unknown setting or a bad value.
        """
        if not overrides:
            return self
        return settings_from_mapping(_merge(self.model_dump(), overrides), source="overrides")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            # priors/efficacy: a partial mapping adds to the defaults
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return []
    return list(model.model_fields)


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            known = _known_keys(Settings, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"; did you mean {'.'.join([*map(str, loc[:-1]), close[0]])}?" if close else ""
            lines.append(f"{source}: {key}: unknown setting{hint}")
        else:
            lines.append(f"{source}: {key}: {err['msg']}")
    return "\n".join(lines)


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "config") -> Settings:
    """Validate a nested mapping (a parsed ``config.yaml``) as settings.

    Raises:
        ConfigError: Naming ``source`` and each bad key.
    """
    try:
        # merged over the defaults, so a partial per-type mapping (suggest.priors) keeps
        # the types it does not name
        return Settings.model_validate(_merge(Settings().model_dump(), data))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_settings(path: Path) -> Settings:
    """The settings of a ``config.yaml`` (the defaults when the file does not exist).

    Raises:
        ConfigError: If the file cannot be read, is not YAML, is not a mapping, or holds
            an unknown key or a bad value; the message names the file and the key.
    """
    if not os.path.lexists(path):  # a link that leads nowhere is a config that cannot be read
        return Settings()
    import yaml

    from autoforge_learn.store.yamlfile import read_yaml

    try:  # a regular file of bounded size, no aliases (a FIFO or a bomb never hangs us)
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return settings_from_mapping(data, source=str(path))


def iter_settings(
    model: type[BaseModel] = Settings, prefix: str = ""
) -> Iterator[tuple[str, Any, str]]:
    """Every leaf setting as ``(dotted.key, default, description)``, in declaration order."""
    instance = model()
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_settings(annotation, f"{key}.")
        else:
            yield key, getattr(instance, name), field.description or ""


def default_config_text() -> str:
    """A ``config.yaml`` with every setting at its default, sections commented."""
    import yaml

    lines = [
        "# AutoForge Learn configuration. Every key is optional; a missing key takes the",
        "# default shown here. Each setting is described in docs/settings.md.",
    ]
    data = Settings().model_dump(mode="json")
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines.append(f"# {annotation.__doc__ or name}")
        lines.append(yaml.safe_dump({name: data[name]}, sort_keys=False).rstrip())
    return "\n".join(lines) + "\n"


def settings_reference() -> str:
    """The settings reference page (``docs/settings.md``), generated from the models."""
    from autoforge_learn.settings.reference import settings_reference as render

    return render()


__all__ = [
    "SUGGESTION_TYPES",
    "AutoFixSettings",
    "CalibrationSettings",
    "CollectSettings",
    "GateCauseSettings",
    "GateSettings",
    "HandoffSettings",
    "LoopSettings",
    "OverrideSettings",
    "PatternSettings",
    "RecipeSettings",
    "RetrySettings",
    "Settings",
    "SuggestSettings",
    "TokenSettings",
    "default_config_text",
    "iter_settings",
    "load_settings",
    "settings_from_mapping",
    "settings_reference",
]
