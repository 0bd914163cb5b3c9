"""tokscan/detect/names.py: keys in the names of files and folders."""

from __future__ import annotations

from tokscan.detect import in_name


def found(path: str) -> list[tuple[str, str, int, int, bool]]:
    return [(named, c.key, c.line, c.column, c.in_name) for named, c in in_name(path)]


def test_a_key_in_a_file_name_is_at_the_whole_path(keys):
    key = keys()
    assert found(f"conf/{key}.env") == [(f"conf/{key}.env", key, 1, 6, True)]


def test_a_key_in_a_folder_name_is_at_the_folder(keys):
    key = keys()
    assert found(f"a/{key}/b/c.txt") == [(f"a/{key}", key, 1, 3, True)]


def test_every_key_of_a_path_is_found(keys):
    first, second = keys(), keys()
    path = f"{first}/x-{second}.txt"
    assert found(path) == [(first, first, 1, 1, True), (path, second, 1, 39, True)]


def test_the_column_counts_characters(keys):
    key = keys()
    assert found(f"näive/日本/{key}")[0][3] == len("näive/日本/") + 1


def test_boundaries_and_placeholders_are_as_in_content(keys):
    key = keys()
    assert found(f"x{key}.txt") == []  # glued to a word: not a key (SPEC §2)
    assert found(f"{key}9.txt") == []
    assert found(f"a%3D{key}") == [(f"a%3D{key}", key, 1, 5, True)]  # an escape ends a word
    assert found("docs/tm-" + "x" * 32 + ".md") == []  # a placeholder
    assert found("plain/path.txt") == []


def test_a_name_that_is_not_utf8_keeps_its_bytes(keys):
    key = keys()
    path = "caf\udce9/" + key  # os.fsdecode of b"caf\xe9/..."
    assert found(path) == [(path, key, 1, 6, True)]
