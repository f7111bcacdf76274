"""Quality signals after stages, project outcomes and surveys of simulated projects."""

from __future__ import annotations

import math
from typing import Any

from autoforge_learn.collect.runs import ProjectRun
from autoforge_learn.schema.outcomes import delivery_speed_rank
from autoforge_learn.schema.quality import MAJOR_REWORK_SEVERITIES, quality_score
from autoforge_learn.sim import texts
from autoforge_learn.sim.catalog import Stage
from autoforge_learn.sim.model import LatentModel
from autoforge_learn.sim.state import Project, SimClock, Stats, poisson


class Outcomes:
    """Records tests, scans, performance, the outcome and the survey of projects."""

    def __init__(self, model: LatentModel, clock: SimClock, stats: Stats) -> None:
        self.m = model
        self.clock = clock
        self.stats = stats
        self._durations: dict[str, list[float]] = {}

    def after_stage(self, p: ProjectRun, pj: Project, stage: Stage) -> None:
        m, rng = self.m, pj.rng
        last = p.stages[-1]
        self.clock.advance(rng.uniform(60, 300))
        if stage.id == "qa":
            qa_version = str(last.prompt_version)
            # Better recipes (gate rate factor < 1) also test more thoroughly.
            bonus = 20 * (1 - pj.recipe.rate_factor)
            coverage = rng.gauss(m.coverage_mean.get(qa_version, 80.0) + bonus, 6.0)
            if pj.platform == "mobile":
                coverage -= m.mobile_coverage_penalty
            pj.coverage = round(min(99.5, max(20.0, coverage)), 1)
            written = rng.randint(30, 260)
            executed = written + rng.randint(0, 120)
            failed = 0 if last.succeeded else rng.randint(1, 6)
            p.tests(tests_written_by_qa_agent=written, tests_executed=executed,
                    tests_passed=executed - failed, test_coverage_percent=pj.coverage,
                    flaky_tests=poisson(rng, 1.8 if pj.platform == "mobile" else 0.4),
                    stage=stage.id)
        elif stage.id == "security":
            version = str(last.prompt_version)
            worse = (1.0 if last.succeeded else 2.0) * pj.recipe.rate_factor
            critical = poisson(rng, m.security_critical[version] * worse)
            major = poisson(rng, m.security_major[version] * worse)
            minor = poisson(rng, 1.5)
            pj.scan = (critical, major)
            pj.security_passed = bool(last.succeeded)
            pj.security_version = version
            p.security_scan(vulnerabilities_found=critical + major + minor, critical=critical,
                            major=major, minor=minor, false_positives=poisson(rng, 0.8),
                            stage=stage.id)
        elif stage.id == "deploy":
            latency = rng.lognormvariate(math.log(m.latency_median_ms), 0.4)
            page = rng.lognormvariate(math.log(m.page_load_median_ms), 0.35)
            pj.within_slo = latency <= m.slo_latency_ms and page <= m.slo_page_load_ms
            p.performance(within_slo=pj.within_slo, endpoint_latency_ms=round(latency, 1),
                          page_load_time_ms=round(page, 1),
                          memory_usage_mb=round(rng.lognormvariate(math.log(280), 0.3), 1))

    def complete(self, p: ProjectRun, pj: Project, status: str) -> None:
        """Record the outcome: quality by :func:`quality_score` from the signals recorded.

        ``delivery_speed_rank`` is the share (in percent) of earlier delivered projects
        of the same recipe that took longer (ties count half); absent for the first.
        """
        m, rng = self.m, pj.rng
        major_rework = any(s in MAJOR_REWORK_SEVERITIES for s in pj.severities)
        score = quality_score(
            test_coverage_percent=pj.coverage,
            security_clean=pj.scan is not None and pj.scan == (0, 0),
            perf_within_slo=bool(pj.within_slo),
            no_major_rework=not major_rework,
        )
        if status == "done":
            status = "shipped" if score >= 70 else "alpha_ready"
        self.clock.advance(rng.uniform(300, 3600))
        fields: dict[str, Any] = {"quality_score": score}
        elapsed = (self.clock.now - p.created_at).total_seconds()
        if status in ("shipped", "alpha_ready"):
            prior = self._durations.setdefault(pj.recipe.name, [])
            rank = delivery_speed_rank(elapsed, prior)
            if rank is not None:
                fields["delivery_speed_rank"] = rank
            prior.append(elapsed)
            lam = 0.05 + 0.6 * (1 - (pj.coverage or 0) / 100) + 0.4 * major_rework
            fields["critical_errors_post_deployment"] = poisson(rng, lam)
            fields["security_issues_missed"] = (
                poisson(rng, m.security_missed[pj.security_version])
                if pj.security_passed else 0)
        p.complete(project_success=status, **fields)
        output = ("production_ready" if score >= 85 else "needs_minor_fixes" if score >= 70
                  else "needs_rework")
        self.stats.truth_label("output", p.project_id, output)
        self.stats.outcomes[status] += 1
        self.stats.quality[pj.id] = score
        self.survey(p, pj, score)

    def survey(self, p: ProjectRun, pj: Project, score: float) -> None:
        rng = pj.rng
        self.clock.advance(3600 * rng.uniform(1, 48))
        helpful = round(1 + score / 25 + rng.gauss(0, 0.6) - 0.3 * pj.escalations)
        helpful = min(5, max(1, helpful))
        frustration = min(5, max(1, round(1 + 0.35 * pj.failed_gate_runs + rng.gauss(0, 0.6))))
        decision_quality = min(5, max(1, round(4.3 - 0.8 * pj.overrides + rng.gauss(0, 0.6))))
        mood = "good" if helpful >= 4 else "mixed" if helpful == 3 else "bad"
        p.survey(
            agent_helpfulness_overall=helpful, agent_decision_quality=decision_quality,
            gate_frustration_level=frustration, would_use_again=helpful >= 3,
            comments=rng.choice(texts.COMMENTS[mood]), suggestions=rng.choice(texts.SUGGESTIONS),
        )
