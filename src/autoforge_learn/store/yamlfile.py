"""Reading the store's YAML files (prompts, experiments, prices) safely.

A YAML file can be made to expand without bound through aliases (the "billion laughs":
a few hundred bytes that ``safe_load`` turns into gigabytes), and a name in the store can
be a FIFO that blocks a reader forever. Our files never need aliases, so they are
refused, and only regular files of a bounded size are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

#: Larger than any prompt or experiment file a team writes by hand or through us.
MAX_YAML_BYTES = 16 * 2**20


def read_text(path: Path, *, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The UTF-8 text of ``path``, a regular file of at most ``max_bytes`` (a FIFO named
    where a file is expected would block the read forever).

    Raises:
        OSError: If the path is not a regular file, is larger than ``max_bytes``, or
            cannot be read.
        UnicodeDecodeError: If it is not UTF-8.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file")
    if info.st_size > max_bytes:
        raise OSError(f"{path} is larger than {max_bytes // 2**20} MB")
    return Path(path).read_text(encoding="utf-8")


def read_yaml(path: Path, *, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The YAML document in ``path``.

    Raises:
        OSError: If the path is not a regular file, is larger than ``max_bytes``, or
            cannot be read.
        UnicodeDecodeError: If it is not UTF-8.
        yaml.YAMLError: If it is not valid YAML or uses an alias (``*name``).
    """
    import yaml

    text = read_text(path, max_bytes=max_bytes)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # A first pass over the parser's events (cheap, no objects built) finds any alias
    # before the document is composed, which is where the expansion would happen.
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise yaml.composer.ComposerError(
                None, None, f"line {line}: aliases (*name) are not allowed in this file"
            )
    return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
