"""Prompt versions of every role: their text, when they roll out, what they change.

Each version lists the sections it adds or rewrites over the previous version of its
role. A version that fixes a root cause really contains the text that fixes it (for
example ``architect.v1.1`` adds an error taxonomy section and lowers the rate of
``missing_error_definitions``); a token-inefficient version adds verbose sections that
change no failure rate. A *twin* (``twin_of``) rewords its parent without changing what
it asks for: it has its parent's latent parameters exactly and shares its parent's
projects 50/50 at random from the parent's rollout on, a known-null contrast.

The token-inefficient versions (``architect.v2.0``, ``engineer.v2.0``) use 1.7x and 1.6x
the tokens of their role's first version: waste a team would notice, well beyond the
token threshold of +20% even with the between-project spread of token use (``token_sd``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PromptVersion:
    """One version of one role's prompt.

    Attributes:
        id: ``role.vMAJOR.MINOR``.
        role: The agent role.
        rollout: Share of the simulated window after which it is rolled out.
        changes: Changelog lines.
        sections: Sections added or rewritten relative to the previous version.
        fixes: Cause id -> the failure rate the version lowers it to (problems injected).
        token_factor: Token use relative to the role's first version (problems injected).
        twin_of: The version this one rewords: same latent parameters, same rollout,
            projects split 50/50 between the two at random (a known-null contrast).
    """

    id: str
    role: str
    rollout: float
    changes: tuple[str, ...]
    sections: dict[str, str]
    fixes: dict[str, float] = field(default_factory=dict)
    token_factor: float = 1.0
    twin_of: str | None = None


_BASE = {
    "product": {
        "role_definition": (
            "You are the product manager agent of an AutoForge delivery team. Turn the "
            "client's brief into a product requirements document (PRD) the architect, "
            "designer and engineers can build from without asking questions."),
        "PRD_structure": (
            "Write docs/prd.md with: problem statement, target users, user stories, MVP scope "
            "(in / out), non-functional requirements and open questions."),
        "prioritisation": (
            "Rank features by customer value and delivery risk. Recommend one MVP ordering "
            "and list the alternatives you considered."),
    },
    "architect": {
        "role_definition": (
            "You are the software architect agent. Design a system that satisfies the PRD "
            "and the recipe's constraints, and hand the engineer an unambiguous contract."),
        "API_contract_generation": (
            "Generate an OpenAPI 3.1 contract at api/openapi.yaml with models, endpoints, "
            "and responses."),
        "data_modeling": (
            "Define every entity with its fields, types and relations in docs/data-model.md, "
            "and a migration for each schema change."),
        "decision_records": (
            "Record architecture and tech stack choices as ADRs with the options considered."),
    },
    "ui_ux": {
        "role_definition": (
            "You are the UI/UX designer agent. Produce wireframes and a component inventory "
            "that follow the design system."),
        "wireframes": "Wireframe every screen of the MVP scope, desktop and mobile breakpoints.",
        "design_system": (
            "Use only components and tokens of the design system; meet WCAG 2.1 AA contrast "
            "and label rules."),
    },
    "engineer": {
        "role_definition": (
            "You are the software engineer agent. Implement the MVP against the API contract "
            "and the wireframes, with tests, and keep the build green."),
        "implementation_rules": (
            "Implement every endpoint of api/openapi.yaml exactly as specified. Keep "
            "functions small; no dead code."),
        "output_format": "Reply with a summary of changed files and a short test report.",
    },
    "qa": {
        "role_definition": (
            "You are the QA agent. Write and run the tests that show the MVP meets its "
            "acceptance criteria."),
        "test_strategy": (
            "Cover each acceptance criterion with at least one automated test; report "
            "coverage and flaky tests."),
        "reporting": "Report failures with reproduction steps and the failing assertion.",
    },
    "security": {
        "role_definition": (
            "You are the security engineer agent. Review the design and code for "
            "vulnerabilities before release."),
        "scanning": (
            "Run dependency, secret and static analysis scans; classify findings as critical, "
            "major or minor; flag false positives."),
        "risk_acceptance": (
            "For every finding you do not fix, recommend fix, accept or defer, with the "
            "residual risk."),
    },
}

_VERBOSE = (
    "Before answering, restate the full context you were given, then explain the reasoning "
    "behind every decision in complete prose, including the alternatives you rejected and "
    "why, and repeat the key constraints at the end of each section so that no reader can "
    "miss them. Prefer thoroughness over brevity in every part of the answer.")

VERSIONS: tuple[PromptVersion, ...] = (
    PromptVersion("product.v1.0", "product", 0.0, ("Initial version",), _BASE["product"]),
    PromptVersion(
        "product.v1.1", "product", 0.45,
        ("Added acceptance-criteria template (Given/When/Then) for every user story",),
        {"acceptance_criteria": (
            "Every user story MUST have acceptance criteria in Given/When/Then form, at least "
            "one per story, each testable by QA without interpretation.")},
        fixes={"missing_acceptance_criteria": 0.03},
    ),
    PromptVersion("architect.v1.0", "architect", 0.0, ("Initial version",), _BASE["architect"]),
    PromptVersion(
        "architect.v1.1", "architect", 0.3, ("Added error taxonomy constraint",),
        {"API_contract_generation": (
            "Generate an OpenAPI 3.1 contract at api/openapi.yaml with:\n"
            "1. Data models with types and validation rules\n"
            "2. All endpoints with request/response schemas\n"
            "3. Error responses: define error codes, messages, status codes for each endpoint\n"
            "4. Example: endpoint GET /parcels returns 200 {parcel}, 400 (validation error), "
            "404 (not found), 500 (server error)"),
         "error_taxonomy": (
            "Use one error taxonomy for the whole API: a shared Error schema with code, "
            "message and details; list every 4xx/5xx response an endpoint can return.")},
        fixes={"missing_error_definitions": 0.05},
    ),
    PromptVersion(
        "architect.v2.0", "architect", 0.65,
        ("Added exhaustive design rationale section", "Restate context before answering"),
        {"design_rationale": _VERBOSE,
         "context_restatement": (
            "Start by restating the PRD, every prior decision and every constraint verbatim.")},
        token_factor=1.7,
    ),
    PromptVersion("ui_ux.v1.0", "ui_ux", 0.0, ("Initial version",), _BASE["ui_ux"]),
    PromptVersion(
        "ui_ux.v1.1", "ui_ux", 0.5, ("Added screen state checklist (empty, loading, error)",),
        {"screen_states": (
            "For every screen, design the empty, loading, error and success states; a screen "
            "without all four states is incomplete.")},
        fixes={"missing_screen_states": 0.04},
    ),
    PromptVersion("engineer.v1.0", "engineer", 0.0, ("Initial version",), _BASE["engineer"]),
    PromptVersion(
        "engineer.v1.1", "engineer", 0.35, ("Added dependency pinning rule",),
        {"dependencies": (
            "Pin every dependency to an exact version in the lockfile and keep the lockfile "
            "in sync with the manifest (no version mismatch, nothing out of sync). Never add "
            "a package whose peer dependencies conflict with the lockfile; if npm reports "
            "ERESOLVE (it could not resolve the dependency tree), resolve the conflict "
            "first. Run a clean install before declaring the build green.")},
        fixes={"dependency_conflict": 0.03},
    ),
    PromptVersion(
        "engineer.v2.0", "engineer", 0.7,
        ("Require a prose explanation of every change", "Inline full file contents in replies"),
        {"change_explanations": _VERBOSE,
         "output_format": (
            "Reply with the full content of every changed file, followed by a prose "
            "explanation of each change and a test report.")},
        token_factor=1.6,
    ),
    PromptVersion("qa.v1.0", "qa", 0.0, ("Initial version",), _BASE["qa"]),
    PromptVersion(
        "qa.v1.1", "qa", 0.4, ("Added edge-case discovery template",),
        {"edge_cases": (
            "For every input, test null, empty, boundary (min, max, max+1), malformed and "
            "duplicate values, and every declared error response of the contract.")},
        fixes={"insufficient_edge_cases": 0.06},
    ),
    PromptVersion(
        "qa.v1.2", "qa", 0.4, ("Reworded the reporting section (same instructions)",),
        {"reporting": (
            "For every failure, give the steps that reproduce it and the assertion that "
            "failed.")},
        twin_of="qa.v1.1",
    ),
    PromptVersion("security.v1.0", "security", 0.0, ("Initial version",), _BASE["security"]),
    PromptVersion(
        "security.v1.1", "security", 0.55, ("Added input validation checklist (OWASP ASVS V5)",),
        {"input_validation": (
            "Check that every endpoint parameter is validated server-side (type, length, "
            "range, allow-list) and that no user input reaches a query or shell unescaped.")},
        fixes={"missing_input_validation": 0.03},
    ),
    PromptVersion(
        "security.v1.2", "security", 0.55,
        ("Reworded the risk acceptance section (same instructions)",),
        {"risk_acceptance": (
            "For each finding left unfixed, recommend whether to fix, accept or defer it, and "
            "state the risk that remains.")},
        twin_of="security.v1.1",
    ),
)
VERSIONS_BY_ROLE: dict[str, tuple[PromptVersion, ...]] = {}
for _v in VERSIONS:
    VERSIONS_BY_ROLE[_v.role] = (*VERSIONS_BY_ROLE.get(_v.role, ()), _v)
#: Each role's versions in rollout order, without twins.
MAIN_VERSIONS_BY_ROLE: dict[str, tuple[PromptVersion, ...]] = {
    role: tuple(v for v in versions if v.twin_of is None)
    for role, versions in VERSIONS_BY_ROLE.items()
}
#: Version id -> its twin (a rewording with identical latent parameters).
TWINS: dict[str, PromptVersion] = {v.twin_of: v for v in VERSIONS if v.twin_of is not None}


def version_sections() -> dict[str, dict[str, str]]:
    """The full sections of every version: its predecessors' sections with its own on top."""
    out: dict[str, dict[str, str]] = {}
    for versions in VERSIONS_BY_ROLE.values():
        current: dict[str, str] = {}
        for version in versions:
            current = {**current, **version.sections}
            out[version.id] = dict(current)
    return out


def render(sections: dict[str, str]) -> str:
    """A version's prompt text, as sent to the model: its sections in order."""
    return "\n\n".join(f"## {name}\n{text}" for name, text in sections.items())
