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
from collections.abc import Iterable, Iterator

_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def dumps(value: object) -> str:
    return _UNSAFE.sub(_escape, json.dumps(value, indent=2, ensure_ascii=False))


def streamed(whole: dict[str, object], field: str, items: Iterable[object]) -> Iterator[str]:
    """`dumps` of `whole` with its top-level list `field` (empty in `whole`) filled with
    `items`, in pieces: the document around the list, then each item as it comes, so a
    report of a hundred thousand findings is never held whole as text. The pieces join to
    exactly what `dumps` would write."""
    head, _, tail = dumps(whole).partition(f'"{field}": []')
    pieces = iter(items)
    first = next(pieces, _NONE)
    if first is _NONE:
        yield head + f'"{field}": []' + tail + "\n"
        return
    yield head + f'"{field}": [\n'
    previous = first
    for item in pieces:
        yield "    " + dumps(previous).replace("\n", "\n    ") + ",\n"
        previous = item
    yield "    " + dumps(previous).replace("\n", "\n    ") + "\n"
    yield "  ]" + tail + "\n"


_NONE = object()


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
