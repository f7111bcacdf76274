"""``autoforge tokens``: the bearer tokens of the team server."""

from __future__ import annotations

import typer

from autoforge_learn.cli.common import (
    PANEL_STORE,
    console,
    err_console,
    print_record,
    print_rows,
    resolve_root,
)
from autoforge_learn.cli.options import FormatOption, OutputFormat, RootOption

tokens_app = typer.Typer(
    help="Bearer tokens of `autoforge serve` (stored hashed in <root>/server/tokens.json).\n\n"
    "Example:  autoforge tokens create --scope write --name ci",
    no_args_is_help=True,
)


@tokens_app.command("create")
def create_cmd(
    scope: str = typer.Option(..., "--scope", help="write (post events, traces) or read."),
    project_pattern: str | None = typer.Option(
        None, "--project-pattern", help="Write only projects whose id matches this glob."
    ),
    name: str | None = typer.Option(None, "--name", help="A label (ci, laptop...)."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create a token and print it (once: only its hash is kept).

    The table format prints the token alone on stdout, for scripts:
    `TOKEN=$(autoforge tokens create --scope write)`.

    Example:  autoforge tokens create --scope write --project-pattern 'team-a-*' --name ci
    """
    from autoforge_learn.server.tokens import TokenStore

    record, token = TokenStore(resolve_root(root)).create(
        scope, project_pattern=project_pattern, name=name
    )
    err_console.print(
        f"token {record.id} ({record.scope}) created; it is shown this once:", highlight=False
    )
    print_record({**record.public(), "token": token}, fmt=fmt, message=token)


@tokens_app.command("list")
def list_cmd(root: RootOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """List the tokens (never their secrets), revoked ones too.

    Example:  autoforge tokens list --format json
    """
    from autoforge_learn.server.tokens import TokenStore

    rows = [r.public() for r in TokenStore(resolve_root(root)).records()]
    if not rows and fmt == OutputFormat.table:
        console.print("No tokens yet: create one with `autoforge tokens create`.")
        return
    print_rows(rows, fmt=fmt, title="Tokens")


@tokens_app.command("revoke")
def revoke_cmd(
    token_id: str = typer.Argument(..., help="The token's id (see `tokens list`)."),
    root: RootOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Revoke a token; a running server refuses it from its next request on.

    Example:  autoforge tokens revoke 3f9a1c20b7d4
    """
    from autoforge_learn.server.tokens import TokenStore

    record = TokenStore(resolve_root(root)).revoke(token_id)
    print_record(record.public(), fmt=fmt, message=f"token {record.id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens", rich_help_panel=PANEL_STORE)
