"""Every route needs a token of the right scope; tokens are stored hashed and revocable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app as cli
from autoforge_learn.errors import UsageError
from autoforge_learn.server import TokenStore
from autoforge_learn.server.routes_dashboard import PUBLIC_PATHS
from tests.server.conftest import Served, Tokens, gate

pytestmark = pytest.mark.server


def _routes(routes: list[Any]) -> list[tuple[str, str]]:
    """(method, path) of every route, routers included lazily or not flattened."""
    out: list[tuple[str, str]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(_routes(inner.routes))
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.append((method, route.path))
    return out


def test_every_route_refuses_no_token_a_bad_one_and_the_wrong_scope(
    server: Served, tokens: Tokens, client: httpx.Client
) -> None:
    routes = _routes(server.app.routes)
    paths = {path for _, path in routes}
    assert {"/v1/events", "/v1/traces", "/v1/metrics", "/v1/findings", "/v1/suggestions",
            "/v1/experiments", "/openapi.json"} <= paths
    # (the dashboard's page and assets hold no data: tests/server/test_dashboard.py)
    assert PUBLIC_PATHS == {"/", "/assets/{name}"} and PUBLIC_PATHS <= paths
    for method, path in routes:
        if path in PUBLIC_PATHS:
            continue
        wrong = tokens.read if method == "POST" else tokens.write
        url = server.url + path
        body = b"{}" if path == "/v1/traces" else b"[]"  # (an empty OTLP/JSON request)
        json = {"Content-Type": "application/json"}
        bare = client.request(method, url, content=body, headers=json)
        assert bare.status_code == 401, (method, path, bare.text)
        assert bare.headers["www-authenticate"] == "Bearer"
        forged = client.request(method, url, content=body,
                                headers={**json, **tokens.auth(tokens.write + "x")})
        assert forged.status_code == 401, (method, path)
        scoped = client.request(method, url, content=body, headers={**json, **tokens.auth(wrong)})
        assert scoped.status_code == 403, (method, path, scoped.text)
        assert "token" in scoped.json()["detail"]
        if method == "GET" and path != "/openapi.json":
            continue  # (reading with a read token is tested with data elsewhere)
        right = tokens.read if method == "GET" else tokens.write
        ok = client.request(method, url, content=body, headers={**json, **tokens.auth(right)})
        assert ok.status_code == 200, (method, path, ok.text)


def test_a_project_limited_token_cannot_write_other_projects(
    server: Served, tokens: Tokens, client: httpx.Client, store: Path
) -> None:
    batch = [gate("team-a-1", 1), gate("team-b-7", 1), gate("other", 2)]
    refused = client.post(server.url + "/v1/events", content=orjson.dumps(batch),
                          headers=tokens.auth(tokens.team_a))
    assert refused.status_code == 403
    assert "other, team-b-7" in refused.json()["detail"]
    assert not (store / "ai" / "training_data" / "raw").exists()  # nothing of it written
    ok = client.post(server.url + "/v1/events", content=orjson.dumps(batch[:1]),
                     headers=tokens.auth(tokens.team_a))
    assert ok.json() == {"received": 1, "accepted": 1, "duplicates": 0}


def test_tokens_are_stored_hashed_and_a_revoked_one_is_refused_at_once(
    server: Served, tokens: Tokens, client: httpx.Client, store: Path
) -> None:
    stored = (store / "server" / "tokens.json").read_text()
    for token in (tokens.write, tokens.read, tokens.team_a):
        assert token.split("_", 2)[2] not in stored
    assert (store / "server" / "tokens.json").stat().st_mode & 0o077 == 0
    url = server.url + "/v1/events"
    assert client.post(url, content=b"[]", headers=tokens.auth(tokens.write)).status_code == 200
    token_id = tokens.write.split("_")[1]
    TokenStore(store).revoke(token_id)
    refused = client.post(url, content=b"[]", headers=tokens.auth(tokens.write))
    assert refused.status_code == 401


def test_tokens_cli_create_list_revoke(store: Path) -> None:
    runner = CliRunner()
    outside = runner.invoke(cli, ["tokens", "create", "--scope", "read", "--root", str(store)])
    assert outside.exit_code == 1 and "not an autoforge store" in outside.output
    store.mkdir()
    made = runner.invoke(cli, ["tokens", "create", "--scope", "read", "--name", "dash",
                               "--root", str(store)])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("afk_") and TokenStore(store).verify(token) is not None
    listed = runner.invoke(cli, ["tokens", "list", "--format", "json", "--root", str(store)])
    (row,) = orjson.loads(listed.stdout)
    assert row["name"] == "dash" and row["scope"] == "read" and "hash" not in row
    gone = runner.invoke(cli, ["tokens", "revoke", row["id"], "--root", str(store)])
    assert gone.exit_code == 0
    assert TokenStore(store).verify(token) is None
    unknown = runner.invoke(cli, ["tokens", "revoke", "nope", "--root", str(store)])
    assert unknown.exit_code == 1 and "no token with id" in unknown.output
    limited = runner.invoke(cli, ["tokens", "create", "--scope", "read", "--project-pattern",
                                  "a*", "--root", str(store)])
    assert limited.exit_code == 2 and "project-pattern" in limited.output


def test_token_scope_is_checked_when_made(store: Path) -> None:
    with pytest.raises(UsageError, match="--scope"):
        TokenStore(store).create("admin")
