"""Whether a buffer holds anything worth a closer look: one search for every needle at once.

The needles are the key prefix and the fixed strings of its encoded forms
(`keyformat.ENCODED_NEEDLES`, `keyformat.UTF32_NEEDLE`). Most files and blobs hold none,
and this search is most of what they cost, so it runs on Hyperscan (the `hyperscan`
package: SIMD, all needles in one pass, several GB/s a core) where it is installed, and
on Python's bytes search, needle by needle, everywhere else. Both give the same answer
(tests/detect/test_matcher.py), with one difference: a base64 needle that wrapping splits
over two lines is seen by Hyperscan after the line breaks and indentations real files use
(0 to 8 spaces, a tab, CRLF), and by the Python search after any.

The pre-commit hook does not use this module: importing Hyperscan costs more than the
hook's whole search (sources/staged.py searches the few needles itself).
"""

from __future__ import annotations

import contextlib

from tokscan import keyformat

NEEDLES = (keyformat.PREFIX, *keyformat.ENCODED_NEEDLES, keyformat.UTF32_NEEDLE)
# Wrapping may split a base64 needle over two lines (one key in twenty, at 76 columns). The
# Python search removes all wrapping first; Hyperscan looks for the needle split at each
# place by the line breaks and indentations that MIME, PEM and YAML write: literals are
# what it searches fastest, where a pattern with "any whitespace here" costs it 3.5 times.
_JOINTS = (b"\n", b"\r\n", *(b"\n" + b" " * n for n in (2, 4, 6, 8)), b"\n\t",
           b"\r\n  ", b"\r\n    ")
SPLIT_NEEDLES = tuple(
    needle[:cut] + joint + needle[cut:]
    for needle in keyformat.BASE64_ALL_NEEDLES
    for cut in range(1, len(needle))
    for joint in _JOINTS
)

Buffer = bytes | bytearray | memoryview


class _PythonSearch:
    name = "python"

    def holds_needle(self, data: Buffer) -> bool:
        view = bytes(data) if isinstance(data, memoryview) else data
        return keyformat.UTF32_NEEDLE in view or keyformat.may_hold_key(bytes(view))


class _Hyperscan:
    name = "hyperscan"

    def __init__(self) -> None:
        import hyperscan

        self._stopped = hyperscan.ScanTerminated
        # Literals as escaped bytes: Hyperscan reads expressions as C strings, so a NUL
        # (UTF-16's needle has them) would end the pattern.
        patterns = [b"".join(b"\\x%02x" % byte for byte in needle)
                    for needle in (*NEEDLES, *SPLIT_NEEDLES)]
        self._database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._database.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(patterns),
        )

    def holds_needle(self, data: Buffer) -> bool:
        found = False

        def stop(*_: object) -> bool:
            nonlocal found
            found = True
            return True  # the first match answers the question

        with contextlib.suppress(self._stopped):
            self._database.scan(data, match_event_handler=stop)  # type: ignore[type-var]
        return found


def _load() -> _PythonSearch | _Hyperscan:
    try:
        return _Hyperscan()
    except Exception:  # not installed, no wheel for this platform, or no SIMD it can use
        return _PythonSearch()


_search: _PythonSearch | _Hyperscan | None = None


def engine() -> _PythonSearch | _Hyperscan:
    """The search in use, loaded on first use (Hyperscan's import is not free)."""
    global _search
    if _search is None:
        _search = _load()
    return _search


def holds_needle(data: Buffer) -> bool:
    """Whether `data` holds the key prefix or one of its encoded forms' needles."""
    return engine().holds_needle(data)
