"""The detector: chunks of bytes in, candidate keys out (`finder`), with the placeholder
filter (`placeholder`) that keeps documentation examples from becoming findings."""

from tokscan.detect.finder import PRAGMA, find

__all__ = ["PRAGMA", "find"]
