"""Import ChatDev (OpenBMB/ChatDev) run logs as training events.

Example:
    >>> from autoforge_learn.importers.chatdev import import_chatdev
    >>> report = import_chatdev(["WareHouse/"], root=".autoforge")
    >>> report.ok, report.totals()["events"]
"""

from autoforge_learn.importers.chatdev.configs import ChatDevConfigs
from autoforge_learn.importers.chatdev.importer import (
    ImportReport,
    LogResult,
    find_logs,
    import_chatdev,
    import_log,
    project_id_for,
)
from autoforge_learn.importers.chatdev.parse_log import ChatDevParseError, ChatDevRun, parse_log

__all__ = [
    "ChatDevConfigs",
    "ChatDevParseError",
    "ChatDevRun",
    "ImportReport",
    "LogResult",
    "find_logs",
    "import_chatdev",
    "import_log",
    "parse_log",
    "project_id_for",
]
