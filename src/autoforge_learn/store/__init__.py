"""The on-disk training-data store under ``.autoforge/ai/training_data/``."""

from autoforge_learn.store.jsonl import JsonlAppender, RawLine, iter_lines, write_json_atomic
from autoforge_learn.store.layout import (
    FILE_FOR_KIND,
    StoreLayout,
    find_root,
    month_of,
    parse_raw_filename,
)

__all__ = [
    "FILE_FOR_KIND",
    "JsonlAppender",
    "RawLine",
    "StoreLayout",
    "find_root",
    "iter_lines",
    "month_of",
    "parse_raw_filename",
    "write_json_atomic",
]
