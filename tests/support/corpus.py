"""A realistic, adversarial corpus: about 160 files in many languages and formats, with keys
planted at known places among placeholders and near-misses that must not be reported.

Seeded, so every run writes the same files. Templates mark where things go:

    ⟪K⟫ a random base62 key       ⟪H⟫ a hex key          ⟪UP⟫ upper case and digits
    ⟪LO⟫ lower case and digits    ⟪R⟫ the last key again  ⟪S⟫ a key on a `tokscan:allow` line
    ⟪P⟫ a placeholder             ⟪N⟫ a near-miss         ⟪BS⟫ `\\\\n` glued to a key shape

A planted key's expected line and column come from the bytes written (SPEC §2: 1-based
line; column in characters of the line decoded as UTF-8, an undecodable byte counting as
one), so CRLF, BOMs, Latin-1 and multi-byte text are all measured the same way.

    PYTHONPATH=tests python -m support.corpus OUTDIR
        writes a corpus to look at, and OUTDIR.planted.json
"""

from __future__ import annotations

import json
import random
import re
import string
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from support.keys import KeyFactory
from support.paths import FIXTURES
from tokscan.sources.stream import CHUNK_SIZE

BASE62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UPPER = string.ascii_uppercase + string.digits
LOWER = string.ascii_lowercase + string.digits
MARK = re.compile(r"⟪(\w+)⟫")


@dataclass(frozen=True)
class Planted:
    path: str
    line: int
    column: int
    key: str
    suppressed: bool = False


class Corpus:
    def __init__(self, root: Path, seed: int = 2026) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.keys = KeyFactory(seed)
        self.planted: list[Planted] = []
        self.decoys = 0
        self._last = ""
        self._placeholders = [
            line.strip()
            for line in (FIXTURES / "placeholders.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]

    # --- what goes where a marker is -----------------------------------------------------

    def _key(self, alphabet: str) -> str:
        self._last = self.keys.key(alphabet)
        return self._last

    def _near_miss(self) -> str:
        body = self.keys.body()
        letter = self.rng.choice(string.ascii_letters)
        digit = self.rng.choice(string.digits)
        return self.rng.choice([
            "u" + "tm-" + body,  # utm-...
            letter + "tm-" + body,
            digit + "tm-" + body,
            "tm-" + body + letter,  # tm-<33>
            "tm-" + body + digit,
            "tm-" + body[:31],  # tm-<31>
            "tm-" + body[:30],
            "TM-" + body,
            "Tm-" + body,
            "tm_" + body,
            "tm " + body,
            "tm-" + body[:16] + "-" + body[16:31],
            "tm-" + body[:16] + "_" + body[16:],
            "tm-" + body[:12] + "é" + body[12:31],
            letter + "tm-" + body + letter,
            "tm-" + body.lower() + body[0],
        ])

    def _fill(self, kind: str) -> tuple[str, bool | None]:
        """The text for a marker, and whether it is a key to report (None: not a key)."""
        if kind == "K":
            return self._key(BASE62), False
        if kind == "H":
            return self._key(HEX), False
        if kind == "UP":
            return self._key(UPPER), False
        if kind == "LO":
            return self._key(LOWER), False
        if kind == "R":
            return self._last, False
        if kind == "S":
            return self._key(BASE62), True
        self.decoys += 1
        if kind == "P":
            return self.rng.choice(self._placeholders), None
        if kind == "N":
            return self._near_miss(), None
        if kind == "BS":
            return "\\\\n" + "tm-" + self.keys.body(), None
        raise ValueError(kind)

    # --- writing files -----------------------------------------------------------------

    def write(self, path: str, template: str, *, crlf: bool = False, bom: bool = False,
              encoding: str = "utf-8", final_newline: bool = True) -> None:
        if final_newline and not template.endswith("\n"):
            template += "\n"
        if not final_newline:
            template = template.rstrip("\n")
        if crlf:
            template = template.replace("\n", "\r\n")
        data = bytearray("\ufeff".encode() if bom else b"")
        spots: list[tuple[int, str, bool]] = []
        position = 0
        for match in MARK.finditer(template):
            data += template[position : match.start()].encode(encoding)
            text, suppressed = self._fill(match.group(1))
            if suppressed is not None:
                spots.append((len(data), text, suppressed))
            data += text.encode(encoding)
            position = match.end()
        data += template[position:].encode(encoding)
        self.write_bytes(path, bytes(data), spots)

    def write_bytes(self, path: str, data: bytes, spots: list[tuple[int, str, bool]]) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        for offset, key, suppressed in spots:
            assert data[offset : offset + 35] == key.encode()
            line, column = location(data, offset)
            self.planted.append(Planted(path, line, column, key, suppressed))


def location(data: bytes, offset: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "surrogateescape")) + 1
    return data.count(b"\n", 0, offset) + 1, column


# --- templates ---------------------------------------------------------------------------

SERVICES = ["billing", "search", "auth", "gateway", "reports", "mailer", "ingest", "chat"]

PYTHON = '''"""Settings for the {svc} service."""
import os

DEBUG = {flag}
# Example from the docs: TOKMODEL_API_KEY = "⟪P⟫"
TOKMODEL_API_KEY = os.environ.get("TOKMODEL_API_KEY", "⟪K⟫")
FALLBACK_KEYS = ["⟪K⟫", '⟪H⟫']  # rotate before launch
NOT_A_KEY = "⟪N⟫"
TEST_KEY = "⟪S⟫"  # tokscan:allow (revoked demo key)


def headers(key: str = '⟪UP⟫') -> dict[str, str]:
    return {{"Authorization": f"Bearer {{key}}", "X-Trace": "⟪N⟫"}}
'''

PYTHON_CLIENT = '''import httpx

client = httpx.Client(base_url="https://tokmodel.com", headers={{
    "Authorization": "Bearer ⟪K⟫",
}})
# a doc string with an escape: "\\n⟪K⟫" and an escaped backslash "⟪BS⟫"
prompt = """Summarise {svc} logs.
key=⟪LO⟫
"""
'''

JAVASCRIPT = '''// {svc} client configuration
const apiKey = process.env.TOKMODEL_API_KEY || '⟪K⟫';
const example = "⟪P⟫"; // placeholder from README
export const config = {{
  key: "⟪UP⟫",
  retries: {n},
  auth: `Bearer ⟪K⟫`,
  glued: "⟪N⟫",
}};
'''

TYPESCRIPT = '''export const TOKMODEL_KEY: string = "⟪K⟫";
export async function ask(q: string): Promise<Response> {{
  return fetch("https://tokmodel.com/v1/chat/completions", {{
    method: "POST",
    headers: {{ Authorization: `Bearer ${{"⟪H⟫"}}`, "Content-Type": "application/json" }},
    body: JSON.stringify({{ model: "openai/gpt-4o", messages: [{{ role: "user", content: q }}] }}),
  }});
}}
// TODO: remove ⟪N⟫ and ⟪P⟫
'''

GO = '''package {svc}

import "fmt"

const apiKey = "⟪K⟫"

func header() string {{
\treturn fmt.Sprintf("Bearer %s", `⟪K⟫`)
}}

var notKey = "⟪N⟫"
var example = "⟪P⟫"
'''

RUST = '''const KEY: &str = "⟪K⟫";
const RAW: &str = r#"⟪UP⟫"#;
// let placeholder = "⟪P⟫";
fn main() {{
    let escaped = "\\u{{3d}}⟪N⟫";
    println!("{{}} {{}}", KEY, RAW);
}}
'''

JAVA = '''package com.example.{svc};

public final class Keys {{
    private static final String KEY = "⟪K⟫";
    private static final String JSON = "{{\\"key\\":\\"⟪K⟫\\"}}";
    private static final String LINE = "first\\n⟪H⟫";
    private static final String NOPE = "⟪N⟫";
}}
'''

RUBY = '''# frozen_string_literal: true
TOKMODEL_KEY = ENV.fetch("TOKMODEL_API_KEY") {{ "⟪K⟫" }}
KEYS = %w[⟪K⟫ ⟪P⟫]
OPTIONS = {{ :key => '⟪LO⟫', :other => "⟪N⟫" }}
'''

PHP = '''<?php
$key = '⟪K⟫';
define('TOKMODEL_KEY', "⟪K⟫");
$url = "https://tokmodel.com/v1?key=" . urlencode('⟪UP⟫');
// $example = '⟪P⟫';
$nope = "⟪N⟫";
'''

SHELL = '''#!/usr/bin/env bash
set -euo pipefail
export TOKMODEL_API_KEY=⟪K⟫
KEY=${{KEY:-⟪K⟫}}
curl -sS -H "Authorization: Bearer ⟪H⟫" https://tokmodel.com/v1/models
# export TOKMODEL_API_KEY=⟪P⟫
echo "⟪N⟫"
'''

YAML = '''tokmodel:
  api_key: ⟪K⟫
  backup: "⟪H⟫"
  example: ⟪P⟫
  keys:
    - ⟪K⟫
    - '⟪UP⟫'
  nearly: ⟪N⟫
  demo: ⟪S⟫  # tokscan:allow
'''

TOML = '''[tokmodel]
api_key = "⟪K⟫"
keys = ["⟪K⟫", "⟪P⟫"]
literal = '⟪LO⟫'
near = "⟪N⟫"
'''

JSON_CONFIG = '''{{
  "apiKey": "⟪K⟫",
  "note": "line one\\n⟪K⟫",
  "escaped": "\\u003d⟪H⟫",
  "tabbed": "\\t⟪UP⟫",
  "path": "C:⟪BS⟫",
  "example": "⟪P⟫",
  "near": "⟪N⟫",
  "quoted": "\\"⟪K⟫\\""
}}
'''

DOTENV = '''# {svc} environment
TOKMODEL_API_KEY=⟪K⟫
OTHER_KEY="⟪H⟫"
# TOKMODEL_API_KEY=⟪P⟫
NEAR=⟪N⟫
EMPTY=
'''

INI = '''[tokmodel]
key = ⟪K⟫
backup: ⟪LO⟫
; example = ⟪P⟫
near = ⟪N⟫
'''

DOCKERFILE = '''FROM python:3.12-slim
ARG TOKMODEL_API_KEY="⟪K⟫"
ENV TOKMODEL_API_KEY=⟪K⟫
RUN curl -H "Authorization: Bearer ⟪UP⟫" https://tokmodel.com/v1/models
# ENV TOKMODEL_API_KEY=⟪P⟫
LABEL note="⟪N⟫"
'''

MARKDOWN = '''# {svc}

Use `⟪P⟫` as a placeholder, never a real key.

```bash
export TOKMODEL_API_KEY=⟪K⟫
```

| env | key |
|-----|-----|
| prod | ⟪K⟫ |
| docs | ⟪P⟫ |

See [the dashboard](https://tokmodel.com/console?key=⟪H⟫) or ⟪N⟫.
'''

CSV = '''name,key,created
prod,⟪K⟫,2024-01-01
"staging","⟪H⟫",2024-02-01
docs,⟪P⟫,2024-03-01
near,⟪N⟫,2024-04-01
'''

HTML = '''<!doctype html>
<html lang="en">
<head><meta name="tokmodel-key" content="⟪K⟫"></head>
<body>
<script>const k="⟪K⟫";</script>
<a href="/login?next=%2Fapi%3Fkey%3D⟪UP⟫">log in</a>
<code>&quot;⟪H⟫&quot;</code>
<p>⟪P⟫ and ⟪N⟫</p>
</body>
</html>
'''

SQL = '''-- seed data for {svc}
INSERT INTO api_keys (name, key) VALUES ('prod', '⟪K⟫');
INSERT INTO api_keys (name, key) VALUES ('docs', '⟪P⟫');
UPDATE settings SET value = '⟪LO⟫' WHERE name = 'tokmodel';
-- ⟪N⟫
'''

URLS = '''https://tokmodel.com/v1?api_key=⟪K⟫&x=1
https%3A%2F%2Ftokmodel.com%2Fv1%3Fkey%3D⟪K⟫%26x%3D1
redirect=key%3d⟪H⟫
q=%22⟪UP⟫%22
https://user:⟪K⟫@proxy.example.com/
https://tokmodel.com/?k=⟪P⟫
https://tokmodel.com/?k=⟪N⟫
'''

C_SOURCE = '''#include <stdio.h>
static const char *KEY = "⟪K⟫";
static const char *HEXED = "\\x3d⟪K⟫";
static const char *OCTAL = "\\075⟪H⟫";
static const char *LINES = "a\\r\\n⟪UP⟫";
/* ⟪P⟫ */
static const char *NEAR = "⟪N⟫";
'''

NON_ASCII = '''# 密钥: ⟪K⟫
// 🔑 ⟪K⟫ 🔑
# מפתח: ⟪H⟫
key="⟪K⟫"は秘密です
密钥⟪K⟫密钥
Ключ — «⟪UP⟫» — ✓
ñandú ⟪N⟫ café
'''

POWERSHELL = '''$env:TOKMODEL_API_KEY = "⟪K⟫"
Invoke-RestMethod -Headers @{{ Authorization = "Bearer ⟪K⟫" }} -Uri https://tokmodel.com/v1/models
# $env:TOKMODEL_API_KEY = "⟪P⟫"
'''

MAKEFILE = '''models:
\tcurl -H "Authorization: Bearer ⟪K⟫" https://tokmodel.com/v1/models
\t@echo ⟪N⟫
'''

XML = '''<?xml version="1.0" encoding="UTF-8"?>
<config>
  <apiKey>⟪K⟫</apiKey>
  <example>⟪P⟫</example>
  <near>⟪N⟫</near>
</config>
'''

TERRAFORM = '''variable "tokmodel_key" {{
  default = "⟪K⟫"
}}
# default = "⟪P⟫"
'''

PROPERTIES = '''tokmodel.api.key=⟪K⟫
tokmodel.api.backup : ⟪H⟫
tokmodel.example=⟪P⟫
'''

LOG = '''2026-11-27T10:00:00Z INFO {svc} starting
2026-11-27T10:00:01Z DEBUG using key=⟪K⟫ for request id=abc
2026-11-27T10:00:02Z WARN retry with ⟪R⟫ after 429
2026-11-27T10:00:03Z INFO near=⟪N⟫ done
'''

TEMPLATES = {
    "py": PYTHON, "client.py": PYTHON_CLIENT, "js": JAVASCRIPT, "ts": TYPESCRIPT, "go": GO,
    "rs": RUST, "java": JAVA, "rb": RUBY, "php": PHP, "sh": SHELL, "yaml": YAML,
    "toml": TOML, "json": JSON_CONFIG, "env": DOTENV, "ini": INI, "Dockerfile": DOCKERFILE,
    "md": MARKDOWN, "csv": CSV, "html": HTML, "sql": SQL, "urls.txt": URLS, "c": C_SOURCE,
    "i18n.txt": NON_ASCII, "ps1": POWERSHELL, "Makefile": MAKEFILE, "xml": XML, "tf": TERRAFORM,
    "properties": PROPERTIES, "log": LOG,
}
FOLDERS = ["src", "app", "config", "deploy", "docs", "scripts", "db/migrations", "web/static",
           "services/{svc}", "données", "設定", "with space"]


def notebook(corpus: Corpus, path: str) -> None:
    """A Jupyter notebook: JSON whose strings hold code and output with escapes."""
    cells = [
        {"cell_type": "markdown", "metadata": {},
         "source": ["# Try the API\n", "⟪P⟫ is a placeholder\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [
            {"name": "stdout", "output_type": "stream", "text": ["key loaded\n", "⟪K⟫\n"]}],
         "source": ["import os\n", "os.environ[\"TOKMODEL_API_KEY\"] = \"⟪K⟫\"\n",
                    "print(os.environ['TOKMODEL_API_KEY'])"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["headers = {\"Authorization\": \"Bearer ⟪H⟫\"}\n", "near = '⟪N⟫'\n"]},
    ]
    document = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    # json.dumps escapes the quotes and newlines, as notebooks do; the markers survive.
    corpus.write(path, json.dumps(document, indent=1, ensure_ascii=False))


def minified(corpus: Corpus, path: str, statements: int) -> None:
    parts = []
    for i in range(statements):
        choice = corpus.rng.random()
        if choice < 0.04:
            parts.append(f'var k{i}="⟪K⟫"')
        elif choice < 0.06:
            parts.append(f"t{i}=`Bearer ⟪H⟫`")
        elif choice < 0.08:
            parts.append(f'p{i}="⟪P⟫"')
        elif choice < 0.10:
            parts.append(f'n{i}="⟪N⟫"')
        else:
            parts.append(f"function f{i}(a,b){{return a*{i}+b|0}}")
    corpus.write(path, ";".join(parts) + ";", final_newline=False)


def large(corpus: Corpus, path: str, one_line: bool) -> None:
    """A file past the 4 MiB chunk size, with keys on both sides of the first chunk edge."""
    filler = b"x = compute(a, b) # ordinary text, n\xc3\xa4 \xe4\xb8\xad\n"
    if one_line:
        filler = filler.replace(b"\n", b";")
    data = bytearray(filler * ((CHUNK_SIZE + 300_000) // len(filler)))
    spots = []
    for offset in (CHUNK_SIZE - 1000, CHUNK_SIZE - 100, CHUNK_SIZE - 50, CHUNK_SIZE - 12,
                   CHUNK_SIZE + 40, CHUNK_SIZE + 5000):
        key = corpus.keys.key()
        data[offset - 1 : offset + 36] = b" " + key.encode() + b" "
        spots.append((offset, key, False))
    corpus.write_bytes(path, bytes(data), spots)


def generate(root: Path, seed: int = 2026) -> Corpus:
    corpus = Corpus(root, seed)
    rng = corpus.rng
    names = list(TEMPLATES)
    for i in range(132):
        kind = names[i % len(names)]
        svc = SERVICES[i % len(SERVICES)]
        folder = rng.choice(FOLDERS).format(svc=svc)
        stem = f"{svc}_{i}"
        if kind in ("Dockerfile", "Makefile"):
            name = f"{folder}/{stem}/{kind}"
        elif "." in kind:
            name = f"{folder}/{stem}.{kind}"
        else:
            name = f"{folder}/{stem}.{kind}"
        text = TEMPLATES[kind].format(svc=svc, flag=rng.choice(["True", "False"]),
                                      n=rng.randint(1, 9))
        if kind != "json" and rng.random() < 0.5:  # unrelated lines first, to move things
            filler = (f"# line {n}: nothing to see" for n in range(rng.randint(1, 40)))
            text = "\n".join(filler) + "\n" + text
        corpus.write(name, text, crlf=rng.random() < 0.2, bom=rng.random() < 0.05)

    # Keys at the very edges of files.
    corpus.write("edges/first_byte.env", "⟪K⟫ is the first thing in this file\nSECOND=1\n")
    corpus.write("edges/last_byte.txt", "the key ends the file\nKEY=⟪K⟫", final_newline=False)
    corpus.write("edges/only_key.txt", "⟪K⟫", final_newline=False)
    corpus.write("edges/only_key_crlf.txt", "⟪H⟫\n", crlf=True)
    corpus.write("edges/bom_first.py", "⟪K⟫ = 1\n", bom=True)
    corpus.write("edges/many_on_a_line.txt", "⟪K⟫-⟪K⟫,⟪H⟫;⟪UP⟫ ⟪R⟫|⟪LO⟫\t⟪K⟫\n⟪N⟫ ⟪K⟫…⟪K⟫\n")
    corpus.write("edges/empty.txt", "", final_newline=False)
    corpus.write("edges/latin1.txt", "# clé: ⟪K⟫ café\nnaïve=⟪H⟫ ½\n", encoding="latin-1")
    corpus.write("edges/windows.ini", "[a]\r\nkey=⟪K⟫\r\n\r\n  other = ⟪K⟫\r\n")
    corpus.write("edges/tabs.go", "\t\t\tkey := \"⟪K⟫\"\n\t// ⟪P⟫\n")

    # Decoys only: nothing in these may be reported.
    corpus.write("decoys/placeholders.md", "\n".join(f"- example {n}: `⟪P⟫`" for n in range(40)))
    corpus.write("decoys/near_misses.txt", "\n".join(f"{n}: ⟪N⟫ and \"⟪N⟫\"" for n in range(60)))
    corpus.write("decoys/escaped.json", '{"paths": ["C:⟪BS⟫", "D:⟪BS⟫"]}\n')

    for n in range(6):
        notebook(corpus, f"notebooks/explore_{n}.ipynb")
    minified(corpus, "web/static/bundle.min.js", 4000)
    minified(corpus, "web/static/vendor.min.js", 6000)
    large(corpus, "data/huge.log", one_line=False)
    large(corpus, "web/static/huge.min.js", one_line=True)
    return corpus


if __name__ == "__main__":
    out = Path(sys.argv[1])
    made = generate(out)
    record = out.with_name(out.name + ".planted.json")
    record.write_text(json.dumps([asdict(p) for p in made.planted], indent=1))
    print(f"{len(list(out.rglob('*')))} paths, {len(made.planted)} keys, {made.decoys} decoys")
