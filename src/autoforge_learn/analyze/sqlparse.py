"""The vectorized reader: lines of JSONL -> rows of the events table, in DuckDB SQL.

1. :func:`read_source` parses lines (a table of ``fid``, ``line``) into the group's
   keys, each typed as its field, with their JSON types, and drops lines the exact
   parser would read otherwise (not strict JSON, a key twice);
2. :func:`transform_sql` turns them into rows of the events table, and :func:`not_bad`
   keeps the rows that break no rule of the schema (:mod:`.sqlchecks`, generated from
   the models);
3. :func:`invalid_values_sql` finds values of checked columns that may be invalid, which
   :func:`valid_value` confirms with pydantic.

A file whose rows were not all kept goes to the exact per-line parser
(:mod:`autoforge_learn.schema.parse`), which names each bad line and its reason.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from autoforge_learn.analyze.columns import (
    EVENT_COLUMNS,
    KINDS,
    checked_keys,
    extra_keys,
    source_keys,
)
from autoforge_learn.analyze.sqlchecks import distinct_checked, row_checks
from autoforge_learn.analyze.sqlexprs import Exprs, q, q_ident

#: The column of the source rows holding the derived id of a line without ``event_id``.
DERIVED_ID = "derived_id_"

#: JSON value types taken as they are for each SQL type a key is read as, whatever the
#: row's kind: ``json_transform`` converts loosely (``5`` into ``'5'``, ``3.7`` into
#: ``4``), so any other value sends the line to the exact parser.
_JSON_TYPES_OK: dict[str, tuple[str, ...]] = {
    "VARCHAR": ("VARCHAR",),
    "BIGINT": ("BIGINT", "UBIGINT"),  # UBIGINT: any positive integer (range checked)
    "DOUBLE": ("BIGINT", "UBIGINT", "DOUBLE"),
    "BOOLEAN": ("BOOLEAN",),
}

#: The letter of each JSON type (as ``json_type`` names it) in a line's type signature
#: (:data:`SIGNATURE`): one letter per checked key, ``-`` for a key the line lacks,
#: ``?`` for any other type. A row's type checks are one regular expression over it:
#: extracting the keys' types one by one took most of the bulk reader's check time.
TYPE_LETTERS: dict[str, str] = {
    "NULL": "n",
    "VARCHAR": "v",
    "BIGINT": "i",
    "UBIGINT": "u",
    "DOUBLE": "d",
    "BOOLEAN": "b",
    "ARRAY": "a",
    "OBJECT": "o",
}
#: The column of the source rows holding their type signature.
SIGNATURE = "sig_"


def type_class(json_types: Iterable[str], *, absent: bool) -> str:
    """The regular expression matching one key's letter in a type signature when its
    JSON type is one of ``json_types`` (or, if ``absent``, when the line lacks it)."""
    letters = sorted({TYPE_LETTERS[t] for t in json_types} | ({"-"} if absent else set()))
    return "[" + "".join(letters) + "]" if letters else "[^\\s\\S]"


def signature_sql(types: str) -> str:
    """The type signature of the list of JSON types ``types`` (one per checked key)."""
    cases = " ".join(f"WHEN {q(t)} THEN {q(c)}" for t, c in TYPE_LETTERS.items())
    return (f"array_to_string(list_transform({types}, lambda t: CASE coalesce(t, '') "
            f"WHEN '' THEN '-' {cases} ELSE '?' END), '')")


#: A JSON string, to blank out strings before looking for tokens outside them.
_STRING_RE = r'"([^"\\]|\\.)*"'
#: Outside strings: what DuckDB's JSON reader takes and orjson refuses (NaN, Infinity in
#: any case, a trailing comma) or reads otherwise (a number beyond a double).
_LENIENT_RE = r"(?i)nan|inf|,\s*[}\]]|e\+?[0-9]{3}|[0-9]{300}"
#: A trailing comma with blanks before the bracket (anywhere: a false alarm in a string
#: costs only a read by the exact parser).
_SPACED_CLOSE_RE = r",[ \t]*[}\]]"
#: orjson refuses more nesting than this.
MAX_DEPTH = 1024


@functools.cache
def key_type(name: str) -> str:
    """The SQL type a JSON key is read as: its fields' type in every model that has it
    (``JSON`` for arrays, objects, keys of no model and keys typed differently)."""
    from autoforge_learn.analyze.rules import all_rules

    types = {all_rules(k)[name].sql_type for k in KINDS if name in all_rules(k)}
    return types.pop() if len(types) == 1 else "JSON"


def _types(group: str) -> dict[str, str]:
    keys = set(source_keys(group)) | set(extra_keys(group))
    return {k: key_type(k) for k in sorted(keys)}


def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f'"{k}": "{t}"' for k, t in types.items()) + "}"


def _strict_json_sql() -> str:
    """True for a line the exact parser may read otherwise than DuckDB.

    Every line: a trailing comma in compact JSON (``,}``, ``,]``) or with blanks before
    the bracket, and more brackets than orjson nests. A line holding a key this group
    does not read, or one key twice (its key count exceeds the keys read), is searched
    outside its strings for NaN, Infinity, trailing commas and huge numbers, and its keys
    for duplicates. In a line of known keys only, such values show in their JSON types.
    """
    # a raw tab is whitespace between tokens (strings hold it escaped): rare enough
    blank_close = "contains(line, ' }') OR contains(line, ' ]') OR contains(line, chr(9))"
    # CASE, not AND: DuckDB computed both sides of the AND for every line, and the two
    # replace() copies were a quarter of this guard's time; CASE skips the short lines
    depth = (
        f"CASE WHEN strlen(line) > {2 * MAX_DEPTH} THEN strlen(line) - "
        f"strlen(replace(replace(line, '[', ''), '{{', '')) > {MAX_DEPTH} ELSE false END"
    )
    # nk_ and ty: the line's key count and the JSON types of the keys read (parsed once)
    unknown = (
        "CASE WHEN nk_ = list_count(ty) THEN false ELSE coalesce(TRY(len(list_distinct("
        "json_keys(line))) <> nk_), true) OR regexp_matches(regexp_replace(line, "
        f"{q(_STRING_RE)}, '\"\"', 'g'), {q(_LENIENT_RE)}) END"
    )
    spaced = q(_SPACED_CLOSE_RE)
    return (
        f"contains(line, ',}}') OR contains(line, ',]') OR (({blank_close}) AND "
        f"regexp_matches(line, {spaced})) OR {depth} OR {unknown}"
    )


def read_source(group: str, lines: str = "af_lines") -> str:
    """The group's keys of each line of the table ``lines`` (``fid``, ``line``), as a
    table usable in FROM, with ``fid``, :data:`DERIVED_ID`, the JSON types ``ty_`` and
    their :data:`SIGNATURE`.

    Each line is parsed into the typed keys (``json_transform``), the JSON type of each
    checked key (``json_type``) and its keys (``json_keys``). A row whose types are not
    exactly right is dropped here, and so is a line the exact parser reads otherwise
    (:func:`_strict_json_sql`); its file then falls short of its line count and is read
    line by line, where the exact parser judges it. A line that is not a JSON object is
    dropped the same way. The id of a line without ``event_id`` is the MD5 of the line
    with its newline (as :func:`autoforge_learn.schema.parse.derive_event_id`).
    """
    types = _types(group)
    checked = checked_keys(group)
    paths = "[" + ", ".join(q(f'$."{k}"') for k in checked) + "]"
    # every key's JSON type fits the type it is read as: one expression over the
    # signature; then the numbers json_transform could not hold
    allowed = "".join(
        "." if types.get(k, "JSON") == "JSON"
        else type_class(("NULL", *_JSON_TYPES_OK[types[k]]), absent=True)
        for k in checked
    )
    tests = [f"NOT regexp_full_match({SIGNATURE}, {q(allowed)})"]
    for i, k in enumerate(checked, start=1):
        t = types.get(k, "JSON")
        if t == "BIGINT":  # beyond BIGINT's range json_transform gives NULL
            tests.append(f"(substr({SIGNATURE}, {i}, 1) = 'u' AND j.{q_ident(k)} IS NULL)")
        if t == "DOUBLE":  # NaN, Infinity and numbers beyond a double
            tests.append(f"coalesce(NOT isfinite(j.{q_ident(k)}), false)")
    mismatch = " OR ".join(tests)
    # MATERIALIZED: without it each field of j.* re-runs json_transform on the line.
    # A line whose text lacks "event_id" has no such key: its id is derived. One that has
    # the text but not the key (inside a value) gets no id here and is dropped, so it is
    # read line by line.
    read = (
        f"SELECT TRY(json_transform(line, '{_struct(types)}')) AS j, "
        f"TRY(json_type(line, {paths})) AS ty, TRY(len(json_keys(line))) AS nk_, "
        f"CASE WHEN NOT contains(line, '\"event_id\"') THEN 'd-' || md5(line) END "
        f"AS {DERIVED_ID}, fid, line FROM {lines} WHERE line <> chr(10)"
    )
    return (
        f"(WITH parsed AS MATERIALIZED (SELECT j, ty, {signature_sql('ty')} AS {SIGNATURE}, "
        f"{DERIVED_ID}, fid, ({_strict_json_sql()}) AS lenient_ FROM ({read})) "
        f"SELECT j.*, ty AS ty_, {SIGNATURE}, fid, {DERIVED_ID} FROM parsed "
        f"WHERE j IS NOT NULL AND ty IS NOT NULL AND NOT coalesce(lenient_, true) "
        f"AND (j.event_id IS NOT NULL OR {DERIVED_ID} IS NOT NULL) AND NOT ({mismatch}))"
    )


def read_json_source(
    group: str, param: str = "$files", *, extra_columns: dict[str, str] | None = None
) -> str:
    """``read_json`` over the files, as a table in FROM: for lines the exact parser
    normalized (each holds its ``event_id``), with ``extra_columns`` read too."""
    types = {**_types(group), **(extra_columns or {})}
    columns_arg = "{" + ", ".join(f"{q(k)}: {q(t)}" for k, t in types.items()) + "}"
    return (
        f"read_json({param}, format = 'newline_delimited', filename = true, "
        f"columns = {columns_arg}, maximum_object_size = 16777216)"
    )


def not_bad(group: str, *, typed: bool = True) -> str:
    """A WHERE clause keeping only the rows that break no rule (``typed``: rows of
    :func:`read_source`, whose JSON types are checked too)."""
    checks = row_checks(Exprs(group), typed=typed)
    return "WHERE NOT (" + " OR ".join(f"coalesce({c}, false)" for c in checks) + ")"


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
    e = Exprs(group)
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
            if expr != f'"{name}"' or key_type(name) != sql_type:
                expr = f"CAST({expr} AS {sql_type})"  # a default's literal, or NULL
            columns.append(f"{expr} AS {name}")
    return f"SELECT {', '.join(columns)} FROM {e.inner(table)} {where}"


def invalid_values_sql(name: str, table: str) -> str:
    """The distinct values of column ``name`` in ``table`` that may be invalid: those
    that do not match its pattern, or every value when a field validator checks it."""
    from autoforge_learn.analyze.rules import all_rules, custom_fields

    col = q_ident(name)
    patterns = {
        p
        for k in distinct_checked()[name]
        if name in all_rules(k) and (p := all_rules(k)[name].pattern) is not None
    }
    if name in custom_fields() or not patterns:
        bad = "true"
    else:
        bad = " OR ".join(f"NOT regexp_matches(v, {q(p)})" for p in sorted(patterns))
    return (
        f"SELECT v FROM (SELECT DISTINCT {col} AS v FROM {table} AND {col} IS NOT NULL) WHERE {bad}"
    )


def valid_value(name: str, value: object) -> bool:
    """Whether pydantic accepts a distinct value of a checked column for its kinds."""
    from autoforge_learn.analyze.rules import check_value

    return check_value(name, value, distinct_checked()[name])
