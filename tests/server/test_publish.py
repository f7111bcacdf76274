"""autoforge train --publish DIR: the report set in a dated folder, an index page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from typer.testing import CliRunner

from autoforge_learn.cli import app as cli


def test_train_publishes_a_dated_report_set_with_an_index(tmp_path: Path) -> None:
    from autoforge_learn.sim import simulate

    root = tmp_path / ".autoforge"
    simulate(root, projects=12, seed=3)
    site = tmp_path / "site"
    today = datetime.now(UTC).date().isoformat()
    earlier = site / today  # a run published earlier today
    earlier.mkdir(parents=True)
    (earlier / "summary.json").write_bytes(orjson.dumps({
        "published_at": f"{today}T00:00:00+00:00", "report_html": "old.html",
        "report": "old.md", "projects": 3}))
    result = CliRunner().invoke(
        cli, ["train", "--root", str(root), "--publish", str(site), "--format", "json"])
    assert result.exit_code == 0, result.output
    published = Path(orjson.loads(result.stdout)["published"])
    assert published == site / f"{today}_2"
    summary = orjson.loads((published / "summary.json").read_bytes())
    assert summary["projects"] == 12
    for key in ("report", "report_html", "monthly_report", "metrics_trends"):
        assert (published / summary[key]).is_file(), key
    markdown = (published / summary["report"]).read_text()
    charts = [line.split("(")[1].rstrip(")") for line in markdown.splitlines()
              if line.startswith("![")]
    assert charts and all((published / chart).is_file() for chart in charts)
    index = (site / "index.html").read_text()
    newest = index.index(f'href="{today}_2/{summary["report_html"]}"')
    assert newest < index.index(f'href="{today}/old.html"')
