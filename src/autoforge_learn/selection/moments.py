"""The time and version options of a selection, read as a user writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from autoforge_learn.errors import UsageError

_RELATIVE = re.compile(r"^(?P<n>\d{1,5})(?P<unit>[hdw])\Z")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
_VERSION_ROLE = re.compile(r"^(?P<role>[a-z][a-z0-9_]*)\.v[0-9]+\.[0-9]+\Z")
#: Accepted forms of ``--since`` / ``--until``, for error messages.
TIME_FORMS = (
    "an ISO date or time (2025-10-01, 2025-10-01T12:00Z) or a span back from now (12h, 7d, 4w)"
)


def parse_moment(
    value: str | date | datetime, *, option: str = "--since", end_of_day: bool = False
) -> datetime:
    """A time option as an aware UTC datetime.

    Args:
        value: An ISO date, an ISO date and time (naive means UTC), or ``N[hdw]`` back
            from now; or a date/datetime object.
        option: The option's name, for the error message.
        end_of_day: A bare date means the end of that day (the start of the next).

    Raises:
        UsageError: Naming the option and the accepted forms.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        day = datetime.combine(value, time(), tzinfo=UTC)
        return day + timedelta(days=1) if end_of_day else day
    text = str(value).strip()
    relative = _RELATIVE.match(text)
    if relative:
        span = timedelta(**{_UNITS[relative["unit"]]: int(relative["n"])})
        return datetime.now(UTC) - span
    try:
        if len(text) == 10:
            return parse_moment(date.fromisoformat(text), option=option, end_of_day=end_of_day)
        return parse_moment(datetime.fromisoformat(text.replace("Z", "+00:00")), option=option)
    except (ValueError, OverflowError):
        raise UsageError(f"{option} {text!r}: expected {TIME_FORMS}") from None


def version_role(version: str) -> str:
    """The role a prompt version belongs to (``architect.v1.2`` -> ``architect``).

    Raises:
        UsageError: If the text is not a prompt version id.
    """
    match = _VERSION_ROLE.match(version)
    if match is None:
        raise UsageError(
            f"--prompt-version {version!r}: expected ROLE.vMAJOR.MINOR, e.g. architect.v1.2"
        )
    return match["role"]


def _naive(moment: datetime | None) -> datetime | None:
    """The index holds naive UTC timestamps."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)
