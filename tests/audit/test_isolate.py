"""Each repository's audit runs in a child process with a time limit."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tokscan.audit import isolate


def _pid(_: object) -> int:
    return os.getpid()


def test_the_result_comes_back_from_another_process():
    assert isolate.call(sorted, [3, 1, 2], None) == [1, 2, 3]
    assert isolate.call(_pid, None, 5) != os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


def test_an_exception_is_raised_again_here():
    with pytest.raises(ValueError, match="corrupt"):
        isolate.call(_fail, "corrupt", 5)


def _hang_with_a_child(pid_file: str) -> None:
    # a child of the child, as git would be: it must die with it
    child = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(child.pid))
    time.sleep(60)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_the_time_limit_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(isolate.TimedOut, match="timed out after 1 s"):
        isolate.call(_hang_with_a_child, str(pid_file), 1)
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def _crash(_: object) -> None:
    os._exit(9)


def test_a_crash_is_an_error_for_that_repository_only():
    with pytest.raises(RuntimeError, match="the audit process died"):
        isolate.call(_crash, None, 5)


def _talk(count: int) -> int:
    for n in range(count):
        isolate.tell(f"line {n}")
    return count


def test_what_the_child_tells_reaches_the_parent_as_it_is_said():
    heard: list[str] = []
    assert isolate.call(_talk, 300, 10, heard.append) == 300
    assert heard == [f"line {n}" for n in range(300)]
    isolate.tell("not in a child: nowhere to go")  # and no error
