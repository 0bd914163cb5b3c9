"""Checks for the CI formats, applied to every SARIF, GitLab and GitHub output the suite
produces (conftest's `run_tokscan` calls `check_output`; other tests call the checks).

- SARIF: the official 2.1.0 schema, plus GitHub code scanning's upload rules.
- GitLab: the shape tokscan follows (fixtures/schemas/gitlab-secret-detection.schema.json,
  written from GitLab's schema 15.0.7), plus `TOKSCAN_GITLAB_SCHEMA` (a path to GitLab's
  own `secret-detection-report-format.json`) when it is set.
- GitHub: every line is a well-formed workflow command whose values decode back to what
  was escaped, or a plain line that cannot start one.
- SARIF and GitLab: a key in an archive's member is located on the archive (the path
  before the first `!`), and its message names the whole `archive!member` path.
- All three: no full key anywhere (unless the run passed --show-secrets).
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema

from support.paths import FIXTURES
from tokscan import keyformat

SCHEMAS = FIXTURES / "schemas"
GITHUB_COMMANDS = ("error", "warning", "notice", "debug")


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def no_keys(text: str) -> None:
    assert not keyformat.find_in_text(text), "a full key was written"


def check_sarif(text: str, secrets: bool = False) -> dict[str, Any]:
    document = json.loads(text)
    _validator("sarif-schema-2.1.0.json").validate(document)
    assert document["version"] == "2.1.0"
    assert 1 <= len(document["runs"]) <= 20  # GitHub: at most 20 runs a file
    for run in document["runs"]:
        rules = run["tool"]["driver"]["rules"]
        assert len(rules) <= 25_000
        rule_ids = {r["id"] for r in rules}
        for rule in rules:
            assert len(rule["properties"]["tags"]) <= 10  # GitHub shows 10 tags a rule
            assert rule["help"]["text"] and rule["shortDescription"]["text"]
        assert len(run["results"]) <= 5_000  # GitHub stores at most 5,000 a run
        for result in run["results"]:
            assert result["ruleId"] in rule_ids
            assert result["message"]["text"]
            assert 1 <= len(result["locations"]) <= 1_000
            for location in result["locations"]:
                physical = location["physicalLocation"]
                artifact = physical["artifactLocation"]
                assert artifact["uriBaseId"] == "%SRCROOT%"
                parts = urlsplit(artifact["uri"])
                assert not parts.scheme and not parts.netloc and not parts.query
                assert not parts.fragment and not artifact["uri"].startswith("/")
                region = physical["region"]
                assert region["startLine"] >= 1  # GitHub needs a line (its rule GH1003)
                if "endColumn" in region:  # a key found encoded: to the end of the line
                    assert region["endColumn"] > region["startColumn"] >= 1
            properties = result.get("properties", {})
            member = properties.get("memberPath")
            if member is not None:  # in an archive: the result is on the archive, a file
                archive = member.split("!", 1)[0]
                assert "!" in member and sarif_path(result) == archive
                assert member in result["message"]["text"]
            if "encoding" in properties:
                assert properties["encoding"] and all(properties["encoding"])
            fingerprints = result["partialFingerprints"]
            assert fingerprints and "primaryLocationLineHash" not in fingerprints
    if not secrets:
        no_keys(text)
    return dict(document)


def sarif_path(result: dict[str, Any]) -> str:
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return unquote(uri, errors="surrogateescape")


def check_gitlab(text: str, secrets: bool = False) -> dict[str, Any]:
    document = json.loads(text)
    _validator("gitlab-secret-detection.schema.json").validate(document)
    official = os.environ.get("TOKSCAN_GITLAB_SCHEMA")
    if official:
        schema = json.loads(Path(official).read_text(encoding="utf-8"))
        jsonschema.validators.validator_for(schema)(schema).validate(document)
    for vulnerability in document["vulnerabilities"]:
        member = vulnerability.get("details", {}).get("member_path")
        if member is not None:  # in an archive: located on the archive, a file
            assert vulnerability["location"]["file"] == member["value"].split("!", 1)[0]
            assert member["value"] in vulnerability["message"]
    ids = [v["id"] for v in document["vulnerabilities"]]
    assert len(ids) == len(set(ids)), "vulnerability ids must be unique"
    if not secrets:
        no_keys(text)
    return dict(document)


_PROPERTY = re.compile(r"([A-Za-z]+)=([^,]*)")


_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def unescape(text: str) -> str:
    """GitHub's escaping, undone in one pass (so `%250A` stays `%0A`)."""
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: _ESCAPES[m.group()], text)


def check_github(text: str, secrets: bool = False) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands in the output: (command, properties, message), decoded."""
    commands = []
    assert text.endswith("\n")
    for line in text[:-1].split("\n"):
        assert "\r" not in line
        if not line.startswith("::"):
            continue  # a plain line: it cannot start a command
        name, _, rest = line[2:].partition("::")
        command, _, props = name.partition(" ")
        assert command in GITHUB_COMMANDS, line
        # Escaped values hold no raw separators: each property is key=value, split by ","
        properties = {}
        for item in props.split(",") if props else []:
            match = _PROPERTY.fullmatch(item)
            assert match, f"bad property {item!r} in {line!r}"
            assert ":" not in match.group(2)
            properties[match.group(1)] = unescape(match.group(2))
        for number in ("line", "col", "endColumn", "endLine"):
            if number in properties:
                assert properties[number].isdigit()
        assert "%" not in rest.replace("%25", "").replace("%0A", "").replace("%0D", "")
        commands.append((command, properties, unescape(rest)))
    if not secrets:
        no_keys(text)
    return commands


def check_summary(markdown: str, secrets: bool = False) -> None:
    """The job summary: table rows stay rows (pipes and line breaks in values escaped)."""
    for line in markdown.splitlines():
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 6, line  # 4 cells between 5 unescaped pipes
    if not secrets:
        no_keys(markdown)


_CHECKS = {"sarif": check_sarif, "gitlab": check_gitlab, "github": check_github}


def check_output(args: list[str], stdout: str, cwd: Path) -> None:
    """Validate what a `tokscan` run wrote, in whatever CI format it was asked for."""
    fmt, output = "text", None
    for i, arg in enumerate(args):
        if arg in ("-f", "--format") and i + 1 < len(args):
            fmt = args[i + 1]
        elif arg.startswith("--format="):
            fmt = arg.split("=", 1)[1]
        elif arg in ("-o", "--output") and i + 1 < len(args):
            output = args[i + 1]
    check = _CHECKS.get(fmt)
    secrets = "--show-secrets" in args
    if check is None:
        return
    if output is not None:
        path = Path(output) if os.path.isabs(output) else cwd / output
        if path.exists():
            check(path.read_text(encoding="utf-8"), secrets)
    elif stdout:
        check(stdout, secrets)
