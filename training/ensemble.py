"""``python -m training.ensemble --config training/configs/default.yaml --member DIR --member DIR [...]``

Trained models of one config (say two seeds) -> one model directory whose predictor averages their
logits (``cardio_intake.model.artifacts.save_ensemble_dir``) -> calibration refitted on the config's
validation rows for the average -> test figures -> MLflow (logged; registered with --register).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import cardio_intake  # noqa: F401  (runtime environment first)
from training.config import TrainConfig, load_config


def build_ensemble(cfg: TrainConfig, members: list[Path], out: Path, register: bool = False) -> dict[str, Any]:
    """Combine, recalibrate, score and log; returns the test figures, the model URI and version."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cardio_intake.model.artifacts import save_ensemble_dir
    from cardio_intake.model.predictor import load_predictor
    from training import assess, tracking
    from training.train import config_rows

    rows = config_rows(cfg)
    model_dir = save_ensemble_dir(out, members)
    sources = []
    for m in members:
        info = m / "training.json"
        sources.append({"path": str(m), "training": json.loads(info.read_text()) if info.is_file() else None})
    # the copied first member's training.json would claim the ensemble was trained as it was
    (model_dir / "training.json").unlink(missing_ok=True)
    (model_dir / "ensemble.json").write_text(json.dumps({"members": sources}, indent=2), encoding="utf-8")
    console = Console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with tracking.start_run(cfg) as run, Progress(*columns, console=console) as progress:
        predictor = load_predictor(str(model_dir))
        # the order-line intent model stays the first member's (fitted on its training rows)
        assess.calibrate(predictor, rows["validation"], progress)
        predictor.calibration.save(model_dir / "calibration.json")
        test = assess.score(predictor, rows["test"] or rows["validation"], progress)
        import mlflow

        mlflow.set_tag("ensemble.members", ",".join(str(m) for m in members))
        mlflow.log_metrics(tracking.prefixed("test", test))
        uri, version = tracking.log_model(model_dir, cfg.tracking.registered_model_name if register else None)
    console.print(
        f"[bold]ensemble of {len(members)}[/] -> {model_dir}; test: intent F1 {test['intent_micro_f1']:.3f}, "
        f"entity F1 {test['entity_f1']:.3f}, straight-through {test['straight_through']:.3f}; model {uri}"
        + (f" (v{version})" if version else "")
    )
    return {"test": test, "model_dir": model_dir, "model_uri": uri, "version": version, "run_id": run.info.run_id}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ensemble", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--config", type=Path, default=Path("training/configs/default.yaml"),
                        help="the members' training config: its data are the validation and test rows")
    parser.add_argument("--member", type=Path, action="append", required=True,
                        help="a trained model directory (models/runs/<run>/model); two or more")
    parser.add_argument("--out", type=Path, default=Path("models/runs/ensemble/model"), help="the ensemble's model directory")
    parser.add_argument("--register", action="store_true", help="register the logged model (no champion gate)")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. data.dataset_dir=data/bench7/dataset")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = load_config(args.config, [*args.overrides, "train.run_name=ensemble"])
    from training.data import MissingDatasetError

    try:
        build_ensemble(cfg, args.member, args.out, args.register)
    except (MissingDatasetError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
