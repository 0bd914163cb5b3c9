"""Keys in names (SPEC §4): a file or folder whose name holds a key leaks it with the tree
(listings, archives, build logs, every clone), whatever the file holds.

`in_name(path)` finds them with the rules of §2 applied to the path as text, placeholders
left out. Each comes with the path up to the end of the name that holds it (a folder's own
path, for a key in a folder's name, so that a folder of many files is one finding) and a
candidate at line 1, column where the key starts in that path (1-based, in characters),
marked `in_name`.
"""

from __future__ import annotations

from tokscan import keyformat
from tokscan.detect import placeholder
from tokscan.model import Candidate


def in_name(path: str) -> list[tuple[str, Candidate]]:
    """(the path of the name that holds it, its candidate) for each key in `path`."""
    data = path.encode("utf-8", "surrogateescape")
    pos = data.find(keyformat.PREFIX)
    if pos < 0:
        return []
    found = []
    while pos >= 0:
        key = keyformat.match_at(data, pos)
        if key is not None and not placeholder.is_placeholder(key[len(keyformat.PREFIX) :]):
            start = len(data[:pos].decode("utf-8", "surrogateescape"))
            end = path.find("/", start)
            named = path if end < 0 else path[:end]
            found.append((named, Candidate(key, 1, start + 1, in_name=True)))
        pos = data.find(keyformat.PREFIX, pos + 1)
    return found
