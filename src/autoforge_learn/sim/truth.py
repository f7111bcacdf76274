"""What the simulator writes besides events: prompt files and the known truth.

* ``<root>/ai/prompts/<role>.yaml``: every prompt version of a role, with its sections.
* ``<root>/ai/training_data/simulation_truth.json``: every latent parameter, and the
  injected problems with ids that analyses' findings can be compared against.
* ``<root>/ai/training_data/simulation_truth_events.jsonl``: one line per failing gate
  check, ``{"event_id", "gate_id", "cause_id"}``, to score root-cause clustering.
* ``<root>/ai/training_data/simulation_truth_labels.jsonl``: what each gate check
  (``type: gate``, keyed by event id), decision (``decision``) and project output
  (``output``, keyed by project id) really was, to score auto-labeling.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from autoforge_learn.registry import PromptRegistry, PromptVersion
from autoforge_learn.sim.catalog import (
    AGENT_MODELS,
    CAUSES,
    DECISIONS,
    GATES,
    MODEL_PRICES,
    RECIPES,
    STAGES,
    TOKEN_MEANS,
)
from autoforge_learn.sim.model import STAGE_ROLE, LatentModel
from autoforge_learn.sim.prompts import VERSIONS, VERSIONS_BY_ROLE, render, version_sections
from autoforge_learn.sim.prompts import PromptVersion as SimPromptVersion
from autoforge_learn.store.layout import StoreLayout

TRUTH_FILE = "simulation_truth.json"
TRUTH_EVENTS_FILE = "simulation_truth_events.jsonl"
TRUTH_LABELS_FILE = "simulation_truth_labels.jsonl"
TRUTH_FORMAT = 1


def at(model: LatentModel, share: float) -> datetime:
    """The moment ``share`` (0-1) of the way through the simulated window."""
    return model.start - timedelta(days=model.window_days * (1 - share))


def rendered_templates() -> dict[str, str]:
    """The prompt text of every version, as stage events record it."""
    return {vid: render(sections) for vid, sections in version_sections().items()}


def prompt_versions(model: LatentModel) -> dict[str, list[PromptVersion]]:
    """Every role's prompt versions as registry entries, oldest first."""
    sections = version_sections()
    out: dict[str, list[PromptVersion]] = {}
    for role, versions in VERSIONS_BY_ROLE.items():
        out[role] = [
            PromptVersion(
                id=v.id,
                sections=dict(sections[v.id]),
                created=at(model, v.rollout).date().isoformat(),
                # Every version was in use at the end of the window: none is deprecated.
                status="active",
                changes=list(v.changes),
                parent=versions[i - 1].id if i else None,
            )
            for i, v in enumerate(versions)
        ]
    return out


def conflicting_prompt_files(layout: StoreLayout, model: LatentModel) -> list[Path]:
    """Prompt files already present with other versions (the simulator will not overwrite)."""
    registry = PromptRegistry(layout.root)
    conflicts = []
    for role, versions in prompt_versions(model).items():
        existing = registry.role_file(role)
        if existing.versions and existing.versions != {v.id: v for v in versions}:
            conflicts.append(existing.path)
    return conflicts


def write_prompt_files(layout: StoreLayout, model: LatentModel) -> list[Path]:
    """Write each role's versions through the registry (files and CHANGELOG entries)."""
    registry = PromptRegistry(layout.root)
    paths = []
    for role, versions in prompt_versions(model).items():
        role_file = registry.role_file(role)
        if not role_file.versions:
            for version in versions:
                registry.add_version(version)
        paths.append(role_file.path)
    return paths


def _pair(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


def _version_gates_truth(m: LatentModel, version: SimPromptVersion) -> dict[str, Any]:
    """Per gate of the version's role: failure probability per platform and cause rates."""
    rates = m.cause_rates[version.id]
    gates: dict[str, Any] = {}
    for gid, gate in GATES.items():
        if STAGE_ROLE[gid] != version.role:
            continue
        probability = {
            platform: round(sum(rates[c.id] for c in gate.causes
                                if c.platform in (None, platform)), 4)
            for platform in ("web", "mobile")
        }
        gates[gid] = {"failure_probability": probability,
                      "causes": {c.id: rates[c.id] for c in gate.causes}}
    return gates


def _prompt_versions_truth(m: LatentModel) -> dict[str, Any]:
    """Every prompt version: rollout, changes, fixed causes, token means and gate rates."""
    sections = version_sections()
    versions: dict[str, Any] = {}
    for v in VERSIONS:
        mean_in, mean_out = TOKEN_MEANS[v.role]
        versions[v.id] = {
            "role": v.role,
            "deployed_from": at(m, v.rollout).isoformat(),
            "shared_with_previous_until": at(m, v.rollout + m.ab_window).isoformat()
            if v.rollout else None,
            "changes": list(v.changes),
            "fixes": sorted(v.fixes),
            "sections": list(sections[v.id]),
            "token_factor": m.token_factor[v.id],
            "mean_input_tokens": round(mean_in * m.token_factor[v.id]),
            "mean_output_tokens": round(mean_out * m.token_factor[v.id]),
            "gates": _version_gates_truth(m, v),
        }
    return versions


def _run_truth(m: LatentModel, projects: int) -> dict[str, Any]:
    """What was run: generator, seed, project count, problem injection and time window."""
    return {
        "generator": "autoforge_learn.sim",
        "truth_format": TRUTH_FORMAT,
        "seed": m.seed,
        "projects": projects,
        "inject_problems": m.inject,
        "window": {"start": at(m, 0).isoformat(), "end": m.start.isoformat(),
                   "days": m.window_days},
        "max_retries": m.max_retries,
    }


def _catalog_truth(m: LatentModel) -> dict[str, Any]:
    """The fixed world: recipes, stages, agent models, model prices and failure causes."""
    return {
        "recipes": [
            {"name": r.name, "family": r.family, "version": r.version, "stages": list(r.stages),
             "skips": [s for s in STAGES if s not in r.stages], "platforms": r.platforms,
             "active_from": at(m, r.active[0]).isoformat(),
             "active_to": at(m, min(1.0, r.active[1])).isoformat(), "weight": r.weight,
             "gate_rate_factor": r.rate_factor, "duration_factor": r.duration_factor}
            for r in RECIPES
        ],
        "stages": {s.id: {"role": s.role, "gates": [g for g, gate in GATES.items()
                                                    if gate.stage == s.id]}
                   for s in STAGES.values()},
        "agent_models": AGENT_MODELS,
        "model_prices_per_million_tokens": {k: {"input": i, "output": o}
                                            for k, (i, o) in MODEL_PRICES.items()},
        "causes": {
            cid: {"gate_id": c.gate_id, "platform": c.platform, "phrasings": list(c.phrasings),
                  "fixed_by": [v.id for v in VERSIONS if cid in v.fixes]}
            for cid, c in CAUSES.items()
        },
    }


def _gate_dynamics_truth(m: LatentModel) -> dict[str, Any]:
    """How gate checks fail and recover: failure multipliers, retries and auto-fix."""
    return {
        "gate_failure_multipliers": {
            "upstream_defect": m.defect_multiplier, "stage_rerun_after_escalation":
            m.rerun_factor, "recipe": {r.name: r.rate_factor for r in RECIPES},
            "note": "first-check failure probability = min(0.95, sum of cause rates x "
                    "multipliers); a re-check fails with that times retry persistence",
        },
        "retries": {
            "persistence": m.retry_persistence,
            "hotspots": [{"role": role, "platform": platform, "persistence": p}
                         for (role, platform), p in m.hotspot_persistence.items()],
            "same_cause_on_retry": 0.6,
        },
        "auto_fix": {
            "apply_probability": m.auto_fix_apply,
            "strategies": {s: {"success_rate": p,
                               "gates": [g for g, gate in GATES.items() if s in gate.strategies]}
                           for s, p in m.strategy_success.items()},
            "best": max(m.strategy_success, key=m.strategy_success.__getitem__),
            "worst": min(m.strategy_success, key=m.strategy_success.__getitem__),
        },
    }


def _collaboration_truth(m: LatentModel) -> dict[str, Any]:
    """Between agents and people: handoffs, approvals, confidence, escalation, cancels."""
    return {
        "handoffs": {
            _pair(pair): {"defect_rate": rate, "severity_mix": m.handoff_severity[pair],
                          "defect_rate_multiplier_after_troubled_upstream": 1.5}
            for pair, rate in m.handoff_defect.items()
        },
        "approvals": {
            "ask_probability_by_autonomy_level": list(m.ask_probability),
            "adjacent_choice_probability": m.adjacent_choice,
            "override_rates": {f"{d.type}:{d.role}": m.override_rates[(d.type, d.role)]
                               for d in DECISIONS},
            "stages": {f"{d.type}:{d.role}": d.stage for d in DECISIONS},
        },
        "confidence": {
            "predicts": "stage succeeded with every gate passing on its first check",
            "noise_sd_points": m.confidence_noise,
            "bias_points_by_role": m.calibration_bias,
        },
        "escalation": {"resolve_probability": m.escalation_resolve,
                       "block_probability_when_unresolved": m.block_on_unresolved,
                       "otherwise": "stage re-run once; blocked if that escalates unresolved"},
        "cancel_rate": m.cancel_rate,
    }


def _signals_truth(m: LatentModel) -> dict[str, Any]:
    """Security, coverage and performance signals and how recipes shift them."""
    return {
        "security_critical_rate": m.security_critical,
        "security_major_rate": m.security_major,
        "security_missed_rate": m.security_missed,
        "coverage_mean_by_qa_version": m.coverage_mean,
        "recipe_effects": "coverage mean + 20 x (1 - gate_rate_factor); security "
                          "critical/major rates x gate_rate_factor (x2 if the security "
                          "stage did not pass)",
        "mobile_coverage_penalty": m.mobile_coverage_penalty,
        "latency_median_ms": m.latency_median_ms,
        "page_load_median_ms": m.page_load_median_ms,
        "slo": {"endpoint_latency_ms": m.slo_latency_ms,
                "page_load_time_ms": m.slo_page_load_ms},
    }


def truth_document(model: LatentModel, *, projects: int) -> dict[str, Any]:
    """Every latent parameter of the simulated world, JSON-ready."""
    # The sections' keys are spread in the file's key order (orjson keeps insertion order).
    return {
        **_run_truth(model, projects),
        **_catalog_truth(model),
        "prompt_versions": _prompt_versions_truth(model),
        **_gate_dynamics_truth(model),
        **_collaboration_truth(model),
        "signals": _signals_truth(model),
        "problems": model.problems,
    }


def write_truth(layout: StoreLayout, model: LatentModel, *, projects: int,
                truth_events: list[dict[str, str]],
                truth_labels: list[dict[str, str]] | None = None) -> tuple[Path, Path]:
    """Write the truth file, the truth events file and the truth labels file.

    Returns the paths of the first two.
    """
    layout.training_data.mkdir(parents=True, exist_ok=True)
    truth = layout.training_data / TRUTH_FILE
    truth.write_bytes(orjson.dumps(truth_document(model, projects=projects),
                                   option=orjson.OPT_INDENT_2) + b"\n")
    events = layout.training_data / TRUTH_EVENTS_FILE
    events.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in truth_events))
    labels = layout.training_data / TRUTH_LABELS_FILE
    labels.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in truth_labels or []))
    return truth, events
