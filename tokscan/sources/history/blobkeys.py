"""The blob-key cache: which keys each blob holds, for the attribution, which asks about the
blobs a commit adds and, to tell a new key from one that was there already, about the
versions they replace (outside a narrow range, versions the blob scan never read).
"""

from __future__ import annotations

from collections.abc import Container

from tokscan.errors import TokscanError
from tokscan.git.objects import ObjectReader
from tokscan.git.repository import Repository
from tokscan.model import Candidate
from tokscan.sources.history import blobscan
from tokscan.sources.history.blobscan import BlobHits
from tokscan.sources.stream import Reading


class BlobKeys:
    """The keys in each blob: from the scan, else (for blobs it did not cover, such as a
    parent's version of a file outside a narrow range) read and scanned on demand."""

    def __init__(
        self, repo: Repository, blobs: BlobHits, scanned: Container[bytes], reading: Reading
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.scanned = scanned
        self.reading = reading
        self._keys: dict[bytes, frozenset[str]] = {}
        self._reader: ObjectReader | None = None

    def hits(self, oid: bytes, *, read: bool = False) -> list[Candidate]:
        """The keys in a blob with their places, as the scan found them; with `read`, a blob
        the scan did not cover is read now (one that cannot be read goes into
        `blobs.unreadable` and has none)."""
        hits = self.blobs.hits.get(oid)
        if hits is None and read and oid not in self.scanned and oid not in self.blobs.unreadable:
            hits = self._read(oid)
        return hits or []

    def keys(self, oid: bytes) -> frozenset[str]:
        known = self._keys.get(oid)
        if known is not None:
            return known
        hits = self.blobs.hits.get(oid)
        if hits is None and oid not in self.scanned and oid not in self.blobs.unreadable:
            hits = self._read(oid)
        known = frozenset(hit.key for hit in hits or ())
        self._keys[oid] = known
        return known

    def _read(self, oid: bytes) -> list[Candidate]:
        """Keys in a blob the scan did not cover; one that cannot be read goes into
        `blobs.unreadable` (whoever needed it reports the error: the scan is incomplete)."""
        if self._reader is None:
            self._reader = ObjectReader(self.repo.root)
        reader = self._reader
        try:
            header = reader.request(oid.decode("ascii"))
            if header.kind != b"blob":  # missing, or not a file
                if header.kind == b"missing":
                    self.blobs.unreadable[oid] = "missing or unreadable"
                else:
                    read = reader.stream.reader(header.size)
                    while read(1 << 20):
                        pass
                return []
            found = BlobHits()
            blobscan.scan_object(reader.stream, header, self.reading, found)
        except TokscanError as error:  # git stopped on a corrupt object; a new one reads on
            self.blobs.unreadable[oid] = f"{error}: {reader.errors()}"
            reader.close()
            self._reader = None
            return []
        return found.hits.get(oid, [])

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
