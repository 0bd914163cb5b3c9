"""Sources for `tokscan audit`: named, checked against the transport allowlist, and kept
free of credentials."""

from __future__ import annotations

import base64

import pytest
from support.gitrepo import GitRepo

from tokscan.audit import sources
from tokscan.errors import TokscanError


def test_a_local_work_tree_or_bare_repository_is_audited_in_place(tmp_path):
    work = GitRepo(tmp_path / "work")
    bare = GitRepo(tmp_path / "bare.git", bare=True)
    for repo in (work, bare):
        found = sources.parse(str(repo.path))
        assert found.local and found.name == str(repo.path) == found.url


def test_relative_paths_are_made_absolute(tmp_path, monkeypatch):
    GitRepo(tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    assert sources.parse("repo").name == str(tmp_path / "repo")


@pytest.mark.parametrize(("url", "name"), [
    ("https://github.com/acme/api.git", "github.com/acme/api"),
    ("https://gitlab.example.com/group/sub/project", "gitlab.example.com/group/sub/project"),
    ("ssh://git@github.com/acme/api.git", "github.com/acme/api"),
    ("git@github.com:acme/api.git", "github.com/acme/api"),
    ("http://127.0.0.1:8080/x.git", "127.0.0.1/x"),
])
def test_clone_urls_are_named_by_host_and_path(url, name):
    found = sources.parse(url)
    assert not found.local and found.name == name and found.url == url and found.auth is None


def test_a_file_url_is_cloned_and_named_by_its_path(tmp_path):
    found = sources.parse(f"file://{tmp_path}/repo.git")
    assert not found.local and found.name == f"{tmp_path}/repo.git"


def test_credentials_are_taken_out_of_the_url_and_kept_for_the_clone_only():
    found = sources.parse("https://x-access-token:s3cret@github.com/acme/api.git")
    assert found.url == "https://github.com/acme/api.git"
    assert found.name == "github.com/acme/api"
    assert "s3cret" not in repr(found.url) + found.name + found.slug
    assert base64.b64decode(found.auth.removeprefix("Basic ")) == b"x-access-token:s3cret"
    token_only = sources.parse("https://ghp_token@github.com/acme/api")
    assert token_only.url == "https://github.com/acme/api"
    assert sources.strip_credentials("ssh://git:pw@host:2222/r.git") == "ssh://git@host:2222/r.git"


@pytest.mark.parametrize("text", [
    "ext::sh -c id", "EXT::sh", "fd::3", "git://github.com/acme/api.git", "ftp://h/x.git",
    "ext://x", "-uevil", "--upload-pack=evil", "transport::https://h/x",
    "ssh://-oProxyCommand=touch%20x/repo", "ssh://-l@host/repo",
    "user@-oProxyCommand=touch:repo",
])
def test_other_transports_and_option_like_sources_are_refused(text):
    with pytest.raises(TokscanError) as raised:
        sources.parse(text)
    assert "refused" in raised.value.message or "option" in raised.value.message


def test_a_refusal_never_quotes_credentials():
    with pytest.raises(TokscanError) as raised:
        sources.parse("ftp://user:hunter2@host/x.git")
    assert "hunter2" not in raised.value.message


def test_a_path_that_is_not_there_is_a_clear_error(tmp_path):
    with pytest.raises(TokscanError, match="not a repository or a clone URL"):
        sources.parse(str(tmp_path / "nothing"))


def test_from_file_skips_blank_lines_and_comments(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("# header\n\nhttps://h/a.git  # trailing\n   # indented\nhttps://h/b\n")
    assert sources.read_list(listing) == ["https://h/a.git", "https://h/b"]
    with pytest.raises(TokscanError, match="cannot read"):
        sources.read_list(tmp_path / "missing.txt")


def test_the_same_repository_twice_is_audited_once():
    found = [sources.parse(u) for u in
             ("https://h/a.git", "https://h/b", "https://user:pw@h/a", "https://h/a.git")]
    assert [s.name for s in sources.unique(found)] == ["h/a", "h/b"]


def test_slugs_are_distinct_folder_names():
    one, two = sources.parse("https://h/a/b.git"), sources.parse("https://h/a_b.git")
    assert one.slug != two.slug
    assert "/" not in one.slug and not one.slug.startswith(".")


def test_a_password_in_the_scp_like_form_is_refused_unquoted(tmp_path, run_tokscan):
    """`user:token@host:path` is git's scp-like form for host `user`: the token would be
    the source's name (output, reports, work folder) and reach ssh on its command line."""
    with pytest.raises(TokscanError) as raised:
        sources.parse("oauth2:glpat-hunter2hunter2@gitlab.com:group/repo.git")
    assert "hunter2" not in raised.value.message and "https://" in raised.value.message
    result = run_tokscan(["audit", "--workdir", str(tmp_path / "work"),
                          "oauth2:glpat-hunter2hunter2@gitlab.com:group/repo.git"])
    assert result.code == 2 and "refused source 'oauth2:…@gitlab.com:group/repo.git'" in (
        result.stderr)
    assert "hunter2" not in result.stdout + result.stderr
    assert sources.parse("git@github.com:acme/api.git").name == "github.com/acme/api"


@pytest.mark.parametrize("url", ["https://u:hunter2@host:badport/x.git",
                                 "https://u:hunter2@[::1/x.git",
                                 "https://u:hunter2/more@host/x.git"])
def test_a_malformed_url_is_an_input_error_not_a_crash(url, tmp_path, run_tokscan):
    with pytest.raises(TokscanError, match="not a clone URL") as raised:
        sources.parse(url)
    assert "hunter2" not in raised.value.message
    result = run_tokscan(["audit", "--workdir", str(tmp_path / "work"), url])
    assert result.code == 2 and "not a clone URL" in result.stderr
    assert "internal error" not in result.stderr and "hunter2" not in result.stderr
