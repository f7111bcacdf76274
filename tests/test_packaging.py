"""The package's metadata: where its home, documentation, source and issues live."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _urls() -> dict[str, str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]


def test_project_urls_name_home_docs_source_and_issues():
    urls = _urls()
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(u.startswith("https://") and " " not in u for u in urls.values())
    assert urls["Issues"] == urls["Source"].rstrip("/") + "/issues"
    assert urls["Source"].startswith("https://github.com/")


def test_the_docs_site_is_where_the_metadata_says():
    mkdocs = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    assert mkdocs["site_url"] == _urls()["Documentation"]
    if "repo_url" in mkdocs:
        assert mkdocs["repo_url"] == _urls()["Source"]
