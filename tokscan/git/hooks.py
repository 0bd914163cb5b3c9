"""Plain git hooks: their text, and installing them into a repository's hooks folder.

The scripts in the top-level `hooks/` folder are `script(hook)` with no recorded
interpreter (tests/commands/test_install.py keeps them equal); `tokscan install` writes the same
script with the interpreter that has tokscan, so the hook works when that virtual
environment is not on PATH at commit time.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tokscan import git
from tokscan.errors import TokscanError

HOOKS = {
    "pre-commit": ("staged", "blocks a commit that adds a TokModel API key"),
    "pre-push": ("pre-push", "blocks a push that sends commits holding a TokModel API key"),
    "commit-msg": ("commit-msg", "blocks a commit whose message holds a TokModel API key"),
    "pre-receive": ("pre-receive", "rejects a push that brings a TokModel API key here"),
}
# The hooks git passes arguments to (pre-push: the remote; commit-msg: the message file).
_WITH_ARGUMENTS = ("pre-push", "commit-msg")
_FALSE_POSITIVE = (
    "# A genuine false positive? Put `tokscan:allow` in a comment on that line, or add the\n"
    "# key's fingerprint to `allow` in .tokscan.yaml."
)
_SERVER = (
    "# Runs on the server, in the repository that receives pushes. Its policy (allowlist,\n"
    "# baseline, time budget, bypass) is set with `git config tokscan.*` here: see\n"
    "# docs/server-hooks.md. A .tokscan.yaml in the pushed commits is never read."
)
MARKER = "# tokscan-hook:"

REPOSITORY = "https://github.com/tokscan/tokscan"  # where releases are tagged
_TEMPLATE = """#!/bin/sh
# tokscan {hook} hook: {purpose}.
# Installed by `tokscan install --hook {hook}`, or copied from tokscan's hooks/ folder.
{policy}
{marker} {hook}

# The Python that has tokscan (recorded by `tokscan install`); TOKSCAN_PYTHON overrides it.
python="${{TOKSCAN_PYTHON:-{python}}}"
{quick}if [ -n "$python" ] && [ -x "$python" ]; then
    exec "$python" -m tokscan {command}{args}
fi
{generic}if command -v tokscan >/dev/null 2>&1; then
    exec tokscan {command}{args}
fi
echo "tokscan {hook} hook: cannot find tokscan${{python:+ (looked for $python and on PATH)}}." >&2
echo "Install it (pipx install git+{repository}@v{version}) and run" >&2
echo "'tokscan install --hook {hook} --force' in this" >&2
echo "repository, or set TOKSCAN_PYTHON to a Python that has tokscan installed." >&2
echo "The {hook} was stopped so that no key slips through unchecked." >&2
exit 1
"""


# The pre-commit hook runs on every commit, and most of its time is Python starting: with
# the recorded interpreter and the folder tokscan was installed in, it starts without
# `site` (-S: no site-packages scan, no .pth files; tokscan loads `site` itself if a
# commit needs more than the clean path) and isolated (-I: nothing from PYTHON*
# variables or the repository's folder can shadow tokscan).
_QUICK = """package="{package}"
if [ -z "${{TOKSCAN_PYTHON:-}}" ] && [ -x "$python" ] && [ -f "$package/tokscan/cli/main.py" ]; then
    exec "$python" -I -S -c '{bootstrap}' "$package" {command}
fi
"""
# The folder goes first on the path; what is left in sys.argv is tokscan's command line.
# Where pip puts compiled packages apart (platlib: `lib64/` on Fedora and openSUSE system
# Pythons; in a virtual environment a link to `lib/`), tokscan's dependencies may be there.
BOOTSTRAP = (
    "import sys; p = sys.argv.pop(1); "
    'sys.path[:0] = [p, p.replace("/lib/python", "/lib64/python", 1)]; '
    "from tokscan.cli.main import main; sys.exit(main())"
)


# (The environment's folder is the one above its Python's: without `site`, sys.prefix is
# the base installation's, not the virtual environment's, which `site` sets.)
# A generic script (hooks/, no recorded interpreter) starts the `tokscan` on PATH the
# same quick way when it can tell that console script's Python: its first line is
# `#!/path/to/python` (what pip writes; not `#!/usr/bin/env ...`, nor pip's `#!/bin/sh`
# wrapper for paths with spaces, nor a Windows .exe), and that Python's site-packages
# holds tokscan (a virtual environment or pipx). Anywhere else (a --user install, an
# editable one, Debian's dist-packages) the bootstrap hands over to the console script
# itself, which starts as it always does.
_GENERIC_QUICK = """if [ -z "$python" ] && script=$(command -v tokscan) && [ -f "$script" ]; then
    IFS= read -r line < "$script" || line=""
    case "$line" in
    "#!/"*" "*) ;;
    "#!/"*python*)
        [ -x "${{line#??}}" ] &&
            exec "${{line#??}}" -I -S -c '{bootstrap}' "$script" {command}{args} ;;
    esac
fi
"""
GENERIC_BOOTSTRAP = (
    "import os, sys; s = sys.argv.pop(1); "
    "r = os.path.dirname(os.path.dirname(sys.executable)); "
    'v = "python%d.%d" % sys.version_info[:2]; '
    'p = os.path.join(r, "lib", v, "site-packages"); '
    'os.path.isfile(os.path.join(p, "tokscan", "__init__.py")) or os.execv(s, [s] + sys.argv[1:]); '
    'sys.path[:0] = [p, os.path.join(r, "lib64", v, "site-packages")]; '
    "from tokscan.cli.main import main; sys.exit(main())"
)


# The pre-commit framework's entry (.pre-commit-hooks.yaml) starts the Python of the
# environment it made for tokscan the same quick way: its site-packages, where pip put
# tokscan, first on the path; where that folder is laid out otherwise (Windows) or holds no
# tokscan, `site` as usual.
FRAMEWORK_BOOTSTRAP = (
    "import os, sys; "
    "r = os.path.dirname(os.path.dirname(sys.executable)); "
    "v = 'python%d.%d' % sys.version_info[:2]; "
    "p = os.path.join(r, 'lib', v, 'site-packages'); "
    "ok = os.path.isfile(os.path.join(p, 'tokscan', '__init__.py')); "
    "ok or __import__('site').main(); "
    "sys.path[:0] = [p, os.path.join(r, 'lib64', v, 'site-packages')] if ok else []; "
    "from tokscan.cli.main import main; sys.exit(main())"
)
FRAMEWORK_ENTRY = f'python -I -S -c "{FRAMEWORK_BOOTSTRAP}" staged'


def script(hook: str, python: str = "", package: str = "") -> str:
    """The hook's text; with `python` and `package` (the folder holding the `tokscan`
    package), as `tokscan install` writes it, else the generic one of hooks/."""
    command, purpose = HOOKS[hook]
    args = ' "$@"' if hook in _WITH_ARGUMENTS else ""
    from tokscan import __version__

    quick = ""
    if hook == "pre-commit" and python and package:
        quick = _QUICK.format(package=_shell_quote(package), bootstrap=BOOTSTRAP,
                              command=command)
    generic = ""
    if not python:
        generic = _GENERIC_QUICK.format(bootstrap=GENERIC_BOOTSTRAP, command=command, args=args)
    return _TEMPLATE.format(
        generic=generic,
        repository=REPOSITORY,
        version=__version__,
        hook=hook,
        policy=_SERVER if hook == "pre-receive" else _FALSE_POSITIVE,
        purpose=purpose,
        marker=MARKER,
        python=_shell_quote(python),
        quick=quick,
        command=command,
        args=args,
    )


def package_folder() -> str:
    """The folder that holds the running `tokscan` package (site-packages, or the source
    checkout of an editable install)."""
    import tokscan

    return os.path.dirname(os.path.dirname(os.path.abspath(tokscan.__file__)))


def _shell_quote(text: str) -> str:
    """`text` safe inside a double-quoted shell word."""
    for special in ("\\", '"', "$", "`"):
        text = text.replace(special, "\\" + special)
    return text


def hooks_folder(cwd: Path) -> Path:
    """Where git looks for hooks: `core.hooksPath` if set, else the (common) git dir's hooks."""
    output = git.try_run(cwd, "rev-parse", "--git-path", "hooks", hooks=True)
    if output is None:
        raise TokscanError(f"not in a git repository: {cwd}")
    folder = Path(os.fsdecode(output.rstrip(b"\n")))
    return folder if folder.is_absolute() else (cwd / folder)


def install(cwd: Path, hook: str, force: bool) -> tuple[Path, str]:
    """Install `hook`; returns its path and what happened ("installed", "updated",
    "unchanged", or "replaced, old hook saved as ...")."""
    folder = hooks_folder(cwd)
    target = folder / hook
    text = script(hook, sys.executable, package_folder())
    try:
        current = target.read_text(encoding="utf-8", errors="replace") if target.exists() else None
    except OSError as error:
        raise TokscanError(f"cannot read the existing hook {target}: {error.strerror}") from None
    outcome = "installed"
    if current is not None:
        if current == text:
            _make_executable(target)
            return target, "unchanged"
        if f"{MARKER} {hook}" in current:
            outcome = "updated"
        elif not force:
            line = f"tokscan {HOOKS[hook][0]}" + (' "$@"' if hook in _WITH_ARGUMENTS else "")
            raise TokscanError(
                f"a different {hook} hook already exists at {target}; tokscan did not touch it.\n"
                f"Either add this line to that hook:  {line}\n"
                f"or replace it (the old one is kept): tokscan install --hook {hook} --force"
            )
        else:
            backup = _free_name(target)
            os.replace(target, backup)
            outcome = f"replaced; the old hook is saved as {backup}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{hook}.tokscan-tmp")
        temporary.write_text(text, encoding="utf-8")
        _make_executable(temporary)
        os.replace(temporary, target)
    except OSError as error:
        raise TokscanError(f"cannot write {target}: {error.strerror}") from None
    return target, outcome


def _make_executable(path: Path) -> None:
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _free_name(target: Path) -> Path:
    candidate = target.with_name(target.name + ".before-tokscan")
    number = 1
    while candidate.exists():
        number += 1
        candidate = target.with_name(f"{target.name}.before-tokscan.{number}")
    return candidate
