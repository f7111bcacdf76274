"""The dashboard at ``/``, in headless Chromium against a real server on a simulated
store: the page asks for a token, loads offline, draws one chart per metric, a filter
changes what it shows, and a screenshot shows it. Without a browser here the browser
test is skipped, and fails in CI (``.ci/run`` installs Debian's chromium)."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from autoforge_learn.cli import app as cli
from autoforge_learn.server import TokenStore
from tests.conftest import in_ci
from tests.server.conftest import Served, serving

pytestmark = pytest.mark.server

CHROMIUM = Path("/usr/bin/chromium")
REPORT_MD = "training_2025-10-31.md"


@pytest.fixture(scope="module")
def dash_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A simulated store of 30 projects with an experiment, a rollout and a report;
    a read and a write token."""
    from autoforge_learn.sim import simulate

    root = tmp_path_factory.mktemp("dash") / ".autoforge"
    simulate(root, projects=30, seed=11)
    runner = CliRunner()
    for args in (["ab", "start", "--role", "architect", "--control", "architect.v1.1",
                  "--treatment", "architect.v2.0"],
                 ["rollout", "start", "qa.v1.1"]):
        done = runner.invoke(cli, [*args, "--root", str(root)])
        assert done.exit_code == 0, done.output
    reports = root / "ai" / "training_data" / "reports"
    (reports / "assets").mkdir(parents=True, exist_ok=True)
    (reports / REPORT_MD).write_text("# Training report\n\nGate pass rate rose.\n")
    (reports / "assets" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    tokens = TokenStore(root)
    return root, tokens.create("read")[1], tokens.create("write")[1]


@pytest.fixture(scope="module")
def dash(dash_store: tuple[Path, str, str]) -> Iterator[Served]:
    with serving(dash_store[0]) as served:
        yield served


def _get(served: Served, path: str, token: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(served.url + path, params=params, headers=headers, timeout=60)


def test_page_and_assets_are_public_and_hold_no_data(dash: Served) -> None:
    page = _get(dash, "/", None)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name, size in (("app.js", 2_000), ("app.css", 500), ("plotly.min.js", 1_000_000)):
        asset = _get(dash, f"/assets/{name}", None)
        assert asset.status_code == 200 and len(asset.content) > size, name
        assert b"sim-000" not in asset.content  # (no project of the store)
    assert _get(dash, "/assets/tokens.json", None).status_code == 404
    assert "sim-000" not in page.text and "architect" not in page.text


def test_reports_rollouts_and_options_need_a_read_token(
    dash: Served, dash_store: tuple[Path, str, str]
) -> None:
    root, read, write = dash_store
    for path in ("/v1/reports", f"/v1/reports/{REPORT_MD}", "/v1/rollouts", "/v1/options"):
        assert _get(dash, path, None).status_code == 401, path
        assert _get(dash, path, write).status_code == 403, path
    listed = _get(dash, "/v1/reports", read).json()
    assert {f["path"] for f in listed} == {REPORT_MD, "assets/chart.png"}
    report = _get(dash, f"/v1/reports/{REPORT_MD}", read)
    assert report.text.startswith("# Training report")
    assert report.headers["content-type"].startswith("text/markdown")
    for bad in ("%2e%2e/server/tokens.json", "..%2fserver%2ftokens.json", "nope.md",
                "%2Fetc%2Fpasswd", ".hidden"):
        assert _get(dash, f"/v1/reports/{bad}", read).status_code == 404, bad
    rollouts = CliRunner().invoke(cli, ["rollout", "list", "--format", "json",
                                        "--root", str(root)])
    assert _get(dash, "/v1/rollouts", read).json() == orjson.loads(rollouts.stdout)
    options = _get(dash, "/v1/options", read).json()
    assert "architect" in options["roles"] and "qa.v1.2" in options["prompt_versions"]
    assert options["months"] == sorted(options["months"]) and len(options["months"]) >= 3
    units = {m["name"]: m["unit"] for m in options["metrics"]}
    assert units["gate_pass_rate"] == "share" and units["cost_per_project"] == "USD/project"


# -- in the browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium driven by Playwright (skipped here without it, failed
    in CI)."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem is not None:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and raw scanlines (filter byte included) of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    raw = zlib.decompress(b"".join(chunks))
    stride = 1 + width * (3 if color == 2 else 4)
    return width, height, [raw[i * stride:(i + 1) * stride] for i in range(height)]


def _wait_ready(page: Any) -> None:
    # (a selector, not wait_for_function: the page's CSP forbids evaluating strings)
    page.wait_for_selector("body[data-state=ready]", state="attached", timeout=90_000)


def _traces(page: Any, metric: str) -> list[tuple[str, int]]:
    return [tuple(t) for t in page.evaluate(
        f"document.getElementById('chart-{metric}').data.map(t => [t.name, t.x.length])")]


def test_dashboard_in_chromium(browser: Any, dash: Served, dash_store: tuple[Path, str, str],
                               tmp_path: Path) -> None:
    _, read, write = dash_store
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    outside: list[str] = []
    problems: list[str] = []

    def only_the_server(route: Any) -> None:  # offline: nothing but the server itself
        if route.request.url.startswith(dash.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    data_requests: list[str] = []
    page.on("request", lambda r: data_requests.append(r.url) if "/v1/" in r.url else None)

    page.goto(dash.url + "/")
    page.wait_for_selector("#login:not([hidden])")
    assert data_requests == []  # no data asked for before a token
    page.fill("#token", write)  # a write token cannot read
    page.click("#login button")
    page.wait_for_selector("#login-error:has-text('token')")
    assert "read token" in page.text_content("#login-error")
    problems.clear()  # (the browser logs the refused fetch)

    page.fill("#token", read)
    page.click("#login button")
    _wait_ready(page)
    assert page.evaluate("sessionStorage.getItem('autoforge.token')") == read
    assert page.locator("#login").is_hidden() and page.locator("#dashboard").is_visible()

    # one panel per metric, its unit on its axis, as many points as the API has values
    api = _get(dash, "/v1/metrics", read, metric="gate_pass_rate", by=["month", "role"]).json()
    per_role = Counter(r["role"] for r in api)
    assert page.locator("#chart-gate_pass_rate .main-svg").count() >= 1
    assert sorted(_traces(page, "gate_pass_rate")) == sorted(per_role.items())
    assert page.locator("#charts .panel").count() == 4
    assert "Gate pass rate (%)" in page.text_content("#chart-gate_pass_rate")
    assert "Cost per project (USD/project)" in page.text_content("#chart-cost_per_project")
    findings = _get(dash, "/v1/findings", read).json()
    assert page.text_content("#findings-count").startswith(str(len(findings)))
    assert page.locator("#experiments tbody tr").count() == 1
    assert page.locator("#rollouts tbody tr").count() == 1

    # the filter: one role and a time window (picked at once: the first load's answers
    # are stale when they come), then lines by prompt version
    months = _get(dash, "/v1/options", read).json()["months"]
    page.select_option("#f-role", "architect")
    page.select_option("#f-since", months[2])
    _wait_ready(page)
    ((name, points),) = _traces(page, "gate_pass_rate")
    assert name == "architect" and points == len(months) - 2
    assert page.evaluate("document.getElementById('chart-gate_pass_rate').data[0].x[0]") \
        == months[2]
    assert page.locator("#rollouts tbody tr").count() == 0  # (the rollout is qa's)
    architect = _get(dash, "/v1/findings", read, role="architect",
                     since=f"{months[2]}-01").json()
    assert page.text_content("#findings-count").startswith(str(len(architect)))
    assert len(architect) < len(findings)
    page.select_option("#f-by", "prompt_version")
    _wait_ready(page)
    versions = {name for name, _ in _traces(page, "gate_pass_rate")}
    assert versions and all(v.startswith("architect.v") for v in versions)
    assert len(versions) > 1

    # a report opens with the token
    page.click(f"tr.report:has-text('{REPORT_MD}') >> text=view")
    page.wait_for_selector("#report-view:not([hidden])")
    assert "Gate pass rate rose." in page.text_content("#report-view")

    # the screenshot shows what the page says
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 40_000
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 1000)
    assert len(set(rows[1:])) > 200  # hundreds of different lines, not a blank page
    colors = {row[i:i + 3] for row in rows[::10] for i in range(1, len(row) - 3, 40)}
    assert len(colors) > 20
    assert page.text_content("#status").startswith("Updated")
    assert page.locator("#chart-gate_pass_rate").is_visible()
    assert page.locator("#login").is_hidden()  # (the screenshot shows the dashboard)
    box = page.locator("#chart-gate_pass_rate").bounding_box()
    svg = page.locator("#chart-gate_pass_rate .main-svg").first.bounding_box()
    assert box and svg and svg["width"] <= box["width"]  # the chart fits its panel
    assert outside == [], "the page asked for something beyond the server"
    assert problems == [], problems
    page.close()
