"""The evaluation in MLflow: find the run a model came from, log the report to it, read it back."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cardio_intake import config

ARTIFACT_DIR = "evaluation"


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI as set now (tests and sites change it after import), else the project's."""
    return os.environ.get("MLFLOW_TRACKING_URI") or config.MLFLOW_TRACKING_URI


def _client() -> Any:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    return MlflowClient()


def run_id_for(uri: str, predictor: object | None = None) -> str | None:
    """The MLflow run that produced a model: the predictor's own ``run_id`` when it knows it, else from
    ``runs:/<id>/...`` or a registry URI (``models:/name@alias`` or ``models:/name/<version>``).
    None for a local path or a model MLflow does not know."""
    known = getattr(predictor, "run_id", None)
    if known:
        return str(known)
    if m := re.match(r"runs:/([^/]+)", uri):
        return m.group(1)
    m = re.match(r"models:/([^/@]+)(?:@(.+)|/(\d+))$", uri)
    if not m:
        return None
    try:
        client = _client()
        mv = (client.get_model_version_by_alias(m.group(1), m.group(2)) if m.group(2)
              else client.get_model_version(m.group(1), m.group(3)))
        return str(mv.run_id) if mv.run_id else None
    except Exception:  # unknown model/alias: nothing to log to
        return None


def log_evaluation(run_id: str, html: Path, metrics_json: Path, headline: dict[str, float], passed: bool,
                   per_source: Mapping[str, Mapping[str, float]] | None = None) -> None:
    """Attach report.html and metrics.json to the model's run (under evaluation/), and the headline
    figures as ``eval_*`` metrics so runs can be compared in the MLflow UI; ``per_source`` (source ->
    figures) as ``eval/<source>/<metric>``, beside training's ``test/<source>/<metric>``."""
    from evaluation.sources import TABLE_METRICS

    client = _client()
    client.log_artifact(run_id, str(html), ARTIFACT_DIR)
    client.log_artifact(run_id, str(metrics_json), ARTIFACT_DIR)
    for key, value in headline.items():
        client.log_metric(run_id, f"eval_{key}", float(value))
    for source, figures in (per_source or {}).items():
        for key in ("documents", *TABLE_METRICS):
            if key in figures:
                client.log_metric(run_id, f"eval/{source}/{key}", float(figures[key]))
    client.set_tag(run_id, "evaluation.passed", str(passed).lower())


def download_metrics(run_id: str, dst: Path | None = None) -> Path:
    """metrics.json of an evaluation logged to ``run_id`` (downloaded to ``dst`` or a temp folder)."""
    client = _client()
    dst = dst or Path(tempfile.mkdtemp(prefix="cardio-eval-"))
    return Path(client.download_artifacts(run_id, f"{ARTIFACT_DIR}/metrics.json", str(dst)))


def latest_evaluated_run(experiment: str | None = None) -> str | None:
    """The most recent run that carries an evaluation (tag ``evaluation.passed``), optionally in one experiment."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    kwargs: dict[str, Any] = {"experiment_names": [experiment]} if experiment else {"search_all_experiments": True}
    runs = mlflow.search_runs(filter_string="tags.`evaluation.passed` != ''", order_by=["start_time DESC"],
                              max_results=1, output_format="list", **kwargs)
    return runs[0].info.run_id if runs else None


def latest_version(name: str) -> str | None:
    """The highest version number of a registered model, or None when it is not registered."""
    try:
        versions = _client().search_model_versions(f"name='{name}'")
    except Exception:
        return None
    return str(max(int(v.version) for v in versions)) if versions else None


def version_label(uri: str) -> str:
    """``name:<version>`` for a registry URI, the folder name for a local path, else the URI."""
    if m := re.match(r"models:/([^/@]+)(?:@(.+)|/(\d+))$", uri):
        if m.group(3):
            return f"{m.group(1)}:{m.group(3)}"
        try:
            return f"{m.group(1)}:{_client().get_model_version_by_alias(m.group(1), m.group(2)).version}"
        except Exception:
            return uri
    local = Path(uri).expanduser()
    return f"local:{local.resolve().name}" if local.exists() else uri


def local_model_path(uri: str) -> Path:
    """A local folder for a model URI (downloaded from MLflow when it is not a path already)."""
    local = Path(uri).expanduser()
    if local.exists():
        return local
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
