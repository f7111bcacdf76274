"""What the app holds, built once in :func:`create_app` and handed to the routes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from autoforge_learn.server.ingest import EventWriter
from autoforge_learn.server.tokens import TokenStore
from autoforge_learn.workspace import Workspace


@dataclass
class ServerState:
    """The server's one workspace, its token store, its event writer and its limits."""

    workspace: Workspace
    tokens: TokenStore
    writer: EventWriter
    max_body: int
    #: The index connection serves one reader at a time.
    read_lock: threading.Lock = field(default_factory=threading.Lock)


def server_of(request: Request) -> ServerState:
    """The app's state (a dependency)."""
    state: ServerState = request.app.state.server
    return state


Server = Annotated[ServerState, Depends(server_of)]


def workspace_of(server: Server) -> Iterator[Workspace]:
    """The workspace, its index brought up to date with the raw files first (a
    dependency: the events posted so far are in what the route reads)."""
    with server.read_lock:
        server.workspace.refresh()
        yield server.workspace


#: A route parameter receiving the workspace, refreshed.
FreshWorkspace = Annotated[Workspace, Depends(workspace_of)]
