"""The one base class of errors meant for the user.

Every problem a user can cause or fix (a bad option value, a broken config file, an
unreachable engine, a selection that matches nothing, an invalid event) is raised as an
:class:`AutoforgeError` (or a subclass): its message says what is wrong and, where it
helps, what to do. The CLI catches this class alone and prints the message; anything
else is a programming error and keeps its traceback.
"""

from __future__ import annotations


class AutoforgeError(Exception):
    """An error with a message for the user.

    Attributes:
        message: What went wrong, in words a user acts on.
        exit_code: The CLI's exit status for it (1; 2 for usage errors).
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AutoforgeError):
    """A command or function was called with a value it cannot take."""

    exit_code = 2


class ConfigError(AutoforgeError):
    """The store's ``config.yaml`` is not readable or holds a bad setting."""


class EngineError(AutoforgeError):
    """The analytics engine cannot be used (bad URL, unreachable, not writable)."""


class NotFoundError(AutoforgeError):
    """A named thing (project, metric, suggestion, output...) does not exist."""


class NoDataError(AutoforgeError):
    """There is nothing to analyse: an empty store, or a selection matching no events."""


class StoreAccessError(AutoforgeError):
    """A file or folder of the store (or an output the user named) cannot be read or
    written: a read-only store, missing permissions, a full disk."""

    @classmethod
    def writing(cls, path: object, exc: OSError) -> StoreAccessError:
        """The error for ``exc`` raised while writing ``path``."""
        reason = exc.strerror or type(exc).__name__
        return cls(f"cannot write {path}: {reason}")
