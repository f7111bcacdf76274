"""The JSON Schema of events, generated from the pydantic models (never kept by hand)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import orjson
from pydantic import TypeAdapter

from autoforge_learn.schema.events import SCHEMA_VERSION, Event

SCHEMA_ID = "https://autoforge.dev/schemas/training-event.schema.json"
SHIPPED_SCHEMA = "event.schema.json"


def generate_json_schema() -> dict[str, Any]:
    """Build the JSON Schema (draft 2020-12) of one event line from the models."""
    schema = TypeAdapter(Event).json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "AutoForge Learn training event",
        "description": (
            f"One line of .autoforge/ai/training_data/raw/*.jsonl, schema version "
            f"{SCHEMA_VERSION}. Fields not listed are allowed and kept."
        ),
        **schema,
    }


def render_json_schema() -> str:
    """The generated schema as pretty JSON text, as shipped in the package."""
    return orjson.dumps(generate_json_schema(), option=orjson.OPT_INDENT_2).decode() + "\n"


@lru_cache(maxsize=1)
def shipped_json_schema() -> dict[str, Any]:
    """The copy of the schema that ships in the package."""
    text = resources.files("autoforge_learn.schema").joinpath(SHIPPED_SCHEMA).read_text()
    return orjson.loads(text)
