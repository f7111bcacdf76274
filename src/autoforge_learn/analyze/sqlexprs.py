"""The SQL expressions of the events table's columns, over the keys read from a line.

:class:`Exprs` holds, for one file group, each column's expression (a key, the model's
default for the row's kind when the key is missing, or the value a model validator
derives), the row's kind and timestamp, and the ``extra`` JSON object.
"""

from __future__ import annotations

import functools

from autoforge_learn.analyze.columns import (
    EVENT_COLUMNS,
    GROUP_KINDS,
    KINDS,
    extra_keys,
    source_keys,
)

#: ISO 8601 with a zone, in the forms both pydantic's AwareDatetime and DuckDB read alike
#: (others, e.g. a lowercase ``t``, go to the exact parser, which may still take them).
DATETIME_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])$"
)


def q(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def in_list(values: tuple[object, ...]) -> str:
    """``(v1, v2, ...)`` of SQL literals."""
    return "(" + ", ".join(literal(v) for v in values) + ")"


def q_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A Python constant as an SQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return q(str(value))


def datetime_sql(value: str) -> str:
    """The UTC TIMESTAMP of a timestamp string, NULL unless pydantic reads it the same.

    ``Z`` is parsed as a plain timestamp (no time zone lookup); an offset through
    TIMESTAMPTZ. Year 0 is DuckDB's 1 BC and pydantic's error.
    """
    parsed = (
        f"CASE WHEN regexp_full_match({value}, {q(DATETIME_RE)}) AND NOT starts_with({value}, "
        f"'0000') THEN CASE WHEN right({value}, 1) IN ('Z', 'z') THEN "
        f"TRY_CAST(left({value}, -1) AS TIMESTAMP) "
        f"ELSE CAST(TRY_CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP) END END"
    )
    # 9999-12-31T23:59-12:00 is year 10000 in UTC: pydantic's datetime cannot hold it.
    # Only the first and the last day of the range can leave it through their offset, so
    # only their rows pay for a second evaluation (CASE runs a branch for its rows only).
    in_range = (
        f"CASE WHEN ({parsed}) BETWEEN TIMESTAMP '0001-01-01 00:00:00' "
        f"AND TIMESTAMP '9999-12-31 23:59:59.999999' THEN ({parsed}) END"
    )
    return (
        f"CASE WHEN starts_with({value}, '9999-12-31') OR starts_with({value}, '0001-01-01') "
        f"THEN {in_range} ELSE {parsed} END"
    )


class Exprs:
    """The SQL expressions of one group's columns."""

    def __init__(self, group: str) -> None:
        from autoforge_learn.analyze.sqlchecks import validator_columns

        self.keys = set(source_keys(group))
        self.extras = extra_keys(group)
        self.group = group
        self.allowed = KINDS if group == "all" else GROUP_KINDS[group]
        key = self.key
        if "gate_result" in self.keys:
            self.result = f"coalesce({key('validation_result')}, {key('gate_result')})"
        else:
            self.result = key("validation_result")
        self.kind = (
            f"coalesce({key('kind')}, CASE WHEN {key('gate_id')} IS NOT NULL AND "
            f"{self.result} IS NOT NULL THEN 'gate_evaluation' END)"
        )
        self.ts = datetime_sql(key("timestamp"))
        self.cols: dict[str, str] = {}
        for name in EVENT_COLUMNS:
            if name in ("ts", "month", "source_file", "extra", "event_id"):
                continue
            self.cols[name] = _with_default(name, self._raw(name), self.allowed)
        self.cols.update(validator_columns(self))

    def _raw(self, name: str) -> str:
        key = self.key
        if name == "kind":
            return "kind_"
        if name == "validation_result":
            return self.result
        if name == "stage":
            return (
                f"CASE kind_ WHEN 'stage_execution' THEN {key('stage_id')} "
                f"WHEN 'downstream_feedback' THEN {key('target_stage')} "
                f"ELSE {key('stage')} END"
            )
        if name == "agent_role":
            return (
                f"CASE kind_ WHEN 'downstream_feedback' THEN {key('target_agent')} "
                f"ELSE {key('agent_role')} END"
            )
        return key(name)

    def key(self, name: str) -> str:
        """The read value of a JSON key (NULL when the group does not read it)."""
        return q_ident(name) if name in self.keys else "NULL"

    def present(self, name: str) -> bool:
        return self.cols.get(name, "NULL") != "NULL"

    def inner(self, table: str) -> str:
        return f"(SELECT *, {self.kind} AS kind_, {self.ts} AS ts_ FROM {table})"

    def extra(self) -> str:
        """The known keys without a column, as one JSON object without nulls (or NULL).

        Built by string concatenation (``concat_ws`` skips NULLs): the values are already
        JSON text, so nothing is parsed again.
        """
        from autoforge_learn.analyze.sqlparse import key_type

        parts = []
        for name in self.extras:
            if name == "gate_result_reason":
                continue
            typed = name in self.keys and key_type(name) != "JSON"
            value = f"to_json({q_ident(name)})" if typed else q_ident(name)
            if name == "validation_reason" and "gate_result_reason" in self.extras:
                value = f'coalesce({value}, to_json("gate_result_reason"))'
            parts.append(
                f"CASE WHEN {value} IS NOT NULL AND CAST({value} AS VARCHAR) <> 'null' "
                f"THEN {q(json_key(name))} || CAST({value} AS VARCHAR) END"
            )
        if not parts:
            return "CAST(NULL AS JSON)"
        return f"CAST(nullif('{{' || concat_ws(',', {', '.join(parts)}) || '}}', '{{}}') AS JSON)"


def json_key(name: str) -> str:
    """``"name":`` as JSON text."""
    return f'"{name}":'


@functools.cache
def _defaults() -> dict[str, dict[str, object]]:
    """column -> {kind: the model's default} for fields with a constant default."""
    from autoforge_learn.schema.events import EVENT_MODELS

    out: dict[str, dict[str, object]] = {}
    for kind, model in EVENT_MODELS.items():
        for name, info in model.model_fields.items():
            if name in EVENT_COLUMNS and info.default is not None and not info.is_required():
                default = info.default
                if hasattr(default, "value"):
                    default = default.value
                if isinstance(default, bool | int | float | str):
                    out.setdefault(name, {})[str(kind)] = default
    out.pop("kind", None)
    out.pop("schema_version", None)
    return out


def _with_default(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    """``raw``, or the model's default for the row's kind when the key is missing."""
    by_value: dict[str, list[str]] = {}
    for kind, value in _defaults().get(name, {}).items():
        if kind in allowed:
            by_value.setdefault(literal(value), []).append(kind)
    if not by_value:
        return raw
    whens = " ".join(
        f"WHEN kind_ IN {in_list(tuple(kinds))} THEN {lit}" for lit, kinds in by_value.items()
    )
    return f"coalesce({raw}, CASE {whens} END)"
