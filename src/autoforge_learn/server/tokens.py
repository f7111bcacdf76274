"""Bearer tokens of the server: created once, stored hashed, revocable.

A token reads ``afk_<id>_<secret>``: the id names it (in ``tokens list`` and
``tokens revoke``), the secret (32 random bytes) proves it. The store keeps, per token,
a random salt and the SHA-256 of salt + secret, never the secret itself, in
``<root>/server/tokens.json`` (replaced atomically, under a lock against concurrent
``tokens create``). A fast hash is enough: the secret is random, not a password.

Scopes: ``write`` may post events and traces, ``read`` may read the metrics, findings,
suggestions, experiments and the OpenAPI document. Neither implies the other. A write
token may be limited to projects whose id matches a glob (``--project-pattern``).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path

import orjson
from pydantic import BaseModel

from autoforge_learn.errors import NotFoundError, UsageError

TOKEN_PREFIX = "afk_"


class Scope(StrEnum):
    """What a token may do."""

    read = "read"
    write = "write"


class TokenRecord(BaseModel):
    """One token as stored: everything but its secret."""

    id: str
    name: str | None = None
    scope: Scope
    project_pattern: str | None = None
    created_at: datetime
    revoked_at: datetime | None = None
    salt: str
    hash: str

    def allows_project(self, project_id: str) -> bool:
        """Whether the token may write events of ``project_id``."""
        return self.project_pattern is None or fnmatchcase(project_id, self.project_pattern)

    def public(self) -> dict[str, object]:
        """The record without its salt and hash (what ``tokens list`` shows)."""
        return self.model_dump(mode="json", exclude={"salt", "hash"})


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


class TokenStore:
    """The tokens of one store (``<root>/server/tokens.json``).

    Args:
        root: The ``.autoforge`` directory.
    """

    def __init__(self, root: Path | str) -> None:
        self.path = Path(root) / "server" / "tokens.json"
        self._cache: dict[str, TokenRecord] = {}
        self._stamp: tuple[int, int] | None = None
        self._guard = threading.Lock()

    # -- reading ------------------------------------------------------------------------

    def _read(self) -> list[TokenRecord]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return []
        return [TokenRecord.model_validate(item) for item in data.get("tokens", [])]

    def records(self) -> list[TokenRecord]:
        """Every token, revoked ones included, oldest first."""
        return self._read()

    def _current(self) -> dict[str, TokenRecord]:
        """The tokens by id, read again only when the file changed (so a ``tokens
        revoke`` reaches a running server at its next request)."""
        try:
            st = os.stat(self.path)
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._guard:
            if stamp != self._stamp:
                self._cache = {t.id: t for t in self._read()} if stamp else {}
                self._stamp = stamp
            return self._cache

    def verify(self, token: str) -> TokenRecord | None:
        """The live (not revoked) record of a presented token, or None."""
        head, _, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
        if not token.startswith(TOKEN_PREFIX) or not secret:
            return None
        record = self._current().get(head)
        if record is None or record.revoked_at is not None:
            return None
        if not hmac.compare_digest(_digest(record.salt, secret), record.hash):
            return None
        return record

    # -- writing ------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[list[TokenRecord]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            yield records
            from autoforge_learn.store.atomic import replace_bytes

            data = {"tokens": [r.model_dump(mode="json") for r in records]}
            replace_bytes(self.path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
            os.chmod(self.path, 0o600)

    def create(
        self, scope: Scope | str, *, project_pattern: str | None = None, name: str | None = None
    ) -> tuple[TokenRecord, str]:
        """Create a token.

        Args:
            scope: ``read`` or ``write``.
            project_pattern: A glob (``team-a-*``) the project ids of the events a write
                token posts must match.
            name: A label for people (``ci``, ``laptop``).

        Returns:
            The stored record and the token itself, which is shown this once only.

        Raises:
            UsageError: For an unknown scope, or a project pattern on a read token.
        """
        try:
            scope = Scope(scope)
        except ValueError:
            raise UsageError(f"--scope must be read or write, not {scope!r}") from None
        if project_pattern is not None and scope is not Scope.write:
            raise UsageError(
                "--project-pattern limits what a token writes; the read routes cover the "
                "whole store, so a read token cannot be limited to some projects"
            )
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        record = TokenRecord(
            id=secrets.token_hex(6),
            name=name,
            scope=scope,
            project_pattern=project_pattern,
            created_at=datetime.now(UTC),
            salt=salt,
            hash=_digest(salt, secret),
        )
        with self._locked() as records:
            records.append(record)
        return record, f"{TOKEN_PREFIX}{record.id}_{secret}"

    def revoke(self, token_id: str) -> TokenRecord:
        """Revoke a token by its id (the record stays, marked revoked).

        Raises:
            NotFoundError: If no token has this id.
        """
        with self._locked() as records:
            for i, record in enumerate(records):
                if record.id == token_id:
                    if record.revoked_at is None:
                        record = record.model_copy(update={"revoked_at": datetime.now(UTC)})
                        records[i] = record
                    return record
        raise NotFoundError(f"no token with id {token_id!r} (see `autoforge tokens list`)")
