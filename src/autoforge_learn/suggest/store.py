"""Suggestion files: ``<root>/ai/training_data/reports/suggestions_<YYYY-MM-DD>[_N].yaml``.

Each run writes a new file (a second run on the same day writes ``..._2.yaml``), so
suggestions once written are never overwritten, and their ids stay unique: numbering
continues after every id found in earlier files and in the registry's ``source`` fields.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from autoforge_learn.findings import Finding
from autoforge_learn.registry import PromptRegistry, RegistryError
from autoforge_learn.registry.prompts import dump_yaml
from autoforge_learn.store.atomic import replace_text
from autoforge_learn.store.layout import StoreLayout
from autoforge_learn.suggest.engine import as_findings, suggest_run
from autoforge_learn.suggest.ids import parse_id
from autoforge_learn.suggest.model import Suggestion, SuggestionError
from autoforge_learn.suggest.rewriters import Rewriter
from autoforge_learn.suggest.runs import SuggestRun

if TYPE_CHECKING:
    from autoforge_learn.selection import Selection
    from autoforge_learn.workspace import Workspace

FILE_RE = re.compile(r"^suggestions_(?P<day>\d{4}-\d{2}-\d{2})(?:_(?P<n>\d+))?\.ya?ml$")


def reports_dir(root: Path) -> Path:
    """``<root>/ai/training_data/reports``, where suggestion files live."""
    return StoreLayout(Path(root)).reports


def suggestion_files(root: Path) -> list[Path]:
    """Every suggestion file under the root's reports folder, oldest first."""
    directory = reports_dir(root)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = FILE_RE.match(path.name)
        if match and path.is_file():
            found.append(((match["day"], int(match["n"] or 1)), path))
    return [path for _, path in sorted(found)]


def write_suggestions(path: Path, suggestions: Sequence[Suggestion]) -> Path:
    """Write suggestions to ``path`` as a YAML list, one mapping per suggestion."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_text(path, dump_yaml([s.to_dict() for s in suggestions]))
    return path


def read_suggestions(path: Path) -> list[Suggestion]:
    """The suggestions of one file.

    Raises:
        SuggestionError: If the file is not a regular UTF-8 file holding a YAML list of
            suggestions (aliases refused).
    """
    import yaml

    from autoforge_learn.store.yamlfile import read_yaml

    try:
        # the store's bounded, alias-free reader (libyaml when present: a tenth of the time)
        data = read_yaml(Path(path)) or []
    except yaml.YAMLError as exc:
        raise SuggestionError(f"{path}: not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuggestionError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(data, list):
        raise SuggestionError(f"{path}: expected a list of suggestions")
    return [Suggestion.from_dict(item, where=f"{path}[{i}]") for i, item in enumerate(data)]


def load_suggestions(root: Path) -> list[Suggestion]:
    """Every suggestion of every file under ``root``, oldest file first."""
    return [s for path in suggestion_files(root) for s in read_suggestions(path)]


def find_suggestion(root: Path, suggestion_id: str) -> Suggestion:
    """The suggestion with this id (the newest file wins should an id repeat).

    Raises:
        SuggestionError: If no suggestion file has it.
    """
    if parse_id(suggestion_id) is None:
        raise SuggestionError(f"{suggestion_id!r} is not a suggestion id (SUG-YYYY-MM-NNN)")
    found = [s for s in load_suggestions(root) if s.suggestion_id == suggestion_id]
    if not found:
        raise SuggestionError(
            f"no suggestion {suggestion_id} in {reports_dir(root)}/suggestions_*.yaml"
        )
    return found[-1]


def used_ids(root: Path) -> set[str]:
    """Ids in suggestion files and in the registry's ``source`` fields."""
    ids = {s.suggestion_id for s in load_suggestions(root)}
    try:
        ids |= {v.source for v in PromptRegistry(root).versions() if v.source}
    except RegistryError:
        pass
    return {i for i in ids if parse_id(i)}


def save_suggestions(root: Path, suggestions: Sequence[Suggestion], *, now: datetime) -> Path:
    """Write a new ``suggestions_<day>[_N].yaml`` for the day of ``now`` (never overwrites)."""
    directory = reports_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    day = now.date().isoformat()
    body = dump_yaml([s.to_dict() for s in suggestions])
    for n in range(1, 10_000):
        path = directory / (f"suggestions_{day}.yaml" if n == 1 else f"suggestions_{day}_{n}.yaml")
        try:
            with open(path, "x") as handle:
                handle.write(body)
        except FileExistsError:
            continue
        return path
    raise SuggestionError(f"too many suggestion files for {day} in {directory}")


def load_findings(path: Path) -> list[Finding]:
    """Findings from a JSON file: a list of ``Finding.to_dict()`` (or ``{"findings": [...]}``).

    Raises:
        SuggestionError: If the file cannot be read or holds no valid findings.
    """
    try:
        data = orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise SuggestionError(f"{path}: cannot read findings: {exc}") from None
    if isinstance(data, dict):
        data = data.get("findings")
    if not isinstance(data, list):
        raise SuggestionError(f"{path}: expected a JSON list of findings")
    try:
        return as_findings(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise SuggestionError(f"{path}: not a valid finding: {exc!r}") from None


def suggest_from_root(
    ws: Workspace,
    findings: Iterable[Finding] | None = None,
    *,
    selection: Selection | None = None,
    now: datetime | None = None,
    rewriter: Rewriter | str | None = None,
    save: bool = True,
) -> tuple[list[Suggestion], Path | None]:
    """The suggestions and the file of :func:`suggest_run_from_root` (what it set aside is
    dropped; use that function to list it)."""
    run = suggest_run_from_root(
        ws, findings, selection=selection, now=now, rewriter=rewriter, save=save
    )
    return run.suggestions, run.path


def suggest_run_from_root(
    ws: Workspace,
    findings: Iterable[Finding] | None = None,
    *,
    selection: Selection | None = None,
    now: datetime | None = None,
    rewriter: Rewriter | str | None = None,
    save: bool = True,
) -> SuggestRun:
    """Suggestions for a workspace: its registry, settings and earlier ids; saved as a
    new file.

    Args:
        ws: The workspace (its settings' ``suggest`` section sets the rules).
        findings: The findings; None runs the pattern detectors on ``selection`` (and
            takes the manual reviews' learning signals).
        selection: Which events the detectors read when ``findings`` is None.
        now: The moment of the run (default now, UTC).
        rewriter: A rewriter or its name (default: ``suggest.rewriter`` of the settings).
        save: Write ``suggestions_<day>[_N].yaml`` (nothing is written when empty).

    Returns:
        The run: its suggestions (earlier, still unapplied ones that were proposed again
        first, under their first id), the discoveries set aside (not attributable to a
        prompt, already fixed...) and the file written (None if nothing new was).
    """
    root = ws.root
    now = now or datetime.now(UTC)
    if findings is None:
        from autoforge_learn.patterns.detect import detect_patterns
        from autoforge_learn.review import learning_signals

        items = detect_patterns(ws, selection) + learning_signals(root)
    else:
        items = list(findings)
    registry = ws.registry()
    with suggestions_lock(root):  # two runs at once must not hand out the same ids
        run = suggest_run(
            items,
            registry,
            now=now,
            existing_ids=used_ids(root),
            rewriter=rewriter,
            config=ws.settings.suggest,
        )
        made = run.suggestions
        # The same change proposed again (same data, a second run) keeps its first id
        # and is not written twice; only new changes get a new file.
        known = {_signature(s): s for s in load_suggestions(root)}
        applied = {v.source for v in registry.versions() if v.source}
        fresh = [s for s in made if _signature(s) not in known]
        repeated = [
            known[_signature(s)]
            for s in made
            if _signature(s) in known and known[_signature(s)].suggestion_id not in applied
        ]
        path = save_suggestions(root, fresh, now=now) if save and fresh else None
    return SuggestRun(suggestions=repeated + fresh, set_aside=run.set_aside, path=path)


def _signature(s: Suggestion) -> tuple[str, ...]:
    change = s.proposed_change
    return (
        s.agent_role,
        s.suggestion_type,
        change.prompt_file,
        change.section,
        change.old_text,
        change.new_text,
    )


@contextmanager
def suggestions_lock(root: Path) -> Iterator[None]:
    """Serialise id allocation and applying between processes (an flock in reports/)."""
    directory = reports_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".suggestions.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
