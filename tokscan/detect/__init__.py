"""The detector: chunks of bytes in, candidate keys out (`finder`), with the placeholder
filter (`placeholder`) that keeps documentation examples from becoming findings; and keys
in the names of files and folders (`names`)."""

from tokscan.detect.finder import PRAGMA, find
from tokscan.detect.names import in_name

__all__ = ["PRAGMA", "find", "in_name"]
