"""Generated event lines: valid events mutated at random (keys dropped or written twice,
values of the wrong type, extreme numbers, tokens JSON does not allow, random unicode
with NUL and Rich markup), checked as the corpus is: ``validate`` ends cleanly, the raw
file is unchanged, and the index holds exactly the events validate accepts.

Derandomized, so CI runs the same examples every time. Integers reach just beyond 64
bits (the schema refuses those); event ids are not reused (the corpus has those cases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoforge_learn.store.layout import StoreLayout
from tests.conftest import pg_schema_url

from .corpus import MONTH, gate, stage
from .harness import assert_index_agrees, run_cli, unchanged

BASES = [
    ("gates", gate()),
    ("execution", stage()),
    ("execution", {"kind": "project_completed", "project_id": "A", "project_success": "shipped",
                   "timestamp": "2025-10-02T00:00:00Z", "quality_score": 80}),
    ("feedback", {"kind": "human_approval", "project_id": "A", "decision_type": "tech_stack",
                  "agent_recommendation": "pg", "human_decision": "mysql",
                  "timestamp": "2025-10-02T00:00:00Z"}),
]
MARKUP = ["[/x]", "[bold]", "[/]", "[link=file:///etc]x[/link]", "g[/y]", "[red]"]
TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0", b"1E-400", b"[1, ]", b'{"a": 1,}',
          b"[" * 1100 + b"]" * 1100, b"tru", b"'x'", b"0x10", b"01"]

texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(MARKUP),
    st.sampled_from(["\x00", "a\x00b", "qa\n", "\u2028", "\ufeff", "\x1b[31m", " ", ""]),
)
numbers = st.one_of(
    st.integers(-(2**63) - 1, 2**63),
    st.sampled_from([0, -1, 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 0.5, 100.0001]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(texts, scalars, max_size=3))


def _dumps(value: Any) -> bytes:
    """JSON of any generated value; the standard library writes integers of any size."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@st.composite
def event_line(draw: st.DrawFn, index: int) -> tuple[str, bytes]:
    """A valid event of some kind, mutated: (its file's family, the line)."""
    family, base = draw(st.sampled_from(BASES))
    event: dict[str, Any] = {**base, "event_id": f"h{index}"}
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*sorted(event), "x", "kind", "event_id"]))
        action = draw(st.sampled_from(["drop", "set", "wrap", "stringify"]))
        if action == "drop":
            event.pop(key, None)
        elif action == "set":
            event[key] = draw(values)
        elif key in event:
            event[key] = [event[key]] if action == "wrap" else str(event[key])
    text = _dumps(event)
    tail = draw(st.sampled_from(["none", "none", "token", "comma", "twice"]))
    key = draw(st.sampled_from(sorted(event) or ["x"])).encode()
    if tail == "token":
        text = text[:-1] + b', "' + key + b'": ' + draw(st.sampled_from(TOKENS)) + b"}"
    elif tail == "comma":
        text = text[:-1] + b",}"
    elif tail == "twice":
        text = text[:-1] + b', "' + key + b'": ' + _dumps(draw(values)) + b"}"
    if text == b"}":  # an empty event dumps as {}; the tail edits leave a lone brace
        text = b"{}"
    return family, text


@st.composite
def stores(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """Lines for a store: generated lines, some repeated exactly, some torn."""
    lines = [draw(event_line(i)) for i in range(draw(st.integers(1, 6)))]
    if draw(st.booleans()):  # an exact repeat of an earlier line
        lines.append(draw(st.sampled_from(lines)))
    return lines


def _write(root: Path, lines: list[tuple[str, bytes]], torn: bool) -> Path:
    raw = StoreLayout(root).raw
    for family in {f for f, _ in lines}:
        data = b"".join(t + b"\n" for f, t in lines if f == family)
        path = raw / MONTH / f"project_A_{family}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[:-1] if torn else data)
    return raw


def _check(tmp: Path, engine: str | None, lines: list[tuple[str, bytes]], torn: bool) -> None:
    root = tmp / ".autoforge"
    raw = _write(root, lines, torn)
    engine_args = ["--engine", engine] if engine else []
    with unchanged(raw):
        run_cli(["validate", "--root", str(root)], mentions=[str(raw)])
        # --rebuild: a PostgreSQL schema is shared by the examples of one test
        run_cli(["index", "--root", str(root), "--rebuild", *engine_args], mentions=[str(raw)])
    assert_index_agrees(root, engine)


PROPERTY = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL engine URL with a fresh schema (skipped, or failed in CI, without
    the server), shared by the examples of one test."""
    yield from pg_schema_url()


@settings(PROPERTY, max_examples=8)
@given(lines=stores(), torn=st.booleans())
def test_generated_lines_index_as_validate_reads_them_on_duckdb(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, bytes]], torn: bool,
) -> None:
    _check(tmp_path_factory.mktemp("gen"), None, lines, torn)


@pytest.mark.postgres
@settings(PROPERTY, max_examples=6)
@given(lines=stores(), torn=st.booleans())
def test_generated_lines_index_as_validate_reads_them_on_postgres(
    tmp_path_factory: pytest.TempPathFactory, pg_url: str,
    lines: list[tuple[str, bytes]], torn: bool,
) -> None:
    _check(tmp_path_factory.mktemp("gen"), pg_url, lines, torn)


@pytest.mark.slow
@settings(PROPERTY, max_examples=150)
@given(lines=stores(), torn=st.booleans())
def test_many_generated_lines_index_as_validate_reads_them(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, bytes]], torn: bool,
) -> None:
    """More examples, on DuckDB."""
    _check(tmp_path_factory.mktemp("gen"), None, lines, torn)
