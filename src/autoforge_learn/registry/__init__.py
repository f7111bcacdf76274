"""Versioned prompts (and later recipes) with their history."""

from autoforge_learn.registry.prompts import (
    PromptRegistry,
    PromptVersion,
    RegistryError,
    parse_version_id,
)

__all__ = ["PromptRegistry", "PromptVersion", "RegistryError", "parse_version_id"]
