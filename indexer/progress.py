"""A terminal progress bar with rate and ETA (a line every few seconds when not on a terminal)."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, unit: str = "doc", stream=None):
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._tty = self.stream.isatty()
        self._interval = 0.1 if self._tty else 2.0
        self._last_draw = 0.0
        self._finished = False

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        final = self.done >= self.total
        if final or now - self._last_draw >= self._interval:
            self._last_draw = now
            self._draw(final)

    def finish(self) -> None:
        if not self._finished:
            self._draw(True)

    def _draw(self, final: bool) -> None:
        if self._finished:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        frac = min(self.done / self.total, 1.0) if self.total else 1.0
        line = (f"{self.label} [{'#' * int(frac * 30):<30}] {self.done}/{self.total} {frac:4.0%} "
                f"{rate:,.1f} {self.unit}/s ETA {_clock(remaining)}")
        self.stream.write(("\r" + line + ("\n" if final else "")) if self._tty else line + "\n")
        self.stream.flush()
        self._finished = final


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
