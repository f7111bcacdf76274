"""Findings kept between runs: the detectors run again only when what they read changes.

Running the eight detectors takes seconds; asking for the same findings twice in a
row (``autoforge patterns`` after ``autoforge train``, the dashboard, ``loops``) should
not. An entry is keyed by everything the findings depend on:

- what the index holds (:attr:`~autoforge_learn.analyze.report.IndexReport.fingerprint`,
  a digest of every raw file's state in it) and the engine it is on;
- the selection, in its normal form (relative dates are already absolute there);
- every setting (``config.yaml``, as loaded) and the patterns asked for;
- the code: the package version and the size and modification time of every module
  of the package, so an upgrade or an edit never reads an older result.

A different input makes a different key, so an entry is never invalidated, only
unused; the newest :data:`KEEP` entries are kept. Entries live in ``<root>/cache/``,
derived data like the index: deleting the directory loses nothing. An entry that
cannot be read is treated as missing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autoforge_learn.findings import Finding, Pattern
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

#: How many sets of findings are kept (the newest by use).
KEEP = 16
#: Bumped when the entry's layout changes.
_FORMAT = 1


def cache_dir(ws: Workspace) -> Path:
    """Where the workspace's findings are kept."""
    return ws.layout.root / "cache" / "findings"


@cache
def code_fingerprint() -> str:
    """The package's version and the size and modification time of each of its modules."""
    import autoforge_learn

    package = Path(autoforge_learn.__file__).parent
    digest = hashlib.sha256(f"{autoforge_learn.__version__} {_FORMAT}\n".encode())
    for directory, dirs, files in sorted(os.walk(package)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                st = os.stat(path)
                rel = os.path.relpath(path, package)
                digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def findings_key(ws: Workspace, selection: Selection, patterns: Iterable[Pattern]) -> str | None:
    """The key of the findings of ``patterns`` on ``selection``, None if the index
    cannot say what it holds."""
    import orjson

    report = ws.ensure_fresh()
    if not report.fingerprint:
        return None
    parts = {
        "index": report.fingerprint,
        "engine": ws.engine.label,
        "selection": selection.to_dict(),
        "settings": ws.settings.model_dump(mode="json"),
        "patterns": sorted(str(p) for p in patterns),
        "code": code_fingerprint(),
    }
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:40]


def load_findings(ws: Workspace, key: str) -> list[Finding] | None:
    """The findings kept under ``key``, None when there are none (or they cannot be read)."""
    import orjson

    from autoforge_learn.findings import Finding

    path = cache_dir(ws) / f"{key}.json"
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("format") != _FORMAT or data.get("key") != key:
            return None
        findings = [Finding.from_dict(item) for item in data["findings"]]
        os.utime(path)  # in use: the last to be pruned
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return findings


def save_findings(ws: Workspace, key: str, findings: list[Finding]) -> None:
    """Keep ``findings`` under ``key`` and prune the oldest entries. A store that
    cannot be written to (read-only) just keeps nothing."""
    import orjson

    from autoforge_learn.findings import Finding
    from autoforge_learn.store.atomic import replace_bytes

    directory = cache_dir(ws)
    data = {"format": _FORMAT, "key": key, "findings": [f.to_dict() for f in findings]}
    text = orjson.dumps(data)
    # Kept only if it reads back as the same findings (a NaN, written as null, would not).
    if [Finding.from_dict(item) for item in orjson.loads(text)["findings"]] != findings:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        replace_bytes(directory / f"{key}.json", text)
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    entries = []
    for path in directory.glob("*.json"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _mtime, path in sorted(entries, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)
