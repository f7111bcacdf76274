"""The read routes return what the CLI prints with --format json; the OpenAPI document
describes every route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app as cli
from autoforge_learn.server import TokenStore
from tests.server.conftest import Served, serving

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A simulated store with an experiment, and a read token."""
    from autoforge_learn.sim import simulate

    root = tmp_path_factory.mktemp("read") / ".autoforge"
    simulate(root, projects=24, seed=5)
    started = CliRunner().invoke(cli, [
        "ab", "start", "--role", "architect", "--control", "architect.v1.1",
        "--treatment", "architect.v2.0", "--root", str(root)])
    assert started.exit_code == 0, started.output
    return root, TokenStore(root).create("read")[1]


@pytest.fixture(scope="module")
def read_server(simulated: tuple[Path, str]) -> Any:
    with serving(simulated[0]) as served:
        yield served


def _cli_json(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--root", str(root)])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


@pytest.mark.parametrize(
    ("path", "params", "command"),
    [
        ("/v1/metrics", {"metric": "gate_pass_rate", "by": ["role", "prompt_version"]},
         ["metrics", "show", "--metric", "gate_pass_rate", "--by", "role",
          "--by", "prompt_version"]),
        ("/v1/metrics", {"metric": "avg_retries_per_task", "recipe": "web_app", "last": 10},
         ["metrics", "show", "--metric", "avg_retries_per_task", "--recipe", "web_app",
          "--last", "10"]),
        ("/v1/findings", {"pattern": ["retry_hotspot", "handoff"]},
         ["patterns", "--pattern", "retry_hotspot", "--pattern", "handoff"]),
        ("/v1/experiments", {}, ["ab", "list"]),
        ("/v1/suggestions", {}, ["suggest"]),  # last: the command saves its suggestions
    ],
)
def test_reads_equal_the_cli_json(
    read_server: Served, simulated: tuple[Path, str], path: str, params: dict[str, Any],
    command: list[str],
) -> None:
    root, token = simulated
    answer = httpx.get(read_server.url + path, params=params, timeout=60,
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data == _cli_json(root, *command)
    # (suggestions may be none on a small store: the same none as the command's)
    assert data or path == "/v1/suggestions", f"{path} returned nothing to compare"


def test_read_errors_are_json_with_a_status(read_server: Served,
                                            simulated: tuple[Path, str]) -> None:
    auth = {"Authorization": f"Bearer {simulated[1]}"}
    unknown = httpx.get(read_server.url + "/v1/metrics", params={"metric": "nope"},
                        headers=auth)
    assert 400 <= unknown.status_code < 500 and "nope" in unknown.json()["detail"]
    bad_since = httpx.get(read_server.url + "/v1/metrics", headers=auth,
                          params={"metric": "gate_pass_rate", "since": "yesterday-ish"})
    assert bad_since.status_code == 400 and "--since" in bad_since.json()["detail"]
    missing = httpx.get(read_server.url + "/v1/metrics", headers=auth)
    assert missing.status_code == 422


def test_openapi_describes_every_route(read_server: Served,
                                       simulated: tuple[Path, str]) -> None:
    answer = httpx.get(read_server.url + "/openapi.json",
                       headers={"Authorization": f"Bearer {simulated[1]}"})
    doc = answer.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/v1/events", "/v1/metrics", "/v1/findings",
                                 "/v1/suggestions", "/v1/experiments"}
    schemes = doc["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("security"), f"{method} {path} declares no security"
            assert "401" in op["responses"] and "403" in op["responses"], (method, path)
    post = doc["paths"]["/v1/events"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {"413", "422"} <= set(post["responses"])
    metric = {p["name"]: p for p in doc["paths"]["/v1/metrics"]["get"]["parameters"]}
    assert metric["metric"]["required"] and {"by", "since", "last", "project"} <= set(metric)
