"""`tokscan staged`: the keys that the staged change adds (the pre-commit hook).

The common case, a commit without keys, must cost little more than starting Python: one
`git diff --cached`, a scan for the key prefix, and no heavy imports. Only when added text
contains the prefix, or the user asked for a report, does the full pipeline load.
"""

from __future__ import annotations

from tokscan import git, keyformat
from tokscan.errors import ExitCode
from tokscan.sources import diff
from tokscan.sources import staged as source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokscan.model import Chunk
    from tokscan.options import Options


def start() -> tuple[str, git.Stream] | None:
    """Start the one `git diff --cached` of the scan before the command line is parsed (the
    hooks' own command line, cli/main.py), so that git runs while Python loads the rest:
    the root and the running diff, or None outside a work tree (`run` then says so)."""
    from tokscan.git.repository import work_tree_top

    root = work_tree_top()
    return None if root is None else (root, source.stream(root))


def run(options: Options, started: tuple[str, git.Stream] | None = None) -> ExitCode:
    root, git_diff = started if started is not None else _start()
    try:
        head = git_diff.stdout.read(_IN_MEMORY)
        plain = (
            options.format == "text" and options.write_baseline is None and options.output is None
        )
        # The fast path: nothing key-shaped was added, so there is nothing to say, whatever
        # the configuration (which is not even read: that would cost more than the rest).
        if (
            plain
            and len(head) < _IN_MEMORY
            and diff.BINARY_HEADER not in head
            and not keyformat.may_hold_key(head, _DIFF_WRAPPING)
        ):
            return ExitCode.CLEAN
        _load_site()
        scanner = diff.DiffScanner()
        chunks = list(scanner.chunks(diff.Joined(head, git_diff.stdout)))
    finally:
        git_diff.check()
    # A name holding a key shows in the diff's headers (`diff --git a/… b/…`).
    names = keyformat.PREFIX in head or len(head) >= _IN_MEMORY
    return _report(root, chunks, scanner, options, names)


# In a diff, wrapped base64 lines are added lines: each starts with `+`.
_DIFF_WRAPPING = keyformat.WRAPPING + b"+"
# A diff this small is read whole, so a clean commit costs one search for the key prefix.
_IN_MEMORY = 32 << 20


def _report(
    root: str, chunks: list[Chunk], scanner: diff.DiffScanner, options: Options, names: bool
) -> ExitCode:
    from tokscan.commands.session import Session
    from tokscan.model import Outcome, Where

    session = Session.open(options, "staged", root)
    whole: list[Outcome] = []
    if scanner.binary_files:
        text, whole = source.marked_binary(root, scanner, session.reading)
        chunks += text
    skipped = {"binary": scanner.binary_files} if scanner.binary_files else {}
    session.collector.count(scanner.files, scanner.bytes_added, skipped)  # unit: a staged file
    named = source.added_names(root) if names else []
    for outcome in [*named, *source.outcomes(root, chunks, session.excluded), *whole]:
        excluded = outcome.origin.path is not None and session.excluded(outcome.origin.path)
        if not excluded:
            session.collector.add(outcome, Where.STAGED, tally=False, present_at_head=False)
    return session.conclude(quiet_when_clean=True)


def _load_site() -> None:
    """The hooks may start Python without `site` (`-I -S`, git/hooks.py), which the clean
    path does not need; a report may (yaml for a configuration, hyperscan, httpx), so the
    site-packages folders are added now, as `site` would have at start."""
    import sys

    if sys.flags.no_site:
        import site

        site.main()


def _start() -> tuple[str, git.Stream]:
    root = find_root()
    return root, source.stream(root)


def find_root() -> str:
    from tokscan.git.repository import work_tree_top

    top = work_tree_top()
    if top is None:
        from tokscan.errors import TokscanError

        raise TokscanError("not in a git work tree: `tokscan staged` scans what `git add` staged")
    return top
