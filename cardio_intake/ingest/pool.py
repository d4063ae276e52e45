"""The process pool that OCRs pages in parallel, shared by every call in a process.

Workers are forked while the process is single-threaded (fast, and scripts without a
``__main__`` guard keep working) and spawned once it runs threads (BentoML, torch), because forking
a threaded process can deadlock on a lock held by another thread. Each tesseract gets OMP_THREAD_LIMIT=1
(cardio_intake.settings.TESSERACT_ENV, through cardio_intake.ingest.tesseract), so N workers run N
single-threaded tesseracts and the cores are not
oversubscribed. A pool that hangs or loses a worker is killed and rebuilt on the next call.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None
_POOL_WORKERS = 0


def default_workers() -> int:
    """One worker per available core (tesseract is single-threaded here), at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _warm_up() -> None:
    import layoutparser.elements  # noqa: F401  (pandas import, once per worker rather than per page)

    import cardio_intake  # noqa: F401  (runtime env, in case the parent's was changed after spawn)


def _fork_is_safe() -> bool:
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def get_pool(workers: int) -> ProcessPoolExecutor:
    global _POOL, _POOL_WORKERS
    with _LOCK:
        if _POOL is None or workers != _POOL_WORKERS:
            if _POOL is not None:
                _POOL.shutdown(wait=False, cancel_futures=True)
            ctx = multiprocessing.get_context("fork" if _fork_is_safe() else "spawn")
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm_up)
            _POOL_WORKERS = workers
        return _POOL


def kill_pool() -> None:
    """Stop the pool now, killing workers stuck in a page (the next call starts a fresh one)."""
    global _POOL, _POOL_WORKERS
    with _LOCK:
        pool, _POOL, _POOL_WORKERS = _POOL, None, 0
    if pool is None:
        return
    # The executor has no public way to kill a busy worker; its process table is the only handle.
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    global _POOL, _POOL_WORKERS
    with _LOCK:
        pool, _POOL, _POOL_WORKERS = _POOL, None, 0
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pool)
