"""What the simulated world is made of: recipes, stages, gates, root causes, strategies.

Only structure and wording live here; the latent numbers (failure rates, success
rates, ...) that make one simulated world differ from another are built in
:mod:`autoforge_learn.sim.model`. Cause phrasings are ``str.format`` templates whose
fields (``{endpoint}``, ``{n}``, ...) are filled by :func:`autoforge_learn.sim.texts.fill`,
so the same root cause reads differently from one failure to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("product", "architect", "ui_ux", "engineer", "qa", "security")

#: The model each role runs on, and its price in dollars per million tokens (in, out).
AGENT_MODELS = {
    "product": "gpt-4o",
    "architect": "claude-3-5-sonnet",
    "ui_ux": "gpt-4o",
    "engineer": "claude-3-5-sonnet",
    "qa": "claude-3-5-sonnet",
    "security": "gpt-4o",
}
MODEL_PRICES = {"gpt-4o": (2.5, 10.0), "claude-3-5-sonnet": (3.0, 15.0)}
TEMPERATURES = {
    "product": 0.7, "architect": 0.3, "ui_ux": 0.6, "engineer": 0.2, "qa": 0.3, "security": 0.1,
}
#: Mean (input, output) tokens of one run of a role's first prompt version.
TOKEN_MEANS = {
    "product": (3400, 1700),
    "architect": (6400, 2600),
    "ui_ux": (4100, 1900),
    "engineer": (9200, 5200),
    "qa": (5300, 2500),
    "security": (4600, 1300),
}


@dataclass(frozen=True)
class Stage:
    """A pipeline stage, run by one role."""

    id: str
    role: str
    minutes: float  # median working time
    token_scale: float = 1.0


STAGES = {
    s.id: s
    for s in (
        Stage("product", "product", 35),
        Stage("architecture", "architect", 70),
        Stage("ui_ux", "ui_ux", 50),
        Stage("engineering", "engineer", 190),
        Stage("qa", "qa", 60),
        Stage("security", "security", 40),
        Stage("deploy", "engineer", 20, token_scale=0.35),
    )
}


@dataclass(frozen=True)
class Recipe:
    """A versioned recipe: which stages run, in what order, on which platforms."""

    name: str
    family: str
    stages: tuple[str, ...]
    platforms: dict[str, float]
    active: tuple[float, float]  # share of the simulated window it is used in
    weight: float
    rate_factor: float = 1.0  # multiplies every gate failure rate
    duration_factor: float = 1.0

    @property
    def version(self) -> str:
        return self.name.rpartition("_")[2]


_FULL = ("product", "architecture", "ui_ux", "engineering", "qa", "security", "deploy")
_NO_UI = ("product", "architecture", "engineering", "qa", "security", "deploy")

RECIPES = (
    Recipe("web_app_v1", "web_app", _FULL, {"web": 1.0}, (0.0, 0.55), 3.0),
    Recipe(
        "web_app_v2", "web_app",
        ("product", "ui_ux", "architecture", "engineering", "qa", "security", "deploy"),
        {"web": 1.0}, (0.45, 1.0), 3.0, rate_factor=0.85, duration_factor=0.85,
    ),
    Recipe("gis_investment_v1", "gis_investment", _FULL, {"web": 0.7, "mobile": 0.3},
           (0.0, 0.5), 2.0, duration_factor=1.1),
    Recipe(
        "gis_investment_v2", "gis_investment",
        ("product", "ui_ux", "architecture", "engineering", "security", "qa", "deploy"),
        {"web": 0.7, "mobile": 0.3}, (0.4, 1.0), 2.0, rate_factor=0.8, duration_factor=0.75,
    ),
    Recipe("mobile_auth_v1", "mobile_auth", _NO_UI, {"mobile": 1.0}, (0.0, 1.0), 2.0),
    Recipe("api_service_v1", "api_service", _NO_UI, {"web": 1.0}, (0.0, 1.0), 1.5,
           duration_factor=0.8),
)

DOMAINS = {"saas": 0.3, "fintech": 0.2, "healthtech": 0.12, "ecommerce": 0.18,
           "analytics": 0.12, "other": 0.08}
TEAM_SIZES = {1: 0.1, 2: 0.2, 3: 0.22, 5: 0.25, 8: 0.15, 12: 0.08}
AUTONOMY_LEVELS = {0: 0.15, 1: 0.35, 2: 0.35, 3: 0.15}
DOMAIN_CONSTRAINTS = {
    "saas": ["Multi-tenant data isolation", "SSO via OIDC"],
    "fintech": ["PCI DSS scope minimised", "Audit log for every money movement"],
    "healthtech": ["HIPAA: PHI encrypted at rest and in transit", "Consent tracking"],
    "ecommerce": ["Checkout p95 latency < 300 ms", "GDPR cookie consent"],
    "analytics": ["Queries over 10M rows under 2 s", "Row-level access control"],
    "other": ["Budget-conscious hosting", "WCAG 2.1 AA"],
}


@dataclass(frozen=True)
class Cause:
    """A root cause of gate failures, and the ways a gate phrases it.

    ``base_rate`` is per gate run (a stage output with all its artifacts). The causes a
    later prompt version fixes start at 0.30-0.40 (what makes a team act: "fails 40% for
    missing error definitions"), so that a version's share of 200 projects shows them
    above the 8% ``cause_rate`` beyond doubt; the other causes stay at 3-6%.
    """

    id: str
    gate_id: str
    phrasings: tuple[str, ...]
    base_rate: float  # failure probability it causes under the role's first prompt
    platform: str | None = None  # only happens on this platform


@dataclass(frozen=True)
class Gate:
    """A quality gate run on one stage's output."""

    id: str
    stage: str
    causes: tuple[Cause, ...]
    strategies: tuple[str, ...]  # auto-fix strategies it can try


def _c(cid: str, gate: str, rate: float, *phrasings: str, platform: str | None = None) -> Cause:
    return Cause(cid, gate, phrasings, rate, platform)


GATES = {
    g.id: g
    for g in (
        Gate("prd_complete", "product", (
            _c("missing_acceptance_criteria", "prd_complete", 0.30,
               "{n} user stories lack acceptance criteria",
               "Acceptance criteria missing for story '{feature}'",
               "PRD lists features without testable acceptance criteria (e.g. {feature})"),
            _c("ambiguous_scope", "prd_complete", 0.04,
               "Scope ambiguous: '{feature}' marked both in and out of MVP",
               "Feature '{feature}' has no priority assigned",
               "Conflicting scope statements for {feature} in docs/prd.md"),
        ), ("product_fills_template", "product_asks_clarifying_questions")),
        Gate("api_contract_present", "architecture", (
            _c("openapi_missing", "api_contract_present", 0.06,
               "File does not exist at {spec_path}",
               "{spec_name} missing",
               "No OpenAPI contract found at {spec_path}"),
            _c("missing_error_definitions", "api_contract_present", 0.40,
               "Endpoint {method} {endpoint} has no error responses defined",
               "Missing error code definitions for {n} endpoints",
               "No 4xx/5xx responses in contract for {endpoint}"),
            _c("missing_auth_scheme", "api_contract_present", 0.04,
               "No securitySchemes defined in {spec_path}",
               "Endpoint {endpoint} lacks an auth requirement",
               "Authentication scheme missing from API contract ({n} endpoints public)"),
        ), ("architect_drafts_stub", "architect_regenerates_contract")),
        Gate("data_model_defined", "architecture", (
            _c("missing_entity_relations", "data_model_defined", 0.05,
               "Entity {entity} has no relation to {entity2}",
               "Foreign key missing between {entity} and {entity2}",
               "{n} entities without declared relationships"),
            _c("missing_migration_plan", "data_model_defined", 0.03,
               "No migration plan for schema changes to {entity}",
               "migrations/ directory empty; {n} tables undeclared",
               "Schema change to {entity} has no migration script"),
        ), ("architect_infers_relations", "architect_drafts_stub")),
        Gate("design_system_compliance", "ui_ux", (
            _c("missing_screen_states", "design_system_compliance", 0.35,
               "Screen {screen} lacks empty and error states",
               "Loading state not designed for {screen}",
               "{n} screens missing error/empty state variants"),
            _c("accessibility_violations", "design_system_compliance", 0.04,
               "Contrast ratio {ratio}:1 below WCAG AA on {screen}",
               "{n} interactive elements without accessible labels",
               "Touch target under 44px on {screen}"),
        ), ("ui_ux_applies_component_library",)),
        Gate("build_passes", "engineering", (
            _c("compile_error", "build_passes", 0.06,
               "Build failed: {file}:{line} type error",
               "TypeScript compile error TS{code} in {file}",
               "Compilation failed with {n} errors"),
            _c("dependency_conflict", "build_passes", 0.32,
               "Dependency conflict: {pkg}@{v1} vs {pkg}@{v2}",
               "npm ERR! ERESOLVE could not resolve {pkg}",
               "Lockfile out of sync: {pkg} version mismatch"),
        ), ("engineer_pins_dependencies", "engineer_refactors_existing")),
        Gate("contract_conformance", "engineering", (
            _c("endpoint_mismatch", "contract_conformance", 0.05,
               "Implemented route {method} {endpoint} not in contract",
               "Response schema of {endpoint} differs from contract ({field} missing)",
               "Contract test failed for {endpoint}: status {status} not declared"),
            _c("unhandled_error_codes", "contract_conformance", 0.04,
               "Handler for {endpoint} does not return declared {status}",
               "{n} declared error codes never produced by implementation",
               "Errors in {endpoint} fall through as HTTP 500"),
        ), ("engineer_regenerates_handlers", "engineer_refactors_existing")),
        Gate("test_coverage", "qa", (
            _c("insufficient_edge_cases", "test_coverage", 0.35,
               "No tests for edge cases in {module} (null, empty, boundary)",
               "Edge cases uncovered: {n} boundary conditions untested in {module}",
               "Test suite only covers the happy path for {endpoint}"),
            _c("mobile_scenarios_missing", "test_coverage", 0.55,
               "No tests for offline mode on {screen}",
               "GPS accuracy / location permission scenarios untested ({n} flows)",
               "Mobile-specific scenarios missing: app backgrounding during {flow}",
               platform="mobile"),
            _c("coverage_below_threshold", "test_coverage", 0.05,
               "Coverage {pct}% below threshold {threshold}%",
               "Line coverage {pct}% < required {threshold}%",
               "Coverage gate: {module} at {pct}%"),
        ), ("qa_generates_missing_tests",)),
        Gate("tests_pass", "qa", (
            _c("flaky_tests", "tests_pass", 0.05,
               "{n} flaky tests (passed on rerun): {test}",
               "Test {test} intermittently times out",
               "Non-deterministic failure in {test}"),
            _c("failing_assertions", "tests_pass", 0.04,
               "{n} tests failed: {test} expected {status} got 500",
               "AssertionError in {test}",
               "{test} failed: response missing field {field}"),
            _c("device_matrix_failure", "tests_pass", 0.4,
               "Tests fail on {device}",
               "UI test crash on {device} ({os})",
               "{n} tests fail only on {device}",
               platform="mobile"),
        ), ("qa_reruns_flaky_tests", "qa_quarantines_test")),
        Gate("security_scan_clean", "security", (
            _c("hardcoded_secret", "security_scan_clean", 0.03,
               "Hardcoded credential in {file}:{line}",
               "Secret-like string detected in {file}",
               "API key committed in {file}"),
            _c("missing_input_validation", "security_scan_clean", 0.30,
               "No input validation on {endpoint} parameter {field}",
               "Possible SQL injection via {field} in {endpoint}",
               "Unvalidated user input reaches query in {module}"),
            _c("vulnerable_dependency", "security_scan_clean", 0.05,
               "{pkg} {v1} has known CVE-2025-{cve}",
               "Vulnerable dependency: {pkg} (CVE-2024-{cve})",
               "{n} dependencies with high-severity advisories"),
        ), ("security_patches_dependency", "security_adds_validation")),
        Gate("deploy_healthcheck", "deploy", (
            _c("missing_env_var", "deploy_healthcheck", 0.04,
               "Environment variable {var} not set in {env}",
               "Container exits: missing {var}",
               "Config error: {var} undefined"),
            _c("healthcheck_timeout", "deploy_healthcheck", 0.03,
               "Health check /healthz timed out after {sec}s",
               "Readiness probe failed {n} times",
               "Service not healthy within {sec}s on {env}"),
        ), ("engineer_rolls_back_config", "engineer_refactors_existing")),
    )
}
CAUSES = {c.id: c for g in GATES.values() for c in g.causes}
#: What one check of a gate looks at: a gate checks several of these per stage run.
GATE_ARTIFACTS = {
    "prd_complete": "user story",
    "api_contract_present": "endpoint",
    "data_model_defined": "entity",
    "design_system_compliance": "screen",
    "build_passes": "build target",
    "contract_conformance": "endpoint",
    "test_coverage": "test file",
    "tests_pass": "test suite",
    "security_scan_clean": "module",
    "deploy_healthcheck": "service",
}
GATES_BY_STAGE: dict[str, tuple[Gate, ...]] = {
    s: tuple(g for g in GATES.values() if g.stage == s) for s in STAGES
}

#: Auto-fix strategies with their success rates when problems are injected: one
#: clearly best (architect_drafts_stub), one clearly worst (engineer_refactors_existing),
#: the rest in between (0.55-0.62), so that 200 projects can tell best and worst apart.
STRATEGY_SUCCESS = {
    "product_fills_template": 0.62,
    "product_asks_clarifying_questions": 0.55,
    "architect_drafts_stub": 0.95,
    "architect_regenerates_contract": 0.55,
    "architect_infers_relations": 0.6,
    "ui_ux_applies_component_library": 0.62,
    "engineer_pins_dependencies": 0.62,
    "engineer_refactors_existing": 0.15,
    "engineer_regenerates_handlers": 0.58,
    "qa_generates_missing_tests": 0.55,
    "qa_reruns_flaky_tests": 0.58,
    "qa_quarantines_test": 0.58,
    "security_patches_dependency": 0.62,
    "security_adds_validation": 0.58,
    "engineer_rolls_back_config": 0.6,
}
#: Strategy -> the strategy it is an exact twin of: same gate, chosen at random against
#: it, success rate copied (not drawn): a known-null contrast in every world.
STRATEGY_TWINS = {"qa_quarantines_test": "qa_reruns_flaky_tests"}
BEST_STRATEGY = "architect_drafts_stub"
WORST_STRATEGY = "engineer_refactors_existing"


@dataclass(frozen=True)
class Decision:
    """An approval decision an agent asks a human for during a stage."""

    type: str
    role: str
    stage: str
    options: tuple[str, ...]


DECISIONS = (
    Decision("feature_priority", "product", "product", ()),  # options: the project's features
    Decision("architecture_choice", "architect", "architecture", (
        "Modular monolith", "Microservices behind an API gateway", "Serverless functions",
        "Event-driven services with a queue", "Layered monolith with read replicas")),
    Decision("tech_stack", "architect", "architecture", (
        "FastAPI + PostgreSQL", "Django + PostgreSQL", "NestJS + PostgreSQL", "Go + PostgreSQL",
        "Supabase", "Firebase")),
    Decision("feature_priority", "engineer", "engineering", ()),
    Decision("tech_stack", "engineer", "engineering", (
        "React + Vite", "Next.js", "SvelteKit", "React Native", "Flutter")),
    Decision("risk_acceptance", "security", "security", (
        "Fix before release", "Accept with compensating control", "Accept risk and ship",
        "Defer to next sprint")),
)

#: Handoff pairs (upstream role, downstream role) one of which is made clearly worse.
WORST_HANDOFF_CANDIDATES = (("architect", "engineer"), ("engineer", "qa"),
                            ("product", "architect"))
#: Roles one of which is made overconfident.
OVERCONFIDENT_CANDIDATES = ("architect", "qa")
#: (decision type, role) pairs from which the override hotspots are drawn.
OVERRIDE_HOTSPOT_CANDIDATES = (("feature_priority", "engineer"), ("risk_acceptance", "security"),
                               ("tech_stack", "engineer"), ("architecture_choice", "architect"))
