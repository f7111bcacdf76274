"""The workspace: one store, its settings and its analytics engine, built once.

Every library entry point that reads a store takes a :class:`Workspace` (as
sqlite-utils' functions take a ``Database``): it owns the store's layout, the settings
of its ``config.yaml``, the connection to the index (the embedded DuckDB file, or a
PostgreSQL schema for a team) and the index refresh, which runs at most once per
workspace however many steps read the index after it.

    from autoforge_learn import Selection, Workspace
    from autoforge_learn.dataset import metric_values

    with Workspace.open(".autoforge") as ws:
        last_ten = Selection.build(last_projects=10)
        metric_values(ws, "gate_pass_rate", by=["role"], selection=last_ten)

Heavy libraries (DuckDB, ibis, pydantic) are imported when first needed, not here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from autoforge_learn.analyze.engine import EngineSpec, resolve_engine
from autoforge_learn.errors import EngineError, UsageError
from autoforge_learn.store.layout import StoreLayout, find_root

if TYPE_CHECKING:
    from autoforge_learn.analyze.report import IndexReport
    from autoforge_learn.registry import PromptRegistry
    from autoforge_learn.selection import ResolvedSelection, Selection
    from autoforge_learn.settings import Settings

#: Called with (bytes read so far, bytes to read) while the index reads raw data.
IndexProgress = Callable[[int, int], None]


class Workspace:
    """One ``.autoforge`` store and the engine its index lives on.

    Args:
        root: The ``.autoforge`` directory.
        engine: ``duckdb`` (default: ``<root>/index.duckdb``), ``duckdb:PATH`` or a
            PostgreSQL URL (``?schema=NAME`` picks the schema); default
            ``$AUTOFORGE_ENGINE``.
        settings: Settings to use instead of reading ``config.yaml``.

    Raises:
        UsageError: If the engine string names no engine.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        engine: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.layout = StoreLayout(Path(root).expanduser().absolute())
        try:
            self.engine: EngineSpec = resolve_engine(self.layout.root, engine)
        except ValueError as exc:
            raise UsageError(f"--engine: {exc}") from None
        self._settings = settings
        self._raw: Any = None
        #: Why the index was rebuilt from scratch, when it was found broken.
        self._recovered: str | None = None
        self._ibis: Any = None
        self._report: IndexReport | None = None
        #: Writes a refresh's changes into the DuckDB file while later steps read.
        self._checkpoint: threading.Thread | None = None
        #: Called while a refresh reads raw data (a CLI shows a bar with it).
        self.progress: IndexProgress | None = None

    @classmethod
    def open(
        cls,
        root: Path | str | None = None,
        *,
        engine: str | None = None,
        settings: Settings | None = None,
    ) -> Workspace:
        """The workspace of ``root``, found as the SDK finds it when None: the
        ``AUTOFORGE_HOME`` variable, else the nearest ``.autoforge/`` upwards, else
        ``./.autoforge``."""
        return cls(find_root(root), engine=engine, settings=settings)

    # -- what it holds ----------------------------------------------------------------

    @property
    def root(self) -> Path:
        """The ``.autoforge`` directory."""
        return self.layout.root

    @property
    def settings(self) -> Settings:
        """The settings of ``config.yaml`` (read once; defaults when there is none)."""
        if self._settings is None:
            from autoforge_learn.settings import load_settings

            self._settings = load_settings(self.layout.config_file)
        return self._settings

    @property
    def dialect(self) -> str:
        """The SQL dialect of the engine: ``duckdb`` or ``postgres``."""
        return "duckdb" if self.engine.kind == "duckdb" else "postgres"

    def registry(self) -> PromptRegistry:
        """The store's prompt registry."""
        from autoforge_learn.registry import PromptRegistry

        return PromptRegistry(self.root)

    # -- the index ---------------------------------------------------------------------

    def connection(self) -> Any:
        """The DB-API connection to the index (DuckDB or psycopg), opened once."""
        if self._raw is None:
            from autoforge_learn.analyze.engine import connect_raw

            try:
                self._raw = connect_raw(self.engine)
            except ModuleNotFoundError as exc:
                if exc.name is None or not exc.name.startswith("psycopg"):
                    raise
                raise EngineError(
                    f"{self.engine.label}: PostgreSQL support is not installed: "
                    "pip install 'autoforge-learn[postgres]'"
                ) from None
            except Exception as exc:  # the driver's own errors: name the engine
                if not _is_driver_error(exc):
                    raise
                if self._set_aside_broken_index(exc):
                    return self.connection()
                raise EngineError(f"{self.engine.label}: cannot open the index: {exc}") from exc
        return self._raw

    def _set_aside_broken_index(self, exc: Exception) -> bool:
        """Move an unreadable DuckDB index of this store aside (``index.duckdb.broken-*``)
        so that it is rebuilt from the raw files, the source of truth. Only the store's
        own index file is touched, and only once per workspace; returns whether it was."""
        import logging
        import time

        if self.engine.kind != "duckdb" or self._recovered or not _looks_broken(exc):
            return False
        path = Path(self.engine.target)
        if not path.is_relative_to(self.root) or not path.name.startswith("index"):
            return False
        self.close()
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for part in (path, path.with_name(path.name + ".wal")):
            if part.exists():
                part.rename(part.with_name(f"{part.name}.broken-{stamp}"))
        self._recovered = f"{path} was unreadable ({exc}); moved aside, rebuilt from the raw files"
        logging.getLogger("autoforge_learn").warning("autoforge: %s", self._recovered)
        return True

    def refresh(
        self,
        *,
        rebuild: bool = False,
        strict: bool = False,
        progress: IndexProgress | None = None,
    ) -> IndexReport:
        """Bring the index up to date with the raw files (reads only what changed).

        Args:
            rebuild: Drop the index and read everything again.
            strict: Raise :class:`~autoforge_learn.analyze.report.InvalidLinesError`
                if the index leaves any line out.
            progress: Called with ``(bytes read, bytes to read)``; default
                :attr:`progress`.
        """
        import time

        from autoforge_learn.analyze.ingest import refresh_index
        from autoforge_learn.analyze.report import InvalidLinesError

        started = time.perf_counter()
        self._finish_checkpoint()
        raw = self.connection()
        try:
            report = refresh_index(
                raw,
                self.engine,
                self.layout.raw,
                rebuild=rebuild,
                progress=progress or self.progress,
            )
        except Exception as exc:  # a file that opened but cannot be read through
            if type(exc).__name__ == "OutOfMemoryException":
                raise _out_of_memory(exc) from exc
            if not (_is_driver_error(exc) and self._set_aside_broken_index(exc)):
                raise
            raw = self.connection()
            report = refresh_index(raw, self.engine, self.layout.raw, rebuild=True,
                                   progress=progress or self.progress)
        finally:
            if self.engine.kind == "postgres":  # let other refreshes of the schema go on
                raw.execute("SELECT pg_advisory_unlock_all()")
        report.seconds = round(time.perf_counter() - started, 3)
        self._report = report
        self._start_checkpoint()
        if strict and report.issues:
            raise InvalidLinesError(report)
        return report

    def _start_checkpoint(self) -> None:
        """Write the changes a refresh left in DuckDB's log (``index.duckdb.wal``) into the
        index file, in a thread while the caller reads on (DuckDB would do it when the
        connection closes, after a large build a second or more with nothing else to do).
        A checkpoint that cannot run now is left to the close, as before."""
        if self.engine.kind != "duckdb" or self._raw is None:
            return
        if not Path(self.engine.target + ".wal").exists():
            return  # nothing logged: nothing to write
        cursor = self._raw.cursor()

        def checkpoint() -> None:
            try:
                cursor.execute("CHECKPOINT")
            except Exception:  # e.g. a write under way: the close checkpoints instead
                pass
            finally:
                cursor.close()

        # not a daemon: a process that ends without closing still lets it finish
        self._checkpoint = threading.Thread(target=checkpoint, name="autoforge-checkpoint")
        self._checkpoint.start()

    def _finish_checkpoint(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.join()
            self._checkpoint = None

    def ensure_fresh(self) -> IndexReport:
        """Refresh the index unless this workspace already did: every step of one run
        reads the same index state, and only the first pays for the refresh."""
        return self._report if self._report is not None else self.refresh()

    @property
    def index_report(self) -> IndexReport | None:
        """The report of this workspace's refresh, None before it."""
        return self._report

    def backend(self) -> Any:
        """The ibis backend over the index (sharing the connection on DuckDB)."""
        if self._ibis is None:
            from autoforge_learn.analyze.engine import connect_ibis

            shared = self.connection() if self.engine.kind == "duckdb" else None
            self._ibis = connect_ibis(self.engine, shared)
        return self._ibis

    def events(self) -> Any:
        """The ibis ``events`` table, the index refreshed first (once)."""
        self.ensure_fresh()
        return self.backend().table("events")

    def resolve(self, selection: Selection) -> ResolvedSelection:
        """``selection`` with its projects looked up in the index, to filter events read
        from raw files the same way the index filters them."""
        if not selection.filters_projects:  # a time window alone needs no project set
            return selection.resolve(None)
        t = self.events()
        ids = selection.projects(t).project_id.execute().tolist()
        return selection.resolve(str(i) for i in ids)

    # -- life --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections (the workspace can be used again: it reopens them)."""
        self._finish_checkpoint()
        if self._ibis is not None and self.engine.kind == "postgres":
            try:
                self._ibis.disconnect()
            except Exception:  # pragma: no cover - closing is best effort
                pass
        self._ibis = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, engine={self.engine.label!r})"


def _out_of_memory(exc: Exception) -> EngineError:
    """The user's message for a refresh that exceeded DuckDB's memory budget (nothing was
    committed: the next refresh starts from the same state)."""
    from autoforge_learn.analyze.loader import MEMORY_LIMIT

    cause = str(exc).splitlines()[0]
    return EngineError(
        f"the index ran out of memory while loading raw files (budget {MEMORY_LIMIT}, set by "
        f"AUTOFORGE_INDEX_MEMORY; nothing was changed): {cause}. Raise the budget, e.g. "
        "AUTOFORGE_INDEX_MEMORY=2GB, or lower AUTOFORGE_INDEX_BATCH_BYTES"
    )


def _looks_broken(exc: Exception) -> bool:
    """Whether a DuckDB error says the file itself is damaged (not locked, not a bad
    query): garbage, truncation, a directory in its place."""
    text = str(exc)
    return type(exc).__name__ in ("IOException", "SerializationException", "InternalException",
                                  "InvalidInputException", "CatalogException") and any(
        sign in text for sign in (
            "not a valid DuckDB database file", "Could not read", "Is a directory",
            "attempted to read", "checksum", "Corrupt", "corrupt", "Serialization",
            "Failed to load metadata", "database file",
        )
    )


def _is_driver_error(exc: Exception) -> bool:
    """Whether ``exc`` comes from the database driver (bad URL, refused, locked...)."""
    module = type(exc).__module__ or ""
    return module.startswith(("duckdb", "psycopg", "_duckdb"))
