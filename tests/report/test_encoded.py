"""Keys found encoded, in archives and in binary files (SPEC §10) in every format: how each
was found and where (the archive's member) is shown, each CI format points at a file the
repository holds (the archive), and no format leaks a key in any form, plain or encoded."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.formats import check_github, check_gitlab, check_sarif, check_summary, sarif_path
from support.keys import KeyFactory
from support.reports import check_golden, encoded_report, finding, report

from tokscan.model import Report
from tokscan.report import github, gitlab, rule, sarif, text
from tokscan.report import json as json_report

RENDERERS: dict[str, Callable[[Report, bool], str]] = {
    "text": lambda made, shown: text.render(made, show_secrets=shown),
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github.render,
    "github summary": github.summary,
    "gitlab": gitlab.render,
}
GOLDEN = {
    "text": "report-encoded.txt",
    "json": "report-encoded.json",
    "sarif": "report-encoded.sarif",
    "github": "report-encoded.github.txt",
    "github summary": "report-encoded.summary.md",
    "gitlab": "report-encoded.gitlab.json",
}
JSON_FORMATS = {"json", "sarif", "gitlab"}
# A run of this many characters of a key's encoded form in a report is a leak.
LEAK = 20


def test_every_format_matches_its_golden_file():
    made = encoded_report(KeyFactory(seed=11))
    for fmt, name in GOLDEN.items():
        check_golden(name, RENDERERS[fmt](made, False))


def test_the_ci_formats_are_valid():
    made = encoded_report(KeyFactory(seed=11))
    check_sarif(sarif.render(made))
    check_gitlab(gitlab.render(made))
    check_github(github.render(made))
    check_summary(github.summary(made))


# --- What each format says ----------------------------------------------------------------


def test_text_says_how_each_key_was_found(keys):
    rendered = text.render(encoded_report(keys))
    places = [line.strip() for line in rendered.splitlines() if line.startswith("  ")]
    for place in (
        "src/settings.py:12:15",
        "k8s/secret.yaml:7:9 (base64)",
        "deploy/values.yaml:3:11 (base64 → base64)",
        "tools/run.ps1:2:14 (utf-16le)",
        "dist/app.whl!app/settings.py:3:9",
        "assets/model.bin:5:40 (byte 1234)",
        "build/bundle.zip!conf.tar.gz!conf/.env:2:5 (base64, byte 96)",
    ):
        assert place in places


def test_sarif_points_at_the_archive_and_names_the_member(keys):
    document = check_sarif(sarif.render(encoded_report(keys)))
    results = {r["properties"].get("memberPath", sarif_path(r)): r
               for r in document["runs"][0]["results"]}
    member = results["dist/app.whl!app/settings.py"]
    assert sarif_path(member) == "dist/app.whl"
    assert member["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert " in dist/app.whl!app/settings.py:3:9. " in member["message"]["text"]
    assert "encoding" not in member["properties"]
    nested = results["build/bundle.zip!conf.tar.gz!conf/.env"]
    assert sarif_path(nested) == "build/bundle.zip"
    assert nested["properties"]["encoding"] == ["base64"]
    assert nested["properties"]["byteOffset"] == 96  # in the member: not the archive's region
    assert nested["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    twice = results["deploy/values.yaml"]
    assert twice["properties"]["encoding"] == ["base64", "base64"]
    assert "(base64 → base64) in deploy/values.yaml" in twice["message"]["text"]
    # Where an encoded key ends is not known: the region runs to the end of the line.
    assert twice["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 11, "endLine": 3}
    binary = results["assets/model.bin"]
    assert binary["properties"]["byteOffset"] == 1234
    assert binary["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5, "startColumn": 40, "endLine": 5, "endColumn": 75, "byteOffset": 1234}
    plain = results["src/settings.py"]
    assert not {"encoding", "byteOffset", "memberPath"} & set(plain["properties"])
    assert plain["locations"][0]["physicalLocation"]["region"]["endColumn"] == 15 + rule.SPAN


def test_the_same_key_in_a_file_and_in_its_archive_stays_two_alerts(keys):
    key = keys()
    both = report(finding(key, path="app.whl"),
                  finding(key, path="app.whl!app.py", archive="app.whl"))
    results = check_sarif(sarif.render(both))["runs"][0]["results"]
    assert [sarif_path(r) for r in results] == ["app.whl", "app.whl"]
    prints = {r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results}
    assert len(prints) == 2


def test_github_annotates_the_archive_and_names_the_member(keys):
    commands = check_github(github.render(encoded_report(keys)))
    annotations = {props["file"]: (props, message) for name, props, message in commands
                   if name == "error"}
    props, message = annotations["dist/app.whl"]
    assert set(props) == {"file", "title"}  # no line: the member's lines are not the archive's
    assert " in dist/app.whl!app/settings.py:3:9. " in message
    props, message = annotations["build/bundle.zip"]
    assert "(base64, byte 96) in build/bundle.zip!conf.tar.gz!conf/.env:2:5" in message
    props, message = annotations["deploy/values.yaml"]
    assert (props["line"], props["col"]) == ("3", "11") and "endColumn" not in props
    assert "(base64 → base64)" in message
    props, message = annotations["tools/run.ps1"]
    assert "(utf-16le)" in message
    assert annotations["src/settings.py"][0]["endColumn"] == str(15 + rule.SPAN)
    summary = github.summary(encoded_report(keys))
    check_summary(summary)
    assert "dist/app.whl\\!app/settings.py:3:9" in summary
    assert "deploy/values.yaml:3:11 \\(base64 → base64\\)" in summary


def test_gitlab_locates_the_archive_and_names_the_member(keys):
    made = encoded_report(keys)
    document = check_gitlab(gitlab.render(made))
    found = {v["details"].get("member_path", {}).get("value", v["location"]["file"]): v
             for v in document["vulnerabilities"]}
    member = found["dist/app.whl!app/settings.py"]
    assert member["location"] == {"file": "dist/app.whl", "start_line": 1, "end_line": 1,
                                  "commit": {"sha": "0000000"}}
    assert "archive member dist/app.whl!app/settings.py, line 3, column 9" in (
        member["description"])
    nested = found["build/bundle.zip!conf.tar.gz!conf/.env"]
    assert nested["location"]["file"] == "build/bundle.zip"
    assert nested["details"]["encoding"]["value"] == "base64"
    assert nested["details"]["byte_offset"]["value"] == "96"
    twice = found["deploy/values.yaml"]
    assert twice["location"]["start_line"] == 3
    assert "It was found encoded: base64 → base64." in twice["description"]
    assert "(base64 → base64) in deploy/values.yaml" in twice["message"]
    plain = found["src/settings.py"]
    assert set(plain["details"]) == {"fingerprint", "status"}
    [advice] = {f.advice for f in made.findings if f.path == "src/settings.py"}
    assert plain["description"] == f"{rule.FULL} {advice}"  # as before the decoders


# --- No key, in any form ------------------------------------------------------------------


def encoded_forms(key: str) -> Iterator[str]:
    """The forms a leaked key could take in a report: the key, its base64 (both alphabets,
    each of the three ways it can line up with base64's 3-byte groups) and its UTF-16
    (both byte orders, as Latin-1 text)."""
    yield key
    raw = key.encode("ascii")
    for prefix in (b"", b"\x00", b"\x00\x00"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            yield encode(prefix + raw).decode("ascii")
    for order in ("utf-16-le", "utf-16-be"):
        yield key.encode(order).decode("latin-1")


def leaks(key: str, haystack: str) -> list[str]:
    """Every run of LEAK characters of one of the key's forms that `haystack` holds."""
    return [
        form[start : start + LEAK]
        for form in encoded_forms(key)
        for start in range(len(form) - LEAK + 1)
        if form[start : start + LEAK] in haystack
    ]


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys and values, as decoded (a NUL or a line break
    escaped in the JSON text is itself here)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def readable(fmt: str, rendered: str) -> str:
    """The report as written, and (for a JSON format) the text of every string in it."""
    if fmt not in JSON_FORMATS:
        return rendered
    return rendered + "\n" + "\n".join(strings(json.loads(rendered)))


def test_the_leak_check_finds_every_form(keys):
    """The check below can fail: each form of a key, inside other text, is caught."""
    key = keys()
    for form in encoded_forms(key):
        assert leaks(key, f"prefix {form[2:]} suffix")
    assert leaks(key, json.dumps({"a": base64.b64encode(b"x" + key.encode()).decode()}))
    assert not leaks(key, rule.title(finding(key), show_secrets=False))


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_no_format_leaks_a_key_in_any_form(fmt):
    made = encoded_report(KeyFactory(seed=5))
    found = sorted({f.key for f in made.findings})
    assert len(found) == 6
    hidden = readable(fmt, RENDERERS[fmt](made, False))
    for key in found:
        assert not leaks(key, hidden), f"{fmt} leaks a key"
    shown = readable(fmt, RENDERERS[fmt](made, True))
    for key in found:
        assert key in shown, f"{fmt} does not show the key with show_secrets"


def test_a_file_named_with_an_exclamation_mark_keeps_its_path(keys):
    document = check_sarif(sarif.render(report(finding(keys(), path="docs/wow!.md"))))
    assert sarif_path(document["runs"][0]["results"][0]) == "docs/wow!.md"
