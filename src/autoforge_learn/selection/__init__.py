"""Which events an analysis covers: one definition, applied the same way everywhere.

A :class:`Selection` is built once (from a command's options, or in code) and handed to
every step: metrics, the dataset the detectors read, labels, aggregates, loops, the
report's scope line and export. It compiles to one ibis filter over the index's
``events`` table (:meth:`Selection.events`), or to a Python predicate over raw events
once resolved against the index (:meth:`Selection.resolve`).

The options are applied in this order:

1. **Projects.** ``project_ids`` keeps those projects; ``recipe`` keeps projects whose
   ``project_started`` event names that recipe or recipe family (``web_app`` matches
   ``web_app_v2``); ``roles`` keeps projects with at least one event of one of those
   roles (counting the roles that ``prompt_versions`` imply), and ``prompt_versions``
   projects with at least one event of one of those versions. Every option given
   applies (they combine with "and"), and each looks at all of a project's events,
   wherever the time window lies.
2. **Time window.** ``since`` and ``until`` keep the events whose timestamp lies in the
   window (``until`` given as a date includes that whole day, UTC). Projects without an
   event in the window drop out.
3. **Last N projects.** Of the projects left, the ``last_projects`` that started most
   recently. A project's start is its first event, wherever the window lies (a project
   that started before ``since`` keeps its real start); ties go to the larger id.
4. **Agent events.** With ``roles`` or ``prompt_versions``, events that name an agent
   role keep only those roles (for downstream feedback, the role whose output was
   judged); a prompt version implies its role, and for that role only events of the
   named versions (or naming no version) stay. Events that name no role stay: those
   about the project as a whole (its start and outcome, tests, scans, performance,
   surveys) and approvals, escalations or feedback recorded without one.

Ties in step 3 follow the engine's string order of project ids (the same on DuckDB and
on a PostgreSQL database with the C collation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from autoforge_learn.errors import NoDataError, UsageError
from autoforge_learn.selection.moments import TIME_FORMS as TIME_FORMS
from autoforge_learn.selection.moments import _naive, parse_moment, version_role

if TYPE_CHECKING:
    from autoforge_learn.schema.events import EventBase

#: The largest --last an engine takes as a LIMIT (a signed 32-bit integer on both).
MAX_LAST_PROJECTS = 2**31 - 1
_RECIPE_FAMILY = r"_v[0-9.]+$"
#: Names a slug shows as they are (others also get a hash: see :meth:`Selection.slug`).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._]+")


@dataclass(frozen=True)
class Selection:
    """Which events an analysis covers (see the module docstring for the order).

    Attributes:
        since: Events at or after this moment (aware, UTC).
        until: Events before this moment (aware, UTC; exclusive).
        last_projects: Only the N most recently started projects.
        recipe: Only projects of this recipe or recipe family.
        roles: Only these agent roles' events (and projects that have them).
        prompt_versions: Only these prompt versions' events, for their roles.
        project_ids: Only these projects.
    """

    since: datetime | None = None
    until: datetime | None = None
    last_projects: int | None = None
    recipe: str | None = None
    roles: tuple[str, ...] = ()
    prompt_versions: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Constructed directly, a selection takes the normal form build() gives it: aware
        # UTC moments (naive means UTC, a bare date of ``until`` its whole day) and
        # sorted, distinct names; so equal options make equal selections and slugs.
        if self.since is not None:
            object.__setattr__(self, "since", parse_moment(self.since, option="--since"))
        if self.until is not None:
            until = parse_moment(self.until, option="--until", end_of_day=True)
            object.__setattr__(self, "until", until)
        for name in ("roles", "prompt_versions", "project_ids"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))
        object.__setattr__(self, "recipe", self.recipe or None)
        if self.last_projects is not None and not 1 <= self.last_projects <= MAX_LAST_PROJECTS:
            raise UsageError(
                f"--last {self.last_projects}: expected a number from 1 to {MAX_LAST_PROJECTS:,}"
            )
        if self.since and self.until and self.until <= self.since:
            raise UsageError("--until must be later than --since")
        for version in self.prompt_versions:
            version_role(version)

    @classmethod
    def build(
        cls,
        *,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        last_projects: int | None = None,
        recipe: str | None = None,
        roles: Iterable[str] = (),
        prompt_versions: Iterable[str] = (),
        project_ids: Iterable[str] = (),
    ) -> Selection:
        """A selection from option values as a user writes them (strings allowed).

        Raises:
            UsageError: Naming the option whose value cannot be read.
        """
        return cls(
            since=None if since is None else parse_moment(since, option="--since"),
            until=None if until is None else parse_moment(until, option="--until", end_of_day=True),
            last_projects=last_projects,
            recipe=recipe or None,
            roles=tuple(sorted(set(roles))),
            prompt_versions=tuple(sorted(set(prompt_versions))),
            project_ids=tuple(sorted(set(project_ids))),
        )

    # -- what it is ------------------------------------------------------------------

    @property
    def is_everything(self) -> bool:
        """True when nothing is filtered out."""
        return self == Selection()

    @property
    def agent_roles(self) -> tuple[str, ...]:
        """The roles kept: ``roles`` and those implied by ``prompt_versions``."""
        implied = {version_role(v) for v in self.prompt_versions}
        return tuple(sorted(set(self.roles) | implied))

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values (what aggregated files record as their filters)."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "last_projects": self.last_projects,
            "recipe": self.recipe,
            "roles": list(self.roles),
            "prompt_versions": list(self.prompt_versions),
            "project_ids": list(self.project_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        """The inverse of :meth:`to_dict`."""
        return cls.build(
            since=data.get("since"),
            until=data.get("until"),
            last_projects=data.get("last_projects"),
            recipe=data.get("recipe"),
            roles=data.get("roles") or (),
            prompt_versions=data.get("prompt_versions") or (),
            project_ids=data.get("project_ids") or (),
        )

    def describe(self) -> str:
        """The options in words, for a report's scope line ("" when everything)."""
        parts = []
        if self.recipe:
            parts.append(f"recipe {self.recipe}")
        if self.roles:
            parts.append("role " + ", ".join(self.roles))
        if self.prompt_versions:
            parts.append("prompt version " + ", ".join(self.prompt_versions))
        if self.project_ids:
            parts.append("project " + ", ".join(self.project_ids))
        if self.since:
            parts.append(f"since {_short(self.since)}")
        if self.until:
            parts.append(f"until {_until_text(self.until)}")
        if self.last_projects:
            parts.append(f"the last {self.last_projects} projects")
        return ", ".join(parts)

    def slug(self) -> str:
        """A short, file-name-safe tag of the options ("" when everything), e.g.
        ``recipe-web_app_last-10``; long ones, those naming projects and those with a
        recipe or role of other characters than letters, digits, '.' and '_' end in a
        hash, so that two selections never share a tag."""
        if self.is_everything:
            return ""
        parts = []
        if self.recipe:
            parts.append(f"recipe-{self.recipe}")
        parts += [f"role-{r}" for r in self.roles]
        parts += [f"version-{v}" for v in self.prompt_versions]
        if self.project_ids:
            parts.append(f"projects-{len(self.project_ids)}")
        if self.since:
            parts.append(f"since-{_short(self.since)}")
        if self.until:
            parts.append(f"until-{_until_text(self.until)}")
        if self.last_projects:
            parts.append(f"last-{self.last_projects}")
        text = re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts))
        # The readable text names the selection alone only while every name it holds
        # is plain (letters, digits, '.', '_'): "web app" and "web-app", or recipe
        # "a_role-b" and recipe "a" with role "b", would read the same.
        names = ([self.recipe] if self.recipe else []) + list(self.roles)
        plain = all(_PLAIN_NAME.fullmatch(n) for n in names)
        if len(text) > 60 or self.project_ids or not plain:
            import hashlib

            digest = hashlib.sha256(repr(sorted(self.to_dict().items())).encode()).hexdigest()
            text = f"{text[:50]}-{digest[:8]}"
        return text

    # -- ibis -------------------------------------------------------------------------

    @property
    def filters_projects(self) -> bool:
        """Whether the selection narrows the set of projects (not only the window)."""
        return bool(self.project_ids or self.recipe or self.agent_roles or self.last_projects)

    def _window(self, t: Any) -> Any:
        cond = None
        if self.since is not None:
            cond = t.ts >= _naive(self.since)
        if self.until is not None:
            before = t.ts < _naive(self.until)
            cond = before if cond is None else cond & before
        return cond

    def projects(self, t: Any) -> Any:
        """The selected projects of the events table ``t``: ``project_id`` and
        ``started`` (its first event), as an ibis table (steps 1-3)."""
        starts = t.group_by("project_id").aggregate(started=t.ts.min())
        if self.project_ids:
            starts = starts.filter(starts.project_id.isin(list(self.project_ids)))
        if self.recipe:
            begun = t.filter(t.kind == "project_started")
            family = begun.recipe.re_replace(_RECIPE_FAMILY, "")
            chosen = begun.filter((begun.recipe == self.recipe) | (family == self.recipe))
            starts = starts.filter(starts.project_id.isin(chosen.project_id))
        if self.agent_roles:
            named = t.filter(t.agent_role.isin(list(self.agent_roles)))
            starts = starts.filter(starts.project_id.isin(named.project_id))
        if self.prompt_versions:
            used = t.filter(t.prompt_version.isin(list(self.prompt_versions)))
            starts = starts.filter(starts.project_id.isin(used.project_id))
        window = self._window(t)
        if window is not None:
            inside = t.filter(window)
            starts = starts.filter(starts.project_id.isin(inside.project_id))
        if self.last_projects is not None:
            starts = starts.order_by([starts.started.desc(), starts.project_id.desc()]).limit(
                self.last_projects
            )
        return starts

    def require_matches(self, t: Any) -> int:
        """The number of selected projects of the events table ``t``.

        Raises:
            NoDataError: If the store holds no events at all.
            UsageError: If a narrowing selection matches no project: an analysis of
                nothing would print zeros and overwrite reports with "all is well".
        """
        count = int(self.projects(t).count().execute())
        if count == 0:
            held = int(t.project_id.nunique().execute())
            if held == 0:
                raise NoDataError(
                    "the store holds no events yet: record some with the SDK, "
                    "`autoforge import chatdev`, or try `autoforge demo`"
                )
            raise UsageError(
                f"no project matches {self.describe()} (the store holds "
                f"{held:,} project{'' if held == 1 else 's'}); nothing was written"
            )
        return count

    def events(self, t: Any) -> Any:
        """The selected events of the events table ``t`` (all four steps)."""
        out = t
        window = self._window(t)
        if window is not None:
            out = out.filter(window)
        if self.filters_projects:
            out = out.filter(out.project_id.isin(self.projects(t).project_id))
        roles = self.agent_roles
        if roles:
            out = out.filter(out.agent_role.isnull() | out.agent_role.isin(list(roles)))
        if self.prompt_versions:
            version_roles = sorted({version_role(v) for v in self.prompt_versions})
            out = out.filter(
                out.prompt_version.isnull()
                | out.prompt_version.isin(list(self.prompt_versions))
                | out.agent_role.isnull()
                | ~out.agent_role.isin(version_roles)
            )
        return out

    # -- Python -----------------------------------------------------------------------

    def resolve(self, project_ids: Iterable[str] | None) -> ResolvedSelection:
        """This selection with its project set fixed (``None``: no project filter), for
        filtering events read from raw files (see :meth:`Workspace.resolve`)."""
        ids = None if project_ids is None else frozenset(project_ids)
        return ResolvedSelection(self, ids)


@dataclass(frozen=True)
class ResolvedSelection:
    """A selection whose projects are known: a predicate over parsed events."""

    selection: Selection
    project_ids: frozenset[str] | None

    def matches(self, event: EventBase) -> bool:
        """Whether ``event`` is selected (the same rules as :meth:`Selection.events`)."""
        sel = self.selection
        if self.project_ids is not None and event.project_id not in self.project_ids:
            return False
        if sel.since is not None and event.timestamp < sel.since:
            return False
        if sel.until is not None and event.timestamp >= sel.until:
            return False
        role = _role_of(event)
        if role is None:
            return True
        if sel.agent_roles and role not in sel.agent_roles:
            return False
        version = getattr(event, "prompt_version", None)
        if version is None or not sel.prompt_versions:
            return True
        covered = {version_role(v) for v in sel.prompt_versions}
        return version in sel.prompt_versions or role not in covered


def _role_of(event: EventBase) -> str | None:
    """The agent role an event names, as the index's ``agent_role`` column holds it."""
    kind = str(event.kind)
    if kind == "downstream_feedback":
        return getattr(event, "target_agent", None)
    return getattr(event, "agent_role", None)


def _until_text(until: datetime) -> str:
    """``until`` as the option reads: the end of a day (exclusive) is that day, which
    ``--until DATE`` includes whole; any other moment as it is."""
    if until.time() == time() and until.tzinfo is not None:
        return (until - timedelta(days=1)).date().isoformat()
    return _short(until)


def _short(moment: datetime) -> str:
    if moment.time() == time() and moment.tzinfo is not None:
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")
