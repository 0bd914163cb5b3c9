"""A progress line on stderr for long scans: objects and bytes done, speed, time left.

Drawn only on a terminal (the command decides; see `commands.session.wants_progress`),
redrawn at most ten times a second, and erased when the scan ends so that the report
starts on a clean line.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import TextIO

_INTERVAL = 0.1
_BAR = 20


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream  # None: draw nothing
        self.label = ""
        self.total_objects: int | None = None
        self.total_bytes: int | None = None
        self.unit = "objects"  # what `objects` counts ("repositories" for an audit)
        self.extra = ""  # more to say after the sizes ("3 keys")
        self.tail = ""  # what is going on now, last (cut first on a narrow terminal)
        self._started = time.monotonic()
        self._drawn = 0.0
        self._visible = False

    def start(self, label: str, objects: int | None = None, size: int | None = None) -> None:
        """Begin a phase; totals may be unknown."""
        self.label, self.total_objects, self.total_bytes = label, objects, size
        self._started = time.monotonic()
        self._drawn = 0.0
        self.update(0, 0, force=True)

    def update(self, objects: int, size: int, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn < _INTERVAL:
            return
        self._drawn = now
        line = render(
            self.label, objects, size, self.total_objects, self.total_bytes, now - self._started,
            unit=self.unit, extra=self.extra,
        )  # fmt: skip
        if self.tail:
            line += f" · {self.tail}"
        width = self._width() - 1
        self._write("\r" + line[:width] + "\033[K")
        self._visible = True

    def scanned(self, objects: int, size: int, total_objects: int, total_bytes: int) -> None:
        """Progress with totals that may still grow (objects are listed as they are read)."""
        self.total_objects = total_objects or self.total_objects
        self.total_bytes = total_bytes or self.total_bytes
        self.update(objects, size)

    def clear(self) -> None:
        if self.stream is not None and self._visible:
            self._write("\r\033[K")
            self._visible = False

    def _width(self) -> int:
        """The terminal's width (of stderr: stdout may well be a file)."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            return shutil.get_terminal_size((80, 24)).columns

    def _write(self, text: str) -> None:
        assert self.stream is not None
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.stream = None


def render(
    label: str,
    objects: int,
    size: int,
    total_objects: int | None,
    total_bytes: int | None,
    elapsed: float,
    *,
    unit: str = "objects",
    extra: str = "",
) -> str:
    """One line: `label [#####-----] 52% 1,234/2,345 objects · 120/230 MB · 85 MB/s · 0:02 left`."""
    parts = [label]
    done = None
    if total_bytes:
        done = min(size / total_bytes, 1.0)
    elif total_objects:
        done = min(objects / total_objects, 1.0)
    if done is not None:
        filled = int(done * _BAR)
        parts.append(f"[{'#' * filled}{'-' * (_BAR - filled)}] {done * 100:3.0f}%")
    count = f"{objects:,}" + (f"/{total_objects:,}" if total_objects else "")
    parts.append(f"{count} {unit}")
    details = [_megabytes(size) + (f"/{_megabytes(total_bytes)}" if total_bytes else "") + " MB"]
    if elapsed > 0.2 and size:
        details.append(f"{size / elapsed / 1e6:.0f} MB/s")
        if done:
            details.append(_duration(elapsed * (1 - done) / done) + " left")
    if extra:
        details.insert(1, extra)
    return " ".join(parts) + " · " + " · ".join(details)


def _megabytes(count: int) -> str:
    return f"{count / 1e6:,.0f}" if count >= 10e6 else f"{count / 1e6:.1f}"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
