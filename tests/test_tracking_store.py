"""Several runs opening a fresh MLflow sqlite store at once: one creates it, the others wait."""

from __future__ import annotations

import fcntl
import multiprocessing as mp
from pathlib import Path

import pytest

from cardio_intake.model.tracking_store import open_experiment, sqlite_path, store_lock


def test_sqlite_path_reads_relative_and_absolute_uris(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:///mlflow.db") == Path("mlflow.db")
    assert sqlite_path(f"sqlite:///{tmp_path}/m.db") == tmp_path / "m.db"
    assert sqlite_path("http://127.0.0.1:5000") is None


def test_store_lock_excludes_another_holder(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/sub/m.db"
    with store_lock(uri), open(tmp_path / "sub" / "m.db.lock", "a") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(tmp_path / "sub" / "m.db.lock", "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the block


def _open(uri: str, barrier: object, out: object) -> None:
    import mlflow  # noqa: F401  (imported before the barrier so that every process reaches the store together)

    barrier.wait()  # type: ignore[attr-defined]
    try:
        out.put(open_experiment(uri, "cardio-intake-referral"))  # type: ignore[attr-defined]
    except Exception as exc:  # the failure this module exists to prevent: report it, do not hang
        out.put(f"error: {exc}")  # type: ignore[attr-defined]


def test_processes_opening_a_fresh_store_together_all_get_one_experiment(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    ctx = mp.get_context("spawn")
    n = 3
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(uri, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert not [r for r in results if r.startswith("error")], results
    assert len(set(results)) == 1  # one experiment, created once
