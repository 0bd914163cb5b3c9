"""The project is releasable (docs/release.md): every version and tag that the install
lines name is the package's own, and the sdist and wheel build, pass `twine check`, install
in a fresh virtual environment and find a key there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support.paths import ROOT

from tokscan import __version__, keyformat

REPOSITORY = "https://github.com/tokscan/tokscan"
# Files that tell users what to install or pin: each names this release, and no other.
PINNED = {
    "README.md": 7,  # install lines (2), pre-commit rev, Action (3), GitLab include
    ".pre-commit-hooks.yaml": 1,
    "ci/gitlab/tokscan.gitlab-ci.yml": 1,
    "hooks/pre-commit": 1,
    "hooks/pre-push": 1,
    "hooks/commit-msg": 1,
    "hooks/pre-receive": 1,
    "docs/server-hooks.md": 3,  # a venv, a zipapp, an image
}


@pytest.mark.parametrize(("name", "at_least"), PINNED.items())
def test_versions_everywhere_are_the_packages_own(name, at_least):
    text = (ROOT / name).read_text()
    tags = re.findall(r"\bv(\d+\.\d+\.\d+)\b", text)
    assert len(tags) >= at_least, tags
    assert set(tags) == {__version__}, f"{name} names {set(tags)}, the package is {__version__}"
    assert not re.search(r"pip install (--\S+ )*tokscan\b|tokscan==", text), (
        f"{name}: tokscan is not on PyPI yet; install the tag from git"
    )


def test_install_lines_name_the_repository_and_the_tag():
    readme = (ROOT / "README.md").read_text()
    assert f"pipx install git+{REPOSITORY}@v{__version__}" in readme
    assert f'pip install "tokscan @ git+{REPOSITORY}@v{__version__}"' in readme
    assert f"uses: tokscan/tokscan@v{__version__}" in readme
    assert f"rev: v{__version__}" in (ROOT / ".pre-commit-hooks.yaml").read_text()
    template = (ROOT / "ci" / "gitlab" / "tokscan.gitlab-ci.yml").read_text()
    assert f'TOKSCAN_VERSION: "{__version__}"' in template
    assert f"git+{REPOSITORY}@v${{TOKSCAN_VERSION}}" in template
    assert f"raw.githubusercontent.com/tokscan/tokscan/v{__version__}/" in template
    assert f'"tool": {{"name": "tokscan", "version": "{__version__}", "matcher"' in readme
    # The Action installs its own checkout: the very tag a workflow pins.
    assert '"$GITHUB_ACTION_PATH"' in (ROOT / "action.yml").read_text()


def test_changelog_lists_this_release_and_the_checklist_exists():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\d+\.\d+\.\d+)", changelog, re.MULTILINE)
    assert releases and releases[0] == __version__
    assert changelog.index("## Unreleased") < changelog.index(f"## {__version__}")
    checklist = (ROOT / "docs" / "release.md").read_text()
    for step in ("tokscan/__init__.py", "CHANGELOG.md", "git tag -a", "python -m build",
                 "twine check", "--version", "git push origin"):  # fmt: skip
        assert step in checklist


def test_release_checklist_shows_what_version_prints(run_tokscan):
    """The checklist's smoke test expected `tokscan, version X.Y.Z`; the line also names
    the matcher since issue 16, so a release manager comparing by eye was misled."""
    checklist = (ROOT / "docs" / "release.md").read_text()
    [expected] = re.findall(r"tokscan --version +# (.*)", checklist)
    printed = run_tokscan(["--version"]).stdout.strip()
    assert re.fullmatch(r"tokscan, version \S+ \(matcher: (hyperscan|python)\)", printed)
    assert expected == "tokscan, version X.Y.Z (matcher: hyperscan or python)"


def _sources(destination: Path) -> Path:
    """The files a clone would have (tracked, or new and not ignored), copied away so the
    build leaves nothing in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.mark.slow
def test_sdist_and_wheel_build_check_install_and_run(tmp_path, keys):
    source = _sources(tmp_path / "source")
    dist = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # sdist first, then the wheel built from the sdist (so the sdist is known complete);
    # --no-isolation: the test environment's setuptools, no download.
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    assert sdist.name == f"tokscan-{__version__}.tar.gz"
    assert wheel.name == f"tokscan-{__version__}-py3-none-any.whl"
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2

    # A fresh environment with only the wheel in it. Its dependencies come from this test
    # environment's site-packages (a plain path, so no editable tokscan comes with it):
    # no network.
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    paths = {"base": str(fresh), "platbase": str(fresh)}
    scripts = Path(sysconfig.get_path("scripts", vars=paths))
    purelib = Path(sysconfig.get_path("purelib", vars=paths))
    python = scripts / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    where = subprocess.run(
        [str(python), "-c", "import tokscan; print(tokscan.__file__)"],
        capture_output=True, text=True, env=env, check=True, cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(purelib)  # the wheel's copy, not this checkout

    tokscan = scripts / "tokscan"
    version = subprocess.run([str(tokscan), "--version"], capture_output=True, text=True,
                             env=env, cwd=tmp_path)  # fmt: skip
    assert version.returncode == 0
    assert version.stdout.startswith(f"tokscan, version {__version__} (matcher: ")
    project = tmp_path / "project"
    project.mkdir()
    key = keys()
    (project / "settings.py").write_text(f"API_KEY = '{key}'\n")
    scan = subprocess.run([str(tokscan), "scan", str(project)], capture_output=True, text=True,
                          env=env, cwd=tmp_path)  # fmt: skip
    assert scan.returncode == 1, scan.stdout + scan.stderr
    assert keyformat.redact(key) in scan.stdout and "settings.py:1:12" in scan.stdout
    assert key not in scan.stdout + scan.stderr
