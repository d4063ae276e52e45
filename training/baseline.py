"""Train, calibrate, evaluate and register the scikit-learn baseline.

    python -m training.baseline --dataset data/dataset

Reads the HF DatasetDict (columns: cardio_intake/corpus/features.py) with train/validation/test
splits, fits the baseline on train, fits temperatures and thresholds on validation, scores the
validation and test splits with the same scoring as the main model, logs everything to MLflow and
registers the model as ``cardio-intake-baseline``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cardio_intake import config
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.fit import fit_calibration
from cardio_intake.extraction.order_intents import fit_order_intents, service_order_terms
from cardio_intake.extraction.scoring import score_predictions
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.schemas import Prediction
from training.baseline_model import BaselineConfig, BaselineModel, BaselinePredictor, row_pages

REGISTERED_BASELINE_NAME = "cardio-intake-baseline"
EXPERIMENT = "cardio-intake-referral"  # the referral model's experiment: runs side by side
HEADLINE = ("intent_micro_f1", "entity_f1", "field_em/mean", "straight_through", "page_type_accuracy",
            "referral_split_accuracy", "auto_rate", "auto_error")

console = Console(stderr=True)


def dataset_fingerprints(splits: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
    """Per split, the same content hash the referral model's runs log (training.data.fingerprint),
    so a baseline run and a model run on the same data carry the same tags."""
    from training.data import fingerprint

    return {name: fingerprint(rows) for name, rows in splits.items()}


def dataset_fingerprint(fingerprints: Mapping[str, str]) -> str:
    """One digest over the per-split fingerprints."""
    return hashlib.sha256(json.dumps(dict(fingerprints), sort_keys=True).encode()).hexdigest()[:16]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def predict_rows(
    model: BaselineModel, rows: Sequence[Mapping[str, Any]], calibration: Calibration, label: str
) -> list[Prediction]:
    predictor = BaselinePredictor(model, calibration, "baseline")
    out = []
    with _progress() as bar:
        task = bar.add_task(label, total=len(rows))
        for row in rows:
            out.append(predictor.predict_row(row))
            bar.advance(task)
    return out


def train_baseline(
    splits: Mapping[str, Sequence[Mapping[str, Any]]], cfg: BaselineConfig
) -> tuple[BaselineModel, Calibration, dict[str, float]]:
    """Fit on train, calibrate on validation (train when there is none), score validation and test."""
    train = splits["train"]
    val = splits.get("validation") or train
    t0 = time.perf_counter()
    model = BaselineModel(cfg)
    with _progress() as bar:
        task = bar.add_task("featurizing train", total=len(train))
        model.fit(train, progress=lambda: bar.advance(task))
    metrics: dict[str, float] = {"train_seconds": time.perf_counter() - t0}
    calibration = Calibration()
    orders = fit_order_intents(train, service_order_terms())
    for _ in range(2):  # again only when the fitted split differs: intents pool per referral
        raws = []
        with _progress() as bar:
            task = bar.add_task("validation outputs", total=len(val))
            for row in val:
                raws.append(model.raw_document(row_pages(row), calibration))
                bar.advance(task)
        fitted = fit_calibration(raws, val, cfg.target_precision, cfg.noncritical_precision, order_intents=orders)
        done = fitted.split_min_confidence == calibration.split_min_confidence
        calibration = fitted
        if done:
            break
    for name in ("validation", "test"):
        rows = splits.get(name)
        if not rows:
            continue
        t1 = time.perf_counter()
        preds = predict_rows(model, rows, calibration, f"predicting {name}")
        n_pages = sum(len(r["words"]) for r in rows)
        scores = score_predictions(preds, rows)
        metrics.update({f"{name}/{k}": v for k, v in scores.items()})
        metrics[f"{name}/seconds_per_page"] = (time.perf_counter() - t1) / max(n_pages, 1)
    metrics.update({f"calibration/{k}": v for k, v in calibration.fitted.items()})
    return model, calibration, metrics


def log_to_mlflow(
    model_dir: Path, cfg: BaselineConfig, metrics: Mapping[str, float], fingerprints: Mapping[str, str],
    sizes: Mapping[str, int], dataset: Path, tracking_uri: str, register: bool = True,
) -> str:
    import mlflow

    import cardio_intake
    import training
    from cardio_intake.model.tracking_store import open_experiment
    from training.baseline_pyfunc import ARTIFACT_KEY, BaselinePyfunc, pip_requirements

    open_experiment(tracking_uri, EXPERIMENT)
    with mlflow.start_run(run_name="baseline-sklearn") as run:
        fingerprint = dataset_fingerprint(fingerprints)
        mlflow.set_tags({"model_type": "sklearn-baseline", "dataset_fingerprint": fingerprint, "dataset": str(dataset)})
        mlflow.set_tags({f"dataset.{k}.fingerprint": v for k, v in fingerprints.items()})
        mlflow.set_tags({f"dataset.{k}.documents": str(v) for k, v in sizes.items()})
        mlflow.log_params({**asdict(cfg), "dataset_fingerprint": fingerprint})
        mlflow.log_dict(
            {"tags": list(BIO_LABELS), "page_types": list(PAGE_TYPES), "intents": list(INTENTS)}, "label_maps.json"
        )
        mlflow.log_metrics({k.replace("@", "_"): float(v) for k, v in metrics.items()})
        mlflow.log_artifact(str(model_dir / "calibration.json"))
        mlflow.log_dict(asdict(cfg), "config.json")
        mlflow.pyfunc.log_model(
            name="model",
            python_model=BaselinePyfunc(),
            artifacts={ARTIFACT_KEY: str(model_dir)},
            code_paths=[str(Path(cardio_intake.__file__).parent), str(Path(training.__file__).parent)],
            pip_requirements=pip_requirements(),
            registered_model_name=REGISTERED_BASELINE_NAME if register else None,
        )
        return str(run.info.run_id)


def print_table(metrics: Mapping[str, float]) -> None:
    table = Table(title="scikit-learn baseline")
    table.add_column("metric")
    for split in ("validation", "test"):
        table.add_column(split, justify="right")
    for key in HEADLINE:
        table.add_row(key, *(f"{metrics[f'{s}/{key}']:.4f}" if f"{s}/{key}" in metrics else "-"
                             for s in ("validation", "test")))
    Console().print(table)


def load_splits(dataset: Path) -> dict[str, list[dict[str, Any]]]:
    from datasets import load_from_disk

    if not dataset.exists():
        raise FileNotFoundError(
            f"no dataset at {dataset}: build one with `cardio-intake data build-dataset --out {dataset}`"
        )
    dd = load_from_disk(str(dataset))
    if "train" not in dd:
        raise ValueError(f"{dataset} has splits {list(dd)}; a 'train' split is needed")
    return {name: [dict(r) for r in dd[name]] for name in dd}


def run(
    dataset: Path, out: Path, tracking_uri: str, cfg: BaselineConfig, mlflow_log: bool = True, register: bool = True
) -> dict[str, float]:
    splits = load_splits(dataset)
    fingerprints = dataset_fingerprints(splits)
    fingerprint = dataset_fingerprint(fingerprints)
    console.print(f"dataset {dataset} ({', '.join(f'{k}: {len(v)}' for k, v in splits.items())}), "
                  f"fingerprint {fingerprint}")
    model, calibration, metrics = train_baseline(splits, cfg)
    model.save(out, calibration, {"config": asdict(cfg), "dataset_fingerprint": fingerprint, "metrics": metrics})
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    if mlflow_log:
        sizes = {k: len(v) for k, v in splits.items()}
        run_id = log_to_mlflow(out, cfg, metrics, fingerprints, sizes, dataset, tracking_uri, register)
        console.print(f"MLflow run {run_id} at {tracking_uri}"
                      + (f"; registered as {REGISTERED_BASELINE_NAME}" if register else ""))
    print_table(metrics)
    return metrics


app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    dataset: Path = typer.Option(config.DATASET_DIR, "--dataset", help="HF DatasetDict saved with save_to_disk"),
    out: Path = typer.Option(config.MODELS_DIR / "baseline", "--out", help="where the model directory is written"),
    tracking_uri: str | None = typer.Option(
        None, help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else the embedded sqlite file)"
    ),
    no_mlflow: bool = typer.Option(False, "--no-mlflow", help="train and score only; log nothing"),
    no_register: bool = typer.Option(False, "--no-register", help="log the run but do not register the model"),
    seed: int = typer.Option(BaselineConfig.seed, help="random seed of the token classifier"),
    token_epochs: int = typer.Option(BaselineConfig.token_epochs, help="passes of the token SGD classifier"),
) -> None:
    """Train the scikit-learn baseline and report its figures on validation and the held-out test families."""
    cfg = BaselineConfig(**{**{f.name: getattr(BaselineConfig, f.name) for f in fields(BaselineConfig)},
                            "seed": seed, "token_epochs": token_epochs})
    try:
        from cardio_intake.model.predictor import tracking_uri as default_tracking_uri

        run(dataset, out, tracking_uri or default_tracking_uri(), cfg, mlflow_log=not no_mlflow, register=not no_register)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


if __name__ == "__main__":
    app()
