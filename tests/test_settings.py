"""Settings: declared once as typed models, read from config.yaml, documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.errors import ConfigError
from autoforge_learn.settings import (
    Settings,
    default_config_text,
    iter_settings,
    load_settings,
    settings_reference,
)
from autoforge_learn.workspace import Workspace

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
runner = CliRunner()


def test_every_setting_is_documented() -> None:
    """docs/settings.md is the reference generated from the models (regenerate it with
    ``python -c "from autoforge_learn.settings import settings_reference as r;
    open('docs/settings.md', 'w').write(r())"``)."""
    text = DOCS.read_text()
    keys = [key for key, _default, _help in iter_settings()]
    assert len(keys) >= 50
    assert [k for k in keys if f"`{k}`" not in text] == []
    assert all(description for _k, _d, description in iter_settings())
    assert text == settings_reference()


def test_the_default_file_reads_back_as_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(default_config_text())
    assert load_settings(path) == Settings()
    assert yaml.safe_load(default_config_text())["loops"]["alpha"] == 0.05


def test_a_missing_or_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.yaml") == Settings()
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_settings(empty) == Settings()


def test_partial_files_keep_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("patterns:\n  retry_hotspot: {threshold: 1.5}\nsuggest:\n  priors:\n"
                    "    decision_framework: 0.5\n")
    settings = load_settings(path)
    assert settings.patterns.retry_hotspot.threshold == 1.5
    assert settings.patterns.handoff.rejection_rate == 0.25
    assert settings.suggest.priors["decision_framework"] == 0.5
    assert settings.suggest.priors["constraint_clarity"] == 0.9


@pytest.mark.parametrize(
    "text, expected",
    [
        ("patterns:\n  retry_hotspot: {treshold: 2}\n",
         "patterns.retry_hotspot.treshold: unknown setting; did you mean "
         "patterns.retry_hotspot.threshold?"),
        ("gates:\n  max_retries: -5\n", "gates.max_retries: Input should be greater than"),
        ("collect:\n  survey_sample_rate: lots\n", "collect.survey_sample_rate: Input should be"),
        ("loops:\n  alpha: 1.5\n", "loops.alpha: Input should be less than 1"),
        ("suggest:\n  priors: {made_up: 0.5}\n", "unknown suggestion type(s) made_up"),
        ("colect:\n  redact_secrets: true\n", "colect: unknown setting; did you mean collect?"),
        ("- a\n- b\n", "expected a mapping of settings"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in caught.value.message and expected in caught.value.message


def test_overrides_are_validated_too() -> None:
    with pytest.raises(ConfigError, match="patterns.min_sample"):
        Settings().merged({"patterns": {"min_sample": 0}})


def test_the_workspace_and_the_cli_read_the_store_s_file(tmp_path: Path) -> None:
    root = tmp_path / ".autoforge"
    root.mkdir()
    (root / "config.yaml").write_text("loops:\n  recent_projects: 7\n")
    assert Workspace(root).settings.loops.recent_projects == 7
    (root / "config.yaml").write_text("loops:\n  recent_projetcs: 7\n")
    result = runner.invoke(app, ["patterns", "--root", str(root)])
    assert result.exit_code == 1
    assert "config.yaml: loops.recent_projetcs: unknown setting" in result.stderr
    assert "did you mean loops.recent_projects?" in result.stderr
    assert "Traceback" not in result.output


def test_a_config_that_is_a_fifo_a_directory_or_an_alias_bomb_is_a_clear_error(
    tmp_path: Path,
) -> None:
    import os

    from autoforge_learn.errors import AutoforgeError
    from autoforge_learn.settings import load_settings

    config = tmp_path / "config.yaml"
    os.mkfifo(config)  # reading it would block forever
    with pytest.raises(AutoforgeError, match="not a regular file"):
        load_settings(config)
    config.unlink()
    config.mkdir()
    with pytest.raises(AutoforgeError, match="config.yaml: cannot be read"):
        load_settings(config)
    config.rmdir()
    config.write_text("a: &a [x, x]\nb: &b [*a, *a]\nloops: *b\n")
    with pytest.raises(AutoforgeError, match="aliases"):
        load_settings(config)
