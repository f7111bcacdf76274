"""Where the detectors read events: the one adapter over the analytics index.

Everything the pattern detectors need from :mod:`autoforge_learn.analyze` goes through
this module, so a change there is a change here only:

* :func:`events_table` builds (or refreshes) the index and returns the ibis ``events``
  table on the chosen engine (DuckDB file or PostgreSQL).
* :func:`field` reads a field that is not a typed column from the JSON column ``extra``.
  While the index does not fill ``extra`` yet (or leaves the gate checks' reasons out of
  it), :func:`events_table` supplies it itself:
  it reads the needed keys from the raw JSONL files into a temporary table of the same
  connection and joins it on ``event_id`` (so :func:`field` runs the same ibis JSON
  access on either engine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Keys read from ``extra`` by the detectors (kept small: the fallback loads only these).
EXTRA_KEYS: tuple[str, ...] = (
    "validation_reason", "auto_fix_strategy", "max_retries", "platform", "team_size",
    "feedback", "human_reasoning", "human_decision", "agent_recommendation",
    "options_offered", "upstream_stage", "upstream_agent_role", "target_agent",
    "reporting_stage", "resolved", "critical", "major", "tokens_total",
    "autonomy_level_used", "reason", "human_confidence",
)

_EXTRA_TABLE = "af_patterns_extra"


def events_table(root: Path | str, engine: str | None = None, *, refresh: bool = True) -> Any:
    """The ibis ``events`` table of ``root`` on ``engine``, with ``extra`` usable.

    Args:
        root: The ``.autoforge`` directory.
        engine: None or ``duckdb`` for the embedded index, or a PostgreSQL URL.
        refresh: Refresh the index from the raw files first.
    """
    from autoforge_learn.analyze.engine import connect
    from autoforge_learn.analyze.ingest import build_index

    root = Path(root)
    if refresh:
        build_index(root, engine=engine)
    con = connect(root, engine)
    t = con.table("events")
    if not int(t.count().execute()) or _extra_usable(t):
        return t
    return _with_raw_extra(con, root, t)


def _extra_usable(t: Any) -> bool:
    """Whether the index's ``extra`` holds what the detectors read: some events have it,
    and failing gate checks carry their ``validation_reason`` there (or in a column)."""
    if not int(t.filter(t.extra.notnull()).count().execute()):
        return False
    failing = t.filter((t.kind == "gate_evaluation") & (t.validation_result == "fail"))
    if not int(failing.count().execute()):
        return True
    reason = field(failing, "validation_reason")
    return bool(int(failing.filter(reason.notnull()).count().execute()))


def _with_raw_extra(con: Any, root: Path, t: Any) -> Any:
    """``t`` with ``extra`` rebuilt from the raw files (only :data:`EXTRA_KEYS`)."""
    import orjson
    import pyarrow as pa

    from autoforge_learn.analyze.engine import raw_dir, raw_files

    base = raw_dir(root)
    ids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    wanted = set(EXTRA_KEYS)
    for rel, _stat in raw_files(base):
        with open(base / rel, "rb") as handle:
            for line in handle:
                try:
                    data = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(data, dict):
                    continue
                event_id = data.get("event_id")
                if not isinstance(event_id, str) or event_id in seen:
                    continue
                seen.add(event_id)
                picked = {k: v for k, v in data.items() if k in wanted and v is not None}
                if picked:
                    ids.append(event_id)
                    texts.append(orjson.dumps(picked).decode())
    arrow = pa.table({"x_event_id": pa.array(ids, pa.string()),
                      "x_extra": pa.array(texts, pa.string())})
    x = con.create_table(_EXTRA_TABLE, arrow, temp=True, overwrite=True)
    joined = t.drop("extra").left_join(x, t.event_id == x.x_event_id)
    return joined.mutate(extra=joined.x_extra.cast("json")).drop("x_event_id", "x_extra")


def field(t: Any, name: str, type: str = "str") -> Any:
    """An ibis expression for field ``name`` of each event (``str``, ``int``, ``float``,
    ``bool`` or ``json``): the typed column when there is one, else ``extra[name]``."""
    if name in t.columns:
        column = t[name]
        return column
    value = t.extra[name]
    if type == "str":
        return value.str
    if type == "int":
        return value.int
    if type == "float":
        return value.float
    if type == "bool":
        return value.bool
    if type == "json":
        return value
    raise ValueError(f"unknown field type {type!r}")
