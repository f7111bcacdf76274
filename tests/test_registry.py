from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.registry import PromptRegistry, PromptVersion, RegistryError
from autoforge_learn.registry.diff import diff_versions, html_diff, unified_diff

runner = CliRunner()

BASE = {
    "role_definition": "You are the software architect agent.",
    "API_contract_generation": "Generate OpenAPI contract with models, endpoints, and responses.",
}


@pytest.fixture
def registry(af_root) -> PromptRegistry:
    reg = PromptRegistry(af_root)
    reg.new_version(
        "architect", sections=BASE, changes=["Initial version"], created=date(2025, 5, 1)
    )
    return reg


def test_first_version_and_file_format(registry, af_root):
    path = af_root / "ai" / "prompts" / "architect.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["role"] == "architect"
    assert list(data["versions"]) == ["architect.v1.0"]
    v = data["versions"]["architect.v1.0"]
    assert v["sections"] == BASE and v["status"] == "active" and v["created"] == "2025-05-01"


def test_new_versions_inherit_sections_and_bump_numbers(registry):
    taxonomy = "Generate OpenAPI contract with:\n1. Data models\n2. Error responses per endpoint\n"
    v11 = registry.new_version(
        "architect",
        sections={"API_contract_generation": taxonomy},
        changes=["Added error taxonomy constraint"],
        source="SUG-2025-10-001",
    )
    assert v11.id == "architect.v1.1" and v11.parent == "architect.v1.0"
    assert v11.sections["role_definition"] == BASE["role_definition"]
    assert v11.sections["API_contract_generation"] == taxonomy
    v20 = registry.new_version(
        "architect",
        sections={"role_definition": None, "style": "Be brief."},
        changes=["x"],
        major=True,
    )
    assert v20.id == "architect.v2.0"
    assert list(v20.sections) == ["API_contract_generation", "style"]
    draft = registry.new_version("architect", sections={}, changes=["try"], status="draft")
    assert draft.id == "architect.v2.1"
    assert registry.latest("architect").id == "architect.v2.0"
    assert registry.latest("architect", include_drafts=True).id == "architect.v2.1"
    # Multi-line text is kept exactly through the YAML file.
    assert registry.get("architect.v1.1").sections["API_contract_generation"] == taxonomy
    changelog = registry.changelog.read_text()
    assert (
        changelog.index("architect.v2.1")
        < changelog.index("architect.v1.1")
        < changelog.index("architect.v1.0")
    )
    assert (
        "Source: SUG-2025-10-001." in changelog and "- Added error taxonomy constraint" in changelog
    )


def test_invalid_requests_are_refused(registry):
    with pytest.raises(RegistryError, match="changelog"):
        registry.new_version("architect", sections={}, changes=[])
    with pytest.raises(RegistryError, match="role"):
        registry.new_version("../etc", sections=BASE, changes=["x"])
    with pytest.raises(RegistryError, match="role.vMAJOR.MINOR"):
        registry.get("architect-2")
    with pytest.raises(RegistryError, match="no prompt version"):
        registry.get("architect.v9.9")
    with pytest.raises(RegistryError, match="already exists"):
        registry.add_version(PromptVersion(id="architect.v1.0", sections=BASE))


def test_a_broken_prompt_file_names_the_file(af_root):
    path = af_root / "ai" / "prompts" / "qa.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("role: qa\nversions:\n  qa.v1.0:\n    sections: {}\n")
    with pytest.raises(RegistryError, match=r"qa\.yaml: qa\.v1\.0\.sections"):
        PromptRegistry(af_root).versions("qa")


def test_deprecate_moves_to_the_archive_and_prune_honours_retention(registry):
    registry.new_version("architect", sections={}, changes=["v1.1"])
    now = datetime(2025, 10, 1, tzinfo=UTC)
    registry.deprecate("architect.v1.0", last_used=date(2025, 9, 20), now=now)
    assert [v.id for v in registry.versions("architect", include_archived=False)] == [
        "architect.v1.1"
    ]
    archived = registry.get("architect.v1.0")
    assert archived.status == "deprecated" and archived.deprecated_at == "2025-10-01"
    assert (registry.archive / "architect.yaml").exists()
    # Within 3 months of its last use it is kept.
    assert registry.prune(now=now + timedelta(days=60)) == []
    assert registry.prune(now=datetime(2025, 12, 20, tzinfo=UTC)) == ["architect.v1.0"]
    with pytest.raises(RegistryError):
        registry.get("architect.v1.0")
    # Numbers are never reused while a version is archived.
    assert registry.new_version("architect", sections={}, changes=["next"]).id == "architect.v1.2"


def test_diffs(registry):
    new = registry.new_version(
        "architect",
        sections={
            "API_contract_generation": "Generate OpenAPI contract with error codes.",
            "x": "y",
        },
        changes=["taxonomy"],
    )
    old = registry.get("architect.v1.0")
    statuses = {d.name: d.status for d in diff_versions(old, new)}
    assert statuses == {
        "role_definition": "same",
        "API_contract_generation": "changed",
        "x": "added",
    }
    text = unified_diff(old, new)
    assert "+Generate OpenAPI contract with error codes." in text
    assert "-Generate OpenAPI contract with models, endpoints, and responses." in text
    page = html_diff(old, new)
    assert page.startswith("<!DOCTYPE html>") and "API_contract_generation" in page


def test_cli_round_trip(af_root, tmp_path):
    assert runner.invoke(app, ["prompts", "list"]).exit_code == 1  # not a store yet
    af_root.mkdir()
    assert runner.invoke(app, ["prompts", "list"]).exit_code == 0
    text = tmp_path / "api.txt"
    text.write_text("Generate OpenAPI contract with error responses.\n")
    PromptRegistry(af_root).new_version("architect", sections=BASE, changes=["Initial"])
    result = runner.invoke(
        app,
        [
            "prompts",
            "new",
            "architect",
            "--section",
            f"API_contract_generation={text}",
            "-m",
            "errors",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = orjson.loads(runner.invoke(app, ["prompts", "list", "--format", "json"]).stdout)
    assert [r["version"] for r in listed] == ["architect.v1.0", "architect.v1.1"]
    shown = runner.invoke(
        app, ["prompts", "show", "architect.v1.1", "--section", "API_contract_generation"]
    )
    assert shown.stdout.strip() == "Generate OpenAPI contract with error responses."
    page = tmp_path / "d.html"
    result = runner.invoke(
        app, ["prompts", "diff", "architect.v1.0", "architect.v1.1", "--html", str(page)]
    )
    assert result.exit_code == 0
    assert "API_contract_generation (changed)" in result.stdout
    assert "role_definition: unchanged" in result.stdout
    assert "API_contract_generation <small>(changed)</small>" in page.read_text()
    unified = runner.invoke(
        app, ["prompts", "diff", "architect.v1.0", "architect.v1.1", "--unified"]
    )
    assert "+Generate OpenAPI contract with error responses." in unified.stdout
    assert runner.invoke(app, ["prompts", "deprecate", "architect.v1.0"]).exit_code == 0
    missing = runner.invoke(app, ["prompts", "show", "architect.v7.0"])
    assert missing.exit_code == 1 and "no prompt version 'architect.v7.0'" in missing.stderr
    bad = runner.invoke(app, ["prompts", "new", "architect", "--section", "nofile", "-m", "x"])
    assert bad.exit_code == 1 and "expected NAME=FILE" in bad.stderr


def test_the_default_version_is_explicit_once_set(registry, af_root):
    first = registry.latest("architect")
    second = registry.new_version("architect", sections={"a": "b"}, changes=["second"])
    assert registry.default("architect").id == second.id  # none set: the newest active
    registry.set_default(first.id, reason="ab-1: control won (p = 0.01)")
    assert registry.default("architect").id == first.id
    text = (af_root / "ai" / "prompts" / "CHANGELOG.md").read_text()
    assert f"architect: default {first.id}" in text and "control won" in text
    again = PromptRegistry(af_root)  # read back from the file
    assert again.default("architect").id == first.id
    registry.deprecate(first.id)
    assert registry.default("architect").id == second.id  # a retired default falls back
    with pytest.raises(RegistryError, match="not an active version"):
        registry.set_default("architect.v9.9", reason="x")
