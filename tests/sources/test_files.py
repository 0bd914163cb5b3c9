"""tokscan/sources/files.py through `tokscan scan`: which files are scanned, and how.

Real git repositories (tests/support/gitrepo.py) and plain directories in temporary folders.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import jsonreport, process, reference
from support.gitrepo import GitRepo
from support.jsonreport import places

from tokscan import keyformat
from tokscan.model import Origin
from tokscan.sources import files
from tokscan.sources.stream import CHUNK_SIZE


def report_of(run_tokscan, *args: str, cwd: Path) -> tuple[int, dict]:
    result = run_tokscan(["scan", "-f", "json", *args], cwd=cwd)
    return result.code, jsonreport.load(result.stdout)


def paths(report: dict) -> set[str]:
    return {f["path"] for f in report["findings"]}


def key_line(key: str) -> str:
    return f'TOKMODEL_API_KEY = "{key}"\n'  # the key at column 21


# --- what a git work tree contributes -------------------------------------------------


def test_tracked_and_untracked_files_are_scanned_ignored_ones_are_not(repo, keys, run_tokscan):
    repo.write(".gitignore", "ignored.txt\nbuild/\n*.log\n")
    repo.write("tracked.py", key_line(keys()))
    repo.commit("tracked")
    repo.write("untracked.py", key_line(keys()))
    repo.write("staged.py", key_line(keys()))
    repo.add("staged.py")
    repo.write("ignored.txt", key_line(keys()))
    repo.write("build/out.js", key_line(keys()))
    repo.write("debug.log", key_line(keys()))
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert code == 1
    assert paths(report) == {"tracked.py", "untracked.py", "staged.py"}
    assert report["scan"]["root"] == str(repo.path)
    assert report["scan"]["objects_scanned"] == 4  # .gitignore too

    code, report = report_of(run_tokscan, "--all-files", cwd=repo.path)
    assert paths(report) == {
        "tracked.py", "untracked.py", "staged.py", "ignored.txt", "build/out.js", "debug.log"
    }


def test_ignored_file_named_on_the_command_line_is_scanned(repo, keys, run_tokscan):
    repo.write(".gitignore", "secret.env\n")
    repo.write("secret.env", key_line(keys()))
    _, report = report_of(run_tokscan, "secret.env", cwd=repo.path)
    assert paths(report) == {"secret.env"}


def test_ignored_folder_named_on_the_command_line_is_scanned_whole(repo, keys, run_tokscan):
    """Regression: `tokscan scan dist` with `dist/` in .gitignore listed nothing ("0 files")
    and exited 0 although dist/bundle.js held a key. A folder the user names is scanned
    whole, ignored files included, as a named file is; `tokscan scan` alone keeps to what
    git knows."""
    repo.write(".gitignore", "dist/\n*.log\n")
    repo.write("src/app.py", "x = 1\n")
    repo.commit("app")
    repo.write("dist/bundle.js", key_line(keys()))
    repo.write("dist/deep/chunk.js", key_line(keys()))
    repo.write("src/debug.log", key_line(keys()))
    code, report = report_of(run_tokscan, "dist", cwd=repo.path)
    assert (code, paths(report)) == (1, {"dist/bundle.js", "dist/deep/chunk.js"})
    assert report["scan"]["objects_scanned"] == 2
    _, report = report_of(run_tokscan, "bundle.js", cwd=repo.path / "dist")
    assert paths(report) == {"dist/bundle.js"}
    _, report = report_of(run_tokscan, ".", cwd=repo.path / "dist")
    assert paths(report) == {"dist/bundle.js", "dist/deep/chunk.js"}
    _, report = report_of(run_tokscan, "src", "dist/deep", cwd=repo.path)
    assert paths(report) == {"src/debug.log", "dist/deep/chunk.js"}
    _, report = report_of(run_tokscan, ".", cwd=repo.path)
    assert paths(report) == {"dist/bundle.js", "dist/deep/chunk.js", "src/debug.log"}
    code, report = report_of(run_tokscan, cwd=repo.path)  # nothing named: what git knows
    assert (code, paths(report)) == (0, set())


def test_dot_git_is_never_scanned(repo, keys, run_tokscan):
    repo.write("a.py", "x = 1\n")
    repo.commit(f"add a\n\n{keys()}")  # the key lands in .git/COMMIT_EDITMSG and objects
    (repo.path / ".git" / "description").write_text(key_line(keys()))
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "exclude").write_text(f"# {keys()}\n")
    for args in ([], ["--all-files"], ["."], [".git"], [".git/description"]):
        code, report = report_of(run_tokscan, *args, cwd=repo.path)
        assert (code, report["findings"]) == (0, []), args


def test_dot_git_is_never_scanned_in_plain_directories(tmp_path, keys, run_tokscan):
    plain = tmp_path / "plain"
    (plain / "sub" / ".git").mkdir(parents=True)  # not a repository: just a folder so named
    (plain / "sub" / ".git" / "config").write_text(key_line(keys()))
    (plain / ".git").write_text(f"gitdir: {keys()}\n")  # a gitfile, as in a worktree
    (plain / "sub" / "app.py").write_text(key_line(keys()))
    _, report = report_of(run_tokscan, cwd=plain)
    assert paths(report) == {"sub/app.py"}


def test_plain_directory_outside_git_scans_every_file(tmp_path, keys, run_tokscan):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".gitignore").write_text("*.env\n")  # meaningless outside a repository
    (plain / "a.env").write_text(key_line(keys()))
    (plain / "deep" / "er").mkdir(parents=True)
    (plain / "deep" / "er" / "b.txt").write_text(key_line(keys()))
    (plain / ".hidden").write_text(key_line(keys()))
    code, report = report_of(run_tokscan, cwd=plain)
    assert code == 1
    assert places(report) == {("a.env", 1, 21), ("deep/er/b.txt", 1, 21), (".hidden", 1, 21)}
    assert report["scan"]["root"] == str(plain)
    # The same tree named from outside gives the same relative paths.
    _, again = report_of(run_tokscan, str(plain), cwd=tmp_path)
    assert places(again) == places(report)


def test_subdirectory_of_a_repository_reports_paths_from_the_root(repo, keys, run_tokscan):
    repo.write("src/app/settings.py", key_line(keys()))
    repo.write("docs/x.md", key_line(keys()))
    _, report = report_of(run_tokscan, "src", cwd=repo.path)
    assert paths(report) == {"src/app/settings.py"}
    _, report = report_of(run_tokscan, ".", cwd=repo.path / "src" / "app")
    assert paths(report) == {"src/app/settings.py"}


# --- configuration excludes -----------------------------------------------------------


@pytest.mark.parametrize("in_git", [True, False])
def test_config_excludes(tmp_path, keys, run_tokscan, in_git):
    root = tmp_path / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / ".tokscan.yaml").write_text(
        'exclude:\n  - "fixtures/**"\n  - "*.snap"\n  - "docs/"\n  - "/top-only.txt"\n'
    )
    for name in ("fixtures/a.py", "fixtures/deep/b.py", "x/y.snap", "docs/c.md",
                 "top-only.txt", "src/top-only.txt", "src/keep.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(key_line(keys()))
    _, report = report_of(run_tokscan, cwd=root)
    assert paths(report) == {"src/top-only.txt", "src/keep.py"}


# --- binary files ---------------------------------------------------------------------


def test_binary_files_are_searched_unless_told_not_to(repo, keys, run_tokscan):
    key = keys()
    header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0"
    repo.write("image.png", header + key.encode() + b"\0")
    repo.write("late-nul.txt", b"x" * 9000 + b"\0" + key_line(keys()).encode())
    repo.write("text.py", key_line(keys()))
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert code == 1
    assert paths(report) == {"image.png", "late-nul.txt", "text.py"}
    [png] = [f for f in report["findings"] if f["path"] == "image.png"]
    assert png["fingerprint"] == keyformat.fingerprint(key)
    assert png["byte_offset"] == len(header)  # a binary finding says where its bytes are
    assert all("byte_offset" not in f for f in report["findings"] if f["path"] != "image.png")

    # --no-binary: git's rule, only a NUL in the first 8000 bytes makes a file binary.
    code, report = report_of(run_tokscan, "--no-binary", cwd=repo.path)
    assert paths(report) == {"late-nul.txt", "text.py"}
    result = run_tokscan(["scan", "--no-binary"], cwd=repo.path)
    assert "skipped 1 binary" in result.stderr + result.stdout
    repo.write(".tokscan.yaml", "binary: false\n")
    _, report = report_of(run_tokscan, cwd=repo.path)
    assert paths(report) == {"late-nul.txt", "text.py"}
    _, report = report_of(run_tokscan, "--binary", cwd=repo.path)  # the command line wins
    assert paths(report) == {"image.png", "late-nul.txt", "text.py"}


# --- large files ----------------------------------------------------------------------


def test_large_file_keys_across_chunk_edges(repo, keys, run_tokscan):
    """20 MB of UTF-8 lines and a 20 MB minified line: keys straddling every 4 MiB read."""
    line = "ñandú 中文 data = [1, 2, 3] # some ordinary text\n".encode()
    texts = {
        "lines.txt": bytearray(line * (20_000_000 // len(line))),
        "minified.js": bytearray(line.replace(b"\n", b";") * (20_000_000 // len(line))),
    }
    shifts = {"lines.txt": (-36, -35, -17, 0), "minified.js": (-20, -2, -1, 1)}
    expected = set()
    for name, body in texts.items():
        planted = []
        for edge, shift in enumerate(shifts[name], 1):
            pos = edge * CHUNK_SIZE + shift
            body[pos - 1 : pos + 36] = b" " + keys().encode() + b" "
            planted.append(pos)
        body[-36:] = b"\n" + keys().encode()  # and one that ends at the very last byte
        planted.append(len(body) - 35)
        data = bytes(body)
        assert data.count(b"tm-") == len(planted)
        repo.write(name, data)
        expected |= {(name, *reference.location(data, pos)) for pos in planted}
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert code == 1
    assert places(report) == expected
    assert report["scan"]["bytes_scanned"] == sum(map(len, texts.values()))


@pytest.mark.parametrize("extra", [-1, 0, 1, 36, 53])
def test_key_at_the_last_byte_of_files_around_the_chunk_size(repo, keys, run_tokscan, extra):
    first, last = keys().encode(), keys().encode()
    size = CHUNK_SIZE + extra
    data = first + b" " + b"y" * (size - 2 * 35 - 2) + b"\n" + last
    assert len(data) == size
    repo.write("edge.txt", data)
    _, report = report_of(run_tokscan, cwd=repo.path)
    assert places(report) == {("edge.txt", 1, 1), ("edge.txt", 2, 1)}
    assert report["scan"]["bytes_scanned"] == size


def test_stdin_large_input_is_streamed(keys, run_tokscan, tmp_path):
    key = keys()
    data = b"x\n" * (CHUNK_SIZE // 2 - 10) + b"k=" + key.encode() + b"\n" + b"y" * CHUNK_SIZE
    result = run_tokscan(["scan", "-f", "json", "-"], cwd=tmp_path, stdin=data)
    report = jsonreport.load(result.stdout)
    assert places(report) == {("<stdin>", CHUNK_SIZE // 2 - 9, 3)}
    assert report["scan"]["bytes_scanned"] == len(data)


# --- symbolic links -------------------------------------------------------------------


@pytest.mark.parametrize("in_git", [True, False])
def test_symlinks_are_never_followed(tmp_path, keys, run_tokscan, in_git):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(key_line(keys()))
    root = tmp_path / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / "real").mkdir()
    (root / "real" / "app.py").write_text(key_line(keys()))
    os.symlink("real/app.py", root / "link-to-file.py")
    os.symlink("real", root / "link-to-dir")
    os.symlink(outside, root / "link-out")
    os.symlink(outside / "secret.txt", root / "link-out.txt")
    os.symlink(".", root / "real" / "loop")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("nowhere", root / "dangling")
    if in_git:
        GitRepo(root, init=False).commit("links")
    code, report = report_of(run_tokscan, cwd=root)
    assert code == 1
    assert places(report) == {("real/app.py", 1, 21)}
    result = run_tokscan(["scan"], cwd=root)
    assert "skipped 8 symlink" in result.stdout


def test_symlinked_directory_named_on_the_command_line_is_entered(tmp_path, keys, run_tokscan):
    """Regression: `tokscan scan LINK` scanned nothing and passed when LINK was a symlink to
    the directory to scan (CI workspaces often are); a path through a symlinked directory
    was reported as an absolute path."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/a.py", key_line(keys()))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "b.py").write_text(key_line(keys()))
    os.symlink(repo.path, tmp_path / "repo-link")
    os.symlink(plain, tmp_path / "plain-link")
    for target, expected in (("repo-link", {"src/a.py"}), ("repo-link/src", {"src/a.py"}),
                             ("repo-link/src/a.py", {"src/a.py"}), ("plain-link", {"b.py"})):
        code, report = report_of(run_tokscan, target, cwd=tmp_path)
        assert code == 1, target
        assert paths(report) == expected, target


def test_symlinked_file_named_on_the_command_line_is_skipped(repo, keys, run_tokscan):
    repo.write("real.py", key_line(keys()))
    os.symlink("real.py", repo.path / "link.py")
    code, report = report_of(run_tokscan, "link.py", cwd=repo.path)
    assert (code, report["findings"]) == (0, [])


# --- unreadable files and directories -------------------------------------------------


@pytest.fixture
def world_readable_tmp(tmp_path: Path) -> Path:
    if not process.can_make_unreadable(tmp_path):
        pytest.skip("file permissions cannot be made to bind here")
    return tmp_path


def _scan_without_read_override(args: list[str], cwd: Path) -> process.Result:
    return process.run(["scan", *args], cwd, preexec_fn=process.permissions_bind())


@pytest.mark.parametrize("in_git", [True, False])
def test_unreadable_file_is_an_error_and_exit_2(world_readable_tmp, keys, in_git):
    root = world_readable_tmp / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    locked = root / "locked.py"
    locked.write_text(key_line(keys()))
    locked.chmod(0)
    try:
        result = _scan_without_read_override(["-f", "json"], root)
        text = _scan_without_read_override([], root)
    finally:
        locked.chmod(0o644)
    assert result.code == 2
    report = jsonreport.load(result.stdout)
    assert report["scan"]["errors"] == [{"path": "locked.py", "message": "permission denied"}]
    assert "cannot scan locked.py: permission denied" in result.stderr
    assert text.code == 2
    assert "the scan is incomplete" in text.stdout
    assert "locked.py: permission denied" in text.stdout


@pytest.mark.parametrize("in_git", [True, False])
def test_unreadable_directory_is_an_error_and_exit_2(world_readable_tmp, keys, in_git):
    """Regression (git): `git ls-files` only warns about a directory it cannot read and
    exits 0, so the files in it were silently left out and the scan passed."""
    root = world_readable_tmp / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    (root / "private").mkdir()
    (root / "private" / "config.py").write_text(key_line(keys()))
    (root / "private").chmod(0)
    try:
        result = _scan_without_read_override(["-f", "json"], root)
    finally:
        (root / "private").chmod(0o755)
    assert result.code == 2
    report = jsonreport.load(result.stdout)
    assert [e["path"] for e in report["scan"]["errors"]] == ["private"]
    assert "permission denied" in report["scan"]["errors"][0]["message"]


@pytest.mark.parametrize("in_git", [True, False])
def test_unreadable_directory_named_on_the_command_line_is_an_error(
    world_readable_tmp, keys, in_git
):
    """Regression: looking for a .tokscan.yaml inside the unreadable directory raised a
    PermissionError, and the user saw a traceback."""
    root = world_readable_tmp / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / "private").mkdir()
    (root / "private" / "config.py").write_text(key_line(keys()))
    (root / "private").chmod(0)
    try:
        result = _scan_without_read_override(["-f", "json", "private"], root)
    finally:
        (root / "private").chmod(0o755)
    assert "Traceback" not in result.stderr
    assert result.code == 2
    assert "permission denied" in result.stderr.lower()


def test_any_git_listing_warning_fails_the_scan(world_readable_tmp):
    """git warns (and exits 0) when it cannot read a .gitignore: which files are ignored is
    then unknown, so the scan is incomplete."""
    repo = GitRepo(world_readable_tmp / "project")
    repo.write("sub/.gitignore", "*.log\n")
    repo.write("sub/a.py", "x = 1\n")
    (repo.path / "sub" / ".gitignore").chmod(0)
    try:
        result = _scan_without_read_override(["-f", "json"], repo.path)
    finally:
        (repo.path / "sub" / ".gitignore").chmod(0o644)
    assert result.code == 2
    errors = jsonreport.load(result.stdout)["scan"]["errors"]
    assert {"path": None, "message": "git ls-files: warning: unable to access "
            "'sub/.gitignore': Permission denied"} in errors


def test_scan_of_targets_that_are_not_regular_files(tmp_path):
    """A tracked file gone from disk is skipped, a FIFO is never opened (it would block),
    and any other failure to read is an error."""
    target = files.Target("gone.py", str(tmp_path / "missing" / "gone.py"))
    assert files.scan(target).skipped == "missing"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert files.scan(files.Target("pipe", str(fifo))).skipped == "special file"
    long_name = files.Target("x", str(tmp_path / ("n" * 300)))
    outcome = files.scan(long_name)
    assert outcome.error == "File name too long"


# --- awkward names --------------------------------------------------------------------

AWKWARD = [
    "with space/a b.py",
    "naïve/中文 файл.py",
    "emoji😀.env",
    "new\nline.py",
    "tab\tand\"quote'.txt",
    "-dash-first.py",
    "*star?.py",
    ":(literal)odd.py",
]


@pytest.mark.parametrize("in_git", [True, False])
def test_paths_with_spaces_unicode_newlines_and_bad_bytes(tmp_path, keys, run_tokscan, in_git):
    root = tmp_path / "project"
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    for name in AWKWARD:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(key_line(keys()))
    bad = os.fsencode(root) + b"/bad\xff\xfename.py"
    with open(bad, "wb") as handle:
        handle.write(key_line(keys()).encode())
    if in_git:
        GitRepo(root, init=False).commit("awkward names")
    _, report = report_of(run_tokscan, cwd=root)
    assert paths(report) == set(AWKWARD) | {"bad\\xff\\xfename.py"}
    # Named one by one on the command line, the same paths come back.
    _, report = report_of(run_tokscan, "--", *AWKWARD, cwd=root)
    assert paths(report) == set(AWKWARD)
    # A path containing a newline stays one line in the text report.
    text = run_tokscan(["scan", "--", "new\nline.py"], cwd=root).stdout
    assert "new\\nline.py:1:21" in text


@pytest.mark.parametrize("in_git", [True, False])
def test_a_root_whose_name_is_not_utf8(tmp_path, keys, run_tokscan, in_git):
    """Regression: a scanned folder named with byte 0xff crashed `-f json -o FILE` with an
    internal UnicodeEncodeError and no report. The root is shown as `\\xNN`, like every
    other path, in every format."""
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/root\xff"))
    if in_git:
        GitRepo(root)
    else:
        root.mkdir()
    (root / "app.py").write_text(key_line(keys()))
    shown = f"{tmp_path}/root\\xff"
    for form in ("json", "sarif", "gitlab", "github", "text"):
        out = tmp_path / f"report.{form}"
        result = run_tokscan(["scan", "-f", form, "-o", str(out)], cwd=root)
        assert result.code == 1, result.stderr
        assert "internal error" not in result.stderr
        body = out.read_bytes().decode("utf-8")  # valid UTF-8
        assert "\udcff" not in body and "\\udcff" not in body
        if form in ("json", "sarif", "gitlab"):
            document = json.loads(body)
            if form == "json":
                assert jsonreport.check(document)["scan"]["root"] == shown
    result = run_tokscan(["scan", "-f", "json"], cwd=root)
    assert json.loads(result.stdout)["scan"]["root"] == shown
    assert "\\udcff" not in result.stdout + result.stderr
    (root / ".tokscan.yaml").write_text("exclude: [\n")  # and in an error message
    result = run_tokscan(["scan"], cwd=root)
    assert result.code == 2
    assert result.stderr.startswith(f"tokscan: {shown}/.tokscan.yaml:2: malformed YAML")


@pytest.mark.slow
@pytest.mark.parametrize("in_git", [True, False])
def test_100_000_tiny_files_are_counted_exactly(tmp_path, keys, run_tokscan, in_git):
    """Every file is scanned once and counted once, over all cores: findings, files,
    bytes and exclusions add up."""
    root = tmp_path / "many"
    root.mkdir()
    if in_git:
        GitRepo(root)
    (root / ".tokscan.yaml").write_text('exclude:\n  - "*.skip"\n')
    planted, size = set(), len((root / ".tokscan.yaml").read_bytes())
    for number in range(100_000):
        folder = root / f"d{number // 1000:02d}"
        if number % 1000 == 0:
            folder.mkdir()
        name = f"f{number:05d}" + (".skip" if number % 200 == 7 else ".txt")
        content = key_line(keys()) if number % 14_999 == 3 else f"{number}\n"
        (folder / name).write_text(content)
        if not name.endswith(".skip"):
            size += len(content)
            if content.startswith("TOKMODEL"):
                planted.add(f"{folder.name}/{name}")
    assert len(planted) == 7
    # Run from outside the tree: forked workers may leave files where they run (coverage).
    code, report = report_of(run_tokscan, "--jobs", "2", "many", cwd=tmp_path)
    assert (code, paths(report)) == (1, planted)
    assert report["scan"]["objects_scanned"] == 100_000 - 500 + 1
    assert report["scan"]["bytes_scanned"] == size
    assert report["scan"]["errors"] == []
    text = run_tokscan(["scan", "--jobs", "2", "many"], cwd=tmp_path).stdout
    assert "7 keys in 7 places · 99,501 files" in text and "skipped 500 excluded" in text


@pytest.fixture
def chain(tmp_path):
    """A folder `deep` holding d/d/d/… 1,000 levels deep; removed level by level after the
    test (pytest's own clean-up, shutil.rmtree, recurses on Python 3.11)."""
    root = tmp_path / "deep"
    root.mkdir()
    folders, folder = [], os.fspath(root)
    for _ in range(1000):  # one level at a time: Path.mkdir(parents=True) recurses too
        folder = os.path.join(folder, "d")
        os.mkdir(folder)
        folders.append(folder)
    yield root
    for folder in reversed(folders):
        for entry in os.scandir(folder):
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        os.rmdir(folder)


@pytest.mark.parametrize("in_git", [True, False])
@pytest.mark.parametrize("named", [False, True])
def test_a_folder_tree_1000_levels_deep(chain, keys, run_tokscan, in_git, named):
    """Regression: outside git, `tokscan scan` of a tree 1,000 levels deep stopped with
    "internal error: RecursionError" (os.walk recurses on Python 3.11)."""
    root = chain
    if in_git:
        GitRepo(root)
    deepest = "/".join(["d"] * 1000)
    (root / deepest / "k.py").write_text(key_line(keys()))
    (root / "d" / "d" / "top.py").write_text(key_line(keys()))
    code, report = report_of(run_tokscan, *(["d"] if named else []), cwd=root)
    expected = {f"{deepest}/k.py", "d/d/top.py"}
    if named and not in_git:  # outside git, paths are relative to the folder named
        expected = {path.removeprefix("d/") for path in expected}
    assert (code, paths(report)) == (1, expected)
    assert report["scan"]["errors"] == []


# --- nested repositories, submodules, deleted files -----------------------------------


def test_nested_untracked_repository_is_scanned_without_its_git_folder(repo, keys, run_tokscan):
    repo.write("top.py", "x = 1\n")
    repo.commit("top")
    nested = GitRepo(repo.path / "vendor" / "lib")
    nested.write("lib.py", key_line(keys()))
    nested.commit(f"nested\n\n{keys()}")
    _, report = report_of(run_tokscan, cwd=repo.path)
    assert paths(report) == {"vendor/lib/lib.py"}


def test_submodule_is_skipped_and_counted_and_scannable_by_itself(tmp_path, keys, run_tokscan):
    library = GitRepo(tmp_path / "library")
    library.write("lib.py", key_line(keys()))
    library.commit("library")
    repo = GitRepo(tmp_path / "repo")
    repo.write("app.py", "x = 1\n")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q",
             str(library.path), "lib")
    repo.commit("add submodule")
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert (code, report["findings"]) == (0, [])
    assert "skipped 1 submodule" in run_tokscan(["scan"], cwd=repo.path).stdout
    # The submodule is a repository of its own: scanning it finds its key.
    code, report = report_of(run_tokscan, "lib", cwd=repo.path)
    assert (code, paths(report)) == (1, {"lib.py"})


def test_gitlink_without_a_checkout_is_skipped(repo, run_tokscan):
    repo.write("app.py", "x = 1\n")
    repo.commit("app")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},vendored")
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert (code, report["findings"], report["scan"]["errors"]) == (0, [], [])


def test_tracked_file_deleted_from_the_work_tree(repo, keys, run_tokscan):
    repo.write("gone.py", key_line(keys()))
    repo.write("here.py", "x = 1\n")
    repo.commit("two files")
    (repo.path / "gone.py").unlink()
    code, report = report_of(run_tokscan, cwd=repo.path)
    assert (code, report["findings"], report["scan"]["errors"]) == (0, [], [])
    assert report["scan"]["objects_scanned"] == 1


def test_missing_path_argument_is_an_error(repo, run_tokscan):
    code, report = report_of(run_tokscan, "no-such-file.py", cwd=repo.path)
    assert code == 2
    assert report["scan"]["errors"] == [
        {"path": "no-such-file.py", "message": "no such file or directory"}
    ]


def test_special_files_are_skipped(tmp_path, keys, run_tokscan):
    plain = tmp_path / "plain"
    plain.mkdir()
    os.mkfifo(plain / "fifo")
    (plain / "a.py").write_text(key_line(keys()))
    code, report = report_of(run_tokscan, cwd=plain)
    assert (code, paths(report)) == (1, {"a.py"})
    assert "skipped 1 special file" in run_tokscan(["scan"], cwd=plain).stdout


# --- helpers --------------------------------------------------------------------------


def test_relative():
    root = Path("/r/repo")
    assert files.relative(Path("/r/repo/a/b.py"), root) == "a/b.py"
    assert files.relative(Path("/r/repo"), root) == "."
    assert files.relative(Path("/r/other/c.py"), root) == "/r/other/c.py"
    assert files.relative(Path("/r/repo2/c.py"), root) == "/r/repo2/c.py"


def test_scan_reads_short_reads_fully(keys):
    """Pipes hand out short reads; a key split across two reads is still one key."""
    key = keys().encode()
    data = b"a = '" + key + b"'\n"
    pieces = [data[:9], data[9:20], data[20:]]

    class Trickle:
        def read(self, size: int) -> bytes:
            return pieces.pop(0) if pieces else b""

    outcome = files.scan_stdin(Trickle())  # type: ignore[arg-type]
    assert [(c.key, c.line, c.column) for c in outcome.candidates] == [(key.decode(), 1, 6)]
    assert outcome.origin == Origin("<stdin>")


def test_find_root_outside_git(tmp_path):
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    root, in_git = files.find_root([tmp_path / "a" / "x", tmp_path / "b"])
    assert (root, in_git) == (tmp_path, False)
    root, in_git = files.find_root([tmp_path / "a" / "file.txt"])
    assert (root, in_git) == (tmp_path / "a", False)


def test_unix_socket_in_a_plain_tree_is_skipped_like_a_fifo(tmp_path, keys, run_tokscan,
                                                            monkeypatch):
    """Regression: opening a socket fails with ENXIO, which made it an error (exit 2), while
    a FIFO beside it was skipped and git never lists sockets. A socket holds no content."""
    import socket

    root = tmp_path / "plain"
    root.mkdir()
    (root / "a.py").write_text(key_line(keys()))
    monkeypatch.chdir(root)  # a relative name: socket paths are limited to ~100 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("dev.sock")
        code, report = report_of(run_tokscan, ".", cwd=root)
    assert (code, report["scan"]["errors"], paths(report)) == (1, [], {"a.py"})
