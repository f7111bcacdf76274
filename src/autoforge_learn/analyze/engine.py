"""Where analytics run: the one place the backend is chosen.

Embedded default: a DuckDB file ``<root>/index.duckdb``. Team engine: a PostgreSQL URL,
given as ``--engine`` or in ``AUTOFORGE_ENGINE``. A ``schema`` query parameter in the URL
(``postgresql://host/db?schema=team_a``) puts the index in that schema (default
``autoforge``). The same ibis expressions run on either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from autoforge_learn.store.layout import RAW_FILE

ENV_ENGINE = "AUTOFORGE_ENGINE"
INDEX_FILENAME = "index.duckdb"
DEFAULT_PG_SCHEMA = "autoforge"
#: How long a command waits for another process's hold on the DuckDB index file.
LOCK_WAIT_SECONDS = 30.0
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class EngineSpec:
    """A resolved engine choice.

    Attributes:
        kind: ``duckdb`` or ``postgres``.
        target: The DuckDB file, or the PostgreSQL URL without the ``schema`` parameter.
        schema: The PostgreSQL schema holding the index (None for DuckDB).
    """

    kind: str
    target: str
    schema: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "duckdb":
            return f"duckdb:{self.target}"
        parts = urlsplit(self.target)
        host = parts.hostname or "localhost"
        return f"postgresql://{host}:{parts.port or 5432}{parts.path} (schema {self.schema})"


def resolve_engine(root: Path, engine: str | None = None) -> EngineSpec:
    """Decide the engine: ``engine``, else ``$AUTOFORGE_ENGINE``, else DuckDB under ``root``.

    Raises:
        ValueError: If the engine string is neither ``duckdb[:path]`` nor a PostgreSQL URL.
    """
    choice = engine or os.environ.get(ENV_ENGINE) or "duckdb"
    if choice == "duckdb":
        return EngineSpec("duckdb", str(Path(root) / INDEX_FILENAME))
    if choice.startswith("duckdb:"):
        return EngineSpec("duckdb", str(Path(choice.removeprefix("duckdb:")).expanduser()))
    if choice.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(choice)
        try:
            _ = parts.port  # urllib checks the port only when it is read
        except ValueError:
            raise ValueError(
                f"engine {_without_password(choice)!r}: the port must be a number "
                "from 1 to 65535"
            ) from None
        query = parse_qsl(parts.query)
        schema = DEFAULT_PG_SCHEMA
        rest = []
        for key, value in query:
            if key == "schema":
                schema = value
            else:
                rest.append((key, value))
        if not _IDENT.match(schema):
            raise ValueError(f"schema {schema!r} must be a plain SQL identifier")
        url = urlunsplit(parts._replace(query=urlencode(rest)))
        return EngineSpec("postgres", url, schema)
    raise ValueError(
        f"unknown engine {choice!r}: use 'duckdb', 'duckdb:PATH' or 'postgresql://...'"
    )


def _without_password(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{parts.netloc.rsplit('@', 1)[1]}"))


def connect_raw(spec: EngineSpec) -> Any:
    """A DB-API connection (duckdb or psycopg) for the indexer; the schema is created."""
    if spec.kind == "duckdb":
        import time

        import duckdb

        Path(spec.target).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:  # another autoforge process may hold the file for a moment
            try:
                duck = duckdb.connect(spec.target)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        duck.execute("SET TimeZone = 'UTC'")
        return duck
    import psycopg

    pg = psycopg.connect(spec.target, autocommit=True)
    try:
        pg.execute(f'CREATE SCHEMA IF NOT EXISTS "{spec.schema}"')
    except psycopg.errors.UniqueViolation:
        # Two first connections at once: IF NOT EXISTS is not atomic in PostgreSQL (the
        # other one created it between the check and the insert); the schema is there.
        pass
    pg.execute(f'SET search_path TO "{spec.schema}"')
    pg.execute("SET TimeZone TO 'UTC'")
    return pg


def connect_ibis(spec: EngineSpec, raw: Any | None = None) -> Any:
    """An ibis backend over the index (sharing ``raw`` for DuckDB when given)."""
    import ibis

    if spec.kind == "duckdb":
        if raw is not None:
            return ibis.duckdb.from_connection(raw)
        return ibis.duckdb.connect(spec.target)
    parts = urlsplit(spec.target)
    options = dict(parse_qsl(parts.query))
    return ibis.postgres.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None,
        schema=spec.schema,
        **options,
    )


# -- paths: the store's own rules (store.layout imports no schema, so this stays fast) --


def file_group(rel: str) -> str:
    """``gates``, ``execution`` or ``feedback`` from a raw file's name, else ``all``."""
    match = RAW_FILE.match(os.path.basename(rel))
    return match["suffix"] if match else "all"
