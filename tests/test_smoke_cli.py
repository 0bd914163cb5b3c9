from __future__ import annotations

import json


def test_scan_finds_key_and_exits_1(repo, keys, run_tokscan):
    key = keys()
    repo.write("app/settings.py", f'API_KEY = "{key}"\n')
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    assert result.code == 1
    report = json.loads(result.stdout)
    [finding] = report["findings"]
    assert (finding["path"], finding["line"], finding["column"]) == ("app/settings.py", 1, 12)
    assert key not in result.stdout + result.stderr
