"""What the simulator writes besides events: prompt files and the known truth.

* ``<root>/ai/prompts/<role>.yaml``: every prompt version of a role, with its sections.
* ``<root>/ai/training_data/simulation_truth.json``: every latent parameter, and the
  injected problems with ids that analyses' findings can be compared against.
* ``<root>/ai/training_data/simulation_truth_events.jsonl``: one line per failing gate
  check, ``{"event_id", "gate_id", "cause_id"}``, to score root-cause clustering.
* ``<root>/ai/training_data/simulation_truth_labels.jsonl``: what each gate check
  (``type: gate``, keyed by event id), decision (``decision``) and project output
  (``output``, keyed by project id) really was, to score auto-labeling.
* ``<root>/ai/training_data/simulation_truth_projects.jsonl``: each project's random
  effects (:mod:`autoforge_learn.sim.effects`): ``{"project_id", "difficulty",
  "fix_skill", "token_factor", "gates": {gate_id: {"propensity", "fix_propensity",
  "checks"}}}``.

Besides the problems, the truth file lists the known-null contrasts (``null_contrasts``:
pairs that differ in their id only, so no finding may claim a difference between
them), the project effects (``project_effects``) and the real differences every world
has, problems injected or not (``real_differences``).
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
    GATE_ARTIFACTS,
    GATES,
    MODEL_PRICES,
    RECIPES,
    STAGES,
    TOKEN_MEANS,
)
from autoforge_learn.sim.effects import CHATDEV_FIGURES, check_mean
from autoforge_learn.sim.gates import SAME_CAUSE_ON_RETRY
from autoforge_learn.sim.model import STAGE_ROLE, LatentModel, null_contrasts
from autoforge_learn.sim.prompts import (
    TWINS,
    VERSIONS,
    VERSIONS_BY_ROLE,
    render,
    version_sections,
)
from autoforge_learn.sim.prompts import PromptVersion as SimPromptVersion
from autoforge_learn.store.layout import StoreLayout

TRUTH_FILE = "simulation_truth.json"
TRUTH_EVENTS_FILE = "simulation_truth_events.jsonl"
TRUTH_LABELS_FILE = "simulation_truth_labels.jsonl"
TRUTH_PROJECTS_FILE = "simulation_truth_projects.jsonl"
#: 2: several checks per (project, gate), project effects, null contrasts, twins.
TRUTH_FORMAT = 2


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
        per_check = {platform: round(check_mean(p, m.icc, m.checks_per_gate), 4)
                     for platform, p in probability.items()}
        gates[gid] = {"failure_probability": probability,
                      "check_failure_probability": per_check,
                      "causes": {c.id: rates[c.id] for c in gate.causes}}
    return gates


def _prompt_versions_truth(m: LatentModel) -> dict[str, Any]:
    """Every prompt version: rollout, changes, fixed causes, token means and gate rates."""
    sections = version_sections()
    versions: dict[str, Any] = {}
    for v in VERSIONS:
        mean_in, mean_out = TOKEN_MEANS[v.role]
        twin = TWINS.get(v.id)
        versions[v.id] = {
            "role": v.role,
            "deployed_from": at(m, v.rollout).isoformat(),
            "shared_with_previous_until": at(m, v.rollout + m.ab_window).isoformat()
            if v.rollout and v.twin_of is None else None,
            "twin_of": v.twin_of,
            "twin": twin.id if twin else None,
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
            "note": "gate-run failure probability (some artifact fails its first check) "
                    "= min(0.95, sum of cause rates x multipliers), on average over "
                    "projects; cause rates and prompt_versions.*.gates.*."
                    "failure_probability are per gate run, check_failure_probability the "
                    "mean per artifact (check) that gives it; each project's own per-check "
                    "probability p is a Beta draw with that mean (project_effects); a "
                    "failed artifact's re-check fails with p times retry persistence",
        },
        "retries": {
            "persistence": m.retry_persistence,
            "hotspots": [{"role": role, "platform": platform, "persistence": p}
                         for (role, platform), p in m.hotspot_persistence.items()],
            "same_cause_on_retry": SAME_CAUSE_ON_RETRY,
            "unit": "one artifact: it is re-checked until it passes, is fixed, or has "
                    "failed max_retries checks (then escalated)",
        },
        "auto_fix": {
            "apply_probability": m.auto_fix_apply,
            "success_rate_is": "mean over projects; each project's own success probability "
                               "is a Beta draw with that mean (project_effects)",
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
            "calibrated_roles_state": "the project's own probability (they know its "
                                      "difficulty), plus noise",
            "biased_roles_state": "the typical project's probability (product over gates "
                                  "of 1 - gate-run failure probability) plus the bias, "
                                  "plus noise",
            "stated_range": [1, 99],
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


def _project_effects_truth(m: LatentModel) -> dict[str, Any]:
    """The per-project random effects: parameters, model, and the ChatDev figures."""
    low, high = m.checks_per_gate
    return {
        "icc": m.icc,
        "icc_is": "intra-project correlation of the failure indicator of first checks "
                  "(retry_attempt 1) of one gate (one-way ANOVA ICC over projects, within "
                  "a stratum of equal mean failure probability); the same for auto-fix "
                  "success",
        "checks_per_gate": {"min": low, "max": high,
                            "is": "artifacts a gate checks per stage run, uniform in "
                                  "[min, max], drawn once per (project, gate)",
                            "artifacts": GATE_ARTIFACTS},
        "difficulty_share": m.difficulty_share,
        "token_sd": m.token_sd,
        "model": {
            "difficulty": "z ~ N(0, 1) per project",
            "gate_propensity": "q = Phi(sqrt(share) z + sqrt(1 - share) e), e ~ N(0, 1) "
                               "per (project, gate)",
            "failure_probability": "Beta quantile q with mean mu (the latent model's rate) "
                                   "and alpha + beta = (1 - icc) / icc; mu if icc = 0",
            "fix_skill": "s ~ N(0, 1) per project, independent of z",
            "auto_fix_success": "as failure_probability with Phi(sqrt(share) s + "
                                "sqrt(1 - share) e') and the strategy's success rate",
            "token_factor": "exp(token_sd z - token_sd^2 / 2), multiplies every token count",
        },
        "projects_file": TRUTH_PROJECTS_FILE,
        "chatdev": CHATDEV_FIGURES,
    }


def _real_differences_truth(m: LatentModel) -> list[dict[str, Any]]:
    """Differences every world has, problems injected or not (healthy worlds too)."""
    mobile = sorted(cid for cid, c in CAUSES.items() if c.platform == "mobile")
    return [
        {"kind": "recipe", "what": "gate failure rates, durations, coverage and security "
         "findings differ by recipe version",
         "values": {r.name: {"gate_rate_factor": r.rate_factor,
                             "duration_factor": r.duration_factor} for r in RECIPES}},
        {"kind": "platform", "what": "mobile projects have mobile-only causes and lower "
         "test coverage", "mobile_only_causes": mobile,
         "mobile_coverage_penalty": m.mobile_coverage_penalty},
        {"kind": "cause", "what": "causes of one gate have different rates",
         "see": "prompt_versions.*.gates.*.causes"},
        {"kind": "prompt_version_failures",
         "what": "versions of a role fix causes (see problems)" if m.inject else
         "none: the versions of a role share their cause rates; they are used in "
         "different periods, though, with a different recipe mix",
         "see": "prompt_versions.*.gates"},
        {"kind": "prompt_version_tokens", "what": "token factors of a role's non-twin "
         "versions differ", "values": {v: f for v, f in m.token_factor.items()}},
        {"kind": "auto_fix_strategy", "what": "strategies' success rates differ (twins "
         "excepted)", "see": "auto_fix.strategies"},
        {"kind": "override_rate", "what": "decisions are overridden at different rates",
         "see": "approvals.override_rates"},
        {"kind": "handoff", "what": "handoff pairs have different defect rates",
         "see": "handoffs"},
        {"kind": "project", "what": "projects differ by their random effects",
         "see": "project_effects"},
    ]


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
        "project_effects": _project_effects_truth(model),
        "problems": model.problems,
        "null_contrasts": null_contrasts(),
        "real_differences": _real_differences_truth(model),
    }


def write_truth(layout: StoreLayout, model: LatentModel, *, projects: int,
                truth_events: list[dict[str, str]],
                truth_labels: list[dict[str, str]] | None = None,
                truth_projects: list[dict[str, object]] | None = None) -> tuple[Path, Path]:
    """Write the truth file and the truth events, labels and projects files.

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
    per_project = layout.training_data / TRUTH_PROJECTS_FILE
    per_project.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in truth_projects or []))
    return truth, events
