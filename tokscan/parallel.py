"""Spreading independent work over processes (all cores by default)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_unordered(
    function: Callable[[T], R], items: Iterable[T], jobs: int, batch: int = 16
) -> Iterator[R]:
    """`function` over `items`, in `jobs` processes when more than one; results in any order.

    Worker processes are forked, so they inherit the parent's imports and start in a few
    milliseconds.
    """
    if jobs <= 1:
        yield from map(function, items)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(jobs) as pool:
        yield from pool.imap_unordered(function, items, chunksize=batch)
