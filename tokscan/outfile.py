"""Writing the files a user names for tokscan to write (`--output`, `--write-baseline`).

Only a regular file is ever written or replaced. What stands at the path decides:

- nothing: the file is created;
- a regular file: it is replaced atomically (the new content is written beside it, then
  renamed over it, keeping its mode), so a reader sees the old file or the new one;
- a symbolic link: it is written through, to its target, when that target is a regular
  file or does not exist yet; the link itself stays;
- a folder, a device (`/dev/full`, `/dev/null`), a FIFO or a socket: an error naming the
  path (exit 2), and it is left as it was. A report is a file, and replacing a device node
  or answering a pipe's reader is never what was asked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from tokscan.errors import TokscanError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def is_own_private(info: os.stat_result) -> bool:
    """Whether a file tokscan reads back (a cache it wrote owner-only) may be trusted: a
    regular file of this user's that group and others cannot write. What such a file says
    decides what a scan finds or lets through, so one another local user could have
    planted or changed (a shared cache folder, one made by someone else) is never read."""
    if not stat.S_ISREG(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    geteuid = getattr(os, "geteuid", None)  # not on Windows
    return geteuid is None or info.st_uid == geteuid()


def check(path: Path, what: str = "") -> tuple[Path, os.stat_result | None]:
    """Where writing `path` would write (a link's target) and what is there now (None:
    nothing yet); a TokscanError when that is not a regular file. `what` names the file in
    messages ("baseline "), before its path."""
    target = Path(os.path.realpath(path))
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target, None
    except OSError as error:
        raise TokscanError(f"cannot write {what}{path}: {_describe(error)}") from None
    if stat.S_ISREG(info.st_mode):
        return target, info
    if stat.S_ISLNK(info.st_mode):  # realpath gave up: the links go round in a loop
        raise TokscanError(f"cannot write {what}{path}: its symbolic links form a loop")
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    via = f" (through a symbolic link to {target})" if target != Path(os.path.abspath(path)) else ""
    raise TokscanError(f"cannot write {what}{path}: it is {kind}, not a regular file{via}")


def write_text(
    path: Path, text: str | Iterable[str], what: str = "", private: bool = False
) -> None:
    """Write `text` (UTF-8; whole, or in pieces as a report renders) to the file at `path`,
    as the module says. `private` (it holds raw keys) makes the file 0600."""
    target, existing = check(path, what)
    if private:
        mode = 0o600
    elif existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        mode = None  # a new file: 0666 less the umask, as any program creates one
    try:
        descriptor, temporary = _temporary(target, 0o600 if private else 0o666)
    except OSError as error:
        raise TokscanError(f"cannot write {what}{path}: {_describe(error)}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            for piece in [text] if isinstance(text, str) else text:
                handle.write(piece)
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise TokscanError(f"cannot write {what}{path}: {_describe(error)}") from None
    except BaseException:
        _remove(temporary)
        raise


def _temporary(target: Path, mode: int) -> tuple[int, Path]:
    """A new file beside `target`, created exclusively (never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for attempt in range(100):
        temporary = target.with_name(f".{target.name}.{os.getpid()}-{attempt}.tmp")
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "cannot create a temporary file beside it")


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _describe(error: OSError) -> str:
    return error.strerror or str(error)
