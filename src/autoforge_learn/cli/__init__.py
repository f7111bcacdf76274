"""The ``autoforge`` command."""

from autoforge_learn.cli.app import app, main

__all__ = ["app", "main"]
