"""The audit's HTML report: checks on the page's text, then the page in a real headless
browser (Debian's chromium, driven by selenium through /usr/bin/chromedriver: nothing is
downloaded)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from support.keys import KeyFactory, fingerprint
from support.paths import ROOT

from tokscan.keyformat import redact
from tokscan.report import html

HOSTILE = '<script>window.pwned=1</script>"\'&'
HOSTILE_PATH = '"><img src=x onerror="window.pwned=2">.env'
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
IN_CI = bool(os.environ.get("CI"))  # read before the suite's fixtures clear it


def place(repository: str, path: str | None, date: str, line: int | None = 1) -> dict[str, object]:
    return {"repository": repository, "commit": "c0ffee" + "0" * 34, "path": path, "line": line,
            "date": date, "author": "Dana Dev <dana@example.com>"}


def key_entry(raw: str, status: str, places: list[dict[str, object]]) -> dict[str, object]:
    repositories = list(dict.fromkeys(str(p["repository"]) for p in places))
    first = places[0]
    return {
        "fingerprint": fingerprint(raw), "key": redact(raw), "status": status,
        "status_detail": "HTTP 401" if status == "revoked" else None,
        "repositories": repositories,
        "first_leaked": {"date": first["date"], "author": first["author"],
                         "repository": first["repository"], "commit": first["commit"]},
        "places": places, "advice": f"advice for a {status} key",
    }


def audit_document(keys: KeyFactory) -> tuple[dict[str, object], list[str]]:
    """Three keys over four repositories (one failed, with a hostile name), and the raw
    keys: one of them also sits raw in a path, as a careless renderer could leave it."""
    raw = [keys() for _ in range(4)]
    hostile_repo = f"github.com/acme/{HOSTILE}"
    repositories = [
        {"name": "github.com/acme/api", "url": "https://github.com/acme/api.git",
         "status": "scanned", "reason": None, "findings": 3, "bytes": 3 * 1024 * 1024},
        {"name": "github.com/acme/web", "url": "https://github.com/acme/web.git",
         "status": "reused", "reason": None, "findings": 1, "bytes": 2048},
        {"name": hostile_repo, "url": "https://github.com/acme/x.git", "status": "failed",
         "reason": f"clone failed: {HOSTILE}", "findings": 0, "bytes": 0},
        {"name": "github.com/acme/docs", "url": "https://github.com/acme/docs.git",
         "status": "scanned", "reason": None, "findings": 1, "bytes": 10},
    ]
    entries = [
        key_entry(raw[0], "live", [
            place("github.com/acme/api", "src/settings.py", "2023-02-01T10:00:00+00:00", 12),
            place("github.com/acme/web", "deploy/.env", "2023-05-10T10:00:00+00:00"),
            place("github.com/acme/api", None, "2024-01-03T10:00:00+00:00", 2),
        ]),
        key_entry(raw[1], "unverified", [
            place("github.com/acme/api", HOSTILE_PATH, "2023-05-20T10:00:00+00:00")]),
        key_entry(raw[2], "revoked", [
            place("github.com/acme/docs", f"notes/{raw[3]}.txt", "2023-03-01T10:00:00+00:00")]),
    ]
    document = {
        "version": 1, "tool": {"name": "tokscan", "version": "9.9.9"},
        "audit": {"started_at": "2026-12-05T01:00:00+00:00", "duration_s": 12.5,
                  "repositories": repositories, "scanned": 2, "reused": 1, "failed": 1,
                  "verified": True},
        "keys": entries,
        "findings": [],
        "summary": {"repositories": 4, "keys": 3, "findings": 5},
    }
    return document, raw


@pytest.fixture
def page(keys: KeyFactory) -> tuple[str, dict[str, object], list[str]]:
    document, raw = audit_document(keys)
    return html.render(document), document, raw


def data_block(text: str) -> str:
    match = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', text, re.S)
    assert match is not None
    return match.group(1)


def test_the_page_loads_nothing_and_allows_only_its_own_style_and_script(page):
    text = page[0]
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(link|iframe|object|embed|img|base)\b", text, re.I)
    assert not re.search(r"\b(src|href)=\"(?!#)", text)  # in-page links only
    assert "@import" not in text and "url(" not in text
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert policy is not None
    rules = dict(rule.strip().split(" ", 1) for rule in unescape(policy.group(1)).split(";"))
    assert rules["default-src"] == "'none'"
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    styles = re.findall(r"<style>(.*?)</style>", text, re.S)
    assert len(scripts) == len(styles) == 1

    def digest(body: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    # by hash, not 'unsafe-inline': no other inline script could run
    assert rules["script-src"] == digest(scripts[0])
    assert rules["style-src"] == digest(styles[0])


def test_hostile_names_and_paths_stay_text(page):
    text, document, _ = page
    # two script elements: the data and the page's own; nothing from the document is markup
    assert len(re.findall(r"<script\b", text)) == 2
    block = data_block(text)
    assert "window.pwned" not in text.replace(block, "")  # only in the data, as JSON
    assert "<img" not in text and "onerror=\"" not in text
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)  # the JSON escapes read back to the very names
    assert data["repositories"][2]["name"] == document["audit"]["repositories"][2]["name"]
    assert data["keys"][1]["places"][0]["path"] == HOSTILE_PATH


def test_text_drawn_by_python_is_escaped():
    document = {"tool": {"name": "<b>tool</b>", "version": '"1"'},
                "audit": {"started_at": "<i>then</i>", "repositories": []}}
    text = html.render(document)
    assert "&lt;b&gt;tool&lt;/b&gt; &quot;1&quot;" in text and "&lt;i&gt;then&lt;/i&gt;" in text
    assert "<b>" not in text and "<i>" not in text


def test_no_raw_key_comes_out_not_even_one_in_a_path(page, keys):
    text, _, raw = page
    assert all(key not in text for key in raw)
    assert redact(raw[3]) in json.loads(data_block(text))["keys"][2]["places"][0]["path"]
    # a document that carries raw keys (a --show-secrets one) is redacted all the same
    document, raw = audit_document(keys)
    for entry, key in zip(document["keys"], raw, strict=False):  # type: ignore[call-overload]
        entry["key"] = key
    text = html.render(document)
    assert all(key not in text for key in raw)
    assert [k["key"] for k in json.loads(data_block(text))["keys"]] == [redact(k) for k in raw[:3]]


def card(text: str, name: str) -> int:
    match = re.search(rf'id="count-{name}"><span class="number">(\d+)</span>', text)
    assert match is not None, name
    return int(match.group(1))


def test_the_summary_counts_keys_leaks_and_repositories(page):
    text = page[0]
    counts = {name: card(text, name) for name in (
        "keys", "keys-live", "keys-unknown", "keys-unverified", "keys-revoked", "leaks",
        "repositories", "repositories-failed", "repositories-reused", "repositories-scanned")}
    assert counts == {"keys": 3, "keys-live": 1, "keys-unknown": 0, "keys-unverified": 1,
                      "keys-revoked": 1, "leaks": 5, "repositories": 4,
                      "repositories-failed": 1, "repositories-reused": 1,
                      "repositories-scanned": 2}
    assert "<title>tokscan audit: 3 keys in 4 repositories</title>" in text
    assert 'id="incomplete"' in text and "1 repository could not be audited" in text
    assert "tokscan 9.9.9 · started 2026-12-05T01:00:00+00:00 · took 12.5 s · keys verified" in text
    assert "Keys were not verified" not in text
    assert 'id="rotate"' in text  # a live key: the rotation steps follow


def test_the_chart_counts_leaks_by_month_introduced(page):
    text = page[0]
    slots = re.findall(r'<g class="slot"><title>([^<]+)</title>', text)
    assert len(slots) == 12  # 2023-02 to 2024-01, the empty months too
    assert slots[0] == "2023-02: 1 leak, 1 new key"
    assert "2023-05: 2 leaks, 1 new key" in slots  # a second place of one key; a new key
    assert "2023-04: 0 leaks, 0 new keys" in slots
    numbers = re.search(r'<table id="chart-numbers">.*?</table>', text, re.S)
    assert numbers is not None
    assert re.findall(r"<tr><td>([\d-]+)</td>", numbers.group(0)) == [
        "2023-02", "2023-03", "2023-05", "2024-01"]


def test_a_long_history_is_charted_by_year(keys):
    raw = keys()
    places = [place("r", "a", f"{year}-06-01T00:00:00Z") for year in (2010, 2015, 2024)]
    places.append(place("r", "b", "not a date"))
    text = html.render({"keys": [key_entry(raw, "unknown", places)]})
    slots = re.findall(r'<g class="slot"><title>([^<]+)</title>', text)
    assert len(slots) == 15 and slots[0] == "2010: 1 leak, 1 new key"
    assert "1 leak without a date not shown" in text


def test_an_empty_or_sparse_document_still_renders():
    text = html.render({})
    assert "No leaks to chart." in text and card(text, "keys") == 0
    assert 'id="rotate"' not in text and "Keys were not verified" in text
    assert json.loads(data_block(text)) == {"keys": [], "repositories": []}
    odd = {"audit": {"repositories": [{"name": 5, "findings": True, "bytes": -1}, "x"]},
           "keys": [{"places": [{"line": "7"}], "repositories": None}, 3]}
    data = json.loads(data_block(html.render(odd)))
    assert data["repositories"] == [{"name": "5", "url": "", "status": "", "reason": "",
                                     "findings": 0, "bytes": 0}]
    assert data["keys"][0]["places"][0]["line"] is None and data["keys"][0]["repositories"] == []


def test_only_revoked_keys_need_no_rotation(keys):
    raw = keys()
    text = html.render({"keys": [key_entry(raw, "revoked", [place("r", "a", "2024-01-01")])]})
    assert 'id="rotate"' not in text


def test_the_page_script_writes_text_only_and_the_assets_ship():
    script = (ROOT / "tokscan" / "report" / "assets" / "audit.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    # `pip install .` (not editable) takes them along only if package-data names them
    package_data = re.search(r"\[tool\.setuptools\.package-data\]\n(.*?)\n\n",
                             (ROOT / "pyproject.toml").read_text(), re.S)
    assert package_data is not None and '"report/assets/*"' in package_data.group(1)


# --- in a real browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (os.access(CHROMIUM, os.X_OK) and shutil.which(CHROMEDRIVER)):
        message = f"Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})"
        if IN_CI:
            pytest.fail(f"{message} are missing: .ci/run installs them")
        pytest.skip(f"{message} are not installed")
    offline = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # selenium must never fetch a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        if offline is None:
            os.environ.pop("SE_OFFLINE", None)


def opened(driver, text: str, where: Path):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    where.write_text(text, encoding="utf-8")
    driver.get(where.as_uri())
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.body.classList.contains('ready')"))
    return driver


def rows(driver, table: str) -> list[object]:  # type: ignore[no-untyped-def]
    return [r for r in driver.find_elements("css selector", f"#{table} tbody tr")
            if r.is_displayed()]


def first_cells(driver, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.find_element("css selector", "td").text.split("\n")[0] for r in rows(driver, table)]


@pytest.mark.slow
def test_in_a_browser_the_tables_sort_filter_and_hold_no_raw_key(browser, page, tmp_path):
    text, document, raw = page
    driver = opened(browser, text, tmp_path / "audit.html")
    assert driver.get_log("browser") == []  # no error, no CSP complaint, nothing at all
    assert driver.execute_script("return window.pwned") is None
    assert driver.title == "tokscan audit: 3 keys in 4 repositories"

    keys_in_order = [k["key"] for k in document["keys"]]
    assert first_cells(driver, "keys") == keys_in_order
    assert first_cells(driver, "repositories") == [
        r["name"] for r in document["audit"]["repositories"]]  # the hostile name, as text
    assert driver.find_element("id", "keys-count").text == "3 of 3 keys"

    search = driver.find_element("id", "keys-filter")
    search.send_keys("settings.py")  # a path of one key's places
    assert first_cells(driver, "keys") == [keys_in_order[0]]
    assert driver.find_element("id", "keys-count").text == "1 of 3 keys"
    search.clear()
    search.send_keys("acme/docs")  # a repository
    assert first_cells(driver, "keys") == [keys_in_order[2]]
    search.clear()
    search.send_keys(" ")  # clear() sends no input event; a blank filter shows everything
    assert len(rows(driver, "keys")) == 3

    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "keys-status")).select_by_value("revoked")
    assert first_cells(driver, "keys") == [keys_in_order[2]]
    Select(driver.find_element("id", "keys-status")).select_by_value("")

    header = driver.find_element("css selector", '#keys th[data-sort="first"] button')
    header.click()  # oldest first: live (2023-02), revoked (2023-03), unverified (2023-05)
    assert first_cells(driver, "keys") == [keys_in_order[i] for i in (0, 2, 1)]
    header.click()
    assert first_cells(driver, "keys") == [keys_in_order[i] for i in (1, 2, 0)]
    assert header.find_element("xpath", "..").get_attribute("aria-sort") == "descending"
    driver.find_element("css selector", '#repositories th[data-sort="bytes"] button').click()
    assert first_cells(driver, "repositories")[0] == document["audit"]["repositories"][2]["name"]

    Select(driver.find_element("id", "repositories-status")).select_by_value("failed")
    assert len(rows(driver, "repositories")) == 1
    assert driver.find_element("id", "repositories-count").text == "1 of 4 repositories"

    # a key's places open on a click
    live = next(r for r in rows(driver, "keys") if r.text.startswith(keys_in_order[0]))
    live.find_element("css selector", "summary").click()
    places = [li.text for li in live.find_elements("css selector", "details li")]
    assert len(places) == 3 and places[0].startswith("src/settings.py:12 in github.com/acme/api")
    assert "commit message in github.com/acme/api" in places[2]

    dom = driver.execute_script("return document.documentElement.outerHTML")
    shown = driver.find_element("tag name", "body").text
    assert all(key not in dom and key not in shown for key in raw)
    assert HOSTILE_PATH in dom.replace("&gt;", ">").replace("&lt;", "<").replace(
        "&quot;", '"').replace("&amp;", "&")  # shown as text...
    assert driver.execute_script("return window.pwned") is None  # ...and never run
    assert driver.get_log("browser") == []


@pytest.mark.slow
def test_in_a_browser_the_policy_blocks_any_other_script(browser, page, tmp_path):
    # the check above is only worth something if the browser would report a script the
    # policy blocks: add one to the page, and it is refused and reported
    smuggled = page[0].replace("</body>", "<script>window.pwned = 3;</script></body>")
    driver = opened(browser, smuggled, tmp_path / "tampered.html")
    assert driver.execute_script("return window.pwned") is None
    logs = driver.get_log("browser")
    assert any("Content Security Policy" in entry["message"] for entry in logs)
    assert len(rows(driver, "keys")) == 3  # the page's own script still ran
