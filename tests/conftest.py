"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def af_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``.autoforge`` root; the working directory is its parent, no AUTOFORGE_HOME."""
    monkeypatch.delenv("AUTOFORGE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / ".autoforge"
