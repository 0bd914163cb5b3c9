"""tokscan/patterns.py: gitignore-style exclude patterns, in linear time.

The meaning is pathspec's GitIgnoreSpec, which tokscan used before: the property tests
compare the two on random pattern lists and paths (pathspec with its plain `re` backend,
on inputs small enough for backtracking not to matter)."""

from __future__ import annotations

import time

import pathspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tokscan import patterns


def excluded(lines: list[str], path: str) -> bool:
    return patterns.matcher(tuple(lines))(path)


def reference(lines: list[str], path: str) -> bool:
    spec = pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    return spec.match_file(path)


@pytest.mark.parametrize(
    ("lines", "path", "expected"),
    [
        (["*.min.js"], "web/app.min.js", True),
        (["*.min.js"], "app.min.js", True),
        (["*.min.js"], "app.min.js/inner.py", True),  # a folder so named
        (["*.min.js"], "app.min.jsx", False),
        (["fixtures/**"], "fixtures/a/b.py", True),
        (["fixtures/**"], "fixtures", False),
        (["fixtures/**"], "sub/fixtures/a.py", False),
        (["/top.txt"], "top.txt", True),
        (["/top.txt"], "sub/top.txt", False),
        (["build/"], "build/", True),
        (["build/"], "build/x.py", True),
        (["build/"], "build", False),  # a file named build
        (["build/"], "src/build/x.py", True),
        (["docs/*.md"], "docs/a.md", True),
        (["docs/*.md"], "docs/sub/a.md", False),
        (["a/**/b"], "a/b", True),
        (["a/**/b"], "a/x/y/b", True),
        (["a/**/b"], "a/x/y/b/c", True),
        (["a/**/b"], "a/x/y/bc", False),
        (["**/x/y"], "p/q/x/y", True),
        (["*"], "anything/at/all", True),
        (["*/"], "top-level-file", False),
        (["*/"], "dir/file", True),
        (["?.py"], "a.py", True),
        (["?.py"], "ab.py", False),
        (["[ab].py"], "b.py", True),
        (["[!ab].py"], "b.py", False),
        (["[!ab].py"], "c.py", True),
        (["[!a]"], "x/", True),  # the folder x: a negated bracket never matches "/"
        (["\\*.py"], "*.py", True),
        (["\\*.py"], "a.py", False),
        (["\\#x"], "#x", True),
        (["# a comment"], "# a comment", False),
        (["\\!x"], "!x", True),
        (["x\\ "], "x ", True),
        (["x  "], "x", True),  # trailing spaces are not part of the pattern
        (["[abc"], "[abc", False),  # an unfinished bracket matches nothing, as in git
        (["*.py", "!keep.py"], "keep.py", False),
        (["*.py", "!keep.py"], "other.py", True),
        (["gen/", "!gen/keep.py"], "gen/keep.py", False),  # re-included from a folder
        (["!gen/keep.py", "gen/"], "gen/keep.py", False),
        (["gen/keep.py", "!gen/"], "gen/keep.py", True),
        ([], "a", False),
    ],
)
def test_forms(lines, path, expected):
    assert excluded(lines, path) is expected


@pytest.mark.parametrize("line", ["[z-a]", "a\\", "!", "x/[b-a]/y"])
def test_unreadable_patterns(line):
    with pytest.raises(patterns.PatternError):
        patterns.compile_pattern(line)


# What random patterns and paths are made of: few letters, so that they meet often.
_PIECES = ["a", "b", "ab", "*", "**", "?", "/", "[ab]", "[a-b]", "[]a]", "\\*", "\\", "!", " "]
_pattern = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=7).map("".join)
# Paths as tokscan gives them: relative, no empty segment, a folder may end with "/".
_segment = st.text(alphabet="ab*?[]! \\", min_size=1, max_size=3)
_path = st.tuples(st.lists(_segment, min_size=1, max_size=4), st.sampled_from(["", "/"])).map(
    lambda parts: "/".join(parts[0]) + parts[1]
)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(st.lists(_pattern, min_size=1, max_size=3), _path)
@example(["a/**/"], "a/b/")
@example(["**/"], "a")
@example(["*/**"], "a/")
@example(["a", "!a/**"], "a/b")
@example(["**/a", "!*/"], "a/a")
def test_same_as_pathspec(lines, path):
    try:
        expected = reference(lines, path)
    except Exception:  # pathspec cannot read a line: neither can tokscan
        with pytest.raises(patterns.PatternError):
            for line in lines:
                patterns.compile_pattern(line)
        return
    assert excluded(lines, path) is expected, (lines, path)


# Patterns that make a backtracking regular expression engine take exponential time.
@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("*a" * 20 + "*b", "a" * 4000),
        ("**/" + "*a" * 20 + "*b", "d/" * 1000 + "a" * 2000),
        ("a/**/" * 30 + "b", "a/" * 2000 + "c"),
        ("**/a/" * 30 + "b", "a/" * 2000 + "c"),
        ("*" + "[ab]*" * 30 + "c", "ab" * 2000),
        ("*" + "?*" * 30 + "c", "x" * 4000),
    ],
)
def test_hostile_patterns_take_linear_time(line, path):
    match = patterns.matcher((line,))
    started = time.perf_counter()
    assert not match(path) and not match(path + "/") and not match(path + "/x")
    # A backtracking matcher takes 20 s at 60 characters and doubles with each more: at
    # these lengths it would never finish. The bound is loose so that a loaded machine
    # (CI, other jobs) cannot fail a matcher that is linear.
    assert time.perf_counter() - started < 20
