"""tokscan/report/output.py: where the report and messages go, and what happens when they cannot."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tokscan.keyformat import redact


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("command", [["scan", "-f", "json"], ["scan"], ["history"]])
def test_a_report_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path, command):
    """Regression: a full disk under `tokscan scan -f json > report.json` raised OSError out
    of the command, so the user saw a traceback and exit 1 even for a clean scan."""
    (tmp_path / "a.txt").write_text("nothing to see\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-qm", "x"], check=True)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "tokscan", *command],
            cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert "cannot write the report" in done.stderr


# --- Nothing key-shaped is printed or written without --show-secrets ------------------
#
# Keys hide in names as well as in content: a file or folder, a commit's author, a tag or
# a branch. Whatever holds one, every format, the job summary, stderr, `-o` files and
# baselines show it redacted (tokscan/report/output.py redacts whatever it writes).

KEY_SHAPED = re.compile(r"tm-[A-Za-z0-9]{32}")  # as keyformat scrubs: boundaries or not
FORMATS = ("text", "json", "sarif", "github", "gitlab")


def key_shaped(*texts: str) -> list[str]:
    return [found for text in texts for found in KEY_SHAPED.findall(text)]


@pytest.fixture
def step_summary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def names_holding_keys(repo, keys) -> dict[str, str]:
    """A repository whose names hold keys, each name on a file that holds a key too (so
    that the name is reported): a file, a folder, a name glued to other text, an author
    and committer, a tag and a branch. Returns the keys by what holds them."""
    used = {name: keys() for name in (
        "content", "file", "folder", "glued", "author", "email", "committer", "tag", "branch"
    )}  # fmt: skip
    held = used["content"]
    repo.write(f"{used['file']}.env", f"TOKEN={held}\n")
    repo.write(f"conf/{used['folder']}/settings.py", f"T = '{held}'\n")
    repo.write(f"x{used['glued']}9.txt", f"{held}\n")  # no key's boundaries, still key-shaped
    repo.commit("files whose names hold keys")
    repo.write("app.py", f"K = '{held}'\n")
    repo.git("add", "-A")
    subprocess.run(
        ["git", "commit", "-q", "--no-verify", "-m", "by someone",
         "--author", f"{used['author']} <{used['email']}@example.com>"],
        cwd=repo.path, env={**repo.env(), "GIT_COMMITTER_NAME": used["committer"]}, check=True,
    )  # fmt: skip
    blob = repo.git("hash-object", "-w", "--stdin", input=f"tagged: {held}\n".encode()).strip()
    repo.git("tag", used["tag"], blob)  # a tag pointing at a blob: its path is refs/tags/<name>
    repo.git("branch", used["branch"], "HEAD~1")
    return used


@pytest.mark.parametrize("fmt", FORMATS)
def test_keys_in_names_are_redacted_in_every_format(
    repo, keys, run_tokscan, step_summary, tmp_path, fmt
):
    used = names_holding_keys(repo, keys)
    runs = [
        ["scan", "-f", fmt], ["history", "-f", fmt], ["ci", "-f", fmt, "--base", used["branch"]]
    ]
    for args in runs:
        result = run_tokscan(args, cwd=repo.path)
        assert result.code == 1, (args, result.stderr)
        assert not key_shaped(result.stdout, result.stderr), args
        report = tmp_path / f"report.{fmt}"
        result = run_tokscan([*args, "-o", str(report)], cwd=repo.path)
        assert result.code == 1
        assert not key_shaped(report.read_text(encoding="utf-8"), result.stdout, result.stderr)
    if fmt == "github":
        assert not key_shaped(step_summary.read_text(encoding="utf-8"))
    if fmt == "text":  # the names are still shown, redacted
        shown = run_tokscan(["history"], cwd=repo.path).stdout
        for name in ("file", "folder", "glued", "author", "email", "tag"):
            assert redact(used[name]) in shown, name


def test_key_shaped_ref_names_in_refs_at_tip_and_the_scope_line_are_redacted(
    repo, keys, run_tokscan
):
    used = names_holding_keys(repo, keys)
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    still = {ref for f in json.loads(result.stdout)["findings"] for ref in f["refs_at_tip"] or ()}
    assert {redact(used["branch"]), "main"} <= still
    text = run_tokscan(["history", "--no-progress", used["branch"]], cwd=repo.path)
    assert f"scanning the revisions given: {redact(used['branch'])}" in text.stderr
    lines = [line for line in text.stdout.splitlines() if "still in: " in line]
    assert any(redact(used["branch"]) in line.split("still in: ")[1].split(", ") for line in lines)
    assert not key_shaped(result.stdout, result.stderr, text.stdout, text.stderr)


def test_the_ci_reason_names_the_branch_redacted(repo, keys, run_tokscan):
    branch = names_holding_keys(repo, keys)["branch"]
    result = run_tokscan(["ci", "-f", "json", "--base", branch], cwd=repo.path)
    reason = json.loads(result.stdout)["scan"]["ci"]["reason"]
    assert reason.startswith(f"--base {redact(branch)}: the commits on HEAD that {redact(branch)}")
    assert f"tokscan ci: --base {redact(branch)}" in result.stderr
    assert not key_shaped(result.stdout, result.stderr)


def test_show_secrets_shows_names_and_keys_whole(repo, keys, run_tokscan):
    held, file_key = keys(), keys()
    repo.write(f"{file_key}.env", f"TOKEN={held}\n")
    result = run_tokscan(["scan", "-f", "json", "--show-secrets"], cwd=repo.path)
    report = json.loads(result.stdout)
    found = [f for f in report["findings"] if f["path"] == f"{file_key}.env"]
    assert [f["secret"] for f in found if f["line"] == 1 and f["column"] == 7] == [held]
    assert not key_shaped(result.stderr)


def test_a_written_baseline_holds_no_key_shaped_name(repo, keys, run_tokscan, tmp_path):
    held, file_key = keys(), keys()
    repo.write(f"{file_key}.env", f"TOKEN={held}\n")
    baseline = tmp_path / "baseline.json"
    for extra in ([], ["--show-secrets"]):  # a baseline never holds a key, whatever was asked
        result = run_tokscan(["scan", "--write-baseline", str(baseline), *extra], cwd=repo.path)
        assert result.code == 0
        text = baseline.read_text(encoding="utf-8")
        assert not key_shaped(text, result.stderr)
        assert f"{redact(file_key)}.env" in text
        assert run_tokscan(["scan", "--baseline", str(baseline)], cwd=repo.path).code == 0


# --- what stands where a report or baseline goes -----------------------------------------


def _tokscan(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """In a subprocess with a timeout: opening a FIFO for writing waits for a reader."""
    return subprocess.run(
        [sys.executable, "-m", "tokscan", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.txt").write_text("nothing to see\n")
    return root


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder for what the report is written onto: nothing else is in it."""
    folder = tmp_path / "place"
    folder.mkdir()
    return folder


def _private_device(tmp_path: Path) -> Path:
    """A character device like /dev/null (writing to it would succeed), made where
    replacing it by mistake is harmless."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError):
        pytest.skip("cannot make a device node here (needs root)")
    return path


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
@pytest.mark.parametrize("through_link", [False, True])
def test_a_report_or_baseline_never_replaces_what_is_not_a_regular_file(
    place, project, option, kind, through_link
):
    """Regression: `--write-baseline /dev/full` (as root) replaced the device node with a
    regular file and said it had written the baseline; `-o FIFO` waited forever for a
    reader. A device, a FIFO or a folder is refused, by name, exit 2, and left as it was;
    through a symbolic link too."""
    if kind == "fifo":
        target = place / "pipe"
        os.mkfifo(target)
        is_kind = stat.S_ISFIFO
    elif kind == "folder":
        target = place / "folder"
        target.mkdir()
        is_kind = stat.S_ISDIR
    else:
        target = _private_device(place)
        is_kind = stat.S_ISCHR
    named = target
    if through_link:
        named = place / "link"
        named.symlink_to(target)
    done = _tokscan(["scan", "-f", "json", option, str(named)], project)
    assert done.returncode == 2, done.stderr
    assert f"cannot write {'baseline ' if 'baseline' in option else ''}{named}: " in done.stderr
    assert "Traceback" not in done.stderr and "wrote" not in done.stderr
    assert is_kind(os.lstat(target).st_mode)
    if through_link:
        assert named.is_symlink()
    assert sorted(p.name for p in place.iterdir()) == sorted(
        [target.name] + (["link"] if through_link else [])
    )  # no temporary file left behind


@pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0 and os.access("/dev/full", os.W_OK)),
    reason="needs root and a writable /dev/full",
)
@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_dev_full_is_refused_and_stays_a_device(project, option):
    """The red team's own case. Should the refusal ever break, /dev/full is put back."""
    try:
        done = _tokscan(["scan", option, "/dev/full"], project)
    finally:
        if not stat.S_ISCHR(os.lstat("/dev/full").st_mode):
            os.unlink("/dev/full")
            os.mknod("/dev/full", stat.S_IFCHR | 0o666, os.makedev(1, 7))
            pytest.fail("/dev/full was replaced (and has been restored)")
    assert done.returncode == 2
    assert "/dev/full: it is a device, not a regular file" in done.stderr


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
@pytest.mark.parametrize("exists", [True, False])
def test_a_symbolic_link_is_written_through(tmp_path, project, option, exists):
    """A link to a regular file (or to where one does not exist yet) gets the file written
    to its target; the link stays a link."""
    target = tmp_path / "real" / "out.json"
    target.parent.mkdir()
    if exists:
        target.write_text("old\n")
        target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(os.path.relpath(target, tmp_path))
    done = _tokscan(["scan", "-f", "json", option, str(link)], project)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, tmp_path)
    written = json.loads(target.read_text())
    assert ("findings" in written) and ("version" in written)
    if exists:  # replaced atomically, keeping its mode
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_a_regular_file_is_replaced_atomically(place, project, option):
    """The new content is written beside the file and renamed over it: a reader sees the
    old file or the new one, never half of one."""
    out = place / "out.json"
    out.write_text("old\n")
    inode = out.stat().st_ino
    done = _tokscan(["scan", "-f", "json", option, str(out)], project)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["findings"] == []
    assert out.stat().st_ino != inode  # a new file took its place
    assert sorted(p.name for p in place.iterdir()) == ["out.json"]


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_where_the_report_goes_is_checked_before_the_scan(place, project, option):
    """A history audit can take minutes: a FIFO in the way is reported before it starts."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    os.mkfifo(place / "pipe")
    done = _tokscan(["history", option, str(place / "pipe")], project)
    what = "baseline " if "baseline" in option else ""
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"tokscan: cannot write {what}{place}/pipe: it is a FIFO (named pipe), not a regular "
        "file\n"
    )
