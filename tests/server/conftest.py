"""A real uvicorn server on a free loopback port, over a store of the test's own, with
a write, a read and a project-limited write token."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from autoforge_learn.server import TokenStore, create_app
from autoforge_learn.workspace import Workspace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running server: its base URL, its app and its workspace."""

    url: str
    port: int
    app: Any
    ws: Workspace
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the server did not stop"


def start(root: Path, *, engine: str | None = None, port: int | None = None,
          **options: Any) -> Served:
    """Start uvicorn in a thread of the test process (a real server on a real socket)."""
    ws = Workspace(root, engine=engine)
    app = create_app(ws, **options)
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", port, app, ws, server, thread)


@contextmanager
def serving(root: Path, **options: Any) -> Iterator[Served]:
    served = start(root, **options)
    try:
        yield served
    finally:
        served.stop()
        served.ws.close()


@dataclass(frozen=True)
class Tokens:
    write: str
    read: str
    team_a: str  # write, limited to team-a-*

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / ".autoforge"


@pytest.fixture
def tokens(store: Path) -> Tokens:
    ts = TokenStore(store)
    return Tokens(
        write=ts.create("write", name="ci")[1],
        read=ts.create("read")[1],
        team_a=ts.create("write", project_pattern="team-a-*")[1],
    )


@pytest.fixture
def server(store: Path, tokens: Tokens) -> Iterator[Served]:
    with serving(store) as served:
        yield served


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


def gate(project: str, n: int, **extra: Any) -> dict[str, Any]:
    """A gate check event in the canonical form, with a fixed id."""
    return {
        "event_id": f"{project}-g{n}",
        "kind": "gate_evaluation",
        "project_id": project,
        "timestamp": "2025-10-02T14:30:00Z",
        "stage": "architecture",
        "agent_role": "architect",
        "prompt_version": "architect.v1.1",
        "gate_id": "api_contract",
        "validation_result": "fail" if n % 3 == 0 else "pass",
        **extra,
    }


def raw_lines(root: Path) -> list[bytes]:
    """Every line of the store's raw files."""
    return [
        line
        for path in sorted((root / "ai" / "training_data" / "raw").rglob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]
