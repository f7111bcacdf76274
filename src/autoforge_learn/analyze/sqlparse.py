"""The vectorized reader: lines of JSONL -> rows of the events table, in DuckDB SQL.

1. :func:`read_source` parses lines (a table of ``fid``, ``line``) into the group's
   keys, each typed as its column, and drops lines whose JSON types are not exactly
   right;
2. :func:`transform_sql` turns them into rows of the events table, and :func:`not_bad`
   keeps the rows that break no rule of the schema;
3. :func:`invalid_values_sql` finds identifiers that break the schema's patterns.

A file whose rows were not all kept goes to the exact per-line parser
(:mod:`autoforge_learn.schema.parse`), which names each bad line and its reason.
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
    "experiment_assignment": ("experiment_id", "arm", "agent_role", "prompt_version"),
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


#: JSON value types (as ``json_type`` names them) taken as they are for each column type;
#: any other value sends the line to the exact parser (which may still accept it, e.g.
#: ``"3"`` for an integer, as pydantic's lax mode does).
_JSON_TYPES_OK: dict[str, tuple[str, ...]] = {
    "VARCHAR": ("VARCHAR",),
    "BIGINT": ("BIGINT", "UBIGINT"),  # UBIGINT: any positive integer (range checked)
    "DOUBLE": ("BIGINT", "UBIGINT", "DOUBLE"),
    "BOOLEAN": ("BOOLEAN",),
}

#: The column of the source rows holding the derived id of a line without ``event_id``.
DERIVED_ID = "derived_id_"


def read_source(group: str, lines: str = "af_lines") -> str:
    """The group's keys of each line of the table ``lines`` (``fid``, ``line``), as a
    table usable in FROM, with ``fid`` and :data:`DERIVED_ID`.

    Each line is parsed once into the typed keys (``json_transform``) and once more for
    the JSON type of each typed key (``json_type``): ``json_transform`` converts loosely
    (``5`` into the text ``'5'``, ``3.7`` into ``4``), so a row whose types are not
    exactly right is dropped here; its file then falls short of its line count and is
    read line by line, where the exact parser judges it. A line that is not a JSON
    object is dropped the same way. The id of a line without ``event_id`` is the MD5 of
    the line with its newline (as :func:`autoforge_learn.schema.parse.derive_event_id`).
    """
    types = _types(group)
    checked = [(k, t) for k, t in types.items() if t != "JSON"]
    paths = "[" + ", ".join(_q(f'$."{k}"') for k, _t in checked) + "]"
    json_type = f"TRY(json_type(line, {paths}))"
    tests = []
    for i, (k, t) in enumerate(checked, start=1):
        tests.append(f"coalesce(ty[{i}], 'NULL') NOT IN {_in(('NULL', *_JSON_TYPES_OK[t]))}")
        if t == "BIGINT":  # beyond BIGINT's range json_transform gives NULL
            tests.append(f"(coalesce(ty[{i}] = 'UBIGINT', false) AND j.{_q_ident(k)} IS NULL)")
    mismatch = " OR ".join(tests)
    # MATERIALIZED: without it each field of j.* re-runs json_transform on the line.
    # A line whose text lacks "event_id" has no such key: its id is derived. One that has
    # the text but not the key (inside a value) gets no id here and is dropped, so it is
    # read line by line.
    return (
        f"(WITH parsed AS MATERIALIZED (SELECT TRY(json_transform(line, '{_struct(types)}')) "
        f"AS j, {json_type} AS ty, CASE WHEN NOT contains(line, '\"event_id\"') "
        f"THEN 'd-' || md5(line) END AS {DERIVED_ID}, fid FROM {lines} WHERE line <> chr(10)) "
        f"SELECT j.*, fid, {DERIVED_ID} FROM parsed WHERE j IS NOT NULL AND ty IS NOT NULL "
        f"AND (j.event_id IS NOT NULL OR {DERIVED_ID} IS NOT NULL) AND NOT ({mismatch}))"
    )


def read_json_source(
    group: str, param: str = "$files", *, extra_columns: dict[str, str] | None = None
) -> str:
    """``read_json`` over the files, as a table in FROM: for lines the exact parser
    normalized (each holds its ``event_id``), with ``extra_columns`` read too."""
    types = {**_types(group), **(extra_columns or {})}
    columns_arg = "{" + ", ".join(f"{_q(k)}: {_q(t)}" for k, t in types.items()) + "}"
    return (
        f"read_json({param}, format = 'newline_delimited', filename = true, "
        f"columns = {columns_arg}, maximum_object_size = 16777216)"
    )


def _q_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def transform_sql(
    group: str,
    table: str,
    *,
    where: str = "",
    source_file: str = "filename",
    derived_id: str | None = DERIVED_ID,
) -> str:
    """The rows of the events table from the read rows ``table``.

    Args:
        group: The file group the rows were read as.
        table: The read rows (:func:`read_source` or :func:`read_json_source`).
        where: A WHERE clause (:func:`not_bad`).
        source_file: The expression of the row's file (relative to ``raw/``).
        derived_id: The column holding the id of a row without ``event_id``; None when
            every row has one (a row without is then left out as bad).
    """
    e = _Exprs(group)
    event_id = e.key("event_id")
    if derived_id is not None:
        event_id = f"coalesce({event_id}, {derived_id})"
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


#: The schema's patterns of identifiers (``schema.events``; RE2 syntax, whole match):
#: checked on distinct values in SQL, the few that fail are confirmed in Python.
IDENTIFIER_PATTERNS = {
    "project_id": r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
    "prompt_version": r"[a-z][a-z0-9_]*\.v[0-9]+\.[0-9]+",
}


def invalid_values_sql(name: str, table: str) -> str:
    """The distinct values of identifier ``name`` in ``table`` that may be invalid."""
    q = _q_ident(name)
    bad = f"NOT regexp_full_match(v, {_q(IDENTIFIER_PATTERNS[name])})"
    if name == "project_id":
        bad += " OR contains(v, '..')"
    return f"SELECT v FROM (SELECT DISTINCT {q} AS v FROM {table} AND {q} IS NOT NULL) WHERE {bad}"


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
