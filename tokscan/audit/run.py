"""Handing the repositories to Dask, and taking results back as each completes.

By default an embedded `LocalCluster` (one single-threaded worker process per core, no
dashboard) so that `tokscan audit` needs no set-up; with an address, the client of an
existing cluster (`dask scheduler` and `dask worker`, dask-kubernetes, dask-jobqueue,
Coiled). Results are taken in the order they complete (`as_completed`) and handed to
`on_result` at once, so the caller writes them to disk instead of holding them; a task that
Dask itself loses (a worker killed again and again) is that repository's failure, not the
run's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from tokscan.audit import task
from tokscan.errors import TokscanError
from tokscan.parallel import default_jobs


def audit_all(
    jobs: list[task.Job],
    on_result: Callable[[task.Job, task.Result], None],
    scheduler: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[str, str], None] | None = None,
) -> None:
    """Audit every job's repository on Dask; `on_result` gets each as it completes, and
    `on_progress` (repository, message) how far a clone or fetch got (on Dask's own
    thread: the caller draws with a lock)."""
    jobs = _take_unchanged(jobs, on_result)
    if not jobs:
        return
    from distributed import as_completed

    run = uuid.uuid4().hex[:12]  # a shared cluster may hold another audit's tasks
    jobs = [dataclasses.replace(job, run=run) for job in jobs]
    with _client(scheduler, workers or min(default_jobs(), len(jobs))) as client:
        if on_progress is not None:
            tell = on_progress

            def heard(event: tuple[float, dict[str, str]]) -> None:
                said = event[1]
                if isinstance(said, dict) and said.get("run") == run:
                    tell(said["repository"], said["message"])

            client.subscribe_topic(task.PROGRESS_TOPIC, heard)
        by_key: dict[str, task.Job] = {}
        futures = []
        for job in jobs:
            key = f"tokscan-audit-{run}-{job.source.slug}"
            future = client.submit(task.audit, job, key=key, pure=False)
            by_key[future.key] = job
            futures.append(future)
        completed = as_completed(futures)
        del futures  # as_completed holds them until each is taken, then lets go
        for future in completed:
            job = by_key.pop(future.key)
            try:
                result = future.result()
            except Exception as error:  # lost by Dask: a worker died under it
                result = task.Result(job.source.name, "failed",
                                     f"the Dask task failed: {type(error).__name__}: {error}")
            future.release()
            on_result(job, result)


# Repositories asked at once whether they moved (one `ls-remote` each, mostly waiting).
_CHECKS_IN_FLIGHT = 8


def _take_unchanged(
    jobs: list[task.Job], on_result: Callable[[task.Job, task.Result], None]
) -> list[task.Job]:
    """Hand over at once, from this process, the repositories whose refs have not moved
    since their kept result (`task.reused_at_once`), and return the others: a nightly
    re-run where little changed starts no cluster and ships no task for the rest."""
    from concurrent.futures import ThreadPoolExecutor

    known = [job for job in jobs if job.known_tips is not None]
    if not known:
        return jobs
    with ThreadPoolExecutor(min(_CHECKS_IN_FLIGHT, len(known))) as pool:
        reused = dict(zip([id(job) for job in known], pool.map(task.reused_at_once, known),
                          strict=True))
    left = []
    for job in jobs:
        result = reused.get(id(job))
        if result is None:
            left.append(job)
        else:
            on_result(job, result)
    return left


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado", "bokeh"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise TokscanError(
                f"cannot reach the Dask scheduler at {scheduler}: {error}"
            ) from None
        with client:
            yield client
        return
    with warnings.catch_warnings():
        # The scheduler's small HTTP server (health, metrics) moves off a port in use and
        # says so; the dashboard itself is off.
        warnings.simplefilter("ignore", UserWarning)
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.ERROR,
        )  # fmt: skip
    with cluster, Client(cluster) as client:
        yield client
