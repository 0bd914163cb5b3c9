"""A progress line on stderr for long scans: objects and bytes done, speed, time left.

Drawn only on a terminal (the command decides; see `commands.session.wants_progress`),
redrawn at most ten times a second, and erased when the scan ends so that the report
starts on a clean line.

It counts as the summary line does: objects (blobs, then commit messages and tags) and
bytes carry over from one phase of a scan to the next, so the last count drawn is the
count the summary prints. Numbers are written as the summary writes them
(`terminal.count`, `terminal.size`), and the line is cut to the terminal's width by
dropping the least useful parts first: the bar, the label, the totals, the object count.
Speed and time left go last.
"""

from __future__ import annotations

import os
import time
from typing import TextIO

from tokscan.terminal import count as count_text
from tokscan.terminal import size as size_text

_INTERVAL = 0.1
_BAR = 20
LISTING = "listing objects"


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream  # None: draw nothing
        self.label = ""
        self.total_objects: int | None = None
        self.total_bytes: int | None = None
        self.unit = "objects"  # what `objects` counts ("repositories" for an audit)
        self.extra = ""  # more to say after the sizes ("3 keys")
        self.tail = ""  # what is going on now, last (dropped first on a narrow terminal)
        self._waiting: str | None = None  # the label to show once listing gives way
        self._carried = (0, 0)  # objects and bytes counted by the phases before this one
        self._last = (0, 0)  # objects and bytes of this phase, as last reported
        self._started = time.monotonic()
        self._drawn = 0.0
        self._visible = False

    def start(self, label: str, objects: int | None = None, size: int | None = None) -> None:
        """Begin a phase (totals may be unknown); what earlier phases counted carries over."""
        self._carried = (self._carried[0] + self._last[0], self._carried[1] + self._last[1])
        self._last = (0, 0)
        self.label, self.total_objects, self.total_bytes = label, objects, size
        self._waiting = None
        self._started = time.monotonic()
        self._drawn = 0.0
        self.update(0, 0, force=True)

    def listing(self, label: str) -> None:
        """Begin a phase that lists its objects first: "listing objects" until the first
        object is done, then `label`."""
        self.start(LISTING)
        self._waiting = label

    def update(self, objects: int, size: int, force: bool = False) -> None:
        """This phase's objects and bytes done so far."""
        self._last = (objects, size)
        if self.stream is None:
            return
        if self._waiting is not None and (objects or size):
            self.label, self._waiting = self._waiting, None
            force = True
        now = time.monotonic()
        if not force and now - self._drawn < _INTERVAL:
            return
        self._drawn = now
        if self.label == LISTING:
            line = LISTING + "…"
        else:
            carried_objects, carried_bytes = self._carried
            line = render(
                self.label,
                carried_objects + objects,
                carried_bytes + size,
                carried_objects + self.total_objects if self.total_objects else None,
                carried_bytes + self.total_bytes if self.total_bytes else None,
                now - self._started,
                width=self._width() - 1,
                phase_bytes=size,
                unit=self.unit,
                extra=self.extra,
            )
            if self.tail and len(line) + 3 + len(self.tail) <= self._width() - 1:
                line += f" · {self.tail}"
        self._write("\r" + line + "\033[K")
        self._visible = True

    def scanned(self, objects: int, size: int, total_objects: int, total_bytes: int) -> None:
        """Progress with totals that may still grow (objects are listed as they are read)."""
        self.total_objects = total_objects or self.total_objects
        self.total_bytes = total_bytes or self.total_bytes
        if self._waiting is not None and total_objects:  # the listing is done
            self.label, self._waiting = self._waiting, None
            self._drawn = 0.0
        self.update(objects, size)

    def clear(self) -> None:
        if self.stream is not None and self._visible:
            self._write("\r\033[K")
            self._visible = False

    def _width(self) -> int:
        """The terminal's width: $COLUMNS when set (as shells and `shutil` read it), else
        stderr's own (stdout may well be a file), else 80."""
        try:
            columns = int(os.environ.get("COLUMNS", ""))
            if columns > 0:
                return columns
        except ValueError:
            pass
        try:
            return os.get_terminal_size(self.stream.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            return 80

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
    width: int = 79,
    phase_bytes: int | None = None,
    *,
    unit: str = "objects",
    extra: str = "",
) -> str:
    """One line of at most `width` characters, as rich as fits:

    `label [#####-----]  52% · 1,234/2,345 objects · 120 MB/230 MB · 85.0 MB/s · 0:02 left`

    `phase_bytes` (default `size`) are the bytes this phase read in `elapsed` seconds: the
    speed is theirs. `unit` names what `objects` counts; `extra` ("3 keys") follows the
    sizes and goes with them."""
    rate_bytes = size if phase_bytes is None else phase_bytes
    done = None
    if total_bytes:
        done = min(size / total_bytes, 1.0)
    elif total_objects:
        done = min(objects / total_objects, 1.0)
    tail = []  # speed and time left: kept to the last
    if elapsed > 0.2 and rate_bytes:
        tail.append(size_text(int(rate_bytes / elapsed)) + "/s")
        if done:
            tail.append(_duration(elapsed * (1 - done) / done) + " left")
    percent = f"{done * 100:.0f}%" if done is not None else None

    def line(bar: int, named: bool, totals: bool, counted: bool, sized: bool) -> str:
        head = [label] if named else []
        if percent is not None:
            if bar:
                filled = int((done or 0) * bar)
                head.append(f"[{'#' * filled}{'-' * (bar - filled)}]")
            head.append(percent)
        parts = [" ".join(head).strip()] if head else []
        if counted:
            shown = count_text(objects) + (
                f"/{count_text(total_objects)}" if totals and total_objects else ""
            )
            parts.append(f"{shown} {unit}")
        if sized:
            shown = size_text(size)
            parts.append(shown + (f"/{size_text(total_bytes)}" if totals and total_bytes else ""))
            if extra:
                parts.append(extra)
        return " · ".join([*parts, *tail])

    # (bar width, label, totals, object count, bytes), richest first
    shapes: list[tuple[int, bool, bool, bool, bool]] = [
        (_BAR, True, True, True, True),
        (10, True, True, True, True),
        (0, True, True, True, True),
        (0, True, False, True, True),
        (0, False, False, True, True),
        (0, False, False, False, True),
        (0, False, False, False, False),
    ]
    for shape in shapes:
        text = line(*shape)
        if len(text) <= width:
            return text
    return text[:width]


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
