"""Keys in every form a real leak takes, found by every scanning command (SPEC §10).

Each form is a real file made at run time: base64 written by Python's base64 module (a
Kubernetes Secret, an env file encoded whole, Basic auth, a JWT payload, a data: URI,
`atob` in minified JavaScript, MIME-wrapped text in a YAML block scalar, base64 of base64),
UTF-16 and UTF-32 written by Python's codecs (with and without a byte-order mark), archives
made with zipfile, tarfile and gzip (a wheel, a nested zip/tar.gz, a gzip'd file, a
`docker save`-like image), and binaries (a compiled `.pyc`, a SQLite database). Each is
committed to a real git repository and must come out of `scan`, standard input, `staged`,
`history`, `pre-push` and `ci` at the same place, with the same encoding."""

from __future__ import annotations

import base64
import codecs
import gzip
import io
import json
import py_compile
import sqlite3
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from support.keys import fingerprint as fp


class Form(NamedTuple):
    name: str  # the file's name in the repository
    make: Callable[[str, Path], bytes]  # the file's bytes, holding the key
    path: str  # the finding's path (`!` for archive members)
    line: int | None  # None: not checked (binary formats place it where they like)
    column: int | None
    encoding: list[str] | None  # the JSON report's `encoding`, None when plain


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def k8s_secret(key: str, _: Path) -> bytes:
    return f"apiVersion: v1\nkind: Secret\ndata:\n  token: {b64(key.encode())}\n".encode()


def env_encoded_whole(key: str, _: Path) -> bytes:
    env = f"DEBUG=1\nTOKMODEL_API_KEY={key}\nREGION=eu\n".encode()
    return f"values:\n  env: {b64(env)}\n".encode()


def basic_auth(key: str, _: Path) -> bytes:
    return f"curl -H 'Authorization: Basic {b64(f'api:{key}'.encode())}' x\n".encode()


def jwt(key: str, _: Path) -> bytes:
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "me", "k": key}).encode())
    return b"token = 'eyJhbGciOiJIUzI1NiJ9." + payload.rstrip(b"=") + b".c2ln'\n"


def data_uri(key: str, _: Path) -> bytes:
    return f'<a href="data:text/plain;base64,{b64(f"key {key}".encode())}">x</a>\n'.encode()


def atob(key: str, _: Path) -> bytes:
    return f'var a=1;var k=atob("{b64(key.encode())}");f(k);'.encode()


def mime_wrapped(key: str, _: Path) -> bytes:
    text = ("x" * 150 + f" KEY={key} " + "y" * 150).encode()
    lines = base64.encodebytes(text).decode().splitlines()  # 76 columns, as MIME has it
    return ("cert: |\n" + "".join(f"  {line}\n" for line in lines)).encode()


def base64_twice(key: str, _: Path) -> bytes:
    return json.dumps({"auths": b64(b64(f"user:{key}".encode()).encode())}).encode()


def utf16_bom(key: str, _: Path) -> bytes:
    return codecs.BOM_UTF16_LE + f"A=1\r\nKEY={key}\r\n".encode("utf-16-le")


def utf16_no_bom(key: str, _: Path) -> bytes:
    return f"first line\nKEY={key}\n".encode("utf-16-be")


def utf32(key: str, _: Path) -> bytes:
    return codecs.BOM_UTF32_LE + f"KEY={key}\n".encode("utf-32-le")


def wheel(key: str, _: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app/__init__.py", "")
        archive.writestr("app/settings.py", f"\nKEY = '{key}'\n")
    return out.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def nested(key: str, _: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("b.tar.gz", _tar({"c/.env": f"TOKEN={key}\n".encode()}, "w:gz"))
    return out.getvalue()


def gzipped(key: str, _: Path) -> bytes:
    return gzip.compress(json.dumps({"key": key}).encode())


def image(key: str, _: Path) -> bytes:
    layer = _tar({"app/.env": f"KEY={key}\n".encode()})
    return _tar({"manifest.json": b"[]", "blobs/sha256/ab12": gzip.compress(layer)})


def pyc(key: str, tmp: Path) -> bytes:
    source = tmp / "settings.py"
    source.write_text(f"KEY = '{key}'\n")
    return Path(py_compile.compile(str(source), cfile=str(tmp / "settings.pyc"))).read_bytes()


def sqlite(key: str, tmp: Path) -> bytes:
    path = tmp / "app.sqlite"
    database = sqlite3.connect(path)
    # A record stores its values back to back, so a text column before the key's would glue
    # its last letter to it (not a key, by the boundary rules); a number column does not.
    database.execute("create table secrets (id integer, value text)")
    database.execute("insert into secrets values (7, ?)", (key,))
    database.commit()
    database.close()
    return path.read_bytes()


FORMS = [
    Form("k8s.yaml", k8s_secret, "k8s.yaml", 4, 10, ["base64"]),
    Form("values.yaml", env_encoded_whole, "values.yaml", 2, 8, ["base64"]),
    Form("call.sh", basic_auth, "call.sh", 1, 31, ["base64"]),
    Form("jwt.py", jwt, "jwt.py", 1, 31, ["base64"]),
    Form("page.html", data_uri, "page.html", 1, 33, ["base64"]),
    Form("app.min.js", atob, "app.min.js", 1, 21, ["base64"]),
    Form("cert.yaml", mime_wrapped, "cert.yaml", 2, 3, ["base64"]),
    Form("auth.json", base64_twice, "auth.json", 1, 12, ["base64", "base64"]),
    Form("win.env", utf16_bom, "win.env", 2, 5, ["utf-16le"]),
    Form("be.txt", utf16_no_bom, "be.txt", 2, 5, ["utf-16be"]),
    Form("wide.txt", utf32, "wide.txt", 1, 5, ["utf-32le"]),
    Form("app-1.0-py3-none-any.whl", wheel, "app-1.0-py3-none-any.whl!app/settings.py", 2, 8,
         None),
    Form("a.zip", nested, "a.zip!b.tar.gz!c/.env", 1, 7, None),
    Form("config.json.gz", gzipped, "config.json.gz!config.json", 1, 10, None),
    Form("image.tar", image, "image.tar!blobs/sha256/ab12!app/.env", 1, 5, None),
    Form("settings.pyc", pyc, "settings.pyc", None, None, None),
    Form("app.sqlite", sqlite, "app.sqlite", None, None, None),
]
IDS = [form.name for form in FORMS]


def place(finding: dict) -> tuple[str, int, int | None, list[str] | None]:
    return (finding["path"], finding["line"], finding["column"], finding.get("encoding"))


def expected(form: Form, finding: dict) -> tuple[str, int, int | None, list[str] | None]:
    line = finding["line"] if form.line is None else form.line
    column = finding["column"] if form.column is None else form.column
    return (form.path, line, column, form.encoding)


def only_finding(stdout: str) -> dict:
    report = json.loads(stdout)
    assert len(report["findings"]) == 1, report["findings"]
    return report["findings"][0]


@pytest.fixture
def plant(repo, keys, tmp_path):
    """Write a form into the repository; returns its key."""

    def write(form: Form) -> str:
        key = keys()
        work = tmp_path / "make"
        work.mkdir(exist_ok=True)
        repo.write(form.name, form.make(key, work))
        return key

    return write


@pytest.mark.parametrize("form", FORMS, ids=IDS)
def test_scan_finds_every_form(repo, plant, run_tokscan, form):
    key = plant(form)
    result = run_tokscan(["scan", "-f", "json", form.name], cwd=repo.path)
    assert result.code == 1, result.stderr
    finding = only_finding(result.stdout)
    assert finding["fingerprint"] == fp(key)
    assert place(finding) == expected(form, finding)
    binary = form.name.endswith((".pyc", ".sqlite"))
    assert ("byte_offset" in finding) == binary


@pytest.mark.parametrize("form", FORMS, ids=IDS)
def test_standard_input_finds_every_form(repo, plant, run_tokscan, form):
    key = plant(form)
    data = (repo.path / form.name).read_bytes()
    result = run_tokscan(["scan", "-f", "json", "-"], cwd=repo.path, stdin=data)
    assert result.code == 1, result.stderr
    finding = only_finding(result.stdout)
    assert finding["fingerprint"] == fp(key)
    assert place(finding)[1:] == expected(form, finding)[1:]
    # Standard input has no name, so a gzip'd stream's member has none either.
    member = "<stdin>!<stdin>" if form.name.endswith(".gz") else None
    assert finding["path"] == member or form.path.replace(form.name, "<stdin>", 1)


@pytest.mark.parametrize("form", FORMS, ids=IDS)
def test_staged_finds_every_form(repo, plant, run_tokscan, form):
    repo.write("README.md", "project\n")
    repo.commit("initial")
    key = plant(form)
    repo.add()
    result = run_tokscan(["staged", "-f", "json"], cwd=repo.path)
    assert result.code == 1, result.stderr
    finding = only_finding(result.stdout)
    assert finding["fingerprint"] == fp(key)
    assert place(finding) == expected(form, finding)


@pytest.mark.parametrize("form", FORMS, ids=IDS)
def test_history_finds_every_form_at_its_commit(repo, plant, run_tokscan, form):
    repo.write("README.md", "project\n")
    repo.commit("initial")
    key = plant(form)
    commit = repo.commit("add it")
    repo.git("rm", "-q", form.name)
    repo.commit("remove it")
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    assert result.code == 1, result.stderr
    finding = only_finding(result.stdout)
    assert (finding["fingerprint"], finding["commit"]) == (fp(key), commit)
    assert place(finding) == expected(form, finding)
    assert finding["present_at_head"] is False


@pytest.mark.parametrize("form", FORMS, ids=IDS)
def test_ci_and_pre_push_find_every_form(repo, plant, run_tokscan, form):
    repo.write("README.md", "project\n")
    base = repo.commit("initial")
    key = plant(form)
    head = repo.commit("add it")
    result = run_tokscan(["ci", "--base", base, "-f", "json", "-q"], cwd=repo.path)
    assert result.code == 1, result.stderr
    finding = only_finding(result.stdout)
    assert (finding["fingerprint"], finding["commit"]) == (fp(key), head)
    assert place(finding) == expected(form, finding)
    lines = f"refs/heads/main {head} refs/heads/main {base}\n".encode()
    result = run_tokscan(["pre-push", "-f", "json", "origin", "url"], cwd=repo.path,
                         stdin=lines)
    assert result.code == 1, result.stderr
    assert place(only_finding(result.stdout)) == expected(form, finding)


def test_verify_reads_encoded_keys_from_standard_input(run_tokscan, keys, tokmodel):
    key = keys()
    tokmodel.reply(key, 400)
    result = run_tokscan(["verify"], stdin=f"token: {b64(key.encode())}\n".encode())
    assert result.code == 1
    assert "live" in result.stdout
    assert len(tokmodel.requests_for(key)) == 1


def test_one_probe_per_key_however_many_forms_it_was_found_in(repo, keys, run_tokscan,
                                                               tokmodel):
    key = keys()
    tokmodel.reply(key, 400)
    repo.write("plain.env", f"KEY={key}\n")
    repo.write("k8s.yaml", k8s_secret(key, repo.path))
    repo.write("win.env", utf16_bom(key, repo.path))
    repo.write("app.whl", wheel(key, repo.path))
    result = run_tokscan(["scan", "-f", "json", "--verify"], cwd=repo.path)
    findings = json.loads(result.stdout)["findings"]
    assert len(findings) == 4 and {f["status"] for f in findings} == {"live"}
    assert len(tokmodel.requests_for(key)) == 1


def test_plain_and_encoded_on_one_line_is_one_finding(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.env", f"KEY={key} KEY64={b64(key.encode())}\n")
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    finding = only_finding(result.stdout)
    assert (finding["column"], finding.get("encoding")) == (5, None)


def test_no_binary_skips_binaries_but_still_reads_encodings_and_archives(repo, plant,
                                                                         run_tokscan):
    for form in FORMS:
        plant(form)
    result = run_tokscan(["scan", "-f", "json", "--no-binary"], cwd=repo.path)
    paths = {f["path"] for f in json.loads(result.stdout)["findings"]}
    assert paths == {form.path for form in FORMS} - {"settings.pyc", "app.sqlite"}


def test_the_pragma_on_the_line_where_the_encoded_text_starts(repo, keys, run_tokscan):
    key = keys()
    repo.write("k.yaml", f"token: {b64(key.encode())}  # tokscan:allow test data\n")
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    report = json.loads(result.stdout)
    assert (result.code, report["findings"], report["summary"]["suppressed"]) == (0, [], 1)
