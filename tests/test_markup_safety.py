"""Text from the user's data or arguments is printed as text, never read as Rich markup.

Gate ids, stages, recipes, reasons and file names shaped like markup (``g[/y]``,
``[bold]``) used to crash ``metrics show --by gate`` and ``patterns`` with a
``MarkupError``; every command that prints data is run here on such a store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector

runner = CliRunner()
MARKUP = "[/y]"  # a closing tag that matches nothing: Rich raises on it


def _store(root: Path) -> None:
    with Collector(root) as c:
        for i in range(6):
            pid = f"p{i}"
            c.on_project_start(project_id=pid, recipe=f"recipe{MARKUP}", domain=f"d[bold]{i}")
            c.on_agent_stage_completion(
                project_id=pid, stage_id=f"stage{MARKUP}", agent_role="qa",
                prompt_version="qa.v1.0", input_tokens=100, output_tokens=50, succeeded=True,
            )
            for k in range(3):
                c.on_gate_evaluation(
                    project_id=pid, gate_id=f"gate{MARKUP}", stage=f"stage{MARKUP}",
                    agent_role="qa", prompt_version="qa.v1.0",
                    validation_result="fail" if (i + k) % 2 else "pass",
                    validation_reason=f"missing [red]{MARKUP} edge case",
                )
            c.on_human_approval(
                project_id=pid, decision_type="tech_stack",
                agent_recommendation=f"ship [/]{i}", human_decision="hold [b]",
            )
            c.on_project_completion(project_id=pid, project_success="shipped", quality_score=70)


COMMANDS = [
    ["metrics", "show", "--metric", "gate_pass_rate", "--by", "gate"],
    ["metrics", "show", "--metric", "gate_pass_rate", "--by", "stage"],
    ["metrics", "show", "--metric", "gate_pass_rate", "--by", "recipe"],
    ["metrics", "show", "--metric", f"gate{MARKUP}"],
    ["metrics", "show", "--metric", "gate_pass_rate", "--recipe", f"nothing{MARKUP}"],
    ["patterns"],
    ["loops"],
    ["label"],
    ["aggregate"],
    ["review", "queue"],
    ["suggest"],
    ["train"],
    ["validate"],
    ["validate", f"x{MARKUP}.jsonl"],
    ["index"],
    ["prompts", "diff", f"qa{MARKUP}.v1.0", "qa.v1.1"],
    ["prompts", "new", f"qa{MARKUP}", "-m", "x"],
    ["ab", "status", f"e{MARKUP}"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_markup_in_data_and_arguments_is_printed_as_text(
    af_root: Path, args: list[str]
) -> None:
    _store(af_root)
    bad = af_root / "ai" / "training_data" / "raw"
    month = next(bad.iterdir())
    with open(month / "project_p1_gates.jsonl", "a") as handle:
        handle.write('{"kind": "[/x]", "project_id": "p1"}\n')
    result = runner.invoke(app, [*args, "--root", str(af_root)])
    # exit 0, or an error with its message (exit 1 or 2); never an exception
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, result.output, repr(result.exception))
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert "error" in result.output.lower() or "warning" in result.output.lower() or (
            "invalid" in result.output.lower()), result.output
