"""Publishing a training run: its report set in a dated folder, with an index page.

``autoforge train --publish DIR`` (for a weekly CI job, see docs/server.md) copies the
run's reports (Markdown with its charts, HTML, the monthly report, the metric trends,
the new suggestions file) and a ``summary.json`` into ``DIR/YYYY-MM-DD/`` (``_2``,
``_3``... for a second run the same day), then rewrites ``DIR/index.html``: every
published run, newest first, with its numbers and links. The folder can be served as
it is (GitHub Pages, any static host).
"""

from __future__ import annotations

import html
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from autoforge_learn.store.atomic import replace_bytes, replace_text

if TYPE_CHECKING:
    from autoforge_learn.train import TrainResult

SUMMARY = "summary.json"


def _folder(directory: Path, day: str) -> Path:
    candidate, n = directory / day, 1
    while candidate.exists():
        n += 1
        candidate = directory / f"{day}_{n}"
    return candidate


def _copy_with_assets(source: Path, target_dir: Path) -> str:
    """Copy a report and the charts it links (``assets/<stem>_*``); returns its name."""
    shutil.copy2(source, target_dir / source.name)
    assets = source.parent / "assets"
    if assets.is_dir():
        for chart in sorted(assets.glob(f"{source.stem}_*")):
            (target_dir / "assets").mkdir(exist_ok=True)
            shutil.copy2(chart, target_dir / "assets" / chart.name)
    return source.name


def publish(result: TrainResult, directory: Path | str, *, now: datetime | None = None) -> Path:
    """Copy a training run's report set into a new dated folder of ``directory`` and
    rewrite the index page.

    Returns:
        The folder written.
    """
    directory = Path(directory)
    moment = now or datetime.now(UTC)
    target = _folder(directory, moment.date().isoformat())
    target.mkdir(parents=True)
    files = {
        "report": _copy_with_assets(result.files.markdown, target),
        "report_html": _copy_with_assets(result.files.html, target),
        "monthly_report": _copy_with_assets(result.files.monthly, target),
        "metrics_trends": _copy_with_assets(result.files.trends, target),
    }
    if result.suggestions_file is not None:
        files["suggestions_file"] = _copy_with_assets(result.suggestions_file, target)
    summary = {**result.to_dict(), **files, "published_at": moment.isoformat()}
    replace_bytes(target / SUMMARY, orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    write_index(directory)
    return target


def _runs(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    runs = []
    for folder in directory.iterdir():
        summary = folder / SUMMARY
        if folder.is_dir() and summary.is_file():
            runs.append((folder.name, orjson.loads(summary.read_bytes())))
    runs.sort(key=lambda r: (str(r[1].get("published_at", "")), r[0]), reverse=True)
    return runs


def write_index(directory: Path) -> Path:
    """Write ``directory/index.html``: one row per published run, newest first."""
    rows = []
    for name, s in _runs(directory):
        link = html.escape(f"{name}/{s.get('report_html', '')}", quote=True)
        md = html.escape(f"{name}/{s.get('report', '')}", quote=True)
        rows.append(
            f"<tr><td><a href=\"{link}\">{html.escape(name)}</a></td>"
            f"<td>{s.get('projects', '')}</td><td>{s.get('events', '')}</td>"
            f"<td>{s.get('findings', '')}</td><td>{s.get('discoveries', '')}</td>"
            f"<td>{len(s.get('suggestions') or [])}</td>"
            f"<td>{html.escape(', '.join(s.get('loops_fired') or []))}</td>"
            f"<td><a href=\"{md}\">Markdown</a></td></tr>"
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>AutoForge Learn: training reports</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child,td:nth-child(7){{text-align:left}}</style></head>
<body><h1>Training reports</h1>
<table><thead><tr><th>run</th><th>projects</th><th>events</th><th>findings</th>
<th>discoveries</th><th>suggestions</th><th>loops fired</th><th>report</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    path = directory / "index.html"
    replace_text(path, page)
    return path
