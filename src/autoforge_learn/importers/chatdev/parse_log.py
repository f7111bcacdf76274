"""Read a ChatDev run log into plain data: stages (chats), LLM calls, gates, human comments.

A ChatDev log is a sequence of records, each opening with a line
``[YYYY-DD-MM HH:MM:SS INFO] <head>`` (ChatDev writes day before month) and running to
the next such line. Two formats exist:

* ``v2`` (August 2023 on): ``**[Preprocessing]**``, ``System: **[chatting]**`` tables
  naming the phase, roles and ``ModelType``, ``**[OpenAI_Usage_Info Receive]**`` per
  call, ``**[Execute Detail]**`` with the composed phase and cycle, ``**[Seminar
  Conclusion]**``, ``**[Test Reports]**``, ``**[User Provided Comments]**``, ``**[Post
  Info]**``;
* ``v1`` (July 2023): ``PhaseType: PhaseType.CODING``, ``AI Assistant (Programmer) sys
  message``, ``[OpenAI_Usage_Info]``, a one-line ``Software Info:`` and ``ChatDev Ends``.

Nothing here writes events; :mod:`.to_events` turns a :class:`ChatDevRun` into events.
Values ChatDev prints as ``-1`` (not recorded) are read as None.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

from autoforge_learn.errors import AutoforgeError
from autoforge_learn.importers.chatdev.figures import (
    int_or_none,
    model_name,
    number,
    read_info,
    table_rows,
)
from autoforge_learn.importers.chatdev.model import (
    Call,
    ChatDevRun,
    HumanComment,
    Record,
    Stage,
    TestReport,
)


class ChatDevParseError(AutoforgeError, ValueError):
    """A file is not a ChatDev run log, or not one this importer can read."""


_HEADER = re.compile(r"^\[(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([A-Z]+)\] ?(.*)$")
_ANSI = re.compile(r"\x1b?\[\d{1,2}m")
_STAMP = re.compile(r"ChatDev Starts\*{0,2} \((\d{14})\)")
_END_STAMP = re.compile(r"ChatDev Ends\*{0,2} \((\d{14})\)")
_EXECUTE = re.compile(r"execute SimplePhase:\[(\w+)\] in ComposedPhase:\[(\w+)\], cycle (\d+)")
_TOKENS = re.compile(r"^(prompt_tokens|completion_tokens): (-?\d+)\s*$", re.M)
_WINDOW = re.compile(
    r"(?:num_prompt_tokens|num_tokens): (\d+)\s+(?:num_max_completion_tokens|max_tokens): (\d+)"
)
_INFO_V2 = re.compile(r"\*\*(\w+)\*\*=\s*\$?(-?[\d.]+)")
_INFO_V1 = re.compile(r"(\w+): (-?[\d.]+)")
_UTTERANCE = re.compile(r"^[^:*]+: \*\*.+<->.+ on : \w+, turn \d+\*\*")
_V1_PHASE = re.compile(r"^PhaseType: PhaseType\.(\w+)")
_V1_SYS = re.compile(r"^AI (Assistant|User) \(([^)]+)\) sys message")
_V1_MSG = re.compile(r"^\[\d+\] AI (Assistant|User) \(([^)]+)\)(:| terminated)")
_V1_ARGS = re.compile(r"Namespace\(task='(.*)', name='(.*)'\)")
_COMMENT = re.compile(r"In the #(\d+) of total (\d+) comments:\s*(.*)", re.S)
_TEMPERATURE = re.compile(r"temperature=([\d.]+)")

#: Phase names of the July 2023 format, mapped to the later names.
V1_PHASES = {
    "DEMAND_ANALYSIS": "DemandAnalysis",
    "CHOOSING_LANGUAGE": "LanguageChoose",
    "CODING": "Coding",
    "REVIEWING_COMMENT": "CodeReviewComment",
    "REVIEWING_MODIFICATION": "CodeReviewModification",
    "CREATING_ENVIRONMENT_DOCUMENT": "EnvironmentDoc",
    "CREATING_USER_MANUAL": "Manual",
}
V1_COMPOSED = {"CodeReviewComment": "CodeReview", "CodeReviewModification": "CodeReview"}

TEST_PASSED_TEXT = "The software run successfully without errors"

__all__ = ["ChatDevParseError", "ChatDevRun", "parse_log", "split_records"]


def _date_order(first: re.Match[str], stamp: str | None) -> bool:
    """True when the log writes day before month (ChatDev's ``%Y-%d-%m``)."""
    a, b = int(first[2]), int(first[3])
    if stamp is not None:
        if (a, b) == (int(stamp[6:8]), int(stamp[4:6])):
            return True
        if (a, b) == (int(stamp[4:6]), int(stamp[6:8])):
            return False
    return not b > 12 if a <= 12 else True


def split_records(text: str, path: Path) -> list[Record]:
    """The log's records, with their times (read as UTC: the log does not say its zone)."""
    lines = text.splitlines()
    headers = [(i, _HEADER.match(line)) for i, line in enumerate(lines)]
    found = [(i, m) for i, m in headers if m is not None]
    if not found:
        raise ChatDevParseError(
            f"{path}: not a ChatDev log (no '[YYYY-DD-MM HH:MM:SS INFO]' record found)"
        )
    stamp_match = _STAMP.search(text[:5000])
    day_first = _date_order(found[0][1], stamp_match[1] if stamp_match else None)
    records: list[Record] = []
    for n, (i, m) in enumerate(found):
        end = found[n + 1][0] if n + 1 < len(found) else len(lines)
        day, month = (m[2], m[3]) if day_first else (m[3], m[2])
        try:
            moment = datetime(
                int(m[1]), int(month), int(day), int(m[4]), int(m[5]), int(m[6]), tzinfo=UTC
            )
        except ValueError as exc:
            raise ChatDevParseError(
                f"{path}:{i + 1}: bad record time {lines[i][:30]!r}: {exc}"
            ) from None
        head = _ANSI.sub("", m[8]).strip()
        records.append(Record(i + 1, moment, head, "\n".join(lines[i + 1 : end]).strip()))
    return records


def _fingerprint(records: list[Record], stamp: str | None) -> str:
    # The run without its preprocessing record: copies of one run whose header was
    # mangled (ExpenseEase_... 2.log) share it.
    digest = hashlib.sha256((stamp or "").encode())
    for record in records[1:]:
        digest.update(f"{record.time.isoformat()}|{record.head}|{record.body}\n".encode())
    return digest.hexdigest()


class _Parser:
    def __init__(self, path: Path, records: list[Record]) -> None:
        self.path = path
        self.records = records
        self.stages: list[Stage] = []
        self.current: Stage | None = None
        self.pending: tuple[str, str, int | None] | None = None  # (simple, composed, cycle)
        self.pending_table: dict[str, str] | None = None
        self.pending_window: int | None = None
        self.tests: list[TestReport] = []
        self.comments: list[HumanComment] = []
        self.meta: dict[str, str] = {}
        self.v1_roles: dict[str, str] = {}
        self.problems: list[str] = []

    def _int(self, text: str, what: str) -> int | None:
        return int_or_none(text, what, self.problems)

    def _open(self, record: Record, phase: str, table: dict[str, str]) -> Stage:
        stage = Stage(lineno=record.lineno, phase=phase, start=record.time, end=record.time)
        if self.pending and self.pending[0] == phase:
            stage.composed_phase, stage.cycle = self.pending[1], self.pending[2]
        stage.assistant_role = table.get("assistant_role_name") or None
        stage.user_role = table.get("user_role_name") or None
        stage.model = model_name(table.get("model_type"))
        stage.phase_prompt = table.get("phase_prompt") or None
        if table.get("chat_turn_limit", "").lstrip("-").isdigit():
            stage.chat_turn_limit = number(table["chat_turn_limit"], "chat_turn_limit",
                                            self.problems)
        if table.get("need_reflect") in ("True", "False"):
            stage.need_reflect = table["need_reflect"] == "True"
        if phase == "Reflection" and self.stages:
            stage.reflects_on = self.stages[-1].phase
        self.stages.append(stage)
        self.current = stage
        return stage

    def _close(self) -> None:
        self.current = None

    def _touch(self, record: Record) -> None:
        if self.current is not None and record.time > self.current.end:
            self.current.end = record.time

    def run(self) -> None:
        previous_head = ""
        for record in self.records:
            head, body = record.head, record.body
            if head.startswith("flask app.py") or head.startswith("HTTP Request"):
                continue
            self._touch(record)
            if head == "**[Preprocessing]**":
                self._preprocessing(body)
            elif head == "System: **[chatting]**":
                table = table_rows(body)
                self._open(record, table.get("phase_name") or "Chat", table)
            elif head == "System: **[RolePlaying]**":
                table = table_rows(body)
                if previous_head != "System: **[chatting]**":
                    phase = "Chat"
                    if table.get("assistant_role_name") == "Prompt Engineer":
                        phase = "TaskPromptSelfImprovement"
                    self._open(record, phase, table)
                elif self.current is not None and self.current.model is None:
                    self.current.model = model_name(table.get("model_type"))
            elif "OpenAI_Usage_Info Send" in head:
                window = _WINDOW.search(" ".join(body.split()))
                self.pending_window = None
                if window:
                    prompt, most = (self._int(w, "context window") for w in window.groups())
                    if prompt is not None and most is not None:
                        self.pending_window = prompt + most
            elif "OpenAI_Usage_Info" in head:
                self._call(record)
            elif head.startswith("**[Seminar Conclusion]**"):
                if self.current is not None and self.current.conclusion is None:
                    self.current.conclusion = body
            elif head == "**[Execute Detail]**":
                match = _EXECUTE.search(body)
                cycle = self._int(match[3], "cycle") if match else None
                self.pending = (match[1], match[2], cycle) if match else None
                self._close()
            elif head.startswith("**[Test Reports]**"):
                self._close()
                passed = TEST_PASSED_TEXT in body
                cycle = self.pending[2] if self.pending else None
                self.tests.append(TestReport(record.lineno, record.time, body, passed, cycle))
            elif head == "**[Test Info]**":
                if self.tests and "Test Pass!" in body:
                    self.tests[-1].passed = True
            elif head == "**[Human-Agent-Interaction]**":
                self._close()
            elif head == "**[User Provided Comments]**":
                self._close()
                self._comment(record)
            elif head == "**[Post Info]**":
                self._close()
                self.meta["post_info"] = body
                self.meta["post_info_time"] = record.time.isoformat()
            elif head.startswith("**[Software Info]**"):
                self.meta["software_info"] = body
            elif head.startswith("Software Info:"):
                self.meta["software_info_v1"] = head
            elif head.startswith("Retrying request"):
                if self.current is not None:
                    self.current.api_retries += 1
            elif head.startswith("ChatDev Ends"):
                self.meta["ended"] = "1"
                self._close()
            elif _UTTERANCE.match(head):
                if self.current is not None:
                    self.current.utterances += 1
            else:
                self._v1(record)
            previous_head = head

    def _preprocessing(self, body: str) -> None:
        for key in ("task_prompt", "project_name"):
            match = re.search(rf"^\*\*{key}\*\*: (.*)$", body, re.M)
            if match:
                self.meta[key] = match[1].strip()
        temperature = _TEMPERATURE.search(body)
        if temperature:
            self.meta["temperature"] = temperature[1]

    def _call(self, record: Record) -> None:
        values = dict(_TOKENS.findall(record.body))
        prompt, completion = (
            self._int(values[k], k) if k in values else None
            for k in ("prompt_tokens", "completion_tokens")
        )
        call = Call(
            record.lineno,
            record.time,
            prompt,
            completion,
            self.pending_window,
        )
        self.pending_window = None
        stage = self.current or (self.stages[-1] if self.stages else None)
        if stage is None:  # a call before any chat: keep its tokens in a setup stage
            stage = self._open(record, "Setup", {})
        stage.calls.append(call)

    def _comment(self, record: Record) -> None:
        match = _COMMENT.search(record.body)
        number = total = None
        text = record.body.strip()
        if match:
            number = self._int(match[1], "comment number")
            total, text = self._int(match[2], "comment total"), match[3].strip()
        cycle = self.pending[2] if self.pending else None
        self.comments.append(HumanComment(record.lineno, record.time, text, number, total, cycle))

    def _v1(self, record: Record) -> None:
        head = record.head
        if head.startswith("ChatDev Starts"):
            return
        if head.startswith("args:"):
            match = _V1_ARGS.search(head)
            if match:
                self.meta.setdefault("task_prompt", match[1])
                self.meta.setdefault("project_name", match[2])
            return
        phase = _V1_PHASE.match(head)
        if phase:
            name = V1_PHASES.get(phase[1]) or phase[1].title().replace("_", "")
            stage = self._open(record, name, {})
            stage.composed_phase = V1_COMPOSED.get(name)
            return
        sys_message = _V1_SYS.match(head)
        if sys_message and self.current is not None:
            side = "assistant_role" if sys_message[1] == "Assistant" else "user_role"
            setattr(self.current, side, sys_message[2])
            return
        message = _V1_MSG.match(head)
        if message and self.current is not None and message[3] == ":":
            self.current.utterances += 1
            if message[1] == "Assistant":
                self.current.last_assistant_message = record.body


def parse_log(path: Path) -> ChatDevRun:
    """Parse one ChatDev log file.

    Raises:
        ChatDevParseError: If the file is not a ChatDev log; the message names the file.
        OSError: If the file cannot be read.
    """
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise ChatDevParseError(f"{path}: not a ChatDev log (binary content)")
    text = data.decode("utf-8", errors="replace")
    records = split_records(text, path)
    parser = _Parser(path, records)
    parser.run()
    markers = ("[Preprocessing]", "ChatDev Starts", "[chatting]", "PhaseType:")
    if not any(m in r.head for r in records[:50] for m in markers):
        raise ChatDevParseError(
            f"{path}: not a ChatDev log (no '**[Preprocessing]**' or 'ChatDev Starts' record)"
        )
    stamp = _STAMP.search(text[:5000])
    start_stamp = stamp[1] if stamp else None
    meta = parser.meta
    run = ChatDevRun(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        fingerprint=_fingerprint(records, start_stamp),
        log_format="v2" if any(r.head == "**[Preprocessing]**" for r in records[:5]) else "v1",
        start=records[0].time,
        end=records[-1].time,
        start_stamp=start_stamp,
        ended="ended" in meta or "post_info" in meta,
        project_name=meta.get("project_name"),
        task_prompt=meta.get("task_prompt"),
        temperature=float(meta["temperature"]) if "temperature" in meta else None,
        stages=parser.stages,
        tests=parser.tests,
        human_comments=parser.comments,
    )
    run.problems.extend(parser.problems)
    if "post_info" in meta:
        run.post_info = read_info(meta["post_info"], _INFO_V2, run.problems)
        run.post_info_time = datetime.fromisoformat(meta["post_info_time"])
    if "software_info" in meta:
        run.software_info = read_info(meta["software_info"], _INFO_V2, run.problems)
    if "software_info_v1" in meta:
        run.software_info = read_info(meta["software_info_v1"], _INFO_V1, run.problems)
    last = next((r for r in reversed(records) if not r.head.startswith("flask app")), None)
    run.last_is_retry = last is not None and last.head.startswith("Retrying request")
    if _END_STAMP.search(text[-3000:]):
        run.ended = True
    return run
