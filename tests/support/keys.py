"""Test keys, generated at run time from a seed: the repository holds no key-shaped literal."""

from __future__ import annotations

import hashlib
import random
import string

from tokscan.detect import placeholder

BASE62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


class KeyFactory:
    """Makes distinct random keys that are not placeholders, reproducibly."""

    def __init__(self, seed: int = 20261127) -> None:
        self._random = random.Random(seed)
        self._made: set[str] = set()

    def body(self, alphabet: str = BASE62) -> str:
        while True:
            body = "".join(self._random.choices(alphabet, k=32))
            if not placeholder.is_placeholder(body) and body not in self._made:
                self._made.add(body)
                return body

    def key(self, alphabet: str = BASE62) -> str:
        return "tm-" + self.body(alphabet)

    def __call__(self) -> str:
        return self.key()


def fingerprint(key: str) -> str:
    """What tokscan reports as a key's fingerprint (SPEC §2): the SHA-256 of the whole key,
    in lowercase hex. Computed here, not by tokscan, so that tests check tokscan against it."""
    return hashlib.sha256(key.encode()).hexdigest()
