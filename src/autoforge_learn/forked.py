"""Work handed to a second process, forked at the start of a command.

``autoforge train`` is mostly one core's work (pandas, the report), while the machine
has more. A :class:`Helper` forks before the command opens its index (no engine
threads are copied), imports its libraries there as soon as it is told they will be
needed, and does its part of the work meanwhile: the report's charts
(:mod:`autoforge_learn.report.chartproc`), the pattern detectors
(:mod:`autoforge_learn.patterns.detectproc`).

Wherever a helper cannot help it steps aside: without ``fork`` (Windows; macOS, where
forking a process that uses system frameworks is unsafe), or with
``AUTOFORGE_SINGLE_PROCESS`` set, it does not start; if the child fails or dies, its
result is None and the caller does the work itself (so a real error surfaces there,
with its traceback). The results are the same either way.

Requests travel as pickles whose large buffers (the columns of a data frame) are sent
out of band, without a copy into the pickle; they are written by a thread, so that a
large request does not hold the caller while the child reads it.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Any


def forking_allowed() -> bool:
    """Whether helpers may fork here: Linux, and ``AUTOFORGE_SINGLE_PROCESS`` unset."""
    return sys.platform == "linux" and not os.environ.get("AUTOFORGE_SINGLE_PROCESS")


def _pickled(message: Any) -> tuple[bytes, list[memoryview]]:
    buffers: list[pickle.PickleBuffer] = []
    inband = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    return inband, [b.raw() for b in buffers]


def _write(connection: Any, inband: bytes, views: list[memoryview]) -> None:
    connection.send_bytes(pickle.dumps([v.nbytes for v in views]))
    connection.send_bytes(inband)
    for view in views:
        connection.send_bytes(view)


def send_message(connection: Any, message: Any) -> None:
    """Write ``message`` (any picklable value) to ``connection``, its buffers out of band."""
    _write(connection, *_pickled(message))


def receive_message(connection: Any) -> Any:
    """A message written by :func:`send_message`; its buffers arrive writable."""
    sizes = pickle.loads(connection.recv_bytes())
    inband = connection.recv_bytes()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)
        if size:
            connection.recv_bytes_into(buffer)
        else:
            connection.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(inband, buffers=buffers)


class Helper:
    """A forked child serving requests (see the module); subclasses add the requests."""

    #: The child process's name.
    name = "autoforge-helper"

    def __init__(self, process: Any, connection: Any, *shared: Any) -> None:
        self._process = process
        self._connection = connection
        self._failed = False
        self._senders: list[threading.Thread] = []
        self._sending = threading.Lock()

    @classmethod
    def _fork(cls, serve: Callable[..., None], *shared: Any) -> Any:
        """Fork a child running ``serve(connection, *shared)``; an instance (given the
        same ``shared`` objects), or None where helpers may not fork or the fork fails."""
        if not forking_allowed():
            return None
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
            ours, theirs = context.Pipe()
            process = context.Process(target=serve, args=(theirs, *shared), daemon=True,
                                      name=cls.name)
            process.start()
        except (OSError, ValueError):
            return None
        theirs.close()
        return cls(process, ours, *shared)

    @property
    def failed(self) -> bool:
        """Whether the child is gone or could not do what was asked."""
        return self._failed

    def _post(self, message: Any, *, wait: bool = False) -> bool:
        """Send ``message`` to the child: pickled now (the caller may change its data
        next), written by a thread, or here if ``wait`` (for a large message the child
        reads at once: a thread would wait for the interpreter lock between every two
        writes while this one computes, and take seconds). False if the child is gone."""
        if self._failed:
            return False
        if wait:
            self._send(*_pickled(message))
            return not self._failed
        sender = threading.Thread(target=self._send, args=_pickled(message), daemon=True)
        sender.start()
        self._senders.append(sender)
        return True

    def _send(self, inband: bytes, views: list[memoryview]) -> None:
        with self._sending:
            try:
                _write(self._connection, inband, views)
            except (OSError, ValueError, EOFError):
                self._failed = True

    def _reply(self) -> Any:
        """The child's next answer (``("ok", value)`` or ``("error", text)``), after
        every request was written; None if the child is gone."""
        for sender in self._senders:
            sender.join()
        self._senders.clear()
        if self._failed:
            return None
        try:
            status, value = self._connection.recv()
        except (OSError, EOFError, ValueError):
            self._failed = True
            return None
        if status != "ok":
            self._failed = True
            return None
        return value

    def close(self) -> None:
        """Let the child go (it ends when told, or when this process ends)."""
        for sender in self._senders:
            sender.join(timeout=5)
        try:
            send_message(self._connection, None)
        except (OSError, ValueError):
            pass
        self._connection.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(connection: Any, handle: Callable[[Any], Any]) -> None:
    """The child's loop: answer each request with ``("ok", handle(request))``, or
    ``("error", text)`` if it raised, until told to stop (a None request). A request
    that is a string is a notice (``handle`` is called, nothing is answered)."""
    try:
        while True:
            request = receive_message(connection)
            if request is None:
                return
            try:
                value = handle(request)
            except Exception as exc:  # the parent does the work again and reports it
                if not isinstance(request, str):
                    connection.send(("error", repr(exc)))
                continue
            if not isinstance(request, str):
                connection.send(("ok", value))
    except (KeyboardInterrupt, EOFError, OSError):
        return  # Ctrl-C reaches the whole process group: the parent reports it
