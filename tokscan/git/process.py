"""The one place that runs git.

Every call uses an argument list (never a shell string) and switches off what a hostile
repository's `.git/config` could abuse (SPEC §6): fsmonitor hooks, hooks, pagers,
credential prompts, transports, lazy fetches of missing objects, and the object database's
caches that could misstate history (commit-graph, multi-pack-index, bitmaps); commands
that diff also pass `--no-ext-diff --no-textconv` (DIFF_SAFETY).

`subprocess` is imported only where it is used: `Stream` (used by the pre-commit hook's
fast path) starts git with `os.posix_spawnp`, which costs no imports.
"""

from __future__ import annotations

import os
import sys

from tokscan.errors import TokscanError

TYPE_CHECKING = False  # typing itself costs an import on the hook's fast path
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Sequence
    from pathlib import Path
    from typing import IO

SAFE_SETTINGS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "protocol.allow=never",
    "credential.helper=",
    "core.quotePath=false",
    "i18n.logOutputEncoding=UTF-8",  # a repository's choice could garble log output
    "log.showSignature=false",  # signature checks would run gpg.program
    "color.ui=never",
    # The object database's shortcuts are caches git trusts over the objects themselves, and
    # a repository can edit them: a commit-graph can give a commit another tree or other
    # parents (its Bloom filters, other changed paths), a multi-pack-index can send an
    # object id to another object's bytes, bitmaps answer reachability. What tokscan sees
    # must come from the objects; nor does its fetch write a commit-graph.
    "core.commitGraph=false",
    "core.multiPackIndex=false",
    "pack.useBitmaps=false",
    "pack.useBitmapBoundaryTraversal=false",
    "fetch.writeCommitGraph=false",
)
DIFF_SAFETY = ("--no-ext-diff", "--no-textconv", "--no-color")

# For commands that read many objects (cat-file, log): git's default delta-base cache of
# 96 MB per process is what its memory mostly is; 16 MB is as fast on real packs.
LEAN = ("-c", "core.deltaBaseCacheLimit=16m")


def environment() -> dict[str, str]:
    # Everything else passes through, on purpose: in a pre-receive hook git names the
    # quarantine that holds the pushed objects (GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY,
    # GIT_ALTERNATE_OBJECT_DIRECTORIES), and the scan must read them from there.
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        LC_ALL="C",
        GIT_NO_REPLACE_OBJECTS="1",  # refs/replace must not hide what the objects hold
        # nor .git/info/grafts (the older way to rewrite parents): a path that cannot exist,
        # since git prints a deprecation hint for any grafts file it finds, even an empty one
        GIT_GRAFT_FILE=os.path.join(os.devnull, "grafts"),
    )
    env.pop("GIT_EXTERNAL_DIFF", None)
    return env


def command(cwd: Path | str, *args: str, hooks: bool = False) -> list[str]:
    """The argument list for git; `hooks=True` keeps the repository's own `core.hooksPath`
    (only for asking where hooks live: tokscan never runs a command that runs hooks)."""
    argv = ["git", "-C", os.fspath(cwd)]
    for setting in SAFE_SETTINGS:
        if not (hooks and setting.startswith("core.hooksPath=")):
            argv += ("-c", setting)
    argv.extend(args)
    return argv


def run(
    cwd: Path | str,
    *args: str,
    check: bool = True,
    input: bytes | None = None,
    warnings: list[str] | None = None,
) -> bytes:
    """Run git and return its stdout; a failure becomes a TokscanError naming the command.

    Some commands only warn and still succeed when they could not do everything (ls-files
    on a directory it cannot read); pass `warnings` to collect what git said on stderr."""
    done = _complete(command(cwd, *args), environment(), input)
    if check and done.returncode != 0:
        raise TokscanError(f"git {args[0]} failed: {_first_line(done.stderr, done.returncode)}")
    if warnings is not None:
        warnings.extend(done.stderr.decode("utf-8", "replace").splitlines())
    return done.stdout


def try_run(cwd: Path | str, *args: str, hooks: bool = False) -> bytes | None:
    """Run git; its stdout, or None when it fails (for questions whose answer may be no)."""
    done = _complete(command(cwd, *args, hooks=hooks), environment())
    return done.stdout if done.returncode == 0 else None


def _complete(
    argv: list[str], env: dict[str, str], input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git to the end, capturing its output."""
    import subprocess

    try:
        return subprocess.run(argv, input=input, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise TokscanError("git is not installed or not on PATH") from None


# subprocess.PIPE, without importing subprocess on the hook's fast path.
_PIPE = -1


def popen(
    cwd: Path | str,
    *args: str,
    stdin: int | IO[bytes] | None = None,
    stdout: int | IO[bytes] | None = _PIPE,
    stderr: int | IO[bytes] | None = _PIPE,
) -> subprocess.Popen[bytes]:
    """Start a long-running git. `stdin`, `stdout` and `stderr` may be files: a process that
    runs alongside others should write its stderr to a file, since nobody drains a pipe."""
    import subprocess

    try:
        return subprocess.Popen(
            command(cwd, *args),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=environment(),
        )
    except FileNotFoundError:
        raise TokscanError("git is not installed or not on PATH") from None


class Stream:
    """git with its stdout as a readable binary stream; stderr goes to ours.

    Started with posix_spawnp so the hook's fast path imports nothing more than `os`.
    """

    def __init__(self, cwd: Path | str, *args: str) -> None:
        self.args = args
        read_end, write_end = os.pipe()
        actions = [
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_CLOSE, read_end),
            (os.POSIX_SPAWN_CLOSE, write_end),
        ]
        argv = command(cwd, *args)
        try:
            self.pid = os.posix_spawnp(argv[0], argv, environment(), file_actions=actions)
        except FileNotFoundError:
            os.close(read_end)
            raise TokscanError("git is not installed or not on PATH") from None
        finally:
            os.close(write_end)
        self.stdout: IO[bytes] = os.fdopen(read_end, "rb")

    def close(self) -> int:
        """Wait for git and return its exit code."""
        self.stdout.close()
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def check(self) -> None:
        code = self.close()
        if code != 0:
            raise TokscanError(f"git {self.args[0]} failed (exit {code}); see its message above")


# The only times tokscan talks to a remote: `tokscan ci` may have to deepen a shallow clone
# or fetch a range's commits, and `tokscan pre-push` asks the remote which refs it has.
# `protocol.allow=never` stays; these let the ordinary transports through for those calls
# only, while `ext::` (which runs a command) and any other transport stay refused.
FETCH_PROTOCOLS = ("file", "http", "https", "ssh")  # not git://, which core.gitProxy runs
FETCH_SAFETY = (
    "--no-tags",
    "--no-recurse-submodules",
    "--no-write-fetch-head",
    "--no-auto-maintenance",
    "--upload-pack=git-upload-pack",  # never a program named by the repository's config
    "--quiet",
)


def fetch(cwd: Path | str, remote: str, *args: str) -> str | None:
    """`git fetch` from `remote`; None when it worked, else git's first line of complaint."""
    done = _remote(cwd, "fetch", *FETCH_SAFETY, remote, *args)
    return None if done.returncode == 0 else _first_line(done.stderr, done.returncode)


def ls_remote(cwd: Path | str, remote: str) -> tuple[list[tuple[str, str]], str | None]:
    """The (object id, ref name) pairs that `remote` (a name or a URL) advertises, peeled
    tags (`refs/tags/v1^{}`) included, and None; or nothing and git's first line of
    complaint when it could not be asked."""
    done = _remote(cwd, "ls-remote", "--upload-pack=git-upload-pack", "--quiet", remote)
    if done.returncode != 0:
        return [], _first_line(done.stderr, done.returncode)
    refs = []
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        oid, tab, name = line.partition("\t")
        if tab:
            refs.append((oid, name))
    return refs, None


def _remote(cwd: Path | str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """git talking to a remote: the ordinary transports only, plain ssh, no askpass, and
    the credential helpers of the user's own configuration, never the repository's."""
    settings: list[str] = []
    for name in FETCH_PROTOCOLS:
        settings += ("-c", f"protocol.{name}.allow=always")
    settings += user_credential_helpers(cwd)
    argv = command(cwd, *settings, *args)
    env = environment()
    # Programs a repository's config could name for the transport: plain ssh, no askpass.
    env.update(GIT_SSH_COMMAND="ssh", GIT_ASKPASS="", SSH_ASKPASS="", SSH_ASKPASS_REQUIRE="never")
    return _complete(argv, env)


def user_credential_helpers(cwd: Path | str) -> list[str]:
    """`-c` settings that give back the credential helpers the user's global and system
    configuration name (keychain, manager, store...), in their order, so that a push from
    a private https remote can be checked. SAFE_SETTINGS' empty `credential.helper` has
    cleared every helper before these, the repository's own included: a helper is a
    program, and a scanned repository must not name one."""
    done = _complete(
        command(cwd, "config", "-z", "--show-scope", "--get-regexp", r"^credential\..*helper$"),
        environment(),
    )
    if done.returncode != 0:  # 1: none set
        return []
    fields = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    settings: list[str] = []
    for scope, entry in zip(fields[0::2], fields[1::2], strict=False):
        name, _, value = entry.partition("\n")
        if scope in ("global", "system") and "=" not in name:
            settings += ("-c", f"{name}={value}")
    return settings


# Past this many object ids, rev-list arguments go to git on standard input (`--stdin`):
# a command line is bounded (a push may exclude every tag a remote advertises).
ARGV_OBJECTS = 256


def revision_input(revisions: Sequence[str]) -> tuple[list[str], bytes | None]:
    """rev-list arguments (no `--` and paths) as a command line and standard input: when
    they name more than ARGV_OBJECTS object ids, those go to `--stdin` (`^id` where `--not`
    is in force, since git reads them without it) and options stay; else all is argv."""
    if sum(1 for item in revisions if _is_oid(item)) <= ARGV_OBJECTS:
        return list(revisions), None
    argv: list[str] = []
    lines: list[str] = []
    negated = False
    for item in revisions:
        if item == "--not":
            negated = not negated
            argv.append(item)
        elif _is_oid(item):
            lines.append(f"^{item}" if negated else item)
        else:
            argv.append(item)
    return [*argv, "--stdin"], "".join(f"{line}\n" for line in lines).encode()


def _is_oid(item: str) -> bool:
    return len(item) in (40, 64) and all(c in "0123456789abcdef" for c in item)


def is_null(oid: str) -> bool:
    """The all-zero object id git uses for "no commit" (a new or deleted ref)."""
    return bool(oid) and set(oid) == {"0"}


def toplevel(path: Path | str) -> Path | None:
    """The work tree root containing `path`, or None when `path` is not in a work tree."""
    output = try_run(path, "rev-parse", "--show-toplevel")
    if output is None:
        return None
    from pathlib import Path

    return Path(os.fsdecode(output.rstrip(b"\n")))


def split_z(output: bytes) -> list[str]:
    """NUL-separated git output as paths (undecodable bytes kept via surrogateescape):
    os.fsdecode of each, decoded in one call (thousands of paths cost a call each)."""
    text = output.decode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    return [item for item in text.split("\0") if item]


def literal(paths: Sequence[str]) -> list[str]:
    """Pathspecs that match exactly these paths (no globbing, no magic)."""
    return [f":(literal){p}" for p in paths]


def _first_line(stderr: bytes, code: int) -> str:
    """git's message, for ours; it may quote an argument, which could be a key."""
    from tokscan import keyformat

    text = stderr.decode("utf-8", "replace").strip()
    return keyformat.redact_all(text.splitlines()[0]) if text else f"exit {code}"
