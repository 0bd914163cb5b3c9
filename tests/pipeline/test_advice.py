"""Advice fitted to where a key was found and what TokModel said (SPEC §8)."""

from __future__ import annotations

import itertools

import pytest

from tokscan.model import Finding, Report, Status, Where
from tokscan.pipeline import advice
from tokscan.report import text

PLACES = [
    (Where.STAGED, None),
    (Where.WORKTREE, None),
    (Where.HISTORY, True),
    (Where.HISTORY, None),
    (Where.HISTORY, False),
]


def finding(
    key: str,
    where: Where,
    at_head: bool | None = None,
    status: Status = Status.UNVERIFIED,
    detail: str | None = None,
) -> Finding:
    return Finding(
        key=key,
        path="app.py",
        line=3,
        column=9,
        where=where,
        present_at_head=at_head,
        status=status,
        status_detail=detail,
    )


@pytest.mark.parametrize(("where", "at_head"), PLACES)
@pytest.mark.parametrize("status", list(Status))
def test_every_combination_gets_short_advice_without_the_key(keys, where, at_head, status):
    key = keys()
    text_ = advice.advise(finding(key, where, at_head, status, "HTTP 503, 4 attempts"))
    assert text_ and key not in text_
    assert text_.count(". ") + 1 <= 3  # one or two sentences, three at the very most


@pytest.mark.parametrize(("where", "at_head"), PLACES)
def test_live_means_rotate_now_once_it_left_the_machine(keys, where, at_head):
    said = advice.advise(finding(keys(), where, at_head, Status.LIVE))
    assert "rotate it now" in said or "rotate the key now" in said
    if where is Where.STAGED:
        assert "not committed yet" in said and "if you ever shared it" in said


@pytest.mark.parametrize(("where", "at_head"), PLACES)
def test_unknown_is_treated_as_live_and_says_why(keys, where, at_head):
    said = advice.advise(finding(keys(), where, at_head, Status.UNKNOWN, "no answer within 10 s"))
    assert "could not check this key (no answer within 10 s), so treat it as working" in said


@pytest.mark.parametrize(("where", "at_head"), PLACES)
def test_revoked_is_harmless(keys, where, at_head):
    said = advice.advise(finding(keys(), where, at_head, Status.REVOKED))
    assert "harmless" in said and "rotate" not in said.lower()


def test_revoked_only_in_history_needs_no_history_rewrite(keys):
    said = advice.advise(finding(keys(), Where.HISTORY, False, Status.REVOKED))
    assert "nothing to do" in said and "baseline" in said


def test_staged_key_is_not_leaked_yet(keys):
    said = advice.advise(finding(keys(), Where.STAGED))
    assert "not committed yet" in said and "TOKMODEL_API_KEY" in said
    assert "rotate it" in said  # only if shared elsewhere


def test_committed_key_must_be_rotated(keys):
    at_head = advice.advise(finding(keys(), Where.HISTORY, True))
    gone = advice.advise(finding(keys(), Where.HISTORY, False))
    assert at_head.startswith("Rotate this key: it is committed")
    assert "rewriting history does not take it back" in at_head
    assert gone.startswith("Rotate this key: it is no longer in the file")


def test_rotation_steps_are_in_tokmodels_order():
    create, deploy, check, revoke = advice.ROTATION_STEPS
    assert create.startswith("Create a new key") and "name it for where it will run" in create
    assert deploy.startswith("Deploy the new key")
    assert check.startswith("Check that your application works")
    assert revoke.startswith("Revoke the leaked key") and "401" in revoke


@pytest.mark.parametrize(
    ("statuses", "line"),
    [
        ([Status.LIVE, Status.LIVE], "2 live keys: rotate them now."),
        ([Status.LIVE, Status.REVOKED], "1 live key: rotate it now."),
        ([Status.UNKNOWN], "1 key that could not be checked (treat as live): rotate it now."),
        (
            [Status.LIVE, Status.UNKNOWN, Status.UNKNOWN],
            "1 live key and 2 keys that could not be checked (treat as live): rotate them now.",
        ),
        ([Status.REVOKED], "The key is revoked: harmless, remove it to keep scanners quiet."),
        (
            [Status.REVOKED] * 3,
            "All 3 keys are revoked: harmless, remove them to keep scanners quiet.",
        ),
    ],
)
def test_verdict_line(statuses, line):
    assert advice.verdict_line(statuses) == line


def _report(findings: list[Finding], verified: bool = True) -> Report:
    report = Report(mode="history", root="/r", started_at="now", verified=verified)
    report.findings = findings
    return report


def test_verdict_counts_keys_not_places(keys):
    key = keys()
    report = _report([finding(key, Where.HISTORY, True, Status.LIVE) for _ in range(5)])
    assert advice.verdict(report) == "1 live key: rotate it now."


def test_verdict_for_a_staged_only_key(keys):
    report = _report(
        [
            finding(keys(), Where.STAGED, None, Status.LIVE),
            finding(keys(), Where.HISTORY, True, Status.REVOKED),
        ]
    )
    assert advice.verdict(report) == (
        "1 live key in the staged change: take it out before committing."
    )


def test_no_verdict_without_verification(keys):
    assert advice.verdict(_report([finding(keys(), Where.WORKTREE)], verified=False)) is None
    assert advice.verdict(_report([])) is None


def test_text_report_ends_with_steps_then_verdict(keys):
    live, revoked = keys(), keys()
    report = _report(
        [
            finding(live, Where.HISTORY, True, Status.LIVE, "HTTP 400"),
            finding(revoked, Where.HISTORY, False, Status.REVOKED, "HTTP 401"),
        ]
    )
    report.findings[0].advice = advice.advise(report.findings[0])
    lines = text.render(report).splitlines()
    heading = lines.index("How to rotate a leaked key (in this order, so nothing breaks):")
    numbered = [line[:5] for line in lines[heading + 1 :] if line[:5].strip().endswith(".")]
    assert numbered[:4] == ["  1. ", "  2. ", "  3. ", "  4. "]
    assert lines[-4:-1] == ["", "1 live key: rotate it now.", ""]  # then the summary
    assert live not in "\n".join(lines) and revoked not in "\n".join(lines)


def test_every_status_and_place_renders(keys):
    findings = [
        finding(keys(), where, at_head, status)
        for (where, at_head), status in itertools.product(PLACES, Status)
    ]
    for f in findings:
        f.advice = advice.advise(f)
    rendered = text.render(_report(findings), color=True)
    assert "\033[" in rendered and "rotate them now" in rendered


def test_packed_and_encoded_keys_get_a_sentence_more(keys):
    key = keys()
    packed = Finding(key=key, path="dist/app.whl!app/settings.py", line=1, column=1,
                     where=Where.HISTORY, present_at_head=True, archive="dist/app.whl")
    assert "inside dist/app.whl: rebuild that archive" in advice.advise(packed)
    encoded = Finding(key=key, path="k8s.yaml", line=1, column=1, where=Where.WORKTREE,
                      encoding=("base64",))
    assert advice.advise(encoded).endswith("Encoding (base64) does not hide a key.")
    revoked = Finding(key=key, path="k8s.yaml", line=1, column=1, where=Where.WORKTREE,
                      encoding=("base64",), status=Status.REVOKED)
    assert "Encoding" not in advice.advise(revoked)


@pytest.mark.parametrize("status", list(Status))
def test_a_key_still_at_some_refs_tip_is_never_no_longer_in_the_file(keys, status):
    gone = finding(keys(), Where.HISTORY, at_head=False, status=status)
    gone.refs_at_tip = ("old-leak", "v1.2")
    said = advice.advise(gone)
    assert "no longer in the file" not in said
    assert "nothing to do" not in said
    assert "there too" in said
    if status is not Status.REVOKED:
        assert "otate" in said  # rotate
    gone.refs_at_tip = ()
    assert "no longer in the file" in advice.advise(gone)
