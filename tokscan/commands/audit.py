"""`tokscan audit [SOURCE]...`: the history audit of many repositories, on Dask, as one
report (docs/spec.md §4a).

The sources are read and checked first (a bad one stops the run before any work); each
repository is then a Dask task (tokscan/audit/task.py) and its result is taken as it
completes: kept in the work folder for the next run, its findings appended to a file
there, its status kept. Then, on the client: `--verify` (one probe per unique key), the
document (grouped by key), the chosen format, and the exit code: 2 when any repository
could not be audited, else 1 when a finding fails the run, else 0.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tokscan.audit import cache, sources
from tokscan.audit.task import Job, Result
from tokscan.commands.session import wants_progress
from tokscan.errors import ExitCode, TokscanError
from tokscan.model import Status, Verdict
from tokscan.options import Options
from tokscan.progress import Progress
from tokscan.report import output
from tokscan.terminal import plural


@dataclass(frozen=True)
class Request:
    """What to audit and where it runs (the command's own options)."""

    sources: tuple[str, ...] = ()
    from_file: Path | None = None
    workdir: Path | None = None  # default: the user's cache folder
    scheduler: str | None = None  # a Dask scheduler's address; None: an embedded cluster
    workers: int | None = None  # the embedded cluster's worker processes
    timeout: float | None = None  # seconds per repository
    github_org: str | None = None
    gitlab_group: str | None = None
    github_api: str | None = None
    gitlab_api: str | None = None
    forks: bool = False  # organisation listings: forks left out unless asked
    archived: bool = True  # archived repositories still hold their leaks


def default_workdir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tokscan" / "audit"


def run(options: Options, request: Request) -> ExitCode:
    _require_extra()
    if options.output is not None:
        from tokscan import outfile

        outfile.check(options.output)
    found = collect_sources(request, options)
    if not found:
        raise TokscanError("nothing to audit: give repositories, --from FILE, --github-org "
                           "or --gitlab-group")
    workdir = (request.workdir or default_workdir()).absolute()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.monotonic()
    # This run's findings, appended as repositories complete (never held in a list).
    stream = workdir / "runs" / f"{os.getpid()}-{int(time.time())}"
    try:
        stream.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TokscanError(f"cannot use the work folder {workdir}: {error.strerror}") from None
    try:
        audited = _audit(found, request, workdir, stream / "findings.jsonl", options)
        records = list(_read_records(stream / "findings.jsonl"))
    finally:
        shutil.rmtree(stream, ignore_errors=True)
    verdicts = _verify(records, audited.roots, options) if options.verify else {}
    from tokscan.audit import document, group

    for record in records:
        group.apply(record, verdicts.get(record["fingerprint"]))
    built = document.build(
        audited.repositories, records, started_at=started,
        duration_s=round(time.monotonic() - clock, 3), verified=bool(options.verify),
        fail_on_revoked=options.fail_on_revoked,
    )  # fmt: skip
    _emit(built, options)
    if any(r["status"] == "failed" for r in audited.repositories):
        return ExitCode.ERROR
    failing = built["summary"]["failing"] and not options.exit_zero
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN


def _require_extra() -> None:
    """Dask and GitPython come with the `audit` extra; say so rather than crash."""
    import importlib.util

    missing = [name for name, module in (("dask[distributed]", "distributed"),
                                         ("gitpython", "git"))
               if importlib.util.find_spec(module) is None]
    if missing:
        raise TokscanError(f"tokscan audit needs {' and '.join(missing)}: "
                           "pip install 'tokscan[audit]'")


def collect_sources(request: Request, options: Options) -> list[sources.Source]:
    texts = list(request.sources)
    if request.from_file is not None:
        texts += sources.read_list(request.from_file)
    found = [sources.parse(text) for text in texts]
    for kind, name, api in (("github", request.github_org, request.github_api),
                            ("gitlab", request.gitlab_group, request.gitlab_api)):
        if name:
            auth = _forge_auth(kind, api)
            for text in _listed(kind, name, api, request, options):
                source = sources.parse(text)
                if auth is not None and source.auth is None and source.url.startswith(auth[0]):
                    source = replace(source, auth=auth[1])
                found.append(source)
    return sources.unique(found)


def _forge_auth(kind: str, api: str | None) -> tuple[str, str] | None:
    """(the forge's web root, the `Authorization` value) that lets git clone its private
    repositories with the token from GITHUB_TOKEN / GITLAB_TOKEN; None without a token.
    Only clone URLs under that root get it, so a listing cannot send it to another host."""
    from tokscan.audit import forges

    header = forges.git_header(kind, api)
    if header is None:
        return None
    name, value = header
    root = name.removeprefix("http.").removesuffix(".extraHeader")
    return root, value.removeprefix("Authorization: ")


def _listed(kind: str, name: str, api: str | None, request: Request,
            options: Options) -> list[str]:
    """An organisation's or group's repositories, from the forge's API (audit/forges.py)."""
    from tokscan.audit import forges

    def waiting(message: str) -> None:
        if not options.quiet:
            output.warn(message)

    listed: list[str] = list(forges.list_sources(
        kind, name, api, forks=request.forks, archived=request.archived, on_wait=waiting
    ))  # fmt: skip
    if not options.quiet:
        from tokscan.report.audit_text import repositories

        output.warn(f"{kind} {name}: {repositories(len(listed))}")
    return listed


@dataclass
class _Audited:
    repositories: list[dict[str, Any]]
    roots: dict[str, str]  # repository name -> where its objects are, for --verify


def _audit(found: list[sources.Source], request: Request, workdir: Path, stream: Path,
           options: Options) -> _Audited:
    from tokscan.audit import run as dask_run

    jobs = [
        Job(source, str(workdir), cache.known_tips(workdir, source), request.timeout)
        for source in found
    ]
    progress = Progress(sys.stderr if wants_progress(options) else None)
    progress.unit = "repositories"
    progress.start("auditing", len(jobs))
    statuses: dict[str, dict[str, Any]] = {}
    roots: dict[str, str] = {}
    fingerprints: set[str] = set()
    done = size = 0
    drawing = threading.Lock()  # progress events are heard on Dask's thread

    def heard(repository: str, message: str) -> None:
        doing, _, how_far = message.partition(" ")  # "cloning receiving 45%"
        with drawing:
            progress.tail = f"{doing} {repository}: {how_far}"
            progress.update(done, size)

    with stream.open("w", encoding="utf-8") as findings:

        def taken(job: Job, result: Result) -> None:
            nonlocal done, size
            if result.status == "reused":
                stored = cache.load(workdir, job.source)
                result = stored if stored is not None else Result(
                    job.source.name, "failed", "its stored result could not be read"
                )
            elif result.status == "scanned":
                cache.save(workdir, job.source, result)
            for record in result.findings:
                findings.write(json.dumps(record, ensure_ascii=False) + "\n")
                fingerprints.add(record["fingerprint"])
            findings.flush()
            if result.root:
                roots[job.source.name] = result.root
            statuses[job.source.name] = {
                "name": job.source.name, "url": job.source.url, "status": result.status,
                "reason": result.reason, "findings": len(result.findings),
                "bytes": result.bytes,
            }  # fmt: skip
            with drawing:
                done += 1
                size += result.bytes
                progress.extra = plural(len(fingerprints), "key")
                progress.tail = ""
                progress.update(done, size, force=True)

        try:
            dask_run.audit_all(jobs, taken, request.scheduler, request.workers,
                               heard if progress.stream is not None else None)
        finally:
            with drawing:
                progress.clear()
    repositories = [statuses.get(s.name) or _lost(s) for s in found]
    return _Audited(repositories, roots)


def _lost(source: sources.Source) -> dict[str, Any]:
    return {"name": source.name, "url": source.url, "status": "failed",
            "reason": "no result came back", "findings": 0, "bytes": 0}


def _read_records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _verify(records: list[dict[str, Any]], roots: dict[str, str],
            options: Options) -> dict[str, Verdict]:
    """One probe per unique key for the whole audit (SPEC §5), from the client. The keys
    are read again from the repositories (audit/recover.py): workers never send them."""
    from tokscan.audit.recover import recover
    from tokscan.verify import api_base, checker

    base = api_base.resolve(options.api_base)
    places: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        places.setdefault(record["fingerprint"], []).append(record)
    keys: dict[str, str] = {}
    for fingerprint, found in places.items():
        for record in found[:5]:
            root = roots.get(record["repository"])
            key = recover(root, record) if root else None
            if key is not None:
                keys[fingerprint] = key
                break
    if keys and wants_progress(options):
        output.warn(f"asking {base} whether {plural(len(keys), 'key')} still work…")
    verdicts = checker.check(keys.values(), base)
    lost = Verdict(Status.UNKNOWN, "the key could not be read again to verify it")
    return {
        fingerprint: verdicts[keys[fingerprint]] if fingerprint in keys else lost
        for fingerprint in places
    }


def _emit(document: dict[str, Any], options: Options) -> None:
    """The chosen format to stdout or --output, all of it through report/output.py."""
    from tokscan.report import audit_text

    if options.format == "json":
        body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    elif options.format == "sarif":
        from tokscan.report import audit_sarif

        body = audit_sarif.render(document)
    elif options.format == "html":
        body = _html(document)
    else:
        from tokscan import terminal

        color = options.output is None and terminal.wants_color(sys.stdout)
        body = audit_text.render(document, color=color)
    if options.output is not None:
        output.write_file(options.output, body)
    else:
        output.write(sys.stdout, body)
    if options.format != "text" or options.output is not None:
        for repository in document["audit"]["repositories"]:
            if repository["status"] == "failed":
                output.warn(f"could not audit {repository['name']}: {repository['reason']}")
        if not options.quiet:
            output.write_err(audit_text.summary(document) + "\n")


def _html(document: dict[str, Any]) -> str:
    import importlib

    try:
        renderer = importlib.import_module("tokscan.report.html")
    except ImportError:
        raise TokscanError("the HTML report is not available in this build of tokscan "
                           "(tokscan.report.html is missing)") from None
    return str(renderer.render(document))
