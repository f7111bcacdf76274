"""The team server: ``autoforge serve`` collects events over HTTP (our schema, or
OpenTelemetry traces) into one store and serves what the CLI computes from it.

    from autoforge_learn import Workspace
    from autoforge_learn.server import create_app

    app = create_app(Workspace.open(".autoforge"))   # run it with uvicorn
"""

from autoforge_learn.server.app import create_app
from autoforge_learn.server.tokens import Scope, TokenRecord, TokenStore

__all__ = ["Scope", "TokenRecord", "TokenStore", "create_app"]
