"""OpenTelemetry GenAI and OpenInference spans as our events (the table is in
``docs/server.md``).

* An **agent span** (``gen_ai.operation.name`` ``invoke_agent``/``create_agent``, or
  OpenInference ``AGENT``) is one ``stage_execution``: one agent's run. The model calls
  under it in the same request add their tokens (and model) to it when it has none.
* A **model-call span** (``chat``, ``text_completion``, ``generate_content``, any span
  with ``gen_ai.request.model``, or OpenInference ``LLM``) with no agent span above it in
  the request is a ``stage_execution`` of its own.
* **Evaluation results** (``gen_ai.evaluation.result`` span events, spans with
  ``gen_ai.evaluation.name``, OpenInference ``EVALUATOR``/``GUARDRAIL`` spans) are
  ``gate_evaluation`` events of the agent evaluated.
* **Annotations** (span events with ``annotation.name``): by ``LLM`` or ``CODE`` a
  ``gate_evaluation``, by a ``HUMAN`` a ``downstream_feedback`` from ``human``.

Every event keeps ``trace_id``, ``span_id`` and ``parent_span_id``, and its id is made
from them, so a re-exported span adds nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from autoforge_learn.schema.events import PROMPT_VERSION_PATTERN
from autoforge_learn.server.otlp_decode import STATUS_ERROR, Span, SpanEvent

AGENT_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
EVALUATION_EVENT = "gen_ai.evaluation.result"
PASS_LABELS = frozenset({"pass", "passed", "true", "yes", "ok", "correct", "relevant",
                         "success", "good", "accept", "accepted", "approved"})
FAIL_LABELS = frozenset({"fail", "failed", "false", "no", "incorrect", "not_relevant",
                         "irrelevant", "error", "bad", "reject", "rejected", "hallucinated"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_VERSION = re.compile(PROMPT_VERSION_PATTERN)


def _moment(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


def _project(span: Span) -> str:
    explicit = span.attr("autoforge.project_id")
    if explicit is not None:
        return str(explicit)  # validated as any project id: a bad one rejects the span
    derived = span.attr("session.id", "gen_ai.conversation.id") or span.trace_id
    safe = _UNSAFE.sub("-", str(derived)).lstrip("._-")[:128]
    return safe or span.trace_id


def _kind(span: Span) -> str | None:
    operation = span.attr("gen_ai.operation.name")
    oi_kind = str(span.attributes.get("openinference.span.kind", "")).upper()
    if span.attributes.get("gen_ai.evaluation.name") is not None or oi_kind in (
        "EVALUATOR", "GUARDRAIL"
    ):
        return "evaluation"
    if operation in AGENT_OPERATIONS or oi_kind == "AGENT":
        return "agent"
    if operation in MODEL_OPERATIONS or oi_kind == "LLM" or (
        operation is None and span.attributes.get("gen_ai.request.model") is not None
    ):
        return "model"
    return None


def _own_role(span: Span) -> str | None:
    value = span.attr("autoforge.agent_role", "gen_ai.agent.name", "agent.name")
    return None if value is None else str(value)


class _Batch:
    """The spans of one request, with their parents, to find each one's agent."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.by_id = {s.span_id: s for s in spans}
        self.kinds = {s.span_id: _kind(s) for s in spans}

    def agent_of(self, span: Span) -> Span | None:
        """The nearest agent span above ``span`` (itself if it is one) in the request."""
        seen: set[str] = set()
        current: Span | None = span
        while current is not None and current.span_id not in seen:
            if self.kinds[current.span_id] == "agent":
                return current
            seen.add(current.span_id)
            current = self.by_id.get(current.parent_span_id or "")
        return None

    def role_and_stage(self, span: Span) -> tuple[str, str]:
        agent = self.agent_of(span)
        role = _own_role(span) or (_own_role(agent) if agent else None) or (
            agent.name if agent else span.name)
        stage = span.attr("autoforge.stage") or (agent.attr("autoforge.stage") if agent
                                                  else None) or role
        return role, str(stage)


def _ids(span: Span) -> dict[str, Any]:
    return {"trace_id": span.trace_id, "span_id": span.span_id,
            "parent_span_id": span.parent_span_id}


def _usage(span: Span) -> tuple[int | None, int | None]:
    return (span.attr("gen_ai.usage.input_tokens", "llm.token_count.prompt"),
            span.attr("gen_ai.usage.output_tokens", "llm.token_count.completion"))


def _model(span: Span) -> str | None:
    value = span.attr("gen_ai.request.model", "gen_ai.response.model", "llm.model_name")
    return None if value is None else str(value)


def _stage_event(batch: _Batch, span: Span, calls: list[Span]) -> dict[str, Any]:
    role, stage = batch.role_and_stage(span)
    input_tokens, output_tokens = _usage(span)
    if input_tokens is None and output_tokens is None and calls:
        input_tokens = sum(int(_usage(c)[0] or 0) for c in calls)
        output_tokens = sum(int(_usage(c)[1] or 0) for c in calls)
    model = _model(span) or next((m for m in map(_model, calls) if m), None)
    event: dict[str, Any] = {
        "kind": "stage_execution", "event_id": f"otel-{span.trace_id}-{span.span_id}",
        "project_id": _project(span), "timestamp": _moment(span.end_ns),
        "timestamp_start": _moment(span.start_ns), "timestamp_end": _moment(span.end_ns),
        "stage_id": stage, "agent_role": role, "agent_model": model,
        "input_tokens": input_tokens, "output_tokens": output_tokens,
        "total_cost": span.attr("llm.cost.total"),
        "succeeded": span.status_code != STATUS_ERROR,
        "error": (span.status_message or None) if span.status_code == STATUS_ERROR else None,
        "otel_operation": span.attr("gen_ai.operation.name", "openinference.span.kind"),
        **_ids(span),
    }
    version = span.attr("autoforge.prompt_version", "llm.prompt_template.version")
    if version is not None:
        key = "prompt_version" if _VERSION.match(str(version)) else "prompt_template_version"
        event[key] = str(version)
    return {k: v for k, v in event.items() if v is not None}


def _verdict(label: Any, score: Any, failed: bool = False) -> str:
    text = str(label).strip().lower() if label is not None else ""
    if text in PASS_LABELS:
        return "pass"
    if text in FAIL_LABELS:
        return "fail"
    if isinstance(score, bool):
        return "pass" if score else "fail"
    if isinstance(score, int | float) and 0 <= score <= 1:
        return "pass" if score >= 0.5 else "fail"
    return "fail" if failed else "ambiguous"


def _gate(batch: _Batch, span: Span, suffix: str, at: int, *, name: Any, label: Any,
          score: Any, reason: Any, failed: bool = False) -> dict[str, Any]:
    target = batch.by_id.get(span.parent_span_id or "", span) if suffix == "" else span
    role, stage = batch.role_and_stage(target)
    event = {
        "kind": "gate_evaluation", "event_id": f"otel-{span.trace_id}-{span.span_id}{suffix}",
        "project_id": _project(span), "timestamp": _moment(at), "gate_id": str(name),
        "validation_result": _verdict(label, score, failed), "agent_role": role,
        "stage": stage, "agent_model": _model(target),
        "validation_reason": None if reason is None else str(reason),
        "evaluation_label": None if label is None else str(label),
        "evaluation_score": score if isinstance(score, int | float) else None, **_ids(span),
    }
    return {k: v for k, v in event.items() if v is not None}


def _span_event(batch: _Batch, span: Span, index: int, e: SpanEvent) -> dict[str, Any] | None:
    a = e.attributes
    suffix = f"-e{index}"
    if e.name == EVALUATION_EVENT or "gen_ai.evaluation.name" in a:
        return _gate(batch, span, suffix, e.time_ns or span.end_ns,
                     name=a.get("gen_ai.evaluation.name", e.name),
                     label=a.get("gen_ai.evaluation.score.label"),
                     score=a.get("gen_ai.evaluation.score.value"),
                     reason=a.get("gen_ai.evaluation.explanation"))
    if "annotation.name" not in a:
        return None
    annotator = str(a.get("annotation.annotator_kind", "HUMAN")).upper()
    label, score = a.get("annotation.label"), a.get("annotation.score")
    explanation = a.get("annotation.explanation")
    if annotator != "HUMAN":
        event = _gate(batch, span, suffix, e.time_ns or span.end_ns, name=a["annotation.name"],
                      label=label, score=score, reason=explanation)
        event["annotator_kind"] = annotator
        return event
    role, stage = batch.role_and_stage(span)
    verdict = _verdict(label, score)
    return {
        "kind": "downstream_feedback", "event_id": f"otel-{span.trace_id}-{span.span_id}{suffix}",
        "project_id": _project(span), "timestamp": _moment(e.time_ns or span.end_ns),
        "reporting_agent": "human", "target_agent": role, "target_stage": stage,
        "feedback": str(explanation or label or a["annotation.name"]),
        "severity": "major" if verdict == "fail" else "minor",
        "rejected": verdict == "fail", "annotation_name": str(a["annotation.name"]),
        "annotator_kind": annotator, **_ids(span),
    }


def spans_to_events(spans: list[Span]) -> list[tuple[Span, dict[str, Any]]]:
    """Our events (JSON objects, to validate) from a request's spans, each with the span
    it came from; spans of no mapped kind give none (their evaluation events still do)."""
    batch = _Batch(spans)
    calls: dict[str, list[Span]] = {}
    for span in spans:
        if batch.kinds[span.span_id] == "model":
            agent = batch.agent_of(span)
            if agent is not None:
                calls.setdefault(agent.span_id, []).append(span)
    out: list[tuple[Span, dict[str, Any]]] = []
    for span in spans:
        kind = batch.kinds[span.span_id]
        if kind == "agent" or (kind == "model" and batch.agent_of(span) is None):
            out.append((span, _stage_event(batch, span, calls.get(span.span_id, []))))
        elif kind == "evaluation":
            a = span.attributes
            out.append((span, _gate(
                batch, span, "", span.end_ns,
                name=a.get("gen_ai.evaluation.name", a.get("evaluation.name", span.name)),
                label=a.get("gen_ai.evaluation.score.label", a.get("evaluation.label")),
                score=a.get("gen_ai.evaluation.score.value", a.get("evaluation.score")),
                reason=a.get("gen_ai.evaluation.explanation", a.get("evaluation.explanation")),
                failed=span.status_code == STATUS_ERROR)))
        for index, e in enumerate(span.events):
            mapped = _span_event(batch, span, index, e)
            if mapped is not None:
                out.append((span, mapped))
    return out
