"""The key behind a fingerprint, read again on the client for `--verify`.

Workers send back no keys, only fingerprints and redacted forms, so the client, which
alone talks to TokModel (one probe per key for the whole audit), reads the key again
from one place it leaked: the blob at that commit and path (the archive that holds it,
for a member), the commit or tag message, or the names in that commit's tree. The
repository is where the worker left it (a local repository, or the clone in the work
folder, which a cluster shares). The key stays in memory and goes only to the API.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from tokscan import git, keyformat
from tokscan.model import Chunk, Origin


def recover(root: str, record: dict[str, Any]) -> str | None:
    """The key whose fingerprint `record` names, read from `root`; None if not found."""
    wanted = record["fingerprint"]
    for key in _keys_at(root, record):
        if keyformat.fingerprint(key) == wanted:
            return key
    return None


def _keys_at(root: str, record: dict[str, Any]) -> Iterator[str]:
    from tokscan import detect
    from tokscan.sources.stream import scan_stream

    commit, path = record.get("commit"), record.get("path")
    if path is not None and not record.get("in_name"):
        blob_path = record.get("archive") or path
        for expression in (f"{commit}:{blob_path}" if commit else None, blob_path):
            if expression is None:
                continue
            data = git.try_run(root, "cat-file", "blob", expression)
            if data is not None:
                outcome = scan_stream(Origin(path), io.BytesIO(data).read, len(data))
                yield from (candidate.key for candidate in outcome.candidates)
                break
    if commit and path is None:  # a commit or tag message
        data = git.try_run(root, "cat-file", "-p", commit)
        if data is not None:
            yield from (candidate.key for candidate in detect.find(Chunk(data, Origin(None))))
    if commit:  # a key in a name (or a path that was redacted because it holds one)
        names = git.try_run(root, "ls-tree", "-r", "-t", "-z", "--name-only", commit)
        if names is not None:
            for name in git.split_z(names):
                yield from keyformat.find_in_text(name)
