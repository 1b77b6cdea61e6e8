"""Progress output that fits where it goes: tqdm's live bar on a terminal;
on a file or a pipe (a job log, CI) a plain line at most every
``min_seconds`` and every tenth of the run, never one per update."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator

from tqdm.auto import tqdm


class LogProgress:
    """A tqdm-like wrapper that writes a few plain lines to ``file``.

    A line is written when at least ``min_seconds`` passed since the last
    one and the run advanced by at least a tenth, so a run writes at most
    about ten lines however long it is, plus the last.
    """

    def __init__(self, iterable: Iterable, desc: str, file=None,
                 min_seconds: float = 5.0, parts: int = 10):
        self.items = list(iterable)
        self.desc, self.file = desc, file or sys.stderr
        self.min_seconds = min_seconds
        self.step = max(1, len(self.items) // parts)
        self.postfix: dict[str, str] = {}
        self.start = self.last_time = time.monotonic()
        self.last_done = 0
        self.done = 0

    def __iter__(self) -> Iterator:
        for item in self.items:
            yield item
            self.done += 1
            now = time.monotonic()
            if now - self.last_time >= self.min_seconds and \
                    self.done - self.last_done >= self.step:
                self._write(now)

    def _write(self, now: float) -> None:
        shown = " ".join(f"{key} {value}"
                         for key, value in self.postfix.items())
        print(f"{self.desc}: {self.done}/{len(self.items)} {shown} "
              f"({now - self.start:.0f} s)", file=self.file, flush=True)
        self.last_time, self.last_done = now, self.done

    def set_postfix(self, **values) -> None:
        self.postfix = {key: str(value) for key, value in values.items()}

    def close(self) -> None:
        pass


class _Silent(LogProgress):
    def _write(self, now: float) -> None:
        pass


def progress_bar(iterable: Iterable, enabled: bool, desc: str):
    """tqdm on a terminal, :class:`LogProgress` elsewhere, nothing when
    not ``enabled``."""
    if not enabled:
        return _Silent(iterable, desc)
    if sys.stderr.isatty():
        return tqdm(iterable, desc=desc, leave=False)
    return LogProgress(iterable, desc)
