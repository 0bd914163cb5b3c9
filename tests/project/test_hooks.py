"""Real `git commit` through the plain hook and through the pre-commit framework."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.gitrepo import GitRepo
from support.keys import fingerprint
from support.paths import ROOT

from tokscan.git.hooks import FRAMEWORK_ENTRY

# A PATH without the virtual environment that has tokscan: what a commit from an IDE or
# another shell sees.
BARE_PATH = os.pathsep.join(
    p for p in ("/usr/local/bin", "/usr/bin", "/bin") if os.path.isdir(p)
)


def commit(repo: GitRepo, *, path: str | None = None, env: dict[str, str] | None = None):
    environment = repo.env()
    if path is not None:
        environment["PATH"] = path
    environment.update(env or {})
    environment.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        ["git", "commit", "-q", "-m", "change"], cwd=repo.path, env=environment,
        capture_output=True, text=True,
    )


@pytest.fixture
def hooked(repo: GitRepo, run_tokscan) -> GitRepo:
    repo.write("README.md", "project\n")
    repo.commit("initial")
    assert run_tokscan(["install"], cwd=repo.path).code == 0
    return repo


@pytest.mark.slow
def test_commit_with_a_key_is_blocked_even_without_tokscan_on_path(hooked, keys):
    if shutil.which("tokscan", path=BARE_PATH):
        pytest.skip("tokscan is installed system-wide; cannot test the recorded interpreter")
    key = keys()
    hooked.write("app.py", f"TOKEN = '{key}'\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH)
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "tokscan blocked this commit" in output
    assert "app.py:1:10" in output
    assert key not in output
    assert hooked.git("rev-list", "--count", "HEAD").strip() == "1"


@pytest.mark.slow
def test_clean_commit_passes_silently(hooked):
    hooked.write("app.py", "TOKEN = os.environ['TOKMODEL_API_KEY']\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert hooked.git("rev-list", "--count", "HEAD").strip() == "2"


@pytest.mark.slow
def test_allowed_line_passes(hooked, keys):
    hooked.write("test_app.py", f"FAKE = '{keys()}'  # tokscan:allow test fixture\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_quick_start_loads_site_when_a_commit_needs_more(hooked, keys):
    """The hook starts Python without `site`; a configuration (yaml, from site-packages)
    and a key still work, and a `tokscan` folder in the repository shadows nothing."""
    key, allowed = keys(), keys()
    hooked.write(".tokscan.yaml", f"allow:\n  - fingerprint: {fingerprint(allowed)}\n")
    hooked.write("tokscan/__init__.py", "raise SystemExit('the repository ran its own code')\n")
    hooked.write("tokscan/__main__.py", "raise SystemExit('the repository ran its own code')\n")
    hooked.write("docs.md", f"example: {allowed}\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH, env={"PYTHONPATH": str(hooked.path)})
    assert done.returncode == 0, done.stdout + done.stderr
    hooked.write("app.py", f"TOKEN = '{key}'\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH, env={"PYTHONPATH": str(hooked.path)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app.py:1:10" in done.stdout + done.stderr
    assert "repository ran its own code" not in done.stdout + done.stderr


@pytest.mark.slow
def test_missing_tokscan_fails_closed_with_instructions(hooked, keys):
    if shutil.which("tokscan", path=BARE_PATH):
        pytest.skip("tokscan is installed system-wide")
    hooked.write("a.txt", "harmless\n")
    hooked.add()
    done = commit(hooked, path=BARE_PATH, env={"TOKSCAN_PYTHON": "/nonexistent/python"})
    assert done.returncode == 1
    assert "cannot find tokscan" in done.stderr
    assert "tokscan install --hook pre-commit --force" in done.stderr


PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the session: building the hook's environment is slow."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: GitRepo, home: Path, hook: str, *extra: str):
    env = repo.env()
    env["PRE_COMMIT_HOME"] = str(home)
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), hook, "--verbose", *extra],
        cwd=repo.path, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_pre_commit_framework_blocks_and_passes(repo, keys, pre_commit_home):
    key = keys()
    repo.write("README.md", "project\n")
    repo.commit("initial")
    repo.write("settings.py", f"KEY = '{key}'\n")
    repo.add()
    blocked = try_repo(repo, pre_commit_home, "tokscan")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert f"tm-{key[3:7]}…{key[-4:]}" in output
    assert "settings.py:1:8" in output
    assert key not in output

    repo.write("settings.py", "KEY = os.environ['TOKMODEL_API_KEY']\n")
    repo.add()
    passed = try_repo(repo, pre_commit_home, "tokscan")
    assert passed.returncode == 0, passed.stdout + passed.stderr


@pytest.mark.slow
def test_pre_commit_framework_commit_msg_id(repo, keys, pre_commit_home):
    key = keys()
    repo.write("README.md", "project\n")
    repo.commit("initial")
    message = repo.path / ".git" / "COMMIT_EDITMSG"
    message.write_text(f"debug with {key}\n")
    stage = ("--hook-stage", "commit-msg", "--commit-msg-filename", str(message))
    blocked = try_repo(repo, pre_commit_home, "tokscan-commit-msg", *stage)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert f"tm-{key[3:7]}…{key[-4:]}" in output and "(commit message):1:12" in output
    assert key not in output
    message.write_text("read the key from the environment\n")
    passed = try_repo(repo, pre_commit_home, "tokscan-commit-msg", *stage)
    assert passed.returncode == 0, passed.stdout + passed.stderr


@pytest.mark.slow
def test_pre_commit_framework_files_id_finds_a_committed_key(repo, keys, pre_commit_home):
    """`pre-commit run --all-files` with the staged id passes over a key already committed;
    the files id scans the files themselves."""
    key = keys()
    repo.write("README.md", "project\n")
    repo.write("config/settings.py", f"KEY = '{key}'\n")
    for number in range(300):  # pre-commit passes many files, in batches
        repo.write(f"pkg/module_{number}.py", f"value = {number}\n")
    repo.commit("a key slipped in with --no-verify")
    staged_only = try_repo(repo, pre_commit_home, "tokscan", "--all-files")
    assert staged_only.returncode == 0, staged_only.stdout + staged_only.stderr
    blocked = try_repo(repo, pre_commit_home, "tokscan-files", "--all-files")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert "config/settings.py:1:8" in output and key not in output
    repo.write("config/settings.py", "KEY = os.environ['TOKMODEL_API_KEY']\n")
    repo.commit("rotated and removed")
    passed = try_repo(repo, pre_commit_home, "tokscan-files", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr


@pytest.mark.slow
def test_pre_commit_framework_files_id_reads_option_like_file_names_as_files(
    repo, keys, pre_commit_home
):
    """pre-commit passes file names as arguments: a file named `--help` must not turn the
    scan into a help page (exit 0, nothing scanned), nor one named `--show-secrets` print
    keys whole. Names with spaces and newlines are files too."""
    key, other = keys(), keys()
    repo.write("--help", "nothing\n")
    repo.write("--show-secrets", "nothing\n")
    repo.write("settings.py", f"KEY = '{key}'\n")
    repo.write("odd name\nwith newline.py", f"KEY = '{other}'\n")
    repo.commit("files with option-like names")
    done = try_repo(repo, pre_commit_home, "tokscan-files", "--all-files")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "settings.py:1:8" in output and "2 TokModel API keys" in output
    assert key not in output and other not in output


def test_hook_manifest_declares_every_hook():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["tokscan"]["entry"] == FRAMEWORK_ENTRY  # `tokscan staged`, started quickly
    assert hooks["tokscan"]["stages"] == ["pre-commit"]
    assert hooks["tokscan"]["pass_filenames"] is False
    assert hooks["tokscan"]["language"] == "python"
    assert hooks["tokscan-pre-push"]["stages"] == ["pre-push"]
    assert hooks["tokscan-commit-msg"]["entry"] == "tokscan commit-msg"
    assert hooks["tokscan-commit-msg"]["stages"] == ["commit-msg"]
    assert hooks["tokscan-files"]["entry"] == "tokscan scan --"  # names are never options
    assert hooks["tokscan-files"].get("pass_filenames", True) is True
    readme = (ROOT / "README.md").read_text()
    for hook_id in hooks:
        assert f"id: {hook_id}" in readme


def test_this_repository_uses_its_own_hook():
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert "tokscan staged" in entries


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory) -> tuple[Path, str]:
    """This checkout as it is now (committed or not), as a repository pre-commit can pin:
    what `pre-commit try-repo` does, kept for real `git commit` and `git push` runs."""
    shadow = GitRepo(tmp_path_factory.mktemp("tokscan-hook-repo"))
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file() and not source.is_symlink():
            shadow.write(os.fsdecode(name), source.read_bytes())
    return shadow.path, shadow.commit("tokscan under test")


def framework(repo: GitRepo, home: Path, *args: str, stdin: str | None = None):
    env = repo.env()
    env["PRE_COMMIT_HOME"] = str(home)
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(list(args), cwd=repo.path, env=env, capture_output=True, text=True,
                          timeout=600, input=stdin)


@pytest.mark.slow
def test_real_commit_and_push_through_the_framework(
    repo, keys, tmp_path, pre_commit_home, hook_repository
):
    location, revision = hook_repository
    origin = GitRepo(tmp_path / "origin.git", bare=True)
    repo.write(".pre-commit-config.yaml", (
        "repos:\n"
        f"  - repo: {location}\n"
        f"    rev: {revision}\n"
        "    hooks:\n"
        "      - id: tokscan\n"
        "      - id: tokscan-pre-push\n"
    ))
    repo.commit("config")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.git("push", "-q", "origin", "main")
    installed = framework(repo, pre_commit_home, *PRE_COMMIT, "install",
                          "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stderr

    key = keys()
    repo.write("app.py", f"KEY = '{key}'\n")
    repo.add()
    blocked = framework(repo, pre_commit_home, "git", "commit", "-q", "-m", "key")
    assert blocked.returncode == 1
    assert "app.py:1:8" in blocked.stdout + blocked.stderr
    assert key not in blocked.stdout + blocked.stderr

    repo.write("app.py", "KEY = os.environ['TOKMODEL_API_KEY']\n")
    repo.add()
    clean = framework(repo, pre_commit_home, "git", "commit", "-q", "-m", "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    assert framework(repo, pre_commit_home, "git", "push", "-q", "origin", "main").returncode == 0

    repo.write("late.py", f"LATE = '{key}'\n")
    repo.git("add", "late.py")
    repo.git("commit", "-q", "--no-verify", "-m", "slipped past the commit hook")
    pushed = framework(repo, pre_commit_home, "git", "push", "-q", "origin", "main")
    assert pushed.returncode != 0
    assert "tokscan blocked this push" in pushed.stdout + pushed.stderr
    assert "late.py:1:9" in pushed.stdout + pushed.stderr


def generic_hook(repo: GitRepo) -> None:
    """hooks/pre-commit copied into the repository, as a user without `tokscan install`
    would."""
    target = repo.path / ".git" / "hooks" / "pre-commit"
    shutil.copy(ROOT / "hooks" / "pre-commit", target)
    target.chmod(0o755)


def fake_environment(tmp_path: Path, with_tokscan: bool) -> tuple[Path, Path]:
    """A folder laid out as a virtual environment's: bin/python (this interpreter),
    bin/tokscan (a console script as pip writes it), lib/pythonX.Y/site-packages with
    tokscan (when `with_tokscan`) and a sitecustomize that leaves a mark when `site`
    runs. Returns its bin folder and the mark."""
    prefix = tmp_path / "env"
    site = prefix / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    site.mkdir(parents=True)
    mark = tmp_path / "site-ran"
    (site / "sitecustomize.py").write_text(f"open({str(mark)!r}, 'w').close()\n")
    if with_tokscan:
        (site / "tokscan").symlink_to(ROOT / "tokscan")
    (prefix / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    binary = prefix / "bin"
    binary.mkdir()
    (binary / "python").symlink_to(sys.executable)
    script = binary / "tokscan"
    # What pip writes, with the bootstrap path for a Python whose site lacks tokscan.
    script.write_text(
        f"#!{binary / 'python'}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tokscan.cli.main import main\nsys.exit(main())\n"
    )
    script.chmod(0o755)
    return binary, mark


@pytest.mark.slow
@pytest.mark.parametrize("installed", ["in its site-packages", "elsewhere"])
def test_the_generic_hook_starts_the_tokscan_on_path_quickly(repo, keys, tmp_path, installed):
    """With tokscan in its Python's site-packages, the generic hook starts that Python
    without `site` (a clean commit leaves no mark); elsewhere it hands over to the console
    script, which starts as usual (the mark). Both block a key."""
    quick = installed == "in its site-packages"
    binary, mark = fake_environment(tmp_path, with_tokscan=quick)
    path = os.pathsep.join([str(binary), BARE_PATH])
    repo.write("README.md", "project\n")
    repo.commit("initial")
    generic_hook(repo)
    repo.write("clean.py", "x = 1\n")
    repo.add()
    done = commit(repo, path=path, env={"PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr
    assert mark.exists() != quick
    repo.write("app.py", f"TOKEN = '{keys()}'\n")
    repo.add()
    done = commit(repo, path=path, env={"PYTHONPATH": ""})
    assert done.returncode == 1, done.stderr
    assert "tokscan blocked this commit" in done.stdout + done.stderr
    assert repo.git("rev-list", "--count", "HEAD").strip() == "2"


@pytest.mark.skipif(os.name != "posix", reason="a POSIX prefix layout")
def test_the_quick_starts_find_dependencies_pip_put_in_lib64(tmp_path):
    """Fedora's and openSUSE's system Pythons have pip put compiled packages (PyYAML,
    Hyperscan) in `lib64/`, apart from tokscan in `lib/`: each quick start puts both on the
    path. A stand-in tokscan imports a module that only `lib64/` holds."""
    from tokscan.git import hooks

    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    python = prefix / "bin" / "python"
    python.symlink_to(sys.executable)
    purelib = prefix / "lib" / version / "site-packages"
    (purelib / "tokscan" / "cli").mkdir(parents=True)
    (purelib / "tokscan" / "__init__.py").write_text("")
    (purelib / "tokscan" / "cli" / "__init__.py").write_text("")
    (purelib / "tokscan" / "cli" / "main.py").write_text(
        "import sys\ndef main():\n    import platdep\n"
        "    print(platdep.WHERE, sys.argv[1:])\n    return 0\n"
    )
    platlib = prefix / "lib64" / version / "site-packages"
    platlib.mkdir(parents=True)
    (platlib / "platdep.py").write_text("WHERE = 'lib64'\n")
    console = prefix / "bin" / "tokscan"
    console.write_text(f"#!{python}\n")
    starts = [
        ["-c", hooks.GENERIC_BOOTSTRAP, str(console), "staged"],
        ["-c", hooks.BOOTSTRAP, str(purelib), "staged"],
        ["-c", hooks.FRAMEWORK_BOOTSTRAP, "staged"],
    ]
    for start in starts:
        result = subprocess.run([str(python), "-I", "-S", *start], capture_output=True,
                                text=True, env={"PATH": BARE_PATH})  # fmt: skip
        assert (result.returncode, result.stdout) == (0, "lib64 ['staged']\n"), result.stderr
