"""Secrets never reach the store (when redaction is on) or a prompt (always).

The corpus holds the shapes of real credentials (made-up values of the documented
formats) and ordinary pipeline text that must pass unchanged.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app
from autoforge_learn.collect.collector import Collector
from autoforge_learn.redaction import REDACTED, find_secrets, redact_secrets
from autoforge_learn.registry import PromptRegistry, RegistryError
from autoforge_learn.schema.events import GateEvaluation
from autoforge_learn.store.layout import StoreLayout

runner = CliRunner()

JWT = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
#: (text, the secret in it)
SECRETS = [
    ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
    ('{"api_key": "a1b2c3d4e5f6g7h8"}', "a1b2c3d4e5f6g7h8"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc ok", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("rk_live_51H8hYtKz0aBcDeFgHiJkLmNo", "rk_live_51H8hYtKz0aBcDeFgHiJkLmNo"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ"),
    ("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 here",
     "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
    ("glpat-xY3kLm9Qr2sT7uVw1Zab", "glpat-xY3kLm9Qr2sT7uVw1Zab"),
    ("HF hf_QwErTyUiOpAsDfGhJkLzXcVbNm1234567890", "hf_QwErTyUiOpAsDfGhJkLzXcVbNm1234567890"),
    ("aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("AKIAIOSFODNN7EXAMPLE in config", "AKIAIOSFODNN7EXAMPLE"),
    ("pwd=correcthorse", "correcthorse"),
    ("passphrase=abc12345xyz", "abc12345xyz"),
    ("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
    ("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("postgres://admin:s3cretpw@db:5432/app", "s3cretpw"),
    ("Authorization: Bearer abcdef123456789xyz", "abcdef123456789xyz"),
    ("jwt " + JWT, JWT),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
     "BEGIN RSA PRIVATE KEY"),
    ("npm //registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
     "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("password: Hunter2!", "Hunter2!"),
]

#: Ordinary text of pipelines: left exactly as it is.
ORDINARY = [
    "Missing error handling for the /users endpoint; token budget exceeded",
    "max_tokens=4096 temperature=0.2",
    "token_budget: 4000 tokens",
    "password: must be at least 8 characters long",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the flaky test",
    "def calculate_the_average_of_all_the_numbers_in_the_list(values): pass",
    "The reviewer asked for secret management via the vault, not env files.",
    "test_login_rejects_a_wrong_password PASSED",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "https://example.com/docs/api/v2/users?page=2",
]


@pytest.mark.parametrize(("text", "secret"), SECRETS, ids=[s for _, s in SECRETS])
def test_every_secret_shape_is_found_and_replaced(text: str, secret: str) -> None:
    assert find_secrets(text), text
    cleaned = redact_secrets(text)
    assert secret not in cleaned and REDACTED in cleaned


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_pipeline_text_is_left_alone(text: str) -> None:
    assert find_secrets(text) == []
    assert redact_secrets(text) == text


def _lines(root: Path) -> list[dict]:
    out = []
    for path in StoreLayout(root).raw_files():
        out.extend(orjson.loads(line) for line in path.read_bytes().splitlines())
    return out


def test_a_redacting_collector_cleans_every_free_text_field_on_every_write_path(
    af_root: Path,
) -> None:
    key, pw = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", '{"password": "hunter2hunter2"}'
    with Collector(af_root, redact=True) as c:
        c.on_gate_evaluation(project_id="p1", gate_id="g", validation_result="fail",
                             validation_reason=f"the client logs {key}")
        c.on_human_approval(project_id="p1", decision_type="tech_stack",
                            agent_recommendation=f"use {key}", human_decision="no",
                            human_reasoning=f"never paste {pw}")
        c.on_downstream_agent_feedback(project_id="p1", reporting_agent="qa", severity="major",
                                       feedback=f"config has {pw}")
        c.on_agent_stage_completion(project_id="p1", stage_id="s", agent_role="engineer",
                                    output_raw=key, system_context={"constraints": [key]},
                                    notes=f"extra field {key}")
        # an event built by the caller and handed over whole is redacted too
        c.record(GateEvaluation.model_validate({
            "event_id": "e-1", "project_id": "p1", "kind": "gate_evaluation",
            "timestamp": "2025-10-01T00:00:00Z", "gate_id": "g",
            "validation_result": "fail", "validation_reason": f"leaked {key}",
        }))
    text = orjson.dumps(_lines(af_root)).decode()
    assert "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" not in text and "hunter2hunter2" not in text
    assert text.count(REDACTED) >= 7
    assert '"project_id":"p1"' in text  # identifiers are kept


def test_without_redaction_text_is_written_as_given(af_root: Path) -> None:
    with Collector(af_root, redact=False) as c:
        c.on_gate_evaluation(project_id="p1", gate_id="g", validation_result="fail",
                             validation_reason="pwd=correcthorse")
    assert _lines(af_root)[0]["validation_reason"] == "pwd=correcthorse"


def test_a_prompt_never_takes_a_secret(af_root: Path, tmp_path: Path) -> None:
    registry = PromptRegistry(af_root)
    with pytest.raises(RegistryError, match="looks like it holds a secret"):
        registry.new_version(
            "qa", sections={"rules": "Call the API with sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
            changes=["x"],
        )
    assert registry.versions("qa") == []
    af_root.mkdir(parents=True, exist_ok=True)
    section = tmp_path / "rules.txt"
    section.write_text("Connect with postgres://admin:s3cretpw@db/app\n")
    result = runner.invoke(app, ["prompts", "new", "qa", "--section", f"rules={section}", "-m",
                                 "x", "--root", str(af_root)])
    assert result.exit_code == 1 and "Credentials in a URL" in result.output
    assert not registry.changelog.exists() or "s3cretpw" not in registry.changelog.read_text()
