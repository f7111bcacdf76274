from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import jsonschema
import orjson
import pytest

from autoforge_learn.schema import (
    EVENT_MODELS,
    EventError,
    GateEvaluation,
    check_safe_id,
    derive_event_id,
    parse_event,
    parse_line,
)
from autoforge_learn.schema.jsonschema import generate_json_schema, shipped_json_schema
from tests.samples import SPEC_EXAMPLE_LINE


def test_spec_example_line_is_a_gate_event():
    event = parse_event(copy.deepcopy(SPEC_EXAMPLE_LINE))
    assert isinstance(event, GateEvaluation)
    assert event.validation_result == "fail"
    assert event.validation_reason == "File does not exist at api/openapi.yaml"
    assert event.stage == "architecture"
    assert event.timestamp == datetime(2025, 10, 29, 14, 30, tzinfo=UTC)
    # Unknown fields are kept, not dropped.
    assert "downstream_feedback" in event.model_dump()


def test_derived_event_id_is_stable_and_content_based():
    first = parse_event(dict(SPEC_EXAMPLE_LINE)).event_id
    again = parse_event(dict(SPEC_EXAMPLE_LINE)).event_id
    other = parse_event({**SPEC_EXAMPLE_LINE, "retry_attempt": 2}).event_id
    assert first == again == derive_event_id(SPEC_EXAMPLE_LINE)
    assert first != other


def test_explicit_event_id_is_kept():
    assert parse_event({**SPEC_EXAMPLE_LINE, "event_id": "e-1"}).event_id == "e-1"


def test_both_spellings_must_agree():
    with pytest.raises(EventError) as info:
        parse_event({**SPEC_EXAMPLE_LINE, "validation_result": "pass"})
    assert info.value.errors[0].field == "gate_result"


def test_errors_name_the_field_as_written():
    with pytest.raises(EventError) as info:
        parse_event({**SPEC_EXAMPLE_LINE, "gate_result": "maybe", "retry_attempt": 0})
    fields = {e.field for e in info.value.errors}
    assert fields == {"gate_result", "retry_attempt"}


def test_missing_kind_that_cannot_be_inferred():
    with pytest.raises(EventError, match="kind"):
        parse_event({"project_id": "P", "timestamp": "2025-10-29T14:30:00Z"})


def test_unknown_kind():
    with pytest.raises(EventError, match="unknown kind 'nope'"):
        parse_event({"kind": "nope", "project_id": "P", "event_id": "e"})


@pytest.mark.parametrize("kind", [[], {"a": 1}, 5])
def test_a_kind_that_is_no_string_is_an_event_error(kind):
    with pytest.raises(EventError, match="unknown kind"):
        parse_line(orjson.dumps({"kind": kind, "project_id": "P", "event_id": "e"}))


def test_naive_timestamp_is_refused_and_offsets_become_utc():
    with pytest.raises(EventError) as info:
        parse_event({**SPEC_EXAMPLE_LINE, "timestamp": "2025-10-29T14:30:00"})
    assert info.value.errors[0].field == "timestamp"
    event = parse_event({**SPEC_EXAMPLE_LINE, "timestamp": "2025-10-29T16:30:00+02:00"})
    assert event.timestamp == datetime(2025, 10, 29, 14, 30, tzinfo=UTC)
    assert event.model_dump_json().count('"timestamp":"2025-10-29T14:30:00Z"') == 1


@pytest.mark.parametrize(
    "bad",
    ["", "../etc", "a/b", "a\\b", "..", "a..b", "bad\nid", "tab\tid", "-lead", "x" * 129, "sp ace"],
)
def test_unsafe_project_ids_are_refused(bad):
    with pytest.raises(ValueError):
        check_safe_id(bad)
    with pytest.raises(EventError) as info:
        parse_event({**SPEC_EXAMPLE_LINE, "project_id": bad})
    assert info.value.errors[0].field == "project_id"


@pytest.mark.parametrize("good", ["ABC123", "proj-1", "my_project.v2", "a" * 128])
def test_safe_project_ids(good):
    assert check_safe_id(good) == good


def test_not_json_and_not_object():
    with pytest.raises(EventError, match="not valid JSON"):
        parse_line(b'{"broken')
    with pytest.raises(EventError, match="expected a JSON object"):
        parse_line(b"[1, 2]")


def test_prompt_version_format_is_checked():
    with pytest.raises(EventError) as info:
        parse_event({**SPEC_EXAMPLE_LINE, "prompt_version": "architect-2"})
    assert info.value.errors[0].field == "prompt_version"
    assert parse_event({**SPEC_EXAMPLE_LINE, "prompt_version": "architect.v2.3"}).prompt_version


def test_shipped_schema_is_the_generated_one():
    assert shipped_json_schema() == orjson.loads(orjson.dumps(generate_json_schema()))


def test_json_schema_covers_every_kind_and_validates_a_written_event():
    schema = generate_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_MODELS)
    validator = jsonschema.Draft202012Validator(schema)
    event = parse_event(dict(SPEC_EXAMPLE_LINE))
    validator.validate(orjson.loads(event.model_dump_json(exclude_none=True)))
    broken = orjson.loads(event.model_dump_json(exclude_none=True))
    broken["validation_result"] = "maybe"
    assert list(validator.iter_errors(broken))


def test_every_kind_has_a_raw_file():
    from autoforge_learn.store.layout import FILE_FOR_KIND

    assert set(FILE_FOR_KIND) == set(EVENT_MODELS)


def _spec_mentions(name: str, text: str) -> list[str]:
    return [f"{name}: {m}" for m in re.findall(r".{0,30}\bspec(?:'s)?\b.{0,20}", text, re.I)]


def test_shipped_schema_and_reference_texts_speak_in_our_words():
    """Users do not have the draft the project grew from: no shipped text cites it."""
    import inspect
    from importlib import resources

    import autoforge_learn
    from autoforge_learn.schema.jsonschema import SHIPPED_SCHEMA, render_json_schema
    from autoforge_learn.settings import default_config_text
    from autoforge_learn.settings.reference import settings_reference

    texts = {
        SHIPPED_SCHEMA: resources.files("autoforge_learn.schema").joinpath(SHIPPED_SCHEMA)
        .read_text(),
        "autoforge schema": render_json_schema(),
        "settings reference": settings_reference(),
        "config.yaml": default_config_text(),
    }
    for kind, model in EVENT_MODELS.items():
        texts[kind] = inspect.getdoc(model) or ""
    for name in autoforge_learn.__all__:
        obj = getattr(autoforge_learn, name)
        texts[name] = inspect.getdoc(obj) or ""
        for attr, member in inspect.getmembers(obj):
            if not attr.startswith("_") and (inspect.isfunction(member) or
                                              isinstance(member, property)):
                texts[f"{name}.{attr}"] = inspect.getdoc(member) or ""
    found = [hit for name, text in texts.items() for hit in _spec_mentions(name, text)]
    assert found == []
    assert len(texts) > 30
