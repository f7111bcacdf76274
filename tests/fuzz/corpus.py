"""The corpus of raw stores a user's data can leave behind: each case a small builder
of the raw directory (file names and bytes, and for a few the file system itself:
links, FIFOs, modes). Config, prompt, ChatDev and argument cases are in
``corpus_files.py``.

Every line case sits between two valid lines of its file, so a reader must keep
going after it and a stray offset shows up as a wrong line number."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

MONTH = "2025-10"
GATES = f"{MONTH}/project_A_gates.jsonl"
EXECUTION = f"{MONTH}/project_A_execution.jsonl"
FEEDBACK = f"{MONTH}/project_A_feedback.jsonl"
DROP = object()


def gate(**changes: Any) -> dict[str, Any]:
    """A valid gate check, with ``changes`` applied (``DROP`` removes a key)."""
    event: dict[str, Any] = {
        "event_id": "g-1",
        "kind": "gate_evaluation",
        "project_id": "A",
        "timestamp": "2025-10-01T10:00:00Z",
        "gate_id": "tests_pass",
        "agent_role": "qa",
        "validation_result": "pass",
        "retry_attempt": 1,
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not DROP}


def stage(**changes: Any) -> dict[str, Any]:
    """A valid stage execution, with ``changes`` applied."""
    event: dict[str, Any] = {
        "event_id": "s-1",
        "kind": "stage_execution",
        "project_id": "A",
        "timestamp": "2025-10-01T09:00:00Z",
        "stage_id": "engineering",
        "agent_role": "engineer",
        "input_tokens": 100,
        "total_cost": 0.5,
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not DROP}


def line(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


BEFORE = line(gate(event_id="before"))
AFTER = line(gate(event_id="after", validation_result="fail"))


@dataclass(frozen=True)
class StoreCase:
    """A raw directory: ``files`` (path under raw/ -> bytes), then ``setup`` (given the
    raw directory) for what bytes cannot say."""

    files: dict[str, bytes]
    setup: Callable[[Path], None] | None = None
    note: str = ""

    @property
    def movable(self) -> bool:
        """Whether the case is its files alone, all in the month folder: then it can
        share a store with other cases, in a month folder of its own."""
        return self.setup is None and all(rel.startswith(f"{MONTH}/") for rel in self.files)

    def build(self, raw: Path, *, month: str = MONTH, tag: str = "") -> None:
        """Write the case under ``raw``; a movable case can go to another ``month`` with
        its event ids prefixed by ``tag`` (so that cases sharing a store never share an
        id: the duplicates between them would hide what each case does)."""
        for rel, data in self.files.items():
            if month != MONTH or tag:
                assert self.movable
                rel = month + rel.removeprefix(MONTH)
                data = _ID.sub(b'"event_id":"' + tag.encode() + b".", data)
            path = raw / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if self.setup is not None:
            self.setup(raw)


_ID = re.compile(rb'"event_id":"(?=[^"])')


def in_the_middle(bad: bytes, path: str = GATES) -> StoreCase:
    """``bad`` as the second of three lines of ``path``."""
    return StoreCase({path: BEFORE + b"\n" + bad + b"\n" + AFTER + b"\n"})


def raw_value(key: str, token: bytes, base: dict[str, Any] | None = None) -> bytes:
    """A valid event with ``key``'s value spelled as ``token`` (bytes no dumper writes)."""
    event = dict(base if base is not None else gate(event_id="mid"))
    event.pop(key, None)
    return line(event)[:-1] + b', "' + key.encode() + b'": ' + token + b"}"


def _deep(depth: int) -> bytes:
    return raw_value("x", b"[" * depth + b"]" * depth)


# -- the file system ---------------------------------------------------------------


def _link(name: str, target: str) -> Callable[[Path], None]:
    def setup(raw: Path) -> None:
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, raw / name)

    return setup


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(raw: Path) -> None:
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(raw / name)

    return setup


def _chmod(name: str, mode: int) -> Callable[[Path], None]:
    def setup(raw: Path) -> None:
        os.chmod(raw / name, mode)

    return setup


def _mkdir(name: str) -> Callable[[Path], None]:
    def setup(raw: Path) -> None:
        (raw / name).mkdir(parents=True)

    return setup


GOOD = {GATES: BEFORE + b"\n" + AFTER + b"\n"}
CONFLICT = line(gate(event_id="before", validation_result="fail"))

EVENT_CASES: dict[str, StoreCase] = {
    # timestamps
    "timestamp_beyond_9999_in_utc": in_the_middle(
        line(gate(event_id="mid", timestamp="9999-12-31T23:59:59-12:00"))
    ),
    "timestamp_before_year_1_in_utc": in_the_middle(
        line(gate(event_id="mid", timestamp="0001-01-01T00:00:00+01:00"))
    ),
    "timestamp_year_9999": in_the_middle(
        line(gate(event_id="mid", timestamp="9999-12-31T23:59:59Z"))
    ),
    "timestamp_leap_second": in_the_middle(
        line(gate(event_id="mid", timestamp="2025-06-30T23:59:60Z"))
    ),
    "timestamp_offset_24h": in_the_middle(
        line(gate(event_id="mid", timestamp="2025-10-01T10:00:00+24:00"))
    ),
    "timestamp_a_number": in_the_middle(line(gate(event_id="mid", timestamp=1759312800))),
    # numbers
    "nan_cost": in_the_middle(raw_value("total_cost", b"NaN", stage(event_id="mid")), EXECUTION),
    "infinity_cost": in_the_middle(
        raw_value("total_cost", b"Infinity", stage(event_id="mid")), EXECUTION
    ),
    "overflowing_float_1e400": in_the_middle(
        raw_value("total_cost", b"1e400", stage(event_id="mid")), EXECUTION
    ),
    "huge_integer_in_a_field": in_the_middle(raw_value("retry_attempt", b"99999999999999999999")),
    "huge_integer_in_tokens": in_the_middle(
        raw_value("input_tokens", b"99999999999999999999", stage(event_id="mid")), EXECUTION
    ),
    "integer_just_beyond_bigint": in_the_middle(
        raw_value("input_tokens", b"9223372036854775808", stage(event_id="mid")), EXECUTION
    ),
    "integer_at_bigint_max": in_the_middle(
        raw_value("input_tokens", b"9223372036854775807", stage(event_id="mid")), EXECUTION
    ),
    "huge_integer_in_an_unknown_key": in_the_middle(raw_value("x", b"99999999999999999999")),
    "negative_retry_attempt": in_the_middle(line(gate(event_id="mid", retry_attempt=-1))),
    "negative_tokens": in_the_middle(line(stage(event_id="mid", input_tokens=-5)), EXECUTION),
    "fractional_retry_attempt": in_the_middle(line(gate(event_id="mid", retry_attempt=1.5))),
    "whole_float_retry_attempt": in_the_middle(line(gate(event_id="mid", retry_attempt=2.0))),
    "bool_retry_attempt": in_the_middle(line(gate(event_id="mid", retry_attempt=True))),
    "string_retry_attempt": in_the_middle(line(gate(event_id="mid", retry_attempt="3"))),
    # JSON syntax
    "trailing_comma": in_the_middle(line(gate(event_id="mid"))[:-1] + b",}"),
    "trailing_comma_in_a_list": in_the_middle(raw_value("x", b"[1, ]")),
    "nesting_deeper_than_1024": in_the_middle(_deep(1100)),
    "nesting_100000_deep": in_the_middle(_deep(100_000)),
    "duplicate_keys": in_the_middle(
        raw_value("validation_result", b'"pass", "validation_result": "fail"')
    ),
    "duplicate_kind_keys": in_the_middle(
        raw_value("kind", b'"gate_evaluation", "kind": "escalation"')
    ),
    "two_objects_on_one_line": in_the_middle(line(gate(event_id="m1")) + line(gate(event_id="m2"))),
    "garbage_after_the_object": in_the_middle(line(gate(event_id="mid")) + b" x"),
    "single_quotes": in_the_middle(line(gate(event_id="mid")).replace(b'"', b"'")),
    "comment_line": in_the_middle(b"// a comment"),
    "non_object_list": in_the_middle(b"[1, 2]"),
    "non_object_string": in_the_middle(b'"gate_evaluation"'),
    "non_object_number": in_the_middle(b"42"),
    "non_object_null": in_the_middle(b"null"),
    "non_object_true": in_the_middle(b"true"),
    "empty_object": in_the_middle(b"{}"),
    "leading_whitespace": in_the_middle(b" \t " + line(gate(event_id="mid"))),
    # NUL and other characters
    "nul_in_gate_id": in_the_middle(line(gate(event_id="mid", gate_id="g\x00x"))),
    "nul_in_reason": in_the_middle(line(gate(event_id="mid", validation_reason="a\x00b"))),
    "nul_in_event_id": in_the_middle(line(gate(event_id="mid\x00"))),
    "nul_in_an_unknown_key": in_the_middle(line(gate(event_id="mid", x={"k\x00": "v\x00"}))),
    "raw_nul_byte": in_the_middle(line(gate(event_id="mid")).replace(b"tests_pass", b"te\x00s")),
    "raw_control_character": in_the_middle(
        line(gate(event_id="mid")).replace(b"tests_pass", b"t\x01")
    ),
    "lone_surrogate_escape": in_the_middle(raw_value("gate_id", b'"\\ud800"')),
    "escaped_surrogate_pair": in_the_middle(raw_value("gate_id", b'"\\ud83d\\ude00"')),
    "invalid_utf8_in_a_string": in_the_middle(raw_value("gate_id", b'"g\xff"')),
    "overlong_utf8": in_the_middle(raw_value("gate_id", b'"\xc0\xaf"')),
    "line_separator_u2028": in_the_middle(line(gate(event_id="mid", gate_id="a\u2028b\u0085c"))),
    "byte_order_mark": StoreCase({GATES: b"\xef\xbb\xbf" + BEFORE + b"\n" + AFTER + b"\n"}),
    "vertical_tab_line": in_the_middle(b"\x0b"),
    "form_feed_line": in_the_middle(b"\x0c\x0c"),
    "unit_separator_line": in_the_middle(b"\x1f"),
    "non_breaking_space_line": in_the_middle("\u00a0".encode()),
    "long_string": in_the_middle(line(gate(event_id="mid", validation_reason="x" * 2_000_000))),
    # line endings
    "cr_line_endings": StoreCase({GATES: BEFORE + b"\r" + AFTER + b"\r"}),
    "crlf_line_endings": StoreCase({GATES: BEFORE + b"\r\n" + AFTER + b"\r\n"}),
    "cr_cr_lf": StoreCase({GATES: BEFORE + b"\r\r\n" + AFTER + b"\r\n"}),
    "torn_last_line": StoreCase({GATES: BEFORE + b"\n" + b'{"kind": "gate_ev'}),
    "valid_last_line_without_newline": StoreCase({GATES: BEFORE + b"\n" + AFTER}),
    "blank_and_whitespace_lines": StoreCase(
        {GATES: b"\n\n  \n\t\n" + BEFORE + b"\n \n" + AFTER + b"\n\n"}
    ),
    "empty_file": StoreCase({GATES: b""}),
    # Rich markup in data
    "markup_in_gate_id": in_the_middle(line(gate(event_id="mid", gate_id="g[/y]"))),
    "markup_kind": in_the_middle(line(gate(event_id="mid", kind="[/x]"))),
    "markup_in_event_id": in_the_middle(line(gate(event_id="[bold]mid[/]"))),
    "markup_in_a_bad_value": in_the_middle(line(gate(event_id="mid", validation_result="[/red]"))),
    "markup_in_a_key": in_the_middle(line(gate(event_id="mid", **{"[/k]": 1}))),
    "markup_project_in_file_name": StoreCase({
        f"{MONTH}/project_[b]x[/b]_gates.jsonl": line(gate(event_id="m", project_id="[b]x[/b]"))
        + b"\n" + b"not json\n"
    }),
    "markup_file_name": StoreCase({**GOOD, f"{MONTH}/x[/bold].jsonl": b"not json\n"}),
    # kinds and structure
    "unknown_kind": in_the_middle(line(gate(event_id="mid", kind="gate_eval"))),
    "kind_a_number": in_the_middle(line(gate(event_id="mid", kind=5))),
    "kind_null": in_the_middle(line(gate(event_id="mid", kind=None))),
    "kind_null_in_a_flat_gate_line": in_the_middle(
        line({k: v for k, v in gate(kind=None).items() if k != "validation_result"}
             | {"gate_result": "fail"})
    ),
    "event_id_null": in_the_middle(line(gate(event_id=None))),
    "schema_version_null": in_the_middle(line(gate(event_id="mid", schema_version=None))),
    "schema_version_unknown": in_the_middle(line(gate(event_id="mid", schema_version="9.9"))),
    "project_id_a_number": in_the_middle(line(gate(event_id="mid", project_id=7))),
    "kind_missing": in_the_middle(line(gate(event_id="mid", kind=DROP))),
    "kind_a_list": in_the_middle(line(gate(event_id="mid", kind=["gate_evaluation"]))),
    "kind_with_a_newline": in_the_middle(line(gate(event_id="mid", kind="gate_evaluation\n"))),
    "role_with_a_trailing_newline": in_the_middle(line(gate(event_id="mid", agent_role="qa\n"))),
    "event_in_another_familys_file": in_the_middle(line(gate(event_id="mid")), FEEDBACK),
    "project_id_not_the_file_name": in_the_middle(line(gate(event_id="mid", project_id="B"))),
    "event_id_a_number": in_the_middle(line(gate(event_id=5))),
    "event_id_empty": in_the_middle(line(gate(event_id=""))),
    "quality_score_above_100": in_the_middle(
        line({"kind": "project_completed", "project_id": "A", "event_id": "mid",
              "timestamp": "2025-10-02T00:00:00Z", "project_success": "shipped",
              "quality_score": 101}),
        EXECUTION,
    ),
    "flat_gate_line_without_id": in_the_middle(
        line({k: v for k, v in gate().items() if k not in ("event_id", "validation_result")}
             | {"gate_result": "fail", "gate_result_reason": "missing"})
    ),
    # duplicates
    "exact_duplicate_id": in_the_middle(BEFORE),
    "same_event_keys_reordered": in_the_middle(
        line(dict(reversed(gate(event_id="before").items())))
    ),
    "conflicting_duplicate_id": in_the_middle(CONFLICT),
    "conflicting_duplicate_id_across_files": StoreCase({
        **GOOD, f"{MONTH}/project_B_gates.jsonl": CONFLICT.replace(b'"A"', b'"B"') + b"\n",
    }),
    "flat_gate_line_twice": StoreCase({
        GATES: b"\n".join([line({k: v for k, v in gate().items() if k != "event_id"})] * 2) + b"\n"
    }),
    # the file system
    "month_link_loop": StoreCase(GOOD, _link("2025-11", "2025-11")),
    "month_link_to_another_month": StoreCase(GOOD, _link("2025-11", MONTH)),
    "month_link_broken": StoreCase(GOOD, _link("2025-11", "nowhere")),
    "file_link_loop": StoreCase(
        GOOD, _link(f"{MONTH}/project_L_gates.jsonl", "project_L_gates.jsonl")
    ),
    "file_link_broken": StoreCase(GOOD, _link(f"{MONTH}/project_L_gates.jsonl", "nowhere")),
    "file_link_to_dev_zero": StoreCase(GOOD, _link(f"{MONTH}/project_Z_gates.jsonl", "/dev/zero")),
    "fifo_raw_file": StoreCase(GOOD, _fifo(f"{MONTH}/project_F_gates.jsonl")),
    "directory_named_like_a_raw_file": StoreCase(GOOD, _mkdir(f"{MONTH}/project_D_gates.jsonl")),
    "unreadable_month_directory": StoreCase(
        {**GOOD, "2025-11/project_U_gates.jsonl": BEFORE.replace(b"before", b"u") + b"\n"},
        _chmod("2025-11", 0),
        note="tests run as root, who reads a mode-000 directory anyway",
    ),
    "unreadable_raw_file": StoreCase(
        {**GOOD, f"{MONTH}/project_U_gates.jsonl": BEFORE.replace(b"before", b"u") + b"\n"},
        _chmod(f"{MONTH}/project_U_gates.jsonl", 0),
        note="tests run as root, who reads a mode-000 file anyway",
    ),
    "month_name_is_a_file": StoreCase({**GOOD, "2025-12": b"not a directory\n"}),
    "files_outside_month_directories": StoreCase({
        **GOOD, "project_A_gates.jsonl": b"not json\n", "misc/project_A_gates.jsonl": b"[]\n",
    }),
}
