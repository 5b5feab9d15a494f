"""Reader warnings kept with a cached dataset and logged again when ``datasets`` serves the cache.

A reader runs only when its file is not cached yet, so what it logged (a kept invisible character,
dropped control characters, labels of mixed JSON types) would show on the first run only. The
records are written next to the cached Arrow file and replayed from there on a cached run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import datasets

#: The loggers of the code that runs inside the dataset generator.
READER_LOGGERS = (
    "seqlab.data.readers",
    "seqlab.data.text_lines",
    "seqlab.data.text_rows",
    "seqlab.data.annotations",
)
#: The file beside the cached Arrow file that holds the reader's log records.
LOG_FILE = "seqlab_reader_log.json"


class ReaderLog(logging.Handler):
    """The records the readers log while one dataset is generated; :attr:`ran` says whether it was."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[dict] = []
        self.ran = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"logger": record.name, "level": record.levelno, "message": record.getMessage()})


_active: list[ReaderLog] = []


@contextmanager
def capturing() -> Iterator[ReaderLog]:
    """Collect the readers' records while the block runs (the generator runs in this process)."""
    handler = ReaderLog()
    loggers = [logging.getLogger(name) for name in READER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    _active.append(handler)
    try:
        yield handler
    finally:
        _active.remove(handler)
        for logger in loggers:
            logger.removeHandler(handler)


@contextmanager
def quiet_readers() -> Iterator[None]:
    """Drop the readers' records while the block runs (a look at a file that is read again after it)."""
    loggers = [logging.getLogger(name) for name in READER_LOGGERS]
    was = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, was):
            logger.disabled = disabled


def mark_generated() -> None:
    """Called by the dataset generator: the file is being read, not served from the cache."""
    if _active:
        _active[-1].ran = True


def keep_or_replay(handler: ReaderLog, dataset: datasets.Dataset) -> None:
    """Write the records beside ``dataset``'s cache file when the reader ran; log the kept ones again
    when the dataset came from the cache."""
    if not dataset.cache_files:
        return
    path = Path(dataset.cache_files[0]["filename"]).parent / LOG_FILE
    if handler.ran:
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")  # one per writer
        partial.write_text(json.dumps(handler.records))
        partial.replace(path)
        return
    try:
        records = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # a cache written before the log was kept
    for record in records:
        logging.getLogger(str(record["logger"])).log(int(record["level"]), "%s", record["message"])
