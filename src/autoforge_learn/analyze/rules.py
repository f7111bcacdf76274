"""What the schema accepts for each JSON key of each kind, derived from the pydantic models.

The bulk reader's checks (:mod:`.sqlchecks`) are generated from these rules, never kept
by hand: :func:`kind_rules` walks each model's JSON Schema (``model_json_schema``), so a
field, bound, enum value or pattern added to a model is checked by the index at once.
What a JSON Schema cannot say is found on the models too: fields with a field validator
(:func:`custom_fields`, judged by pydantic itself on their distinct values) and model
validators (:func:`model_validators`, each needing an SQL counterpart, see
:data:`autoforge_learn.analyze.sqlchecks.MODEL_VALIDATOR_SQL`).

Every rule errs on the strict side: the SQL may turn down a line the exact parser takes
(``"3"`` for an integer, which pydantic's lax mode accepts); the line's file is then read
by the exact parser, whose answer wins. It must never take a line the parser turns down.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

#: JSON types (as DuckDB's ``json_type`` names them) taken as they are for a JSON Schema
#: type, and the SQL type the key is read as.
_SCALARS: dict[str, tuple[tuple[str, ...], str]] = {
    "string": (("VARCHAR",), "VARCHAR"),
    "integer": (("BIGINT", "UBIGINT"), "BIGINT"),  # UBIGINT: range checked when read
    "number": (("BIGINT", "UBIGINT", "DOUBLE"), "DOUBLE"),
    "boolean": (("BOOLEAN",), "BOOLEAN"),
}


@dataclass(frozen=True)
class Rule:
    """What a model accepts for one JSON key.

    Attributes:
        key: The JSON key.
        json_types: JSON types taken as they are (``NULL`` when the field is nullable);
            empty when the bulk reader cannot judge the value (any value present sends
            the line to the exact parser).
        sql_type: The type the value is read as (``JSON`` for arrays and objects).
        required: The field has no default.
        values: The allowed values (enum, Literal or const), or None.
        minimum: ``ge`` bound; ``exclusive_minimum`` the ``gt`` one (likewise maximum).
        min_length: Shortest string (in characters); ``max_length`` the longest.
        pattern: A regular expression the string must contain a match of.
        datetime: The string is a timezone-aware ISO 8601 timestamp.
        items: The JSON type of each element of an array.
        children: The rules of a nested model's fields.
    """

    key: str
    json_types: tuple[str, ...]
    sql_type: str
    required: bool = False
    values: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    datetime: bool = False
    items: str | None = None
    children: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def nullable(self) -> bool:
        return "NULL" in self.json_types

    def constrained(self) -> bool:
        """Whether anything beyond the JSON type limits the value."""
        return any(
            v is not None
            for v in (
                self.values,
                self.minimum,
                self.maximum,
                self.exclusive_minimum,
                self.exclusive_maximum,
                self.min_length,
                self.max_length,
                self.pattern,
            )
        ) or bool(self.datetime or self.items or self.children)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return {**defs[ref.rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}


def _rule(key: str, schema: dict[str, Any], defs: dict[str, Any], required: bool) -> Rule:
    """The rule of one property of a JSON Schema."""
    schema = _resolve(schema, defs)
    nullable = False
    options = schema.get("anyOf")
    if options is not None:
        rest = [o for o in options if o.get("type") != "null"]
        nullable = len(rest) < len(options)
        if len(rest) != 1:  # a union the bulk reader does not judge
            return Rule(key, (), "JSON", required)
        schema = _resolve(rest[0], defs)
    kind = schema.get("type")
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    extra: dict[str, Any] = {
        "values": tuple(values) if values is not None else None,
        "minimum": schema.get("minimum"),
        "maximum": schema.get("maximum"),
        "exclusive_minimum": schema.get("exclusiveMinimum"),
        "exclusive_maximum": schema.get("exclusiveMaximum"),
        "min_length": schema.get("minLength"),
        "max_length": schema.get("maxLength"),
        "pattern": schema.get("pattern"),
        "datetime": schema.get("format") == "date-time",
    }
    null = ("NULL",) if nullable else ()
    if kind in _SCALARS:
        json_types, sql_type = _SCALARS[kind]
        return Rule(key, json_types + null, sql_type, required, **extra)
    if kind == "array":
        item = _resolve(schema.get("items", {}), defs)
        if item.get("type") == "string" and len(item) <= 2:  # {"type": "string"[, title]}
            return Rule(key, ("ARRAY", *null), "JSON", required, items="VARCHAR")
    if kind == "object" and "properties" in schema and schema.get("additionalProperties", True):
        nested = schema.get("required", [])
        children = tuple(
            _rule(name, prop, defs, name in nested) for name, prop in schema["properties"].items()
        )
        return Rule(key, ("OBJECT", *null), "JSON", required, children=children)
    return Rule(key, (), "JSON", required)  # judged by the exact parser only


@functools.cache
def kind_rules(kind: str) -> dict[str, Rule]:
    """JSON key -> rule, for every field of ``kind``'s model."""
    from autoforge_learn.schema.events import EVENT_MODELS

    schema = EVENT_MODELS[kind].model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    return {
        name: _rule(name, prop, defs, name in required)
        for name, prop in schema["properties"].items()
    }


@functools.cache
def alias_rules(kind: str) -> dict[str, Rule]:
    """Rules of the other accepted spellings of fields (``gate_result``), never required."""
    from autoforge_learn.schema.parse import GATE_FIELD_ALIASES

    if kind != "gate_evaluation":
        return {}
    rules = kind_rules(kind)
    out = {}
    for alias, name in GATE_FIELD_ALIASES.items():
        rule = rules[name]
        out[alias] = Rule(**{**rule.__dict__, "key": alias, "required": False})
    return out


def all_rules(kind: str) -> dict[str, Rule]:
    """:func:`kind_rules` and :func:`alias_rules` of ``kind``."""
    return {**kind_rules(kind), **alias_rules(kind)}


@functools.cache
def custom_fields() -> dict[str, tuple[str, ...]]:
    """Field -> the kinds whose model checks it with a field validator of its own (code
    no JSON Schema shows): such values are judged by pydantic itself."""
    from autoforge_learn.schema.events import EVENT_MODELS

    out: dict[str, list[str]] = {}
    for kind, model in EVENT_MODELS.items():
        for decorator in model.__pydantic_decorators__.field_validators.values():
            for name in decorator.info.fields:
                out.setdefault(name, []).append(str(kind))
    return {name: tuple(kinds) for name, kinds in out.items()}


@functools.cache
def model_validators() -> dict[str, tuple[str, ...]]:
    """Kind -> the names of its model's model validators (cross-field checks and
    derived fields), which the SQL must mirror or leave to the exact parser."""
    from autoforge_learn.schema.events import EVENT_MODELS

    return {
        str(kind): tuple(model.__pydantic_decorators__.model_validators)
        for kind, model in EVENT_MODELS.items()
        if model.__pydantic_decorators__.model_validators
    }


def check_value(name: str, value: Any, kinds: tuple[str, ...]) -> bool:
    """Whether pydantic accepts ``value`` for field ``name`` of each of ``kinds`` (the
    field alone: its type, constraints and field validators)."""
    from pydantic import ValidationError

    from autoforge_learn.schema.events import EVENT_MODELS

    for kind in _probe_kinds(name, kinds):
        model = EVENT_MODELS[kind]
        empty = model.model_construct()  # type: ignore[call-arg]  # no fields: only one is set
        try:
            model.__pydantic_validator__.validate_assignment(empty, name, value)
        except ValidationError:
            return False
    return True


@functools.cache
def _probe_kinds(name: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """One kind per distinct set of field validators of ``name`` (models inherit the
    envelope's), preferring models without model validators: assigning one field to an
    empty model must not run a cross-field check that reads the others."""
    from autoforge_learn.schema.events import EVENT_MODELS

    chosen: dict[tuple[str, ...], str] = {}
    for kind in sorted(kinds, key=lambda k: k in model_validators()):
        decorators = EVENT_MODELS[kind].__pydantic_decorators__.field_validators.values()
        funcs = tuple(sorted(d.func.__qualname__ for d in decorators if name in d.info.fields))
        chosen.setdefault(funcs, kind)
    return tuple(chosen.values())
