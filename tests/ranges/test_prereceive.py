"""git's pre-receive lines and push options, read as `tokscan pre-receive` reads them."""

from __future__ import annotations

import pytest

from tokscan.errors import TokscanError
from tokscan.ranges import prereceive

OLD, NEW, NULL = "a" * 40, "b" * 40, "0" * 40


def test_update_and_new_ref_scan_their_tips_minus_every_existing_ref():
    push = prereceive.from_lines([
        f"{OLD} {NEW} refs/heads/main",
        f"{NULL} {'c' * 40} refs/tags/v1",
    ])
    assert push.rev_args() == [NEW, "c" * 40, "--not", "--all"]
    assert push.refs == [("refs/heads/main", NEW), ("refs/tags/v1", "c" * 40)]


def test_deletions_and_blank_lines_bring_nothing():
    push = prereceive.from_lines([f"{OLD} {NULL} refs/heads/gone", ""])
    assert push.empty and push.rev_args() == []


def test_a_ref_name_with_spaces_is_kept_whole():
    push = prereceive.from_lines([f"{OLD} {NEW} refs/heads/odd name"])
    assert push.refs == [("refs/heads/odd name", NEW)]


@pytest.mark.parametrize("line", [f"{OLD} {NEW}", "garbage", f"{OLD}  refs/heads/main"])
def test_malformed_line_is_a_clear_error(line):
    with pytest.raises(TokscanError, match="pre-receive input line 1"):
        prereceive.from_lines([line])


def test_push_options_from_the_environment():
    env = {"GIT_PUSH_OPTION_COUNT": "2", "GIT_PUSH_OPTION_0": "ci.skip",
           "GIT_PUSH_OPTION_1": "tokscan.skip=incident"}
    assert prereceive.push_options(env) == ["ci.skip", "tokscan.skip=incident"]
    assert prereceive.push_options({}) == []
    assert prereceive.push_options({"GIT_PUSH_OPTION_COUNT": "x"}) == []


def test_pusher_is_named_from_the_servers_environment():
    assert prereceive.pusher({"GL_USERNAME": "ana", "USER": "git"}) == "ana (GL_USERNAME)"
    assert prereceive.pusher({"GITEA_PUSHER_NAME": "bo"}) == "bo (GITEA_PUSHER_NAME)"
    assert prereceive.pusher({}) == "unknown"
