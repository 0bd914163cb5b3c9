"""The records that flow through tokscan, in order: Chunk → Candidate → Finding → Report.

Sources make chunks, the detector turns chunks into candidates, the pipeline turns
candidates into findings (suppression, verification, advice) and collects a report, and
renderers only render the report. Raw keys live only in memory, in `Candidate.key` and
`Finding.key`; renderers print `Finding.redacted` unless the user passed `--show-secrets`.

Plain classes with `__slots__` (tokscan/record.py) rather than dataclasses, which cost about
15 ms at every start of `tokscan scan`, more than the rest of its imports.
"""

from __future__ import annotations

from enum import Enum

from tokscan import keyformat
from tokscan.record import Frozen as _Frozen
from tokscan.record import Record as _Record
from tokscan.record import set_field as _set


class Where(str, Enum):
    """Where a finding was found, which decides the advice it gets."""

    WORKTREE = "worktree"  # a file on disk (tokscan scan)
    STAGED = "staged"  # a line the staged change adds (not committed yet)
    HISTORY = "history"  # a committed file or commit message
    UNPUSHED = "unpushed"  # a commit that a push is about to send (tokscan pre-push)
    RECEIVED = "received"  # a commit a push brought to the server (tokscan pre-receive)
    MESSAGE = "message"  # the message of a commit being made (tokscan commit-msg)


class Status(str, Enum):
    UNVERIFIED = "unverified"
    LIVE = "live"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class Verdict(_Frozen):
    """What TokModel said about a key (SPEC §5), and why tokscan concluded it."""

    __slots__ = ("detail", "status")
    status: Status
    detail: str

    def __init__(self, status: Status, detail: str) -> None:
        _set(self, "status", status)
        _set(self, "detail", detail)


class Origin(_Frozen):
    """Where a chunk's bytes came from."""

    __slots__ = ("commit", "path")
    path: str | None  # relative to the root, "/"-separated; None for a commit message
    commit: str | None

    def __init__(self, path: str | None, commit: str | None = None) -> None:
        _set(self, "path", path)
        _set(self, "commit", commit)


class Chunk(_Frozen):
    """A piece of bytes to scan.

    `line` and `column` are the 1-based position of `data[0]` in its file. Streams are cut
    into overlapping chunks; a chunk reports only keys that start in
    `data[report_from:report_until]`, so each key is reported by exactly one chunk.
    """

    __slots__ = (
        "binary",
        "column",
        "data",
        "line",
        "offset",
        "origin",
        "report_from",
        "report_until"
    )  # fmt: skip
    data: bytes
    origin: Origin
    line: int
    column: int
    report_from: int
    report_until: int | None
    offset: int  # the byte offset of `data[0]` in its file
    binary: bool  # from a binary file: candidates carry their byte offset

    def __init__(
        self,
        data: bytes,
        origin: Origin,
        line: int = 1,
        column: int = 1,
        report_from: int = 0,
        report_until: int | None = None,
        offset: int = 0,
        binary: bool = False,
    ) -> None:
        _set(self, "data", data)
        _set(self, "origin", origin)
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "report_from", report_from)
        _set(self, "report_until", report_until)
        _set(self, "offset", offset)
        _set(self, "binary", binary)


class Candidate(_Frozen):
    """A key the detector found, at a 1-based line and character column."""

    __slots__ = (
        "byte_offset",
        "column",
        "encoding",
        "in_name",
        "inner_path",
        "key",
        "line",
        "pragma"
    )  # fmt: skip
    _hidden = ("key",)  # raw: never in a repr that could reach a log
    key: str
    line: int
    column: int
    pragma: bool  # the line carries `tokscan:allow`
    # How the key was encoded, outer first ("base64", "utf-16le", ...); () when plain.
    # `line` and `column` are then where the encoded text starts.
    encoding: tuple[str, ...]
    byte_offset: int | None  # in a binary file: where the key (or its encoding) starts
    # Inside an archive: the member's path, from the outside in (nested archives).
    inner_path: tuple[str, ...]
    # In a file's or folder's name, not its content: line 1, the column in the path.
    in_name: bool

    def __init__(
        self,
        key: str,
        line: int,
        column: int,
        pragma: bool = False,
        encoding: tuple[str, ...] = (),
        byte_offset: int | None = None,
        inner_path: tuple[str, ...] = (),
        in_name: bool = False,
    ) -> None:
        _set(self, "key", key)
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "pragma", pragma)
        _set(self, "encoding", encoding)
        _set(self, "byte_offset", byte_offset)
        _set(self, "inner_path", inner_path)
        _set(self, "in_name", in_name)


class Finding(_Record):
    __slots__ = (
        "advice",
        "archive",
        "author",
        "byte_offset",
        "column",
        "commit",
        "date",
        "encoding",
        "in_name",
        "key",
        "line",
        "path",
        "present_at_head",
        "refs_at_tip",
        "status",
        "status_detail",
        "where",
    )  # fmt: skip
    _hidden = ("key",)  # raw; never rendered without --show-secrets
    key: str
    path: str | None
    line: int
    column: int
    where: Where
    commit: str | None
    author: str | None
    date: str | None
    present_at_head: bool | None
    # History: the refs whose tip still holds the key at this path (short names, sorted);
    # None where that was not asked (outside history, a commit message).
    refs_at_tip: tuple[str, ...] | None
    encoding: tuple[str, ...]  # how the key was encoded, outer first; () when plain
    byte_offset: int | None  # in a binary file
    # Inside an archive: the archive's own path (`path` is then `archive!member`, and a file
    # whose name holds a `!` is still just a file).
    archive: str | None
    # The key is in the name of the file or folder at `path` (detect/names.py): `line` is
    # 1 and `column` where the key starts in `path`.
    in_name: bool
    status: Status
    status_detail: str | None
    advice: str

    def __init__(
        self,
        key: str,
        path: str | None,
        line: int,
        column: int,
        where: Where,
        commit: str | None = None,
        author: str | None = None,
        date: str | None = None,
        present_at_head: bool | None = None,
        refs_at_tip: tuple[str, ...] | None = None,
        encoding: tuple[str, ...] = (),
        byte_offset: int | None = None,
        archive: str | None = None,
        in_name: bool = False,
        status: Status = Status.UNVERIFIED,
        status_detail: str | None = None,
        advice: str = "",
    ) -> None:
        self.key = key
        self.path = path
        self.line = line
        self.column = column
        self.where = where
        self.commit = commit
        self.author = author
        self.date = date
        self.present_at_head = present_at_head
        self.refs_at_tip = refs_at_tip
        self.encoding = encoding
        self.byte_offset = byte_offset
        self.archive = archive
        self.in_name = in_name
        self.status = status
        self.status_detail = status_detail
        self.advice = advice

    @property
    def fingerprint(self) -> str:
        return keyformat.fingerprint(self.key)

    @property
    def redacted(self) -> str:
        return keyformat.redact(self.key)

    def secret(self, show_secrets: bool) -> str:
        return self.key if show_secrets else self.redacted


class ScanError(_Frozen):
    """Something that could not be scanned: the scan is incomplete."""

    __slots__ = ("message", "path")
    path: str | None
    message: str

    def __init__(self, path: str | None, message: str) -> None:
        _set(self, "path", path)
        _set(self, "message", message)


class ScanRange(_Frozen):
    """The commits `tokscan ci` scanned, and why those (what the CI environment said)."""

    __slots__ = ("base", "commits", "event", "head", "provider", "reason")
    provider: str  # github | gitlab | local
    event: str  # push, pull_request, merge_request_event, --base, ...
    head: str  # the newest commit of the range
    base: str | None  # the trusted revision: configuration, allowlist and baseline come from it
    commits: int  # how many commits the range holds
    reason: str  # how the range was chosen, in words

    def __init__(
        self, provider: str, event: str, head: str, base: str | None, commits: int, reason: str
    ) -> None:
        _set(self, "provider", provider)
        _set(self, "event", event)
        _set(self, "head", head)
        _set(self, "base", base)
        _set(self, "commits", commits)
        _set(self, "reason", reason)


class PragmaSite(_Frozen):
    """A `tokscan:allow` line that a CI range adds, listed for review (SPEC §6)."""

    __slots__ = ("commit", "finding", "line", "path")
    path: str | None
    line: int
    commit: str | None  # the commit that added it, when known
    finding: Finding | None  # the key the pragma hides, if the line holds one

    def __init__(
        self,
        path: str | None,
        line: int,
        commit: str | None = None,
        finding: Finding | None = None,
    ) -> None:
        _set(self, "path", path)
        _set(self, "line", line)
        _set(self, "commit", commit)
        _set(self, "finding", finding)


class Report(_Record):
    __slots__ = (
        "bytes_scanned",
        "duration_s",
        "errors",
        "fail_on_revoked",
        "findings",
        "matcher",
        "mode",
        "notes",
        "objects_scanned",
        "pragmas_added",
        "range",
        "revisions",
        "root",
        "skipped",
        "started_at",
        "suppressed",
        "verified",
    )  # fmt: skip
    mode: str  # files | staged | history | pre-push | ci
    root: str
    started_at: str
    revisions: list[str]
    duration_s: float
    bytes_scanned: int
    objects_scanned: int
    skipped: dict[str, int]  # reason -> count
    errors: list[ScanError]
    findings: list[Finding]
    suppressed: list[tuple[str, Finding]]  # (reason, finding)
    verified: bool
    fail_on_revoked: bool  # --fail-on-revoked: revoked keys fail the run too
    notes: list[str]  # things the user should know
    range: ScanRange | None  # `tokscan ci`: the commits scanned and why
    pragmas_added: list[PragmaSite]  # `tokscan ci`: for review
    # The needle search in use (detect/matcher.py): `python`, the portable one, unless the
    # command found `hyperscan` loaded (it sets this for the JSON report's `tool`).
    matcher: str

    def __init__(
        self,
        mode: str,
        root: str,
        started_at: str,
        revisions: list[str] | None = None,
        duration_s: float = 0.0,
        bytes_scanned: int = 0,
        objects_scanned: int = 0,
        skipped: dict[str, int] | None = None,
        errors: list[ScanError] | None = None,
        findings: list[Finding] | None = None,
        suppressed: list[tuple[str, Finding]] | None = None,
        verified: bool = False,
        fail_on_revoked: bool = False,
        notes: list[str] | None = None,
        range: ScanRange | None = None,  # the field's name
        pragmas_added: list[PragmaSite] | None = None,
        matcher: str = "python",
    ) -> None:
        self.mode = mode
        self.root = root
        self.started_at = started_at
        self.revisions = [] if revisions is None else revisions
        self.duration_s = duration_s
        self.bytes_scanned = bytes_scanned
        self.objects_scanned = objects_scanned
        self.skipped = {} if skipped is None else skipped
        self.errors = [] if errors is None else errors
        self.findings = [] if findings is None else findings
        self.suppressed = [] if suppressed is None else suppressed
        self.verified = verified
        self.fail_on_revoked = fail_on_revoked
        self.notes = [] if notes is None else notes
        self.range = range
        self.pragmas_added = [] if pragmas_added is None else pragmas_added
        self.matcher = matcher

    @property
    def suppressed_total(self) -> int:
        return len(self.suppressed)

    def suppressed_by(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reason, _ in self.suppressed:
            counts[reason] = counts.get(reason, 0) + 1
        return counts

    def count_status(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)


class Outcome(_Record):
    """What scanning one object (a file, a blob, stdin) gave: the source's unit of output."""

    __slots__ = ("candidates", "error", "origin", "size", "skipped")
    origin: Origin
    candidates: list[Candidate]
    size: int  # bytes read
    skipped: str | None  # why it was not scanned: "binary", "symlink", ...
    error: str | None  # why it could not be read: the scan is incomplete

    def __init__(
        self,
        origin: Origin,
        candidates: list[Candidate] | None = None,
        size: int = 0,
        skipped: str | None = None,
        error: str | None = None,
    ) -> None:
        self.origin = origin
        self.candidates = [] if candidates is None else candidates
        self.size = size
        self.skipped = skipped
        self.error = error


def printable_path(path: str) -> str:
    """A path as text: bytes that are not UTF-8 (kept as surrogates by os.fsdecode) are
    shown as `\\xNN`, so reports stay valid UTF-8 and nothing is silently replaced."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path
