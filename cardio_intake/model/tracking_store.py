"""Open the MLflow tracking store and its experiment safely when several runs start at once.

Why: two trainings started together on a fresh checkout both find no ``mlflow.db``, both run MLflow's
schema migrations on the same sqlite file, and one dies with alembic's "Online migration expected to match
one row" (seen when a training and its text-only ablation were launched side by side). The same pair can
also both try to create the experiment. An exclusive lock on a file beside the database makes the first
process create both while the other waits; a server URI needs no lock (the server serialises).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (relative or absolute), else None."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :]) if uri.startswith(prefix) else None


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Hold an exclusive lock beside a sqlite store while the block runs; no-op for other stores."""
    db = sqlite_path(uri)
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_experiment(uri: str, experiment: str) -> str:
    """Point MLflow at ``uri`` and make ``experiment`` current, creating store and experiment once even
    when several processes get here together. Returns the experiment id."""
    import mlflow

    with store_lock(uri):
        mlflow.set_tracking_uri(uri)
        return str(mlflow.set_experiment(experiment).experiment_id)
