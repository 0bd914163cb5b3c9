"""The records that flow through tokscan, in order: Chunk → Candidate → Finding → Report.

Sources make chunks, the detector turns chunks into candidates, the pipeline turns
candidates into findings (suppression, verification, advice) and collects a report, and
renderers only render the report. Raw keys live only in memory, in `Candidate.key` and
`Finding.key`; renderers print `Finding.redacted` unless the user passed `--show-secrets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from tokscan import keyformat


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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What TokModel said about a key (SPEC §5), and why tokscan concluded it."""

    status: Status
    detail: str


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a chunk's bytes came from."""

    path: str | None  # relative to the root, "/"-separated; None for a commit message
    commit: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of bytes to scan.

    `line` and `column` are the 1-based position of `data[0]` in its file. Streams are cut
    into overlapping chunks; a chunk reports only keys that start in
    `data[report_from:report_until]`, so each key is reported by exactly one chunk.
    """

    data: bytes
    origin: Origin
    line: int = 1
    column: int = 1
    report_from: int = 0
    report_until: int | None = None
    offset: int = 0  # the byte offset of `data[0]` in its file
    binary: bool = False  # from a binary file: candidates carry their byte offset


@dataclass(frozen=True, slots=True)
class Candidate:
    """A key the detector found, at a 1-based line and character column."""

    key: str = field(repr=False)  # raw: never in a repr that could reach a log
    line: int
    column: int
    pragma: bool = False  # the line carries `tokscan:allow`
    # How the key was encoded, outer first ("base64", "utf-16le", ...); () when plain.
    # `line` and `column` are then where the encoded text starts.
    encoding: tuple[str, ...] = ()
    byte_offset: int | None = None  # in a binary file: where the key (or its encoding) starts
    # Inside an archive: the member's path, from the outside in (nested archives).
    inner_path: tuple[str, ...] = ()
    # In a file's or folder's name, not its content: line 1, the column in the path.
    in_name: bool = False


@dataclass(slots=True)
class Finding:
    key: str = field(repr=False)  # raw; never rendered without --show-secrets
    path: str | None
    line: int
    column: int
    where: Where
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    present_at_head: bool | None = None
    # History: the refs whose tip still holds the key at this path (short names, sorted);
    # None where that was not asked (outside history, a commit message).
    refs_at_tip: tuple[str, ...] | None = None
    encoding: tuple[str, ...] = ()  # how the key was encoded, outer first; () when plain
    byte_offset: int | None = None  # in a binary file
    # Inside an archive: the archive's own path (`path` is then `archive!member`, and a file
    # whose name holds a `!` is still just a file).
    archive: str | None = None
    # The key is in the name of the file or folder at `path` (detect/names.py): `line` is
    # 1 and `column` where the key starts in `path`.
    in_name: bool = False
    status: Status = Status.UNVERIFIED
    status_detail: str | None = None
    advice: str = ""

    @property
    def fingerprint(self) -> str:
        return keyformat.fingerprint(self.key)

    @property
    def redacted(self) -> str:
        return keyformat.redact(self.key)

    def secret(self, show_secrets: bool) -> str:
        return self.key if show_secrets else self.redacted


@dataclass(frozen=True, slots=True)
class ScanError:
    """Something that could not be scanned: the scan is incomplete."""

    path: str | None
    message: str


@dataclass(frozen=True, slots=True)
class ScanRange:
    """The commits `tokscan ci` scanned, and why those (what the CI environment said)."""

    provider: str  # github | gitlab | local
    event: str  # push, pull_request, merge_request_event, --base, ...
    head: str  # the newest commit of the range
    base: str | None  # the trusted revision: configuration, allowlist and baseline come from it
    commits: int  # how many commits the range holds
    reason: str  # how the range was chosen, in words


@dataclass(frozen=True, slots=True)
class PragmaSite:
    """A `tokscan:allow` line that a CI range adds, listed for review (SPEC §6)."""

    path: str | None
    line: int
    commit: str | None = None  # the commit that added it, when known
    finding: Finding | None = None  # the key the pragma hides, if the line holds one


@dataclass(slots=True)
class Report:
    mode: str  # files | staged | history | pre-push | ci
    root: str
    started_at: str
    revisions: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    bytes_scanned: int = 0
    objects_scanned: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    errors: list[ScanError] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[str, Finding]] = field(default_factory=list)  # (reason, finding)
    verified: bool = False
    fail_on_revoked: bool = False  # --fail-on-revoked: revoked keys fail the run too
    notes: list[str] = field(default_factory=list)  # things the user should know
    range: ScanRange | None = None  # `tokscan ci`: the commits scanned and why
    pragmas_added: list[PragmaSite] = field(default_factory=list)  # `tokscan ci`: for review
    # The needle search in use (detect/matcher.py): `python`, the portable one, unless the
    # command found `hyperscan` loaded (it sets this for the JSON report's `tool`).
    matcher: str = "python"

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


@dataclass(slots=True)
class Outcome:
    """What scanning one object (a file, a blob, stdin) gave: the source's unit of output."""

    origin: Origin
    candidates: list[Candidate] = field(default_factory=list)
    size: int = 0  # bytes read
    skipped: str | None = None  # why it was not scanned: "binary", "symlink", ...
    error: str | None = None  # why it could not be read: the scan is incomplete


def member_path(path: str, inner: tuple[str, ...]) -> str:
    """A path inside an archive: the archive's, `!`, then the member's, for each level
    (`a.zip!b.tar.gz!c/.env`). A compressed file that does not record its member's name
    (gzip without FNAME, bzip2, xz) holds its own name less the suffix (`config.json.gz`
    holds `config.json`)."""
    parts = [path]
    for name in inner:
        parts.append(name or _uncompressed_name(parts[-1]))
    return "!".join(parts)


def _uncompressed_name(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    for suffix, instead in ((".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".bz2", ""),
                            (".xz", "")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + instead
    return name


def printable_path(path: str) -> str:
    """A path as text: bytes that are not UTF-8 (kept as surrogates by os.fsdecode) are
    shown as `\\xNN`, so reports stay valid UTF-8 and nothing is silently replaced."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path
