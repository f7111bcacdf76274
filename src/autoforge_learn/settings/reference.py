"""The settings reference page (``docs/settings.md``), generated from the models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from autoforge_learn.settings import Settings, iter_settings


def settings_reference() -> str:
    """The settings reference (``docs/settings.md``), generated from the models: one
    table per section with every key, its default and what it does."""
    lines = [
        "# Settings",
        "",
        "Every key of `.autoforge/config.yaml`, with its default. Every key is optional; an",
        "unknown key or a value out of bounds is an error that names the file and the key.",
        "`autoforge init` writes a config file with every default. This page is generated",
        "from the settings models (`autoforge_learn.settings`); a test keeps it in step.",
    ]
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        lines += ["", f"## `{name}`", ""]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines += [(annotation.__doc__ or "").strip(), ""]
            rows = list(iter_settings(annotation, f"{name}."))
        else:
            rows = [(name, getattr(Settings(), name), field.description or "")]
        lines += ["| setting | default | what it does |", "|---|---|---|"]
        for key, default, description in rows:
            shown = _shown(default)
            lines.append(f"| `{key}` | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    import json

    if isinstance(value, dict) and value:
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return f"`{json.dumps(value)}`"
