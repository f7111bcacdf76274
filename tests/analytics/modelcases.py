"""Events and broken events generated from the pydantic models' rules, for the tests
that compare the index's bulk reader with the exact parser (nothing here is written by
hand per field: a field added to a model is covered at once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from hypothesis import find
from hypothesis import strategies as st

from autoforge_learn.analyze.rules import Rule, all_rules, kind_rules
from autoforge_learn.schema.parse import FILLED_BY_NORMALIZE, GATE_FIELD_ALIASES
from autoforge_learn.store.layout import FILE_FOR_KIND, StoreLayout

MISSING = object()
TS = "2025-10-01T12:00:00Z"


def _simplest_matches() -> dict[str, str]:
    """Pattern -> the simplest string matching it (as hypothesis shrinks it), for every
    pattern of the models; found once, at import (not inside a hypothesis test)."""
    patterns = {r.pattern for kind in FILE_FOR_KIND for r in all_rules(kind).values()} - {None}
    return {p: find(st.from_regex(p, fullmatch=True), lambda s: True) for p in sorted(patterns)}  # type: ignore[arg-type]


_MATCHES = _simplest_matches()


def matching(pattern: str) -> str:
    """The simplest string matching ``pattern``."""
    return _MATCHES[pattern]


def valid_value(rule: Rule) -> Any:
    """A value ``rule`` accepts."""
    if rule.values is not None:
        return rule.values[0]
    if rule.datetime:
        return TS
    if rule.pattern is not None:
        return matching(rule.pattern)
    if rule.items is not None:
        return ["a"]
    if rule.children:
        return {}
    if rule.sql_type in ("BIGINT", "DOUBLE"):
        low = rule.minimum if rule.minimum is not None else rule.exclusive_minimum
        return int(low + 1) if low is not None else 1
    if rule.sql_type == "BOOLEAN":
        return True
    return "x" * max(1, rule.min_length or 1)


def minimal_event(kind: str, project: str = "P") -> dict[str, Any]:
    """The required fields of ``kind`` with valid values."""
    out: dict[str, Any] = {"kind": kind}
    for key, rule in kind_rules(kind).items():
        if rule.required and key not in FILLED_BY_NORMALIZE:
            out[key] = valid_value(rule)
    out["project_id"] = project
    return out


def violations(rule: Rule) -> Iterator[tuple[str, Any]]:
    """(label, value) pairs breaking ``rule`` (MISSING: the key left out)."""
    if rule.json_types:
        yield "type", "x" if rule.sql_type == "JSON" else [5]
        if rule.sql_type == "VARCHAR" and not rule.datetime:
            yield "number", 5  # json_transform would read it as '5'
        if not rule.nullable:
            yield "null", None
    if rule.required and rule.key not in FILLED_BY_NORMALIZE:
        yield "missing", MISSING
    if rule.values is not None:
        ints = all(isinstance(v, int) for v in rule.values)
        yield "value", max(rule.values) + 1 if ints else "not_an_allowed_value"
    step = 1 if rule.sql_type == "BIGINT" else 0.5
    if rule.minimum is not None:
        yield "minimum", rule.minimum - step
    if rule.maximum is not None:
        yield "maximum", rule.maximum + step
    if rule.exclusive_minimum is not None:
        yield "exclusive_minimum", rule.exclusive_minimum
    if rule.exclusive_maximum is not None:
        yield "exclusive_maximum", rule.exclusive_maximum
    if rule.min_length:
        yield "min_length", "x" * (rule.min_length - 1)
    if rule.max_length is not None:
        yield "max_length", "x" * (rule.max_length + 1)
    if rule.pattern is not None:
        yield "pattern", "Not A Match!"
    if rule.datetime:
        yield "naive", "2025-10-02T14:30:00"
        yield "no_such_day", "2025-02-29T14:30:00Z"
        yield "short_offset", "2025-10-02T14:30:00+02"
    if rule.items is not None:
        yield "items", [1]
    for child in rule.children:
        for label, value in violations(child):
            if value is not MISSING:
                yield f"{child.key}.{label}", {child.key: value}


def broken_events() -> Iterator[tuple[str, dict[str, Any]]]:
    """(case id, event) for every kind and every rule of its fields, one broken value each."""
    for kind in FILE_FOR_KIND:
        base = minimal_event(kind)
        for key, rule in all_rules(kind).items():
            if key == "kind":
                continue
            for label, value in violations(rule):
                event = {k: v for k, v in base.items() if k != key}
                if value is not MISSING:
                    event[key] = value
                event.pop(GATE_FIELD_ALIASES.get(key, ""), None)  # the alias alone
                yield f"{kind}.{key}.{label}", event


def write_line_files(
    root: Path, lines: list[bytes], kinds: list[str], *, crlf: bool = False
) -> list[Path]:
    """One raw file per line, each starting with a valid event of the line's kind."""
    layout = StoreLayout(root)
    paths = []
    for i, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
        path = layout.raw_file(f"F{i:04d}", "2025-10", FILE_FOR_KIND[kind])
        path.parent.mkdir(parents=True, exist_ok=True)
        good = orjson.dumps({**minimal_event(kind, f"F{i:04d}"), "event_id": f"good-{i}"})
        end = b"\r\n" if crlf else b"\n"
        path.write_bytes(good + end + line + end)
        paths.append(path)
    return paths


def _value_strategy(rule: Rule) -> st.SearchStrategy[Any]:
    """Values ``rule`` accepts (and a few the parser converts, such as ``"3"``)."""
    if rule.values is not None:
        return st.sampled_from(rule.values)
    if rule.datetime:
        return st.sampled_from(
            [
                TS,
                "2025-10-01 12:00:00.5+02:00",
                "2025-10-01T12:00Z",
                "2025-10-01t12:00:00Z",
                "2024-02-29T23:59:59.123456-0130",
            ]
        )
    if rule.pattern is not None:
        return st.from_regex(rule.pattern, fullmatch=True)
    if rule.items is not None:
        return st.lists(st.text(max_size=5), max_size=3)
    if rule.children:
        optional = {c.key: _value_strategy(c) for c in rule.children}
        return st.fixed_dictionaries({}, optional=optional)
    low = rule.minimum if rule.minimum is not None else rule.exclusive_minimum
    high = rule.maximum if rule.maximum is not None else rule.exclusive_maximum
    if rule.sql_type == "BIGINT":
        lo = int(low) + (rule.exclusive_minimum is not None) if low is not None else -5
        return st.integers(lo, int(high) if high is not None else lo + 1000)
    if rule.sql_type == "DOUBLE":
        return st.floats(
            low if low is not None else -1e6,
            high if high is not None else 1e6,
            exclude_min=rule.exclusive_minimum is not None,
            exclude_max=rule.exclusive_maximum is not None,
        )
    if rule.sql_type == "BOOLEAN":
        return st.booleans()
    return st.text(min_size=rule.min_length or 0, max_size=min(rule.max_length or 8, 8))


#: Values a mutation puts in any field.
ODD_VALUES = [
    None,
    -3,
    7,
    0,
    1,
    2**63 - 1,
    -(2**63),
    3.0,
    -0.5,
    "",
    "x",
    "3",
    "NaN",
    True,
    [],
    ["x"],
    {"a": 1},
    "2025-10-02T14:30:00",
]
#: Text put in place of a value: tokens DuckDB reads and orjson refuses.
ODD_TOKENS = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e400",
    b"-1e999",
    b"nan",
    b"inf",
    b"[1, ]",
    b'{"a": 1,}',
    b"9223372036854775808",
    b"18446744073709551616",
    b"[" * 1030 + b"]" * 1030,
    b"1e308",
    b"1E-400",
]


@st.composite
def event_lines(draw: st.DrawFn) -> tuple[str, bytes]:
    """A line of a random kind built from its model's rules, then mutated at random."""
    kind = draw(st.sampled_from(sorted(FILE_FOR_KIND)))
    rules = {k: r for k, r in all_rules(kind).items() if k not in ("kind", "event_id")}
    event: dict[str, Any] = {"kind": kind}
    for key, rule in rules.items():
        if rule.required or draw(st.integers(0, 3)) == 0:
            event[key] = draw(_value_strategy(rule))
    event["project_id"] = draw(st.sampled_from(["P", "p.1", "a..b", "-x"]))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*sorted(rules), "unknown_key"]))
        action = draw(st.sampled_from(["drop", "set"]))
        if action == "drop":
            event.pop(key, None)
        else:
            event[key] = draw(st.sampled_from(ODD_VALUES))
    text = orjson.dumps(event)
    return kind, draw(_text_mutation(text, sorted(event)))


@st.composite
def _text_mutation(draw: st.DrawFn, text: bytes, keys: list[str]) -> bytes:
    """The line as JSON, or with a token orjson refuses, a trailing comma or a key twice."""
    what = draw(st.sampled_from(["none", "none", "token", "comma", "duplicate"]))
    if what == "token":
        key = draw(st.sampled_from(keys))
        return text[:-1] + b', "' + key.encode() + b'": ' + draw(st.sampled_from(ODD_TOKENS)) + b"}"
    if what == "comma":
        return text[:-1] + draw(st.sampled_from([b",}", b", }", b",\t}"]))
    if what == "duplicate":
        key = draw(st.sampled_from(keys))
        value = orjson.dumps(draw(st.sampled_from(ODD_VALUES)))
        first = draw(st.booleans())
        pair = b'"' + key.encode() + b'": ' + value
        return b"{" + pair + b", " + text[1:] if first else text[:-1] + b", " + pair + b"}"
    return text
