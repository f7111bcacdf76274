"""``autoforge suggest``, ``autoforge prompts apply`` and rewriter plug-ins."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.suggest import (
    RewriteContext,
    SuggestionError,
    get_rewriter,
    register_rewriter,
    rewriter_names,
    suggest,
)
from autoforge_learn.suggest.rewriters import _FACTORIES
from tests.suggest import factories as f

runner = CliRunner()
NOW = datetime(2025, 10, 3, tzinfo=UTC)


@pytest.fixture
def findings_file(af_root, tmp_path):
    f.make_registry(af_root)
    path = tmp_path / "findings.json"
    path.write_bytes(orjson.dumps([x.to_dict() for x in f.all_findings()]))
    return path


class Tagger:
    """A test rewriter that records its calls and appends a tag."""

    name = "tagger"
    calls: list[tuple[str, RewriteContext]] = []

    def rewrite(self, suggestion, context):
        Tagger.calls.append((suggestion.suggestion_type, context))
        return suggestion.proposed_change.new_text + "\n[tagged]"


@pytest.fixture
def tagger():
    Tagger.calls = []
    register_rewriter("tagger", Tagger)
    yield Tagger
    _FACTORIES.pop("tagger", None)


def test_suggest_table_writes_the_file(af_root, findings_file):
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file)])
    assert result.exit_code == 0, result.output
    assert "Prompt suggestions" in result.output and "SUG-" in result.output
    files = list((af_root / "ai" / "training_data" / "reports").glob("suggestions_*.yaml"))
    assert len(files) == 1
    data = yaml.safe_load(files[0].read_text())
    assert len(data) >= 6 and data[0]["suggestion_id"].endswith("-001")


def test_suggest_jsonl_and_json_output(af_root, findings_file, tmp_path):
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file), "--format", "jsonl",
                                 "--out", str(tmp_path / "copy.json")])
    assert result.exit_code == 0, result.output
    printed = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert printed[0]["proposed_change"]["prompt_file"].startswith("ai/prompts/")
    copy = orjson.loads((tmp_path / "copy.json").read_bytes())
    assert [s["suggestion_id"] for s in copy] == [s["suggestion_id"] for s in printed]
    again = runner.invoke(app, ["suggest", "--findings", str(findings_file), "--format", "json"])
    assert again.exit_code == 0, again.output
    # The same findings again propose the same changes: they keep their first ids.
    ids = [s["suggestion_id"] for s in orjson.loads(again.stdout)]
    assert sorted(ids) == sorted(s["suggestion_id"] for s in printed)


def test_suggest_errors_are_clear(af_root, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": 1}')
    af_root.mkdir()
    result = runner.invoke(app, ["suggest", "--findings", str(bad)])
    assert result.exit_code == 1 and "expected a JSON list of findings" in result.output


def test_suggest_without_findings_runs_the_detectors_on_the_selection(af_root):
    """`autoforge suggest` alone used to stop with "not wired in yet"."""
    from autoforge_learn.sim import simulate

    simulate(af_root, projects=40, seed=3)
    result = runner.invoke(app, ["suggest", "--format", "json"])
    assert result.exit_code == 0, result.output
    made = orjson.loads(result.stdout)
    assert made and all(s["suggestion_id"].startswith("SUG-") for s in made)
    assert all(s["evidence"] for s in made)
    # the selection reaches the detectors: one project is too little for any suggestion
    one = runner.invoke(app, ["suggest", "--format", "json", "--last", "1"])
    assert one.exit_code == 0 and len(orjson.loads(one.stdout)) < len(made)


def test_rewriter_selected_on_the_command_line(af_root, findings_file, tagger):
    result = runner.invoke(
        app, ["suggest", "--findings", str(findings_file), "--rewriter", "tagger",
              "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert tagger.calls and len(tagger.calls) >= len(data)
    assert all(s["proposed_change"]["new_text"].endswith("[tagged]") for s in data)
    assert all("'tagger' rewriter" in s["proposed_change"]["rationale"] for s in data)
    context = tagger.calls[0][1]
    assert context.findings and context.prompt is not None


def test_rewriter_selected_in_config(af_root, findings_file, tagger):
    (af_root / "config.yaml").write_text("suggest:\n  rewriter: tagger\n")
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file)])
    assert result.exit_code == 0, result.output
    assert tagger.calls
    assert all(context.options == {} for _kind, context in tagger.calls)


def test_rewriter_options_come_from_config(af_root, findings_file, tagger):
    (af_root / "config.yaml").write_text(
        "suggest:\n  rewriter: tagger\n"
        "  rewriter_options:\n    model: small\n    temperature: 0.2\n"
    )
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file)])
    assert result.exit_code == 0, result.output
    assert tagger.calls
    assert all(context.options == {"model": "small", "temperature": 0.2}
               for _kind, context in tagger.calls)


def test_unknown_rewriter(af_root, findings_file):
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file),
                                 "--rewriter", "gpt"])
    assert result.exit_code == 1 and "unknown rewriter 'gpt'" in result.output
    assert "deterministic" in rewriter_names()
    with pytest.raises(SuggestionError):
        get_rewriter("gpt")


def test_a_rewrite_to_the_old_text_is_ignored(af_root):
    registry = f.make_registry(af_root)

    class Undo:
        def rewrite(self, suggestion, context):
            return suggestion.proposed_change.old_text

    made = suggest([f.gate_root_cause()], registry, now=NOW, rewriter=Undo())
    change = made[0].proposed_change
    assert change.new_text != change.old_text
    assert "Gate api_contract_present requires:" in change.new_text


def test_prompts_apply_cli(af_root, findings_file):
    result = runner.invoke(app, ["suggest", "--findings", str(findings_file), "--format", "json"])
    data = orjson.loads(result.stdout)
    target = next(s for s in data if s["suggestion_type"] == "constraint_removal")
    applied = runner.invoke(app, ["prompts", "apply", target["suggestion_id"]])
    assert applied.exit_code == 0, applied.output
    assert "architect.v2.1" in applied.output
    assert PromptRegistry(af_root).get("architect.v2.1").source == target["suggestion_id"]
    twice = runner.invoke(app, ["prompts", "apply", target["suggestion_id"]])
    assert twice.exit_code == 1 and "already applied" in twice.output
    listed = runner.invoke(app, ["prompts", "list", "--role", "architect", "--format", "json"])
    assert target["suggestion_id"] in listed.stdout


def test_help_has_examples():
    for args in (["suggest", "--help"], ["prompts", "apply", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Example:" in result.output


def test_default_rewriter_keeps_the_text_and_bad_ones_are_refused(af_root):
    registry = f.make_registry(af_root)
    plain = suggest([f.gate_root_cause()], registry, now=NOW)
    same = suggest([f.gate_root_cause()], registry, now=NOW, rewriter="deterministic")
    assert [s.to_dict() for s in plain] == [s.to_dict() for s in same]
    assert "rewriter" not in plain[0].proposed_change.rationale
    with pytest.raises(SuggestionError, match="not a rewriter"):
        suggest([f.gate_root_cause()], registry, now=NOW, rewriter=object())  # type: ignore[arg-type]
