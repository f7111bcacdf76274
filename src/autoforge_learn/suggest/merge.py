"""One suggestion per role and section per run: drafts that edit one section are merged.

Every draft of a run edits the section as it stands in the role's current version, so
two drafts for one section could not both be applied. They become one suggestion:

* its text: the section with every draft's blocks appended, most confident draft first;
  blocks with the same first line are one (each header once, its items united: two
  causes of one gate give one list of requirements and one of rejections); within
  ``max_added_chars`` (lines that do not fit are left out; a whole-section
  replacement, rule 5's, is never merged with additions: rule 5 reserves its sections);
* its type: the most confident draft's (ties: the rules' fixed order);
* its findings, evidence and rationales: the union, in that order;
* its confidence: the most confident draft's (the chance that at least one of the
  changes works is at least that), with its basis;
* its expected impact: the drafts' impacts and interval ends added, capped at 1 (the
  drafts address different causes, i.e. different failures);
* its experiment: the most confident draft's metric, sized for the summed effect of the
  drafts measured on that metric (and gate).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from autoforge_learn.suggest.base import RuleContext, Target, compose, token_effect
from autoforge_learn.suggest.estimates import clamp01, projects_per_arm
from autoforge_learn.suggest.model import ExpectedImpact, Experiment, Suggestion, SuggestionType

_ORDER = [str(t) for t in SuggestionType]
_LEVEL = ["low", "medium", "high"]


def _rank(s: Suggestion) -> tuple[float, int]:
    kind = s.suggestion_type
    return (-s.confidence, _ORDER.index(kind) if kind in _ORDER else len(_ORDER))


def merge_by_section(drafts: Sequence[Suggestion], ctx: RuleContext) -> list[Suggestion]:
    """The drafts with those editing one (role, section) merged into one suggestion."""
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for draft in drafts:
        groups.setdefault((draft.agent_role, draft.proposed_change.section), []).append(draft)
    return [group[0] if len(group) == 1 else _merge(group, ctx) for group in groups.values()]


_THIN = re.compile(r"^THIN EVIDENCE.*?adopting\.\s*")


def _parts(block: Sequence[str]) -> list[tuple[str, list[str]]]:
    """A block's lines as (header, its "- " items)."""
    parts: list[tuple[str, list[str]]] = []
    for line in block:
        if line.startswith("- ") and parts:
            parts[-1][1].append(line)
        else:
            parts.append((line, []))
    return parts


def combine_blocks(blocks: Sequence[Sequence[str]]) -> list[list[str]]:
    """Blocks with the same first line become one: each header once, with the union of
    its items, in the order first seen (so two causes of one gate give one list of
    requirements and one list of rejections)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        if not block:
            continue
        into = merged.setdefault(block[0], {})
        for header, items in _parts(block):
            have = into.setdefault(header, [])
            have.extend(i for i in items if i not in have)
    return [
        [line for header, items in parts.items() for line in (header, *items)]
        for parts in merged.values()
    ]


def _sum(values: Sequence[float]) -> float:
    return clamp01(sum(values))


def _merge(group: list[Suggestion], ctx: RuleContext) -> Suggestion:
    ranked = sorted(group, key=_rank)
    first = ranked[0]
    change = first.proposed_change
    blocks = combine_blocks([block for draft in ranked for block in draft.blocks])
    if blocks:
        new_text = compose(change.old_text, blocks, ctx.config.max_added_chars)
    else:  # whole-section replacements (rule 5): the most confident one stands
        new_text = change.new_text
    finding_ids = list(dict.fromkeys(i for d in ranked for i in d.finding_ids))
    evidence: list[dict] = []
    for draft in ranked:
        for item in draft.evidence:
            if item not in evidence:
                evidence.append(item)
    thin = [d for d in ranked if d.proposed_change.rationale.startswith("THIN EVIDENCE")]
    rationale = " ".join(dict.fromkeys(
        _THIN.sub("", d.proposed_change.rationale) for d in ranked))
    if thin:
        rationale = _THIN.match(thin[0].proposed_change.rationale)[0] + rationale  # type: ignore[index]
    if len(ranked) > 1:
        rationale += (
            f" (One suggestion for {len(ranked)} changes to this section: "
            + ", ".join(str(d.suggestion_type) for d in ranked) + ".)"
        )
    impact = _impact(ranked, _tokens(first, new_text, ctx))
    merged = replace(
        first,
        evidence=evidence,
        proposed_change=replace(change, new_text=new_text, rationale=rationale),
        expected_impact=impact,
        implementation_effort=max((d.implementation_effort for d in ranked),
                                  key=lambda v: _LEVEL.index(v) if v in _LEVEL else 0),
        risk=max((d.risk for d in ranked), key=lambda v: _LEVEL.index(v) if v in _LEVEL else 0),
        finding_ids=finding_ids,
        confidence_basis=first.confidence_basis
        + f" (the most confident of the {len(ranked)} merged changes)",
        attribution="; ".join(dict.fromkeys(d.attribution for d in ranked if d.attribution)),
        experiment=_experiment(ranked, first),
        impact=max(d.impact for d in ranked),
        blocks=blocks,
    )
    return merged


def _tokens(s: Suggestion, new_text: str, ctx: RuleContext) -> str:
    """The token effect of a merged text (a removal's ``improved`` kept)."""
    if not s.blocks:
        return s.expected_impact.token_efficiency
    change = s.proposed_change
    return token_effect(
        Target(s.agent_role, ctx.latest(s.agent_role), change.section, change.old_text), new_text
    )


def _impact(ranked: list[Suggestion], tokens: str) -> ExpectedImpact:
    impacts = [d.expected_impact for d in ranked]

    def ends(name: str) -> tuple[float, float] | None:
        pairs = [getattr(i, name) for i in impacts]
        if any(p is None for p in pairs):
            return None
        return _sum([p[0] for p in pairs]), _sum([p[1] for p in pairs])

    return ExpectedImpact(
        gate_success_improvement=_sum([i.gate_success_improvement for i in impacts]),
        retry_reduction=_sum([i.retry_reduction for i in impacts]),
        token_efficiency=tokens,
        gate_success_interval=ends("gate_success_interval"),
        retry_reduction_interval=ends("retry_reduction_interval"),
        basis=" + ".join(dict.fromkeys(i.basis for i in impacts if i.basis))
        + (f" (summed over the {len(ranked)} merged changes, capped at 1)"
           if len(ranked) > 1 else ""),
    )


def _experiment(ranked: list[Suggestion], first: Suggestion) -> Experiment | None:
    plan = first.experiment
    if plan is None:
        return None
    same = [d.experiment for d in ranked if d.experiment is not None
            and d.experiment.metric == plan.metric and d.experiment.gate_id == plan.gate_id]
    effect = sum(e.expected_effect for e in same)
    if len(same) == 1:
        return plan
    n = projects_per_arm(effect, plan.assumed_sd, alpha=plan.alpha, power=plan.power)
    return replace(
        plan,
        expected_effect=effect,
        planned_projects_per_arm=n,
        basis=plan.basis + f"; sized for the {len(same)} merged changes' summed effect "
        f"{effect:.3f}",
    )
