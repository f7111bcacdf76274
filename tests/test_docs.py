"""The documentation site builds without warnings, documents every command, event kind
and setting, and its examples run as printed.

The settings page is checked key by key in tests/test_settings.py
(``test_every_setting_is_documented``); here we only check it is part of the built site.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _hooks() -> ModuleType:
    """docs/hooks.py, the MkDocs hook that generates the CLI and schema pages."""
    spec = importlib.util.spec_from_file_location("autoforge_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.DOTALL)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with ``mkdocs build --strict`` (any warning is an error)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert not re.search(r"^(WARNING|ERROR)\b", log, flags=re.MULTILINE), log
    return out


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    nav_pages = re.findall(r":\s*([\w/.-]+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), re.M)
    assert len(nav_pages) >= 15
    for page in nav_pages:
        built = site / page.replace(".md", ".html")
        assert built.is_file(), page
        assert len(built.read_text()) > 2000, page
    # Search works from disk: the offline plug-in writes the index as a script.
    assert (site / "search" / "search_index.js").is_file()


def test_every_command_is_in_the_cli_reference(site: Path) -> None:
    hooks = _hooks()
    commands = list(hooks.iter_commands())
    assert len(commands) >= 40
    page = hooks.render_cli()
    html = (site / "cli.html").read_text()
    for path, command, _ctx in commands:
        name = " ".join(path)
        assert re.search(rf"^#+ {re.escape(name)}$", page, re.M), name
        assert f">{name}<" in html or f"{name}<a" in html, name
        for param in command.params:
            if getattr(param, "hidden", False) or param.param_type_name != "option":
                continue
            assert f"`{param.opts[0]}" in page or f", {param.opts[0]}" in page, (
                name,
                param.opts,
            )


def test_every_top_level_command_is_reached() -> None:
    """The reference walks every group: each top-level command (a cmd_*.py module
    registers them) has at least one section."""
    import typer.main

    from autoforge_learn.cli import app

    top = set(typer.main.get_command(app).commands)
    reached = {path[1] for path, _command, _ctx in _hooks().iter_commands()}
    assert len(top) >= 20
    assert top == reached


def test_every_event_kind_and_field_is_in_the_schema_page(site: Path) -> None:
    from autoforge_learn.schema.events import EVENT_MODELS

    page = _hooks().render_schema()
    assert len(EVENT_MODELS) >= 12
    for kind, model in EVENT_MODELS.items():
        section = page.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
        for field in model.model_fields:
            assert f"| `{field}` |" in section, (kind, field)
    assert "spec" not in page.lower()
    assert 'id="gate_evaluation"' in (site / "schema.html").read_text()


def test_every_setting_page_is_built(site: Path) -> None:
    from autoforge_learn.settings import iter_settings

    html = (site / "settings.html").read_text()
    keys = [key for key, _default, _help in iter_settings()]
    assert len(keys) >= 50
    assert [k for k in keys if f"<code>{k}</code>" not in html] == []


def test_every_environment_variable_the_code_reads_is_documented(site: Path) -> None:
    import autoforge_learn

    package = Path(autoforge_learn.__file__).parent
    read = set()
    for module in package.rglob("*.py"):
        read |= set(re.findall(r"\bAUTOFORGE_[A-Z_]+\b", module.read_text()))
    assert {"AUTOFORGE_HOME", "AUTOFORGE_ENGINE", "AUTOFORGE_INDEX_MEMORY"} <= read
    html = (site / "environment.html").read_text()
    assert sorted(v for v in read if f"<code>{v}</code>" not in html) == []


def test_the_library_page_runs_as_printed(af_root: Path, capsys: pytest.CaptureFixture) -> None:
    from autoforge_learn.sim import simulate

    simulate(af_root, projects=25, seed=2)
    blocks = _python_blocks("library.md")
    assert len(blocks) >= 8
    scope: dict = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/library.md, block {number}", "exec"), scope)
    printed = capsys.readouterr().out
    assert "project_completed blocked" in printed
    assert re.search(r"^architect\s+\d+\.\d% of \d+ checks$", printed, re.M)
    assert "feedback loops fired" in printed
    assert scope["findings"] and scope["result"].rows


def test_the_plugins_page_runs_as_printed(capsys: pytest.CaptureFixture) -> None:
    from autoforge_learn.suggest.rewriters import _FACTORIES, get_rewriter

    blocks = _python_blocks("plugins.md")
    assert len(blocks) == 1
    try:
        exec(compile(blocks[0], "docs/plugins.md", "exec"), {})
        assert "shout" in capsys.readouterr().out
        assert type(get_rewriter("shout")).__name__ == "Shout"
    finally:
        _FACTORIES.pop("shout", None)


def test_the_plugin_entry_point_group_is_the_one_documented() -> None:
    from autoforge_learn.suggest.rewriters import ENTRY_POINT_GROUP

    assert f'"{ENTRY_POINT_GROUP}"' in (DOCS / "plugins.md").read_text()


def test_docs_never_cite_the_draft_spec() -> None:
    pages = list(DOCS.rglob("*.md"))
    assert len(pages) >= 12
    cited = [
        f"{p.relative_to(REPO)}: {m.group(0)}"
        for p in pages
        for m in re.finditer(r"\bspec(ification)?\b[^\n]{0,20}", p.read_text(), re.I)
    ]
    assert cited == []


def test_docs_python_is_lint_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "docs"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
