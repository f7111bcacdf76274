"""The read routes: what ``metrics show``, ``patterns``, ``suggest`` and ``ab list``
print with ``--format json``, computed by the same library calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from autoforge_learn.selection import Selection
from autoforge_learn.server.auth import require_read
from autoforge_learn.server.responses import READ_RESPONSES, json_response
from autoforge_learn.server.state import FreshWorkspace

router = APIRouter(dependencies=[Depends(require_read)], tags=["read"], responses=READ_RESPONSES)

_Many = Annotated[list[str] | None, Query()]


def selection_of(
    since: Annotated[str | None, Query(description="Events at or after (date, time or 7d)")] = None,
    until: Annotated[str | None, Query(description="Events before (a date: its whole day)")] = None,
    last: Annotated[int | None, Query(ge=1, description="The N latest projects")] = None,
    recipe: Annotated[str | None, Query(description="A recipe or recipe family")] = None,
    role: _Many = None,
    prompt_version: _Many = None,
    project: _Many = None,
) -> Selection:
    """The selection options of the CLI, as query parameters (repeat a list one)."""
    return Selection.build(
        since=since,
        until=until,
        last_projects=last,
        recipe=recipe,
        roles=role or (),
        prompt_versions=prompt_version or (),
        project_ids=project or (),
    )


Chosen = Annotated[Selection, Depends(selection_of)]


@router.get("/v1/metrics", summary="One metric (autoforge metrics show)")
def get_metrics(
    metric: Annotated[str, Query(description="A metric name (autoforge metrics list)")],
    selection: Chosen,
    ws: FreshWorkspace,
    by: _Many = None,
) -> Response:
    """The rows of ``autoforge metrics show --metric M [--by ...] --format json``."""
    from autoforge_learn.dataset.metrics import metric_values

    return json_response(metric_values(ws, metric, by=by or [], selection=selection))


@router.get("/v1/findings", summary="Pattern findings (autoforge patterns)")
def get_findings(
    selection: Chosen,
    ws: FreshWorkspace,
    pattern: _Many = None,
) -> Response:
    """The findings of ``autoforge patterns [--pattern ...] --format json``."""
    from autoforge_learn.patterns.detect import detect_patterns

    findings = detect_patterns(ws, selection, patterns=pattern or None)
    return json_response([f.to_dict() for f in findings])


@router.get("/v1/suggestions", summary="Prompt change suggestions (autoforge suggest)")
def get_suggestions(
    selection: Chosen,
    ws: FreshWorkspace,
) -> Response:
    """The suggestions of ``autoforge suggest --format json``; unlike the command, a
    read saves no suggestions file (ids continue after the saved ones)."""
    from autoforge_learn.suggest.store import suggest_run_from_root

    run = suggest_run_from_root(ws, None, selection=selection, save=False)
    return json_response([s.to_dict() for s in run.suggestions])


@router.get("/v1/experiments", summary="A/B experiments (autoforge ab list)")
def get_experiments(ws: FreshWorkspace) -> Response:
    """The rows of ``autoforge ab list --format json``."""
    from autoforge_learn.experiments.lifecycle import experiments
    from autoforge_learn.experiments.rows import summary_row

    return json_response([summary_row(e) for e in experiments(ws, kind="experiment")])


@router.get("/v1/rollouts", summary="Rollouts (autoforge rollout list)")
def get_rollouts(ws: FreshWorkspace) -> Response:
    """The rows of ``autoforge rollout list --format json``."""
    from autoforge_learn.experiments.lifecycle import experiments
    from autoforge_learn.experiments.rows import rollout_row

    return json_response([rollout_row(r) for r in experiments(ws, kind="rollout")])


@router.get("/v1/options", summary="What a selection can choose from (the dashboard's filter)")
def get_options(ws: FreshWorkspace) -> Response:
    """The roles, prompt versions, recipes and months of the store's events, and the
    metric catalogue (name, label, unit, kind, lower_is_better)."""
    from autoforge_learn.server.dashboard import options

    return json_response(options(ws))
