"""The tests mirror the package: tokscan/<path>/<module>.py is tested in
tests/<path>/test_<module>.py, or ALLOW says in one line where it is tested instead.

A new module without a mirrored test file fails here until it gets one or an entry."""

from __future__ import annotations

from pathlib import Path

from support.paths import ROOT

PACKAGE = ROOT / "tokscan"
TESTS = ROOT / "tests"

# Modules without a tests/<path>/test_<module>.py, by path under tokscan/ (no `.py`), and
# where they are tested instead. Keep it short: a module that grows logic of its own
# deserves its own test file.
ALLOW = {
    "audit/cache": "results kept by ref tips: reuse and moved refs in tests/commands/test_audit.py",
    "audit/document": "the audit document: checked against tests/support/audit.schema.json by "
                      "tests/commands/test_audit.py",
    "audit/recover": "keys read again for --verify: tests/commands/test_audit.py (one probe each)",
    "audit/run": "Dask orchestration: a real scheduler and workers in tests/commands/test_audit.py",
    "audit/task": "one repository's audit: tests/commands/test_audit.py (failures, timeout, reuse)",
    "report/audit_sarif": "one run per repository: tests/commands/test_audit.py (SARIF schema)",
    "report/audit_text": "the audit's text report: tests/commands/test_audit.py",
    "decode/streams": "the bounded streams an archive walk reads: tests/decode/test_archive.py",
    "cli/app": "the click command line: tests/cli/test_fast.py and every command's tests",
    "commands/basepolicy": "policy from a trusted revision: tests/commands/test_ci.py, "
    "test_prepush.py",
    "errors": "exit codes and TokscanError: asserted by every command's and source's tests",
    "git/hooks": "hook scripts: tests/commands/test_install.py, tests/project/test_hooks.py",
    "model": "plain records, built by the pipeline, source and renderer tests",
    "options": "the option table and record: tests/cli/test_fast.py and the commands' tests",
    "parallel": "forked workers: --jobs in test_scan.py and history's tests; `within` (the "
    "time budget): tests/commands/test_prereceive.py",
    "ranges/shallow": "deepening a shallow CI checkout: tests/commands/test_ci.py (shallow "
    "and depth-1 checkouts)",
    "pipeline/collect": "builds every report: tests/support/reports.py, history's tests",
    "pipeline/policy": "the exit code (SPEC §3): every command's tests assert it",
    "pipeline/pragmas": "pragmas a CI range adds: tests/commands/test_ci.py",
    "ranges/ci": "CI events to revision ranges: tests/commands/test_ci.py",
    "ranges/prepush": "push lines to revision ranges: TestRange in tests/commands/test_prepush.py",
    "report/rule": "rule metadata: tests/report/test_sarif.py, test_gitlab.py, test_github.py",
    "report/verify": "`tokscan verify`'s output: tests/commands/test_verify.py",
    "sources/range_diff": "the lines a CI range adds, for the pragma review: test_ci.py",
    "sources/diff": "`git diff -U0` reading: tests/commands/test_staged.py, test_ci.py",
    "sources/staged": "the staged change's added lines: tests/commands/test_staged.py",
    "terminal": "colour and printable names: tests/commands/test_scan.py, test_text.py",
}


def modules() -> list[str]:
    """Every module under tokscan/ by path (`ranges/ci`), packages' __init__ and
    __main__ aside."""
    return sorted(
        path.relative_to(PACKAGE).with_suffix("").as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    )


def mirror(module: str) -> Path:
    """tests/<path>/test_<module>.py for tokscan/<path>/<module>.py."""
    path = Path(module)
    return TESTS / path.parent / f"test_{path.name}.py"


def test_the_package_is_where_this_test_looks():
    assert "cli/main" in modules() and "keyformat" in modules()
    assert mirror("cli/main") == TESTS / "cli" / "test_main.py"
    assert mirror("keyformat") == TESTS / "test_keyformat.py"


def test_every_module_has_a_mirrored_test_file_or_a_reason():
    missing = [m for m in modules() if not mirror(m).is_file() and m not in ALLOW]
    assert missing == [], (
        "modules without tests/<path>/test_<module>.py: add the test file, or an ALLOW "
        f"entry in tests/project/test_layout.py saying where they are tested: {missing}"
    )


def test_the_allowlist_holds_only_modules_that_need_it():
    present = set(modules())
    gone = sorted(m for m in ALLOW if m not in present)
    mirrored = sorted(m for m in ALLOW if m in present and mirror(m).is_file())
    assert (gone, mirrored) == ([], []), "take these out of ALLOW"
    assert all(reason.strip() and "\n" not in reason for reason in ALLOW.values())
