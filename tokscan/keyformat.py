"""What a TokModel API key is: the pattern, its boundaries, its fingerprint and redaction.

This module is the only place that knows the key format (SPEC §2). Everything else asks it.
"""

from __future__ import annotations

PREFIX = b"tm-"
BODY_LENGTH = 32
KEY_LENGTH = len(PREFIX) + BODY_LENGTH


class _Patterns:
    """The key's regular expressions, compiled on first use: the pre-commit hook's clean
    path never matches a key, and importing `re` (which imports `enum`) would cost it more
    than its whole search. Each is a fixed-length run with no nested repetition, so
    matching is linear."""

    def __init__(self) -> None:
        import re

        # The prefix and the body, and no alphanumeric directly after it. What comes before
        # the prefix is checked by `starts_at_boundary`: escapes make it more than one byte.
        self.key_at = re.compile(rb"tm-[A-Za-z0-9]{32}(?![A-Za-z0-9])")
        self.body_at = re.compile(rb"tm-[A-Za-z0-9]{32}")
        self.key_in_text = re.compile(r"(?<![A-Za-z0-9])tm-[A-Za-z0-9]{32}(?![A-Za-z0-9])")
        self.key_shaped = re.compile(r"tm-[A-Za-z0-9]{32}")  # for scrubbing messages


_compiled: _Patterns | None = None


def _patterns() -> _Patterns:
    global _compiled
    if _compiled is None:
        _compiled = _Patterns()
    return _compiled


# How many bytes before a key `starts_at_boundary` may look at (the longest escape,
# `\U0000003D`, is ten bytes; the longest control sequence it reads, `\U0000001b[` with
# twelve parameters and a letter, is 25), so streamed chunks keep that much context.
LOOKBEHIND = 32

_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_OCTAL = frozenset(b"01234567")


def match_at(data: bytes, pos: int) -> str | None:
    """The key that starts at `pos` in `data` with proper boundaries on both sides, if any."""
    m = (_compiled or _patterns()).key_at.match(data, pos)
    if m is None or not starts_at_boundary(data, pos):
        return None
    return m.group().decode("ascii")


# How binary formats say "a string of 35 bytes follows" (the length of a key): one byte (a
# protobuf varint, marshal's short strings, pickle, a Java class file's big-endian u2), a
# little-endian u16 or u32, and SQLite's record serial types for text and blobs (2n + 13,
# 2n + 12: `S` and `R`, which are letters, so a key in a SQLite file has one before it).
_LENGTH_PREFIXES = (
    bytes([KEY_LENGTH]),
    bytes([KEY_LENGTH, 0]),
    bytes([KEY_LENGTH, 0, 0, 0]),
    bytes([2 * KEY_LENGTH + 13]),
    bytes([2 * KEY_LENGTH + 12]),
)


def match_length_prefixed(data: bytes, pos: int) -> str | None:
    """In binary data, the key at `pos` whose length the bytes before it give: a string that
    its format delimits by length, not by what surrounds it (a `.pyc` file stores the next
    constant right after it, a SQLite record starts it with a letter). The body must still
    be exactly 32 letters and digits; near-misses of other lengths carry other prefixes."""
    m = (_compiled or _patterns()).body_at.match(data, pos)
    if m is None:
        return None
    if any(data.endswith(prefix, 0, pos) for prefix in _LENGTH_PREFIXES):
        return m.group().decode("ascii")
    return None


def starts_at_boundary(data: bytes, pos: int) -> bool:
    """True when nothing alphanumeric that belongs to the same token stands before `pos`.

    A letter or digit before the prefix normally glues it to a longer word (`utm-...`), but
    not when it ends an escape: `\\ntm-...` in a JSON string, `%3Dtm-...` in a URL and
    `ESC[31mtm-...` (a terminal colour code in a log) still hold a key, so escapes count as
    boundaries.
    """
    if pos == 0 or data[pos - 1] not in _ALNUM:
        return True
    return _ends_escape(data, pos)


# How ESC is written in source text, before a terminal control sequence's `[`.
_ESC_SPELLINGS = (b"\x1b", b"\\033", b"\\x1b", b"\\x1B", b"\\e", b"\\u001b", b"\\u001B",
                  b"\\U0000001b", b"\\U0000001B")
_CSI_PARAMETERS = frozenset(b"0123456789;:?<=>")
_MAX_PARAMETERS = 12  # `38;2;255;0;0` and shorter: within LOOKBEHIND with the longest ESC


def _ends_control_sequence(data: bytes, end: int) -> bool:
    """Whether `data[:end]` ends with a terminal control sequence, `ESC [ parameters letter`
    (`\x1b[31m`, a colour in a log), with ESC written as the byte or as an escape in source
    text (`\033[31m` in a string literal)."""
    bracket = end - 2  # the letter that ends the sequence is data[end - 1]
    while bracket >= max(0, end - 2 - _MAX_PARAMETERS) and data[bracket] in _CSI_PARAMETERS:
        bracket -= 1
    if bracket < 0 or data[bracket] != 0x5B:  # [
        return False
    return any(data.endswith(esc, 0, bracket) for esc in _ESC_SPELLINGS)


def _ends_escape(data: bytes, end: int) -> bool:
    if _ends_control_sequence(data, end):
        return True
    # Percent-encoding: %HH.
    if end >= 3 and data[end - 3] == 0x25 and _all_in(data[end - 2 : end], _HEX):
        return True
    # Backslash escapes: \n, \xHH, \uHHHH, \UHHHHHHHH, \NNN (octal).
    shapes = ((1, None, None), (3, 0x78, _HEX), (5, 0x75, _HEX), (9, 0x55, _HEX), (3, None, _OCTAL))
    for length, letter, digits in shapes:
        start = end - length  # position of the character after the backslash
        if start < 1 or not _backslash_escapes(data, start - 1):
            continue
        if letter is None and digits is None:
            return True
        if letter is not None and data[start] != letter:
            continue
        body = data[start + 1 : end] if letter is not None else data[start:end]
        if digits is not None and _all_in(body, digits):
            return True
    return False


def _backslash_escapes(data: bytes, pos: int) -> bool:
    """True when `data[pos]` is a backslash that starts an escape (not itself escaped)."""
    run = 0
    while pos - run >= 0 and data[pos - run] == 0x5C:
        run += 1
    return run % 2 == 1


def _all_in(chunk: bytes, allowed: frozenset[int]) -> bool:
    return all(byte in allowed for byte in chunk)


def _base64_needles(text: bytes) -> list[bytes]:
    """The fixed strings that base64 of anything holding `text` contains: one for each of
    the three alignments `text` can have against base64's 3-byte groups. They are the
    output characters whose six bits all come from `text`, so they do not depend on what
    surrounds it (and the standard and URL-safe alphabets agree on them unless they hold
    `+` or `/`, which these do not)."""
    import binascii

    needles = []
    for shift in range(3):
        encoded = binascii.b2a_base64(b"\0" * shift + text + b"\0\0\0", newline=False)
        first = -(-shift * 8 // 6)  # the first character that starts inside `text`
        last = (shift + len(text)) * 8 // 6  # one past the last that ends inside it
        needles.append(encoded[first:last])
    return needles


# A key encoded in base64 holds one of these (SPEC §10: the decoders); base64 of that text
# holds one of the second set. Searching for them keeps the search for encoded keys a
# literal search, like the search for PREFIX.
BASE64_NEEDLES = tuple(_base64_needles(PREFIX))
BASE64_TWICE_NEEDLES = tuple(
    sorted({needle for once in BASE64_NEEDLES for needle in _base64_needles(once)})
)
# The prefix in UTF-16 (either byte order: LE is t 0 m 0 -, BE is 0 t 0 m 0 -) and UTF-32.
UTF16_NEEDLE = b"t\0m\0-"
UTF32_NEEDLE = b"t\0\0\0m\0\0\0-"
BASE64_ALL_NEEDLES = (*BASE64_NEEDLES, *BASE64_TWICE_NEEDLES)
# Everything that can start an encoded key, for a quick test of a whole buffer.
ENCODED_NEEDLES = (*BASE64_ALL_NEEDLES, UTF16_NEEDLE)
# What wraps base64 text over lines (MIME, PEM, YAML block scalars), splitting a needle.
WRAPPING = b" \t\r\n"


def may_hold_key(data: bytes, wrapping: bytes = WRAPPING) -> bool:
    """Whether `data` holds the key prefix or a needle of its encoded forms, also where
    `wrapping` splits a base64 needle over two lines. A quick, literal test: the detector
    decides. (`+`, the start of a diff's added lines, is wrapping in a diff.)"""
    if PREFIX in data or any(needle in data for needle in ENCODED_NEEDLES):
        return True
    return holds_split_needle(data, wrapping)


def holds_split_needle(data: bytes, wrapping: bytes = WRAPPING) -> bool:
    """Whether `data`, with `wrapping` removed, holds a base64 needle: MIME and PEM wrap at
    64 or 76 columns, so one encoded key in twenty has its needle split over two lines."""
    unwrapped = data.translate(None, wrapping)
    return any(needle in unwrapped for needle in BASE64_ALL_NEEDLES)


def find_in_text(text: str) -> list[str]:
    """Every key-shaped string in a piece of text (used where input is already text)."""
    return _patterns().key_in_text.findall(text)


def fingerprint(key: str) -> str:
    """The lowercase hex SHA-256 of the full key: how tokscan names a key on disk."""
    import hashlib  # here: a scan that finds nothing never needs it, and it is slow to load

    return hashlib.sha256(key.encode("ascii")).hexdigest()


def redact(key: str) -> str:
    """`tm-` + the first four + `…` + the last four characters of the body."""
    body = key[len(PREFIX) :]
    return f"tm-{body[:4]}…{body[-4:]}"


def redact_all(text: str) -> str:
    """`text` with everything key-shaped redacted, boundaries or not: what tokscan does to
    everything it prints or writes (report/output.py) unless asked for --show-secrets.

    Repeated until nothing key-shaped is left: redacting one run can leave another that
    overlapped it whole (`tm-` + 30 characters + `tm-` + 32 keeps the second's body), and
    each pass makes the text shorter, so this ends."""
    count = 1
    while count:
        text, count = _patterns().key_shaped.subn(lambda match: redact(match.group()), text)
    return text


def is_fingerprint(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


# The shortest fingerprint prefix `allow` and baselines take: the text report prints this
# many characters, and 48 bits keep two keys of one repository apart.
PREFIX_MIN = 12


def is_fingerprint_prefix(text: str) -> bool:
    """A whole fingerprint, or a prefix of one of at least PREFIX_MIN hex characters."""
    return PREFIX_MIN <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)
