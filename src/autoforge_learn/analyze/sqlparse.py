"""The vectorized reader: JSONL files -> rows of the events table, in DuckDB SQL.

Three steps, each one pass over columnar data:

1. :func:`read_sql` reads the group's keys with ``read_json``, each typed as its column
   (a value it cannot convert makes ``read_json`` fail, naming the file);
2. :func:`bad_files_sql` lists the files holding a row that breaks a rule of the schema,
   and :func:`distinct_values_sql` the distinct identifiers, checked in Python with the
   schema's own patterns; those files go to the exact per-line parser
   (:mod:`autoforge_learn.schema.parse`), which names each bad line and its reason;
3. :func:`transform_sql` turns the read rows into rows of the events table.
"""

from __future__ import annotations

import functools
import re

from autoforge_learn.analyze.columns import (
    CHECK_KEYS,
    ENUM_VALUES,
    EVENT_COLUMNS,
    GROUP_KINDS,
    KINDS,
    extra_keys,
    source_keys,
)

#: Columns whose value may not be negative, and those bounded to 0..100.
NON_NEGATIVE = (
    "input_tokens",
    "output_tokens",
    "total_cost",
    "duration_seconds",
    "lines_of_code",
    "tests_executed",
    "tests_passed",
    "flaky_tests",
    "vulnerabilities_found",
    "false_positives",
    "security_issues_missed",
    "token_cost_total",
    "time_to_first_prototype",
    "time_to_completion",
)
PERCENT = ("quality_score", "test_coverage_percent", "confidence")

#: Fields each kind requires (besides the envelope), by JSON key.
REQUIRED: dict[str, tuple[str, ...]] = {
    "project_started": ("recipe",),
    "stage_execution": ("stage_id", "agent_role"),
    "gate_evaluation": ("gate_id", "validation_result"),
    "downstream_feedback": ("reporting_agent", "severity"),
    "test_results": ("tests_executed", "tests_passed"),
    "security_scan": ("vulnerabilities_found",),
    "performance_metrics": ("within_slo",),
    "human_approval": ("decision_type",),
    "project_completed": ("project_success",),
}

#: Keys read with a type other than their column's.
KEY_TYPES: dict[str, str] = {
    "timestamp": "VARCHAR",
    "agent_helpfulness_overall": "BIGINT",
    "agent_decision_quality": "BIGINT",
    "gate_frustration_level": "BIGINT",
    "would_use_again": "BOOLEAN",
}

#: Identifiers checked on their distinct values, with the schema's own patterns.
DISTINCT_CHECKED = ("project_id", "prompt_version")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(_q(v) for v in values) + ")"


def key_type(name: str) -> str:
    """The type a JSON key is read as."""
    if name in KEY_TYPES:
        return KEY_TYPES[name]
    sql_type = EVENT_COLUMNS.get(name, "VARCHAR")
    return "VARCHAR" if sql_type == "JSON" else sql_type


def read_sql(group: str, param: str = "$files") -> str:
    """Step 1: ``filename`` and the group's keys of every line of the files ``param``.

    Keys with a column are read typed; the other known keys (kept in ``extra``) as JSON
    (see :func:`read_source` for how lines are read).
    """
    return f"SELECT * FROM {read_source(group, param)}"


class _Exprs:
    """The SQL expressions of one group's columns and checks."""

    def __init__(self, group: str) -> None:
        self.keys = set(source_keys(group))
        self.extras = extra_keys(group)
        self.group = group
        key = self.key
        if "gate_result" in self.keys:
            self.result = f"coalesce({key('validation_result')}, {key('gate_result')})"
        else:
            self.result = key("validation_result")
        self.kind = (
            f"coalesce({key('kind')}, CASE WHEN {key('gate_id')} IS NOT NULL AND "
            f"{self.result} IS NOT NULL THEN 'gate_evaluation' END)"
        )
        ts = key("timestamp")
        # ISO 8601 with a zone, as pydantic's AwareDatetime wants; 'Z' parsed without ICU.
        self.ts = (
            f"CASE WHEN right({ts}, 1) IN ('Z', 'z') THEN TRY_CAST(left({ts}, -1) AS TIMESTAMP) "
            f"WHEN regexp_matches({ts}, '[+-][0-9]{{2}}(:?[0-9]{{2}})?$') "
            f"THEN CAST(TRY_CAST({ts} AS TIMESTAMPTZ) AS TIMESTAMP) END"
        )
        self.cols: dict[str, str] = {}
        for name in EVENT_COLUMNS:
            if name in ("ts", "month", "source_file", "extra", "event_id"):
                continue
            if name == "kind":
                raw = "kind_"
            elif name == "validation_result":
                raw = self.result
            elif name == "stage":
                raw = (
                    f"CASE kind_ WHEN 'stage_execution' THEN {key('stage_id')} "
                    f"WHEN 'downstream_feedback' THEN {key('target_stage')} "
                    f"ELSE {key('stage')} END"
                )
            elif name == "agent_role":
                raw = (
                    f"CASE kind_ WHEN 'downstream_feedback' THEN {key('target_agent')} "
                    f"ELSE {key('agent_role')} END"
                )
            elif name in self.keys:
                raw = f'"{name}"'
            else:
                raw = "NULL"
            self.cols[name] = _with_default(name, raw, self.group)

    def key(self, name: str) -> str:
        return f'"{name}"' if name in self.keys else "NULL"

    def present(self, name: str) -> bool:
        return self.cols.get(name, "NULL") != "NULL"

    def raw_present(self, name: str) -> bool:
        return name in self.keys

    def checks(self) -> list[str]:
        key, out = self.key, []
        for name, values in ENUM_VALUES.items():
            if self.present(name):
                out.append(f"{self.cols[name]} NOT IN {_in(values)}")
        for name in NON_NEGATIVE:
            if self.present(name):
                out.append(f"{self.cols[name]} < 0")
        for name in PERCENT:
            if self.present(name):
                out.append(f"{self.cols[name]} < 0 OR {self.cols[name]} > 100")
        for name in ("retry_attempt", "attempt"):
            if self.present(name):
                out.append(f"{self.cols[name]} < 1")
        if "gate_result" in self.keys and "validation_result" in self.keys:
            out.append(f"{key('gate_result')} <> {key('validation_result')}")
        allowed = KINDS if self.group == "all" else GROUP_KINDS[self.group]
        out.append(f"kind_ IS NULL OR kind_ NOT IN {_in(allowed)}")
        out.append(f"{key('project_id')} IS NULL")
        out.append(f"length({key('event_id')}) NOT BETWEEN 1 AND 200")
        out.append("ts_ IS NULL")
        for kind_name, required in (*REQUIRED.items(), *CHECK_KEYS.items()):
            if kind_name not in allowed:
                continue
            missing = " OR ".join(
                f"{self.result if k == 'validation_result' else key(k)} IS NULL" for k in required
            )
            out.append(f"kind_ = {_q(kind_name)} AND ({missing})")
        return out

    def inner(self, table: str) -> str:
        return f"(SELECT *, {self.kind} AS kind_, {self.ts} AS ts_ FROM {table})"

    def extra(self) -> str:
        """The known keys without a column, as one JSON object without nulls (or NULL).

        Built by string concatenation (``concat_ws`` skips NULLs): the values are already
        JSON text, so nothing is parsed again.
        """
        parts = []
        for name in self.extras:
            if name == "gate_result_reason":
                continue
            value = f'"{name}"' if name not in self.keys else f'to_json("{name}")'
            if name == "validation_reason" and "gate_result_reason" in self.extras:
                value = f'coalesce({value}, "gate_result_reason")'
            parts.append(
                f"CASE WHEN {value} IS NOT NULL AND CAST({value} AS VARCHAR) <> 'null' "
                f"THEN {_q(orjson_key(name))} || CAST({value} AS VARCHAR) END"
            )
        if not parts:
            return "CAST(NULL AS JSON)"
        return f"CAST(nullif('{{' || concat_ws(',', {', '.join(parts)}) || '}}', '{{}}') AS JSON)"


def orjson_key(name: str) -> str:
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


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _q(str(value))


def _with_default(name: str, raw: str, group: str) -> str:
    """``raw``, or the model's default for the row's kind when the key is missing."""
    allowed = KINDS if group == "all" else GROUP_KINDS[group]
    by_value: dict[str, list[str]] = {}
    for kind, value in _defaults().get(name, {}).items():
        if kind in allowed:
            by_value.setdefault(_literal(value), []).append(kind)
    if not by_value:
        return raw
    whens = " ".join(
        f"WHEN kind_ IN {_in(tuple(kinds))} THEN {lit}" for lit, kinds in by_value.items()
    )
    return f"coalesce({raw}, CASE {whens} END)"


def not_bad(group: str) -> str:
    """A WHERE clause keeping only the rows that break no rule."""
    e = _Exprs(group)
    return "WHERE NOT (" + " OR ".join(f"coalesce({c}, false)" for c in e.checks()) + ")"


def _types(group: str) -> dict[str, str]:
    keys = source_keys(group)
    types = {k: key_type(k) for k in keys}
    types.update({k: "JSON" for k in extra_keys(group) if k not in types})
    return dict(sorted(types.items()))


def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f'"{k}": "{t}"' for k, t in types.items()) + "}"


def read_source(group: str, param: str = "$files") -> str:
    """The source of :func:`read_sql`, usable as a table in FROM.

    Lines are read as text and parsed with ``json_transform``: DuckDB's ``read_json``
    pays about 0.3 ms per file at this many columns, which dominates on stores of many
    small files (4-5x slower, measured on 3,000 files). ``json_transform`` turns a value
    of the wrong type into NULL where ``read_json`` raised, so such rows are dropped
    here (a typed key whose raw JSON value is present but whose typed value is NULL):
    the file then falls short of its line count and is read line by line, which names
    the problem, as before. The column separator is a control character that a valid
    JSON line cannot hold unescaped, so each line is one column.
    """
    types = _types(group)
    raw = {k: "JSON" for k in types}
    separator = chr(1)
    lines = (
        f"read_csv({param}, columns = {{'line': 'VARCHAR'}}, delim = '{separator}', "
        "quote = '', escape = '', header = false, auto_detect = false, filename = true, "
        "max_line_size = 16777216)"
    )
    mismatch = " OR ".join(
        f"(r.{_q_ident(k)} IS NOT NULL AND json_type(r.{_q_ident(k)}) <> 'NULL' "
        f"AND j.{_q_ident(k)} IS NULL)"
        for k, t in types.items()
        if t != "JSON"
    ) or "false"
    # MATERIALIZED: without it each field of j.* re-runs json_transform on the line.
    return (
        f"(WITH parsed AS MATERIALIZED (SELECT json_transform(line, '{_struct(types)}') AS j, "
        f"json_transform(line, '{_struct(raw)}') AS r, filename FROM {lines} "
        f"WHERE trim(line) <> '') SELECT j.*, filename FROM parsed WHERE NOT ({mismatch}))"
    )


def read_json_source(group: str, param: str = "$files") -> str:
    """``read_json`` over the files, as a table in FROM: lower fixed cost than
    :func:`read_source`, for a single small file (lines the exact parser normalized)."""
    columns_arg = "{" + ", ".join(f"{_q(k)}: {_q(t)}" for k, t in _types(group).items()) + "}"
    return (
        f"read_json({param}, format = 'newline_delimited', filename = true, "
        f"columns = {columns_arg}, maximum_object_size = 16777216)"
    )


def _q_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bad_files_sql(group: str, table: str) -> str:
    """Step 2: the files of ``table`` (made by :func:`read_sql`) with a row that breaks a rule."""
    e = _Exprs(group)
    bad = " OR ".join(f"coalesce({c}, false)" for c in e.checks())
    return f"SELECT DISTINCT filename FROM {e.inner(table)} WHERE {bad}"


def distinct_values_sql(group: str, table: str, name: str) -> str | None:
    """Step 2: the distinct values of an identifier (None when the group lacks it)."""
    if name not in source_keys(group):
        return None
    return f'SELECT DISTINCT "{name}" FROM {table} WHERE "{name}" IS NOT NULL'


def files_with_values_sql(table: str, name: str) -> str:
    return f'SELECT DISTINCT filename FROM {table} WHERE "{name}" IN (SELECT unnest($values))'


def transform_sql(group: str, table: str, *, where: str = "", source_file: str = "filename") -> str:
    """Step 3: the rows of the events table from ``table`` (``source_file`` = filename).

    An event without ``event_id`` gets ``d-`` + the md5 of its typed values, so that the
    same event read again, from any file or path, gets the same id.
    """
    e = _Exprs(group)
    id_parts = ["kind_", "CAST(epoch_us(ts_) AS VARCHAR)"]
    for name in EVENT_COLUMNS:
        if name in e.cols and name != "kind":
            id_parts.append(
                f"coalesce(CAST({e.cols[name]} AS VARCHAR), '~')" if e.present(name) else "'~'"
            )
    merged: list[str] = []
    for part in id_parts:  # runs of constants become one literal
        if part == "'~'" and merged and merged[-1].startswith("'~"):
            merged[-1] = merged[-1][:-1] + "|~'"
        else:
            merged.append(part)
    event_id = f"coalesce({e.key('event_id')}, 'd-' || md5(concat_ws('|', {', '.join(merged)})))"
    columns = []
    for name, sql_type in EVENT_COLUMNS.items():
        if name == "event_id":
            columns.append(f"{event_id} AS event_id")
        elif name == "ts":
            columns.append("ts_ AS ts")
        elif name == "month":
            columns.append("strftime(ts_, '%Y-%m') AS month")
        elif name == "source_file":
            columns.append(f"{source_file} AS source_file")
        elif name == "extra":
            columns.append(f"{e.extra()} AS extra")
        else:
            expr = e.cols[name]
            if expr == "NULL" or f'"{name}"' != expr and sql_type != "VARCHAR":
                expr = f"CAST({expr} AS {sql_type})"  # a default's literal, or NULL
            columns.append(f"{expr} AS {name}")
    return f"SELECT {', '.join(columns)} FROM {e.inner(table)} {where}"


def valid_identifier(name: str, value: str) -> bool:
    """Whether a distinct value passes the schema's check for that field."""
    from autoforge_learn.schema.events import PROMPT_VERSION_PATTERN, check_safe_id

    if name == "project_id":
        try:
            check_safe_id(value)
        except ValueError:
            return False
        return True
    if name == "prompt_version":
        return re.match(PROMPT_VERSION_PATTERN, value) is not None
    return True
