"""Policy read from a trusted revision: the configuration (`.tokscan.yaml`, or `--config
FILE` when the repository tracks that file), its allowlist, and a `--baseline FILE` kept
in the repository, as a chosen revision has them, never as the commits being checked do.

`tokscan ci` reads them from the base of the range under review, `tokscan pre-push` from
the remote's default branch: so a change, or a pushed branch, cannot allowlist its own
leak (SPEC §6). Files are looked up by their path in the revision's tree, never through
the checkout, whose symbolic links the commits being checked control.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tokscan import config as configuration
from tokscan import git
from tokscan.errors import TokscanError
from tokscan.options import Options
from tokscan.pipeline import suppress
from tokscan.report import output


@dataclass(frozen=True)
class Reader:
    """Who reads the policy, for the notes it leaves: `command` ("tokscan ci"), the
    commits it must not trust ("the commits under review") and what it calls the trusted
    revision ("the base")."""

    command: str
    untrusted: str
    revision: str = "the base"


def configuration_at(
    root: Path, base: str | None, options: Options, reader: Reader
) -> configuration.Config:
    path = options.config if options.config is not None else root / configuration.FILENAME
    explicit = options.config is not None
    found = _trusted_file(root, base, path, "configuration", options, explicit, reader)
    if found is None:
        return configuration.Config()
    data, name = found
    return configuration.parse(data, name)


def baseline_at(root: Path, base: str | None, options: Options, reader: Reader) -> frozenset[str]:
    if options.baseline is None:
        return frozenset()
    found = _trusted_file(root, base, options.baseline, "baseline", options, True, reader)
    if found is None:
        return frozenset()
    data, name = found
    return suppress.parse_baseline(data, name)


def _trusted_file(
    root: Path,
    base: str | None,
    path: Path,
    what: str,
    options: Options,
    explicit: bool,
    reader: Reader,
) -> tuple[bytes, str] | None:
    """The file as the trusted revision `base` has it, when it belongs to the repository.

    A path in the repository is read from the base's tree by its literal path, never
    through the checked-out head, whose symbolic links the change controls. A path that is
    a symbolic link in the base is not used; a path that only the untrusted commits add
    (or change, when there is no base) is ignored, with a note. A file outside the
    repository, or one it does not track (written by the CI job itself), is read from disk
    (`explicit`: the user named it, so it must exist). Returns (bytes, name for messages),
    or None for "no such file".
    """
    inside = _inside(root, path)
    if inside is not None:
        if base is not None:
            entry = _base_entry(root, base, inside)
            if entry is not None:
                mode, oid = entry
                if mode in ("100644", "100755"):
                    return git.run(root, "cat-file", "blob", oid), f"{inside} at {base[:12]}"
                kind = "a symbolic link" if mode == "120000" else "not a regular file"
                link = "through a link" if mode == "120000" else "from it"
                _tell(
                    options,
                    reader,
                    f"{what} {inside} is {kind} in {reader.revision} {base[:12]}: "
                    f"{reader.command} reads no policy {link}, so it is not used",
                )
                return None
        if _tracked(root, inside):
            at = f"{reader.revision} {base[:12]}" if base else "any base revision"
            _tell(
                options,
                reader,
                f"{what} {inside} is not in {at}: it comes with {reader.untrusted}, so it "
                "is not used",
            )
            return None
        if explicit and _through_link(root, inside):
            _tell(
                options,
                reader,
                f"{what} {inside} is reached through a symbolic link in the work tree, "
                f"which {reader.untrusted} may have made, so it is not used",
            )
            return None
    if not explicit:
        return None
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise TokscanError(f"cannot read {what} file {path}: {error.strerror}") from None


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the work tree, "/"-separated, or None when it is outside.

    Decided on the path as written (made absolute, `..` removed as text), never by
    resolving symbolic links inside the work tree: the checked-out head controls those.
    Only the folders above the work tree may be links (a CI workspace often is)."""
    absolute = Path(os.path.abspath(path))
    top = os.path.realpath(root)
    for folder in reversed(absolute.parents):  # from "/" down: the work tree itself first
        if os.path.realpath(folder) == top:
            return absolute.relative_to(folder).as_posix()
    if Path(os.path.realpath(absolute)).is_relative_to(top):
        raise TokscanError(
            f"{path} leads into the repository through a symbolic link; name the file by "
            "its path in the repository, so that it is read from the base revision"
        )
    return None


def _base_entry(root: Path, base: str, inside: str) -> tuple[str, str] | None:
    """(mode, object id) of the entry at exactly this path in the base's tree, or None.

    The path is looked up literally: no symbolic link in the base is followed either."""
    listing = git.try_run(root, "ls-tree", "-z", "--full-tree", base, "--", *git.literal([inside]))
    for line in (listing or b"").split(b"\0"):
        info, _, name = line.partition(b"\t")
        if os.fsdecode(name) == inside:
            mode, _kind, oid = info.decode("ascii").split()
            return mode, oid
    return None


def _through_link(root: Path, inside: str) -> bool:
    """Whether reaching `inside` from the work tree's top passes a symbolic link."""
    here = Path(root)
    for part in inside.split("/"):
        here = here / part
        if here.is_symlink():
            return True
    return False


def _tracked(root: Path, relative: str) -> bool:
    return (
        git.try_run(root, "ls-files", "--error-unmatch", "--", *git.literal([relative])) is not None
    )


def _tell(options: Options, reader: Reader, text: str) -> None:
    if not options.quiet:
        output.write_err(f"{reader.command}: {text}\n")
