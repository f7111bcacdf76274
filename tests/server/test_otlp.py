"""POST /v1/traces with the real opentelemetry-sdk as the client: its OTLP/HTTP exporter
(protobuf, gzip) and the same spans as OTLP/JSON; GenAI and OpenInference shapes."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from tests.server.conftest import Served, Tokens, raw_lines

pytestmark = pytest.mark.server


def _record(resource: dict[str, Any], build: Any) -> list[ReadableSpan]:
    """Spans made by the real SDK (kept in memory, exported by the test)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(resource))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    build(provider.get_tracer("pipeline"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def _genai(tracer: Any) -> None:
    agent_attrs = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "architect",
                   "autoforge.stage": "architecture", "autoforge.prompt_version": "architect.v1.1"}
    with tracer.start_as_current_span("invoke_agent architect", attributes=agent_attrs) as agent:
        for inp, out in ((1000, 300), (800, 200)):
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out}):
                pass
        agent.add_event("gen_ai.evaluation.result", {
            "gen_ai.evaluation.name": "api_contract_present",
            "gen_ai.evaluation.score.label": "fail",
            "gen_ai.evaluation.explanation": "api/openapi.yaml missing"})
        agent.add_event("gen_ai.evaluation.result", {
            "gen_ai.evaluation.name": "spec_complete", "gen_ai.evaluation.score.value": 0.9})
    with tracer.start_as_current_span("chat claude", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-3-5-sonnet",
        "gen_ai.agent.name": "qa", "gen_ai.usage.input_tokens": 50,
        "gen_ai.usage.output_tokens": 5}) as lone:
        lone.set_status(Status(StatusCode.ERROR, "rate limited"))


def _events(root: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in raw_lines(root)]


def _check_genai(events: list[dict[str, Any]], spans: list[ReadableSpan]) -> None:
    by_name = {s.name: s for s in spans}
    agent = by_name["invoke_agent architect"]
    trace = f"{agent.context.trace_id:032x}"
    stages = {e["agent_role"]: e for e in events if e["kind"] == "stage_execution"}
    assert set(stages) == {"architect", "qa"}  # the model calls under the agent fold in
    arch = stages["architect"]
    assert (arch["input_tokens"], arch["output_tokens"]) == (1800, 500)
    assert arch["agent_model"] == "gpt-4o" and arch["prompt_version"] == "architect.v1.1"
    assert arch["stage_id"] == "architecture" and arch["succeeded"] is True
    assert arch["project_id"] == "otel-proj-1"
    assert arch["trace_id"] == trace and arch["span_id"] == f"{agent.context.span_id:016x}"
    assert arch["event_id"] == f"otel-{trace}-{agent.context.span_id:016x}"
    qa = stages["qa"]
    assert qa["succeeded"] is False and qa["error"] == "rate limited"
    assert qa["agent_model"] == "claude-3-5-sonnet" and qa["input_tokens"] == 50
    gates = {e["gate_id"]: e for e in events if e["kind"] == "gate_evaluation"}
    assert gates["api_contract_present"]["validation_result"] == "fail"
    assert gates["api_contract_present"]["validation_reason"] == "api/openapi.yaml missing"
    assert gates["api_contract_present"]["agent_role"] == "architect"
    assert gates["spec_complete"]["validation_result"] == "pass"
    assert len(events) == 4


def test_the_sdk_exporter_in_protobuf_with_gzip(
    server: Served, tokens: Tokens, store: Path
) -> None:
    spans = _record({"service.name": "pipeline", "autoforge.project_id": "otel-proj-1"}, _genai)
    exporter = OTLPSpanExporter(endpoint=server.url + "/v1/traces",
                                headers=tokens.auth(tokens.write),
                                compression=Compression.Gzip)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    _check_genai(_events(store), spans)
    assert exporter.export(spans) == SpanExportResult.SUCCESS  # a re-export adds nothing
    assert len(raw_lines(store)) == 4
    refused = OTLPSpanExporter(endpoint=server.url + "/v1/traces",
                               headers=tokens.auth(tokens.read))
    assert refused.export(spans) == SpanExportResult.FAILURE
    metric = httpx.get(server.url + "/v1/metrics", headers=tokens.auth(tokens.read),
                       params={"metric": "gate_pass_rate", "by": "role"}).json()
    assert metric == [{"role": "architect", "value": 0.5, "numerator": 1, "denominator": 2}]


def _as_otlp_json(spans: list[ReadableSpan]) -> bytes:
    """The SDK's own encoding of the spans, written as OTLP/JSON (ids in hex)."""
    data = MessageToDict(encode_spans(spans))

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    node[key] = base64.b64decode(value).hex()
                else:
                    fix(value)
        elif isinstance(node, list):
            for item in node:
                fix(item)

    fix(data)
    return orjson.dumps(data)


def test_the_same_spans_as_otlp_json(server: Served, tokens: Tokens, store: Path) -> None:
    spans = _record({"service.name": "pipeline", "autoforge.project_id": "otel-proj-1"}, _genai)
    answer = httpx.post(server.url + "/v1/traces", content=_as_otlp_json(spans), headers={
        "Content-Type": "application/json", **tokens.auth(tokens.write)})
    assert answer.status_code == 200 and answer.json() == {}
    _check_genai(_events(store), spans)
    bad = httpx.post(server.url + "/v1/traces", content=b"<xml/>", headers={
        "Content-Type": "text/xml", **tokens.auth(tokens.write)})
    assert bad.status_code == 415


def _openinference(tracer: Any) -> None:
    agent = {"openinference.span.kind": "AGENT", "agent.name": "engineer",
             "session.id": "run 42/a"}
    with tracer.start_as_current_span("engineer", attributes=agent) as span:
        with tracer.start_as_current_span("ChatCompletion", attributes={
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
            "llm.token_count.prompt": 700, "llm.token_count.completion": 90,
            "llm.token_count.total": 790, "llm.prompt_template.version": "engineer.v2.0",
            "session.id": "run 42/a"}):
            pass
        with tracer.start_as_current_span("hallucination", attributes={
            "openinference.span.kind": "EVALUATOR", "evaluation.label": "hallucinated",
            "evaluation.explanation": "cites a file that does not exist",
            "session.id": "run 42/a"}):
            pass
        span.add_event("annotation", {
            "annotation.name": "review", "annotation.annotator_kind": "HUMAN",
            "annotation.label": "rejected", "annotation.explanation": "no error handling"})
        span.add_event("annotation", {
            "annotation.name": "lint", "annotation.annotator_kind": "CODE",
            "annotation.score": 1.0})
    with tracer.start_as_current_span("bad", attributes={
        "openinference.span.kind": "LLM", "autoforge.project_id": "../etc",
        "llm.model_name": "m"}):
        pass


def test_openinference_spans_and_annotations(
    server: Served, tokens: Tokens, store: Path
) -> None:
    spans = _record({"service.name": "pipeline"}, _openinference)
    exporter = OTLPSpanExporter(endpoint=server.url + "/v1/traces",
                                headers=tokens.auth(tokens.write))
    assert exporter.export(spans) == SpanExportResult.SUCCESS  # (one span rejected)
    events = _events(store)
    (stage,) = [e for e in events if e["kind"] == "stage_execution"]
    assert stage["project_id"] == "run-42-a" and stage["agent_role"] == "engineer"
    assert (stage["input_tokens"], stage["output_tokens"]) == (700, 90)
    assert stage["agent_model"] == "gpt-4o-mini" and stage["otel_operation"] == "AGENT"
    gates = {e["gate_id"]: e for e in events if e["kind"] == "gate_evaluation"}
    assert gates["hallucination"]["validation_result"] == "fail"
    assert gates["hallucination"]["agent_role"] == "engineer"
    assert gates["lint"]["validation_result"] == "pass"
    assert gates["lint"]["annotator_kind"] == "CODE"
    (human,) = [e for e in events if e["kind"] == "downstream_feedback"]
    assert human["reporting_agent"] == "human" and human["target_agent"] == "engineer"
    assert human["rejected"] is True and human["feedback"] == "no error handling"
    assert len(events) == 4  # the span with the bad project id was rejected alone
    answer = httpx.post(server.url + "/v1/traces", content=_as_otlp_json(spans), headers={
        "Content-Type": "application/json", **tokens.auth(tokens.write)}).json()
    assert answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "project_id" in answer["partialSuccess"]["errorMessage"]


def test_project_limited_tokens_apply_to_traces(server: Served, tokens: Tokens) -> None:
    spans = _record({"autoforge.project_id": "otel-proj-1"}, _genai)
    answer = httpx.post(server.url + "/v1/traces", content=_as_otlp_json(spans), headers={
        "Content-Type": "application/json", **tokens.auth(tokens.team_a)})
    assert answer.status_code == 403 and "otel-proj-1" in answer.json()["detail"]
