"""MLflow: the run's params and artifacts, the pyfunc model, registration and the champion alias."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cardio_intake import config
from cardio_intake.model.predictor import tracking_uri
from cardio_intake.model.tracking_store import open_experiment
from training.config import TrainConfig
from training.gate import GateDecision, decide

log = logging.getLogger(__name__)


def start_run(cfg: TrainConfig, run_id: str | None = None) -> Any:
    import mlflow

    open_experiment(tracking_uri(), cfg.tracking.experiment)
    return mlflow.start_run(run_id=run_id, run_name=None if run_id else cfg.train.run_name)


def log_setup(cfg: TrainConfig, fingerprints: Mapping[str, str], sizes: Mapping[str, int], label_maps: dict[str, Any]) -> None:
    import mlflow

    mlflow.log_params({k: str(v) for k, v in cfg.flat().items()})
    mlflow.log_dict(cfg.to_dict(), "config.yaml")
    mlflow.log_dict(label_maps, "label_maps.json")
    mlflow.set_tags({f"dataset.{k}.fingerprint": v for k, v in fingerprints.items()})
    mlflow.set_tags({f"dataset.{k}.documents": str(v) for k, v in sizes.items()})
    mlflow.set_tag("config.digest", cfg.digest())


def log_model(model_dir: Path, registered_name: str | None) -> tuple[str, str | None]:
    """Log the pyfunc (optionally registering it); returns (model URI, registered version)."""
    import mlflow

    import cardio_intake.model.pyfunc_code as code
    from cardio_intake.model.pyfunc import pip_requirements

    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(Path(code.__file__)),  # models from code: nothing pickled
        artifacts={"model_dir": str(model_dir)},
        pip_requirements=pip_requirements(),
        registered_model_name=registered_name,
    )
    version = getattr(info, "registered_model_version", None)
    return info.model_uri, None if version is None else str(version)


def current_champion(name: str) -> str | None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient().get_model_version_by_alias(name, config.CHAMPION_ALIAS).version)
    except MlflowException:
        return None


def champion_gate(
    name: str,
    version: str,
    candidate_metrics: Mapping[str, float],
    metric: str,
    min_gain: float,
    score_champion: Callable[[str], Mapping[str, float]],
) -> GateDecision:
    """Score the current champion on the same test rows (``score_champion(uri)``), decide, and move
    the alias when the candidate wins. Prints both figures."""
    from mlflow import MlflowClient

    champ_version = current_champion(name)
    champ_value: float | None = None
    if champ_version is not None and champ_version != version:
        try:
            champ_value = float(score_champion(f"models:/{name}/{champ_version}")[metric])
        except Exception as exc:  # an unloadable champion must not block a working candidate
            log.warning("champion v%s could not be scored (%s): treating it as beaten", champ_version, exc)
            champ_value = float("nan")
    decision = decide(metric, float(candidate_metrics[metric]), champ_value, min_gain)
    if decision.promote:
        MlflowClient().set_registered_model_alias(name, config.CHAMPION_ALIAS, version)
    return decision


def log_gate(decision: GateDecision, champion_version: str | None) -> None:
    import mlflow

    mlflow.set_tags({"gate.promoted": str(decision.promote), "gate.reason": decision.reason,
                     "gate.champion_version": champion_version or "none"})
    mlflow.log_metric("gate/candidate", decision.candidate)
    if decision.champion is not None:
        mlflow.log_metric("gate/champion", decision.champion)


def prefixed(prefix: str, metrics: Mapping[str, float]) -> dict[str, float]:
    return {f"{prefix}/{k}".replace("//", "/"): float(v) for k, v in metrics.items()}


def log_epoch(history: Sequence[Mapping[str, float]]) -> None:
    import mlflow

    mlflow.log_metrics({k.replace("val_", "val/"): float(v) for k, v in history[-1].items()}, step=len(history))


def log_metrics_final(train_seconds: float, state: Any, test: Mapping[str, float]) -> None:
    import mlflow

    mlflow.log_metrics(prefixed("test", test))
    mlflow.log_metrics({"train_seconds": train_seconds, "epochs_run": state.epoch, "best_epoch": state.best_epoch,
                        "best_val_score": state.best_score})
    if state.stopped:
        mlflow.set_tag("stopped", state.stopped)
