"""`tokscan audit` end to end: real repositories (local paths and file:// remotes), a real
Dask scheduler with two real worker processes on 127.0.0.1 (and the embedded default),
results reused by ref tips, failures named, keys grouped and verified once each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.dask_cluster import DaskCluster
from support.formats import check_sarif
from support.gitrepo import GitRepo
from support.keys import fingerprint

pytest.importorskip("distributed")
slow = pytest.mark.slow  # on a Dask cluster: a second or more each


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with DaskCluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


def make_repo(path: Path, *files: tuple[str, str], bare_remote: bool = False) -> GitRepo:
    repo = GitRepo(path)
    for name, content in files:
        repo.write(name, content)
        repo.commit(f"add {name}")
    return repo


SCHEMA = json.loads((Path(__file__).parent.parent / "support" / "audit.schema.json").read_text())


def audit(run_tokscan, cluster, workdir: Path, *args: str):
    """`tokscan audit -f json` on the test cluster; the document is checked against the
    schema of docs/spec.md §4a."""
    import jsonschema

    result = run_tokscan(["audit", "--scheduler", cluster.address, "--workdir", str(workdir),
                          "-f", "json", *args])
    if not result.stdout.startswith("{"):
        return result, None
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return result, document


@slow
def test_keys_are_grouped_across_local_and_remote_repositories(
    tmp_path, keys, run_tokscan, cluster
):
    shared, own = keys(), keys()
    one = make_repo(tmp_path / "one", ("settings.py", f"KEY = '{shared}'\n"))
    two = make_repo(tmp_path / "two", ("a.txt", "nothing\n"), (".env", f"K={shared}\nO={own}\n"))
    clean = make_repo(tmp_path / "clean", ("README", "hello\n"))
    result, document = audit(run_tokscan, cluster, tmp_path / "work",
                             str(one.path), f"file://{two.path}", str(clean.path))
    assert result.code == 1, result.stderr
    by_name = {r["name"]: r for r in document["audit"]["repositories"]}
    assert {r["status"] for r in by_name.values()} == {"scanned"}
    assert by_name[str(one.path)]["findings"] == 1
    assert by_name[str(two.path)]["findings"] == 2
    assert by_name[str(two.path)]["url"] == f"file://{two.path}"
    assert by_name[str(clean.path)]["findings"] == 0
    keys_by_fp = {k["fingerprint"]: k for k in document["keys"]}
    entry = keys_by_fp[fingerprint(shared)]
    assert document["keys"][0]["fingerprint"] == fingerprint(shared)  # in two repositories
    assert sorted(entry["repositories"]) == sorted([str(one.path), str(two.path)])
    assert entry["first_leaked"]["repository"] == str(one.path)
    assert entry["first_leaked"]["author"] == "Test Author <author@example.com>"
    assert {(p["repository"], p["path"]) for p in entry["places"]} == {
        (str(one.path), "settings.py"), (str(two.path), ".env")}
    assert entry["key"] == f"{shared[:7]}…{shared[-4:]}"
    assert keys_by_fp[fingerprint(own)]["repositories"] == [str(two.path)]
    assert {f["repository"] for f in document["findings"]} == {str(one.path), str(two.path)}
    assert document["summary"]["keys"] == 2 and document["summary"]["findings"] == 3
    # no raw key anywhere: not in the report, not in what the work folder keeps
    for key in (shared, own):
        assert key not in result.stdout + result.stderr
        for file in (tmp_path / "work").rglob("*"):
            if file.is_file() and "repositories" not in file.parts:
                assert key.encode() not in file.read_bytes(), file


@slow
def test_unchanged_rerun_reuses_all_and_a_moved_ref_rescans_only_that_repo(
    tmp_path, keys, run_tokscan, cluster
):
    first_key, later_key = keys(), keys()
    one = make_repo(tmp_path / "one", ("a.py", f"K = '{first_key}'\n"))
    two = make_repo(tmp_path / "two", ("b.py", f"K = '{first_key}'\n"))
    sources = [f"file://{one.path}", str(two.path)]
    _, fresh = audit(run_tokscan, cluster, tmp_path / "work", *sources)
    # Nothing moved: the run reuses both without a cluster (this scheduler does not exist).
    nowhere = SimpleNamespace(address="tcp://127.0.0.1:9")  # no scheduler listens there
    result, again = audit(run_tokscan, nowhere, tmp_path / "work", *sources)
    assert result.code == 1, result.stderr
    assert [r["status"] for r in again["audit"]["repositories"]] == ["reused", "reused"]
    assert again["audit"]["reused"] == 2
    assert "2 unchanged since the last run (reused)" in result.stderr
    assert again["findings"] == fresh["findings"]  # identical, fresh or reused
    assert again["keys"] == fresh["keys"]
    one.write("c.py", f"NEW = '{later_key}'\n")
    one.commit("another key")
    _, moved = audit(run_tokscan, cluster, tmp_path / "work", *sources)
    assert [r["status"] for r in moved["audit"]["repositories"]] == ["scanned", "reused"]
    assert {k["fingerprint"] for k in moved["keys"]} == {
        fingerprint(first_key), fingerprint(later_key)}


@slow
def test_a_failing_repository_is_named_and_the_others_still_reported(
    tmp_path, keys, run_tokscan, cluster
):
    key = keys()
    good = make_repo(tmp_path / "good", ("a.py", f"K = '{key}'\n"))
    corrupt = make_repo(tmp_path / "corrupt", ("big.txt", "x" * 5000 + "\n"))
    blob = corrupt.git("rev-parse", "HEAD:big.txt").strip()
    loose = corrupt.path / ".git" / "objects" / blob[:2] / blob[2:]
    os.chmod(loose, 0o644)
    loose.write_bytes(b"not a zlib stream at all")
    result, document = audit(run_tokscan, cluster, tmp_path / "work", str(good.path),
                             str(corrupt.path), f"file://{tmp_path}/missing")
    assert result.code == 2
    by_name = {r["name"]: r for r in document["audit"]["repositories"]}
    assert by_name[str(good.path)]["status"] == "scanned"
    assert by_name[str(corrupt.path)]["status"] == "failed"
    assert "big.txt" in by_name[str(corrupt.path)]["reason"]
    missing = by_name[f"{tmp_path}/missing"]
    assert missing["status"] == "failed" and "does not appear to be a git repository" in (
        missing["reason"])
    assert f"could not audit {tmp_path}/missing" in result.stderr
    assert f"could not audit {corrupt.path}" in result.stderr
    assert [k["fingerprint"] for k in document["keys"]] == [fingerprint(key)]
    # a failed repository keeps no result: the next run audits it again
    _, again = audit(run_tokscan, cluster, tmp_path / "work", str(good.path), str(corrupt.path))
    assert [r["status"] for r in again["audit"]["repositories"]] == ["reused", "failed"]


@slow
def test_timeout_fails_only_that_repository(tmp_path, keys, run_tokscan, cluster):
    repo = make_repo(tmp_path / "one", ("a.py", "x = 1\n"))
    result, document = audit(run_tokscan, cluster, tmp_path / "work", str(repo.path),
                             "--timeout", "0.001")
    assert result.code == 2
    assert document["audit"]["repositories"][0]["reason"].startswith("timed out after")


@slow
def test_credentials_in_a_url_never_appear_anywhere(tmp_path, run_tokscan, cluster):
    secret = "s3cr3t-Token-Value"
    result, document = audit(run_tokscan, cluster, tmp_path / "work",
                             f"https://someone:{secret}@127.0.0.1:9/acme/api.git")
    assert result.code == 2
    assert document["audit"]["repositories"][0]["url"] == "https://127.0.0.1:9/acme/api.git"
    assert document["audit"]["repositories"][0]["name"] == "127.0.0.1/acme/api"
    assert secret not in result.stdout + result.stderr
    assert "someone" not in result.stdout + result.stderr
    for file in (tmp_path / "work").rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file


@pytest.mark.parametrize("source", [
    "ext::sh -c touch% /tmp/tokscan-pwned", "git://127.0.0.1/x.git", "fd::17",
    "ftp://127.0.0.1/x.git", "--upload-pack=touch /tmp/x",
])
def test_disallowed_transports_are_refused_before_any_work(tmp_path, run_tokscan, source):
    result = run_tokscan(["audit", "--workdir", str(tmp_path / "work"), "--", source])
    assert result.code == 2
    assert "refused source" in result.stderr or "looks like an option" in result.stderr
    assert not (tmp_path / "work").exists()


@slow
def test_verify_probes_each_unique_key_once_for_the_whole_audit(
    tmp_path, keys, run_tokscan, cluster, tokmodel
):
    live, revoked = keys(), keys()
    tokmodel.reply(live, 400)
    repos = [
        make_repo(tmp_path / f"r{n}", ("a.py", f"K = '{live}'\n"), ("b.py", f"R = '{revoked}'\n"))
        for n in range(3)
    ]
    result, document = audit(run_tokscan, cluster, tmp_path / "work", "--verify",
                             *[f"file://{r.path}" for r in repos])
    assert result.code == 1, result.stderr
    assert len(tokmodel.requests_for(live)) == 1
    assert len(tokmodel.requests_for(revoked)) == 1
    status = {k["fingerprint"]: k["status"] for k in document["keys"]}
    assert status == {fingerprint(live): "live", fingerprint(revoked): "revoked"}
    assert document["keys"][0]["fingerprint"] == fingerprint(live)  # live first
    assert "Rotate" in document["keys"][0]["advice"] or "rotate" in document["keys"][0]["advice"]
    assert {f["status"] for f in document["findings"] if f["fingerprint"] == fingerprint(live)} == {
        "live"}


@slow
def test_sarif_has_one_run_per_repository_and_text_summarises(
    tmp_path, keys, run_tokscan, cluster
):
    key = keys()
    one = make_repo(tmp_path / "one", ("a.py", f"K = '{key}'\n"))
    two = make_repo(tmp_path / "two", ("b.py", f"K = '{key}'\n"))
    work = ["--scheduler", cluster.address, "--workdir", str(tmp_path / "work")]
    sarif = run_tokscan(["audit", *work, "-f", "sarif", str(one.path), str(two.path)])
    document = check_sarif(sarif.stdout)
    assert [run["properties"]["tokscan"]["repository"] for run in document["runs"]] == [
        str(one.path), str(two.path)]
    assert all(len(run["results"]) == 1 for run in document["runs"])
    text = run_tokscan(["audit", *work, str(one.path), str(two.path)])
    assert text.code == 1
    lines = text.stdout.splitlines()
    assert lines[0].startswith("1 key in 2 places across 2 repositories")
    assert "Keys by reach: 1 key in 2 repositories" in text.stdout
    assert "Repositories with the most leaks:" in text.stdout
    assert "How to rotate a leaked key" in text.stdout
    assert key not in text.stdout + sarif.stdout


@slow
def test_sources_from_a_file_with_comments(tmp_path, keys, run_tokscan, cluster):
    one = make_repo(tmp_path / "one", ("a.py", "x = 1\n"))
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# our repositories\n\n{one.path}  # the first\nfile://{one.path}\n")
    result, document = audit(run_tokscan, cluster, tmp_path / "work", "--from", str(listing))
    assert result.code == 0, result.stderr
    assert [r["name"] for r in document["audit"]["repositories"]] == [str(one.path)]


@slow
def test_the_embedded_cluster_is_the_default(tmp_path, keys, run_tokscan):
    key = keys()
    one = make_repo(tmp_path / "one", ("a.py", f"K = '{key}'\n"))
    result = run_tokscan(["audit", "--workers", "1", "--workdir", str(tmp_path / "work"),
                          "-f", "json", f"file://{one.path}"])
    assert result.code == 1, result.stderr
    document = json.loads(result.stdout)
    assert [k["fingerprint"] for k in document["keys"]] == [fingerprint(key)]
    assert (tmp_path / "work" / "repositories").is_dir()  # cloned bare there
    clones = list((tmp_path / "work" / "repositories").iterdir())
    assert len(clones) == 1 and (clones[0] / "HEAD").is_file()


def test_scan_and_staged_import_neither_dask_nor_gitpython(tmp_path, keys):
    repo = make_repo(tmp_path / "r", ("a.py", "x = 1\n"))
    probe = (
        "import sys; from tokscan.cli.main import main; main(['scan', '-q', '.']);"
        "main(['staged']); main(['history', '-q']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', "
        "'git')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo.path, capture_output=True,
                          text=True, check=False)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


@slow
def test_policy_comes_from_the_default_branch_only(tmp_path, keys, run_tokscan, cluster):
    kept, excluded = keys(), keys()
    repo = make_repo(tmp_path / "one", ("app.py", f"K = '{kept}'\n"),
                     ("vendor/lib.py", f"V = '{excluded}'\n"))
    repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n")
    repo.commit("policy on the default branch")
    repo.git("checkout", "-q", "-b", "evil")
    repo.write(".tokscan.yaml",
               f"exclude:\n  - 'vendor/**'\n  - '*.py'\nallow:\n  - fingerprint: "
               f"\"{fingerprint(kept)}\"\n")
    repo.commit("a branch that would hide the key")
    repo.git("checkout", "-q", "main")
    result, document = audit(run_tokscan, cluster, tmp_path / "work", f"file://{repo.path}")
    assert result.code == 1
    assert [k["fingerprint"] for k in document["keys"]] == [fingerprint(kept)]


@slow
def test_progress_line_counts_repositories_and_keys(
    tmp_path, keys, run_tokscan, cluster, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "400")
    one = make_repo(tmp_path / "one", ("a.py", f"K = '{keys()}'\n"))
    result = run_tokscan(["audit", "--scheduler", cluster.address, "--workdir",
                          str(tmp_path / "work"), "--progress", str(one.path)])
    assert "auditing" in result.stderr
    assert "1/1 repositories" in result.stderr and "1 key" in result.stderr
    remote = make_repo(tmp_path / "remote", ("b.py", "x = 1\n"))
    result = run_tokscan(["audit", "--scheduler", cluster.address, "--workdir",
                          str(tmp_path / "work"), "--progress", f"file://{remote.path}"])
    assert result.code == 0, result.stderr
    # How far a clone got is published by the worker as a Dask event (RemoteProgress). The
    # scheduler keeps it; whether the client draws it before the run ends is a race, so
    # the test asks the scheduler what the worker said.
    from distributed import Client

    from tokscan.audit.task import PROGRESS_TOPIC

    with Client(cluster.address, timeout="30s") as client:
        said = [event for _, event in client.get_events(PROGRESS_TOPIC)]
    assert any(e["repository"] == str(remote.path) and e["message"].startswith("cloning ")
               for e in said), said


@slow
def test_an_interrupted_run_resumes_with_what_completed(tmp_path, keys, run_tokscan, cluster):
    done = make_repo(tmp_path / "done", ("a.py", f"K = '{keys()}'\n"))
    later = make_repo(tmp_path / "later", ("b.py", "x = 1\n"))
    # the first run stopped after `done` completed (its result was written as it did)
    audit(run_tokscan, cluster, tmp_path / "work", str(done.path))
    _, resumed = audit(run_tokscan, cluster, tmp_path / "work", str(done.path), str(later.path))
    assert [r["status"] for r in resumed["audit"]["repositories"]] == ["reused", "scanned"]


@slow
def test_html_is_rendered_from_the_document_when_available(tmp_path, run_tokscan, cluster):
    one = make_repo(tmp_path / "one", ("a.py", "x = 1\n"))
    result = run_tokscan(["audit", "--scheduler", cluster.address, "--workdir",
                          str(tmp_path / "work"), "-f", "html", str(one.path)])
    try:
        import tokscan.report.html  # noqa: F401  (built on another branch)
    except ImportError:
        assert result.code == 2 and "HTML report is not available" in result.stderr
    else:
        assert result.code == 0 and "<html" in result.stdout.lower()


@slow
def test_verify_reads_keys_again_from_messages_names_and_archives(
    tmp_path, keys, run_tokscan, cluster, tokmodel
):
    import io
    import zipfile

    in_message, in_name, in_zip = keys(), keys(), keys()
    repo = GitRepo(tmp_path / "one")
    repo.write("a.txt", "x\n")
    repo.commit(f"oops {in_message}")
    repo.write(f"keys/{in_name}.txt", "nothing here\n")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("inner/.env", f"KEY={in_zip}\n")
    repo.write("dist/app.zip", packed.getvalue())
    repo.commit("more")
    result, document = audit(run_tokscan, cluster, tmp_path / "work", "--verify",
                             f"file://{repo.path}")
    status = {k["fingerprint"]: k["status"] for k in document["keys"]}
    assert status == {fingerprint(k): "revoked" for k in (in_message, in_name, in_zip)}, (
        result.stderr)
    for key in (in_message, in_name, in_zip):
        assert len(tokmodel.requests_for(key)) == 1
    assert result.code == 0


def test_nothing_to_audit_and_an_unusable_work_folder_are_clear_errors(tmp_path, run_tokscan):
    result = run_tokscan(["audit", "--workdir", str(tmp_path / "work")])
    assert result.code == 2 and "nothing to audit" in result.stderr
    repo = make_repo(tmp_path / "one", ("a.py", "x = 1\n"))
    (tmp_path / "file").write_text("not a folder\n")
    result = run_tokscan(["audit", "--workdir", str(tmp_path / "file" / "sub"), str(repo.path)])
    assert result.code == 2 and "cannot use the work folder" in result.stderr


@slow
def test_a_github_organisation_is_listed_then_audited_with_its_token_kept_secret(
    tmp_path, keys, run_tokscan, cluster, monkeypatch
):
    """--github-org end to end: the stand-in API lists the organisation (two pages, a fork
    left out by default), each repository is cloned from its file:// URL and audited, and
    the token reaches neither the output nor the work folder."""
    from support.forge_api import ForgeAPI, github_repo

    token = "ghp_" + "T0kenForTheStandIn" * 2
    key = keys()
    leaky = make_repo(tmp_path / "leaky", ("app.py", f"K = '{key}'\n"))
    clean = make_repo(tmp_path / "clean", ("README", "hi\n"))
    fork = make_repo(tmp_path / "fork", ("x.py", f"K = '{keys()}'\n"))
    monkeypatch.setenv("GITHUB_TOKEN", token)
    with ForgeAPI(token=token) as api:
        api.github["acme"] = [
            github_repo(f"file://{leaky.path}"),
            github_repo(f"file://{clean.path}"),
            github_repo(f"file://{fork.path}", fork=True),
        ]
        result, document = audit(run_tokscan, cluster, tmp_path / "work",
                                 "--github-org", "acme", "--github-api", api.url)
    assert result.code == 1, result.stderr
    assert "github acme: 2 repositories" in result.stderr
    assert {r["name"] for r in document["audit"]["repositories"]} == {
        str(leaky.path), str(clean.path)}
    [entry] = document["keys"]
    assert entry["fingerprint"] == fingerprint(key)
    assert token not in result.stdout + result.stderr
    for path in (tmp_path / "work").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_the_forge_token_goes_only_with_clone_urls_under_the_forges_own_root(monkeypatch):
    """Private repositories of an organisation are cloned with its token, as an
    Authorization header for git; a listing that names another host does not get it."""
    import base64

    from support.forge_api import ForgeAPI, github_repo

    from tokscan.commands import audit as command
    from tokscan.options import Options

    token = "ghp_" + "T0kenForTheStandIn" * 2
    monkeypatch.setenv("GITHUB_TOKEN", token)
    with ForgeAPI(token=token) as api:
        api.github["acme"] = [github_repo(f"{api.url}/acme/own.git"),
                              github_repo("https://elsewhere.example/acme/other.git")]
        found = command.collect_sources(
            command.Request(github_org="acme", github_api=api.url), Options(quiet=True))
    by_url = {source.url: source for source in found}
    own = by_url[f"{api.url}/acme/own.git"]
    assert own.auth is not None and token in base64.b64decode(own.auth.split()[1]).decode()
    assert by_url["https://elsewhere.example/acme/other.git"].auth is None


@slow
def test_exit_zero_reports_keys_but_passes_and_a_failure_still_exits_2(
    tmp_path, keys, run_tokscan, cluster
):
    """`--exit-zero` is for dashboards (README), and `tokscan audit -f html` is the
    dashboard: it lacked the option ("No such option")."""
    key = keys()
    leaky = make_repo(tmp_path / "leaky", ("a.py", f"K = '{key}'\n"))
    result, document = audit(run_tokscan, cluster, tmp_path / "work", "--exit-zero",
                             str(leaky.path))  # fmt: skip
    assert result.code == 0, result.stderr
    assert document["summary"]["failing"] == 1
    broken, _ = audit(run_tokscan, cluster, tmp_path / "work", "--exit-zero",
                      str(leaky.path), str(tmp_path / "not-a-repository"))  # fmt: skip
    assert broken.code == 2
