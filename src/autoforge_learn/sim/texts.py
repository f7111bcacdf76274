"""Free text of simulated events: agent outputs, feedback, human reasoning, comments.

Templates are ``str.format`` strings filled by :func:`fill` with values typical of a
recipe family (endpoints, screens, entities, packages, numbers).
"""

from __future__ import annotations

import random

#: Agent output, by stage (a few hundred characters, like a real agent's summary).
OUTPUTS = {
    "product": (
        "PRD written to docs/prd.md. Problem: {feature} is slow and manual for the client's "
        "team. MVP scope: {feature}, plus {n} supporting user stories with acceptance "
        "criteria. Out of scope: native offline sync. Non-functional: p95 latency under "
        "300 ms, audit log on writes. Open questions: data retention period; SSO provider.",
        "Drafted product requirements: {n} user stories grouped into 3 epics. Highest value "
        "first: {feature}. Each story has Given/When/Then criteria. Risks: third-party API "
        "quotas, unclear ownership of {entity} data. Next: architect to confirm feasibility.",
    ),
    "architecture": (
        "Architecture: modular monolith, PostgreSQL, background jobs on a queue. Contract at "
        "api/openapi.yaml with {n} endpoints incl. {method} {endpoint}. Data model: {entity}, "
        "{entity2} and 4 supporting tables with migrations. ADR-001 records the stack choice; "
        "ADR-002 the auth flow (OIDC, short-lived JWT + refresh).",
        "Produced system design. Services: api, worker, web. OpenAPI contract covers "
        "{endpoint} and {n} other routes; shared Error schema. Entities: {entity} 1-n "
        "{entity2}. Caching: read-through Redis for hot lists. Risks: report generation "
        "load; mitigated with async jobs.",
    ),
    "ui_ux": (
        "Wireframes for {n} screens incl. {screen} (desktop + mobile breakpoints). Components "
        "from the design system only; tokens for spacing and colour. Flows: sign-in, "
        "{feature}, settings. Accessibility: contrast checked, focus order documented.",
        "Design delivered: {screen} and {n} related screens with empty/loading/error states, "
        "component inventory (buttons, tables, map panel), and a clickable prototype link "
        "for review. Open question: density of the data table on small screens.",
    ),
    "engineering": (
        "Implemented {n} endpoints against api/openapi.yaml incl. {method} {endpoint}; added "
        "{entity} repository, migrations and seed data. Frontend: {screen} wired to the API. "
        "Unit tests added for services. Build green locally; lint clean. Changed files: "
        "{file}, src/api/routes.ts, tests/.",
        "Feature {feature} implemented end to end. Backend handlers for {endpoint}, "
        "validation with schema models, error mapping per contract. UI for {screen}. "
        "Refactored {module} module for testability. {n} new tests; all passing.",
    ),
    "qa": (
        "Test run complete: unit, integration and e2e suites. New tests cover {feature} and "
        "{endpoint} incl. error paths. Flaky: {test} quarantined pending fix. Coverage report "
        "attached; uncovered: legacy {module} helpers.",
        "QA report: {n} scenarios automated from acceptance criteria; regression pack green "
        "except {test}. Devices/browsers: Chrome, Safari, {device}. Bugs filed for "
        "validation message wording on {screen}.",
    ),
    "security": (
        "Security review: dependency scan, secret scan and SAST on {n} modules. Findings "
        "triaged by severity; {pkg} upgrade recommended. Auth flow reviewed: token expiry "
        "and refresh rotation OK. Input validation spot-checked on {endpoint}.",
        "Threat model updated (STRIDE) for {feature}. Scans run; results classified; "
        "false positives documented. Recommendation on residual risks attached for "
        "approval. Headers (CSP, HSTS) verified on {env}.",
    ),
    "deploy": (
        "Deployed to {env}: container built, migrations applied, health checks green after "
        "rollout. Env vars verified ({var}). Rollback plan: previous image tag retained.",
        "Release to {env} done via blue/green switch. Smoke tests on {endpoint} passed; "
        "dashboards and alerts configured; error rate nominal during the first 15 minutes.",
    ),
}

#: Downstream feedback, by the role whose output is rejected.
FEEDBACK = {
    "product": (
        "PRD does not define user roles for {feature}",
        "Acceptance criteria for {feature} contradict the agreed scope",
        "Non-functional requirements (latency, availability) unspecified",
    ),
    "architect": (
        "API contract incomplete (missing error codes for {endpoint})",
        "Data model lacks a {entity}-{entity2} relation needed by {screen}",
        "Auth flow undefined for {endpoint}; had to guess token handling",
    ),
    "ui_ux": (
        "Wireframe for {screen} has no error state; had to invent one",
        "Design tokens for {screen} do not match the component library",
        "No responsive layout for {screen}",
    ),
    "engineer": (
        "Endpoint {endpoint} returns fields not in the contract ({field})",
        "No seed data for {entity}; tests cannot run",
        "Build artefact missing test hooks for {module}",
    ),
    "qa": (
        "Test report lacks reproduction steps for {n} failures",
        "Security-relevant paths untested ({endpoint})",
        "Tests for {module} rely on production data",
    ),
    "security": (
        "Security sign-off lacks a remediation plan for {pkg}",
        "Secrets policy unclear for {env}; deploy blocked until clarified",
        "Risk acceptance for {pkg} not documented",
    ),
}

AGREE_REASONS = (
    "Agreed: fits the team's constraints.",
    "Matches what we discussed with the client.",
    "Sound recommendation; go ahead.",
)
OVERRIDE_REASONS = {
    "feature_priority": (
        "Client's revenue depends on this feature first.",
        "Sales committed this to a customer for next month.",
        "Agent ignored the customer's main pain point.",
    ),
    "architecture_choice": (
        "Team has no operations capacity for that.",
        "Simpler to run with our current hosting.",
    ),
    "tech_stack": (
        "Team already knows this stack.",
        "Client mandates this stack.",
        "Licensing and hosting cost.",
    ),
    "risk_acceptance": (
        "Risk is acceptable for an internal alpha.",
        "Compliance requires fixing before release.",
        "Business accepts the risk; fix scheduled.",
    ),
}
HUMAN_GATE_DECISIONS = (
    ("accepted_with_followup", "Tech lead accepted the output with a follow-up ticket"),
    ("waived_for_mvp", "Gate waived for the MVP by the project owner"),
    ("fixed_manually", "Human fixed the issue manually"),
)
UNRESOLVED = "Sent back to the agent with guidance; stage re-run"
COMMENTS = {
    "good": ("Smooth run, very little babysitting.", "Great handoffs between agents.",
             "Fast turnaround; quality was solid."),
    "mixed": ("Good overall but gates were noisy.", "Some rework between stages.",
              "Needed to step in a few times."),
    "bad": ("Too many retries and escalations.", "Spent more time fixing than expected.",
            "Agents kept missing the same requirements."),
}
SUGGESTIONS = ("Tighten the architect's contract template.", "Fewer approvals at high autonomy.",
               "Better mobile test coverage.", "Explain failures in plainer language.",
               "Capture security requirements upfront.")
STAGE_CRITERIA = {
    "product": ["Every story has acceptance criteria", "MVP scope agreed"],
    "architecture": ["OpenAPI contract present", "Data model with migrations"],
    "ui_ux": ["All MVP screens wireframed", "Design system compliance"],
    "engineering": ["Build passes", "Implementation conforms to the contract"],
    "qa": ["Coverage meets threshold", "All tests pass"],
    "security": ["No critical or major findings open"],
    "deploy": ["Health checks green"],
}

FEATURES = {
    "web_app": ["user onboarding", "billing page", "admin dashboard", "CSV export",
                "team invitations", "audit log", "notifications", "search"],
    "gis_investment": ["parcel map", "valuation report", "zoning overlay", "portfolio view",
                       "comparable sales", "offline map tiles", "ROI calculator"],
    "mobile_auth": ["biometric login", "passwordless email", "session management",
                    "device trust", "account recovery", "MFA enrolment"],
    "api_service": ["webhooks", "API keys", "rate limiting", "usage metering",
                    "idempotent retries", "event replay"],
}
ENDPOINTS = {
    "web_app": ["/users", "/orders", "/invoices", "/reports", "/teams/{id}/members"],
    "gis_investment": ["/parcels", "/parcels/{id}/valuation", "/investments", "/zoning",
                       "/portfolios/{id}"],
    "mobile_auth": ["/auth/login", "/auth/refresh", "/sessions", "/devices", "/auth/mfa"],
    "api_service": ["/v1/events", "/v1/webhooks", "/v1/keys", "/v1/usage"],
}
SCREENS = {
    "web_app": ["Dashboard", "Billing", "Settings", "Team members", "Reports"],
    "gis_investment": ["Parcel map", "Parcel detail", "Portfolio", "Valuation report"],
    "mobile_auth": ["Login", "MFA prompt", "Device list", "Recovery"],
    "api_service": ["API keys console", "Usage dashboard", "Webhook logs"],
}
ENTITIES = {
    "web_app": ["User", "Team", "Order", "Invoice", "Subscription"],
    "gis_investment": ["Parcel", "Valuation", "Investment", "ZoningArea", "Portfolio"],
    "mobile_auth": ["Account", "Session", "Device", "Credential", "RecoveryCode"],
    "api_service": ["ApiKey", "Webhook", "Event", "UsageRecord", "Tenant"],
}

#: Fillers of cause phrasings; each entry is picked at random per failure.
VOCABULARY: dict[str, list[str]] = {
    "spec_path": ["api/openapi.yaml", "api/openapi.yml", "docs/api/openapi.yaml",
                  "contracts/openapi.yaml"],
    "spec_name": ["openapi.yaml", "openapi.yml", "API contract (openapi.yaml)"],
    "method": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "file": ["src/api/handlers.ts", "src/services/auth.ts", "app/models.py", "app/routes.py",
             "src/lib/db.ts", "config/settings.py", "src/server.ts"],
    "module": ["auth", "billing", "parcels", "sessions", "export", "search", "payments"],
    "pkg": ["react-router", "axios", "lodash", "pydantic", "sqlalchemy", "jsonwebtoken",
            "express", "urllib3", "next"],
    "v1": ["1.2.3", "2.0.1", "4.17.20", "0.27.2", "3.1.0"],
    "v2": ["1.4.0", "2.3.0", "4.17.21", "1.6.0", "3.2.4"],
    "field": ["email", "amount", "parcel_id", "page_size", "redirect_url", "user_id", "query"],
    "test": ["test_login_rate_limit", "test_export_csv", "test_parcel_search",
             "checkout.spec.ts", "test_refresh_token", "map.e2e.ts", "test_invoice_totals"],
    "device": ["Pixel 6 (Android 13)", "iPhone SE (iOS 16)", "Galaxy A14", "iPad Air"],
    "os": ["Android 12", "Android 14", "iOS 16", "iOS 17"],
    "flow": ["checkout", "login", "photo upload", "map sync", "MFA enrolment"],
    "var": ["DATABASE_URL", "JWT_SECRET", "REDIS_URL", "S3_BUCKET", "SENTRY_DSN"],
    "env": ["staging", "production", "preview"],
    "ratio": ["2.8", "3.1", "3.6", "4.2"],
    "status": ["400", "404", "409", "422", "401"],
    "threshold": ["70", "75", "80"],
    "sec": ["30", "60", "90", "120"],
}
NUMBERS = {"n": (2, 9), "line": (12, 480), "code": (2300, 2799), "pct": (41, 69),
           "cve": (1000, 49999)}


class Vocab(dict[str, str]):
    """A ``str.format_map`` mapping that invents a value for each field on first use."""

    def __init__(self, rng: random.Random, family: str) -> None:
        super().__init__()
        self.rng = rng
        self.family = family

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key in NUMBERS:
            low, high = NUMBERS[key]
            value = str(rng.randint(low, high))
        elif key in ("endpoint", "feature", "screen"):
            table = {"endpoint": ENDPOINTS, "feature": FEATURES, "screen": SCREENS}[key]
            value = rng.choice(table[self.family])
        elif key in ("entity", "entity2"):
            choices = [e for e in ENTITIES[self.family] if e != self.get("entity")]
            value = rng.choice(choices)
        else:
            value = rng.choice(VOCABULARY[key])
        self[key] = value
        return value


def fill(template: str, rng: random.Random, family: str) -> str:
    """Fill a phrasing template's fields with values typical of a recipe family."""
    return template.format_map(Vocab(rng, family))
