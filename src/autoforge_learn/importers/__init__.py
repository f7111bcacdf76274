"""Importers: turn other multi-agent systems' run logs into training events.

Each importer parses a source's logs and records events through the collector SDK
(:class:`autoforge_learn.Collector`), with the timestamps of the logs, never the wall
clock. Available: :mod:`autoforge_learn.importers.chatdev`. Shared: the model price
table of :mod:`autoforge_learn.importers.prices`.
"""
