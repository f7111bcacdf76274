"""The README's promises stay true: two set-up commands, CI runs the test one, the SDK
example runs as printed."""

from __future__ import annotations

import re
from pathlib import Path

from autoforge_learn.store import StoreLayout
from autoforge_learn.store.validate import validate_files

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.DOTALL)


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", setup, flags=re.DOTALL)
    assert len(commands) == 2
    demo, tests = commands
    assert demo.strip().endswith("autoforge demo") and "pip install" in demo
    assert tests.strip().endswith("pytest") and "[test]" in tests
    ci = (REPO / ".ci" / "run").read_text()
    assert tests.strip() in ci


def test_sdk_example_runs_as_printed(af_root):
    (example,) = [b for b in _blocks("python") if "Collector" in b]
    exec(compile(example, "README.md", "exec"), {})
    report = validate_files(StoreLayout(af_root).raw_files())
    assert report.ok
    assert report.kinds == {
        "project_started": 1,
        "stage_execution": 1,
        "gate_evaluation": 1,
        "project_completed": 1,
    }


def test_library_example_runs_as_printed(af_root, capsys):
    from autoforge_learn.sim import simulate

    simulate(af_root, projects=25, seed=2)
    (example,) = [b for b in _blocks("python") if "Workspace" in b]
    scope: dict = {}
    exec(compile(example, "README.md", "exec"), scope)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 6 and all(0 <= float(line.split()[1]) <= 1 for line in printed)
    assert scope["findings"]
