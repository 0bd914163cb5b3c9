"""JSON as every machine-readable report writes it: indented, UTF-8 kept readable, and no
character left raw that a terminal would act on.

`json.dumps` escapes the C0 controls (below U+0020) but passes DEL and the C1 controls
(U+0080 to U+009F) through, and a terminal reading UTF-8 may take U+009B as the start of
a control sequence, so a file name in a report piped to a terminal could move the cursor
or rewrite what was printed before. U+2028 and U+2029 end a line in JavaScript and in
some viewers. All of these are written as `\\uXXXX`, which every JSON reader decodes back
to the same text.
"""

from __future__ import annotations

import json
import re

_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def dumps(value: object) -> str:
    return _UNSAFE.sub(_escape, json.dumps(value, indent=2, ensure_ascii=False))


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
