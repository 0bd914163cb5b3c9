"""A real Dask cluster on 127.0.0.1 for tests: a scheduler and two single-threaded worker
processes, started as `dask scheduler` and `dask worker` would be on real machines, and
found through the scheduler file (its address, with the port the OS gave it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from support.gitrepo import GIT_ENV


class DaskCluster:
    def __init__(self, folder: Path, workers: int = 2) -> None:
        self.folder = folder
        self.workers = workers
        self.processes: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def __enter__(self) -> DaskCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        env = {**os.environ, **GIT_ENV, "HOME": str(self.folder)}
        logs = (self.folder / "cluster.log").open("ab")
        python = [sys.executable, "-m"]
        self.processes.append(subprocess.Popen(
            [*python, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", ":0", "--scheduler-file", str(scheduler_file)],
            env=env, stdout=logs, stderr=logs,
        ))  # fmt: skip
        for _ in range(self.workers):
            self.processes.append(subprocess.Popen(
                [*python, "distributed.cli.dask_worker", "--scheduler-file",
                 str(scheduler_file), "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--host", "127.0.0.1"],
                env=env, stdout=logs, stderr=logs,
            ))  # fmt: skip
        deadline = time.monotonic() + 60
        # The scheduler creates its file, then writes it: wait for an address to read.
        while not (address := _address(scheduler_file)):
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError((self.folder / "cluster.log").read_text())
            time.sleep(0.1)
        self.address = address
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(self.workers, timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _address(scheduler_file: Path) -> str | None:
    """The scheduler's address from its file, or None while the file is missing or still
    being written."""
    try:
        return str(json.loads(scheduler_file.read_text())["address"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
