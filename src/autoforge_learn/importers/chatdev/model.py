"""What the ChatDev importer reads from a log: plain data, no parsing and no events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Record:
    lineno: int
    time: datetime
    head: str
    body: str


@dataclass
class Call:
    """One LLM call, from a usage line; None where the log says -1."""

    lineno: int
    time: datetime
    prompt_tokens: int | None
    completion_tokens: int | None
    context_window: int | None = None


@dataclass
class Stage:
    """One role-playing chat: one run of one ChatDev phase."""

    lineno: int
    phase: str
    start: datetime
    end: datetime
    composed_phase: str | None = None
    cycle: int | None = None
    assistant_role: str | None = None
    user_role: str | None = None
    model: str | None = None
    phase_prompt: str | None = None
    chat_turn_limit: int | None = None
    need_reflect: bool | None = None
    reflects_on: str | None = None
    calls: list[Call] = field(default_factory=list)
    utterances: int = 0
    api_retries: int = 0
    conclusion: str | None = None
    last_assistant_message: str | None = None

    @property
    def concluded(self) -> bool:
        return self.conclusion is not None


@dataclass
class TestReport:
    """One ``[Test Reports]`` record: ChatDev ran the software."""

    __test__ = False  # not a pytest test class

    lineno: int
    time: datetime
    report: str
    passed: bool
    cycle: int | None


@dataclass
class HumanComment:
    lineno: int
    time: datetime
    text: str
    number: int | None
    total: int | None
    cycle: int | None

    @property
    def ends_review(self) -> bool:
        """``End`` is how the human closes the review: the software is accepted."""
        return self.text.strip().lower() == "end"


@dataclass
class ChatDevRun:
    """Everything the importer reads from one log."""

    path: Path
    sha256: str
    fingerprint: str
    log_format: str
    start: datetime
    end: datetime
    start_stamp: str | None = None
    ended: bool = False
    project_name: str | None = None
    task_prompt: str | None = None
    temperature: float | None = None
    stages: list[Stage] = field(default_factory=list)
    tests: list[TestReport] = field(default_factory=list)
    human_comments: list[HumanComment] = field(default_factory=list)
    post_info: dict[str, float | None] | None = None
    post_info_time: datetime | None = None
    software_info: dict[str, float | None] | None = None
    last_is_retry: bool = False
    #: What the log holds that could not be used (said in the import's report).
    problems: list[str] = field(default_factory=list)

    @property
    def calls(self) -> list[Call]:
        return [c for s in self.stages for c in s.calls]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(s.model for s in self.stages if s.model))
