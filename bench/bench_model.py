"""Layout model vs text-only ablation vs scikit-learn baseline, side by side, on the held-out test
layout families after OCR (the OCR-aligned dataset's test split).

    .venv/bin/python bench/bench_model.py --train                 # train default + text-only, then compare
    .venv/bin/python bench/bench_model.py --layout models/runs/default/model --text models/runs/default_text/model

Figures: intent micro-F1, entity span F1, per-field exact match, critical-field straight-through
rate, auto rate (no review) and its error, model-only CPU seconds per page, training time. The last
column is the ceiling: each test row's own labels through the real post-processing, i.e. the best
any model can score on these OCR words (evaluation/ceiling.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cardio_intake  # noqa: E402,F401  (runtime environment first)
from cardio_intake import config  # noqa: E402
from cardio_intake.labels import FIELD_NAMES  # noqa: E402

ROWS = ("intent_micro_f1", "entity_f1", "straight_through", "field_em/mean",
        *[f"field_em/{f}" for f in FIELD_NAMES], "page_type_accuracy", "referral_split_accuracy",
        "auto_rate", "auto_error", "seconds_per_page", "train_minutes")


def train_models(cfg_path: Path, dataset: Path, extra: list[str]) -> dict[str, Path]:
    """Train the layout model (registered, gated) and its text-only ablation (logged, not registered)."""
    from training.config import load_config
    from training.train import run

    common = [f"data.dataset_dir={dataset}", *extra]
    layout = run(load_config(cfg_path, common))
    text = run(load_config(cfg_path, [*common, "model.use_layout=false", "train.run_name=default_text",
                                      "tracking.register=false"]))
    return {"layout": Path(layout["model_dir"]), "text": Path(text["model_dir"])}


def score_model(
    uri: str, rows: list[dict[str, Any]], recalibrate_on: list[dict[str, Any]] | None = None,
    train_rows: list[dict[str, Any]] | None = None,
) -> dict[str, float]:
    from cardio_intake.model.predictor import load_predictor, resolve_model_dir
    from training.assess import calibrate, score

    predictor = load_predictor(uri)
    if recalibrate_on is not None:
        # post-processing changed since the model was saved: refit its calibration with today's code
        calibrate(predictor, recalibrate_on, train_rows=train_rows)
    metrics = score(predictor, rows, label=f"scoring {predictor.model_version}")
    info = resolve_model_dir(uri)[0] / "training.json"
    if info.is_file():
        metrics["train_minutes"] = json.loads(info.read_text())["train_seconds"] / 60
    return metrics


def score_baseline(splits: dict[str, list[dict[str, Any]]]) -> dict[str, float]:
    from training.baseline import train_baseline
    from training.baseline_model import BaselineConfig

    _, _, metrics = train_baseline(splits, BaselineConfig())
    out = {k[len("test/"):]: v for k, v in metrics.items() if k.startswith("test/")}
    out["train_minutes"] = metrics["train_seconds"] / 60
    return out


def print_table(columns: dict[str, dict[str, float]], n_docs: int, n_pages: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"test split (held-out layout families, OCR): {n_docs} documents, {n_pages} pages")
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for key in ROWS:
        cells = []
        for m in columns.values():
            v = m.get(key)
            cells.append("-" if v is None else (f"{v * 1000:.0f} ms" if key == "seconds_per_page" else
                                                f"{v:.1f}" if key == "train_minutes" else f"{v:.3f}"))
        table.add_row(key, *cells)
    Console().print(table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--dataset", type=Path, default=config.DATASET_DIR, help="OCR-aligned DatasetDict")
    ap.add_argument("--train", action="store_true", help="train the layout model and the text-only ablation first")
    ap.add_argument("--config", type=Path, default=ROOT / "training" / "configs" / "default.yaml")
    ap.add_argument("--layout", default=None, help="layout model URI or directory (default: the champion)")
    ap.add_argument("--text", default=str(config.MODELS_DIR / "runs" / "default_text" / "model"),
                    help="text-only ablation model URI or directory")
    ap.add_argument("--no-baseline", action="store_true", help="skip the scikit-learn baseline")
    ap.add_argument("--recalibrate", action="store_true",
                    help="refit the transformers' calibration on the validation split first (models saved before a "
                         "post-processing change; the baseline is always fitted afresh)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("overrides", nargs="*", help="training config overrides (with --train), section.key=value")
    args = ap.parse_args()

    from training.baseline import load_splits

    splits = load_splits(args.dataset)
    test = splits["test"]
    t0 = time.time()
    layout, text = args.layout, args.text
    if args.train:
        dirs = train_models(args.config, args.dataset, args.overrides)
        layout, text = str(dirs["layout"]), str(dirs["text"])
    val = splits.get("validation") if args.recalibrate else None
    train = splits.get("train") if args.recalibrate else None
    columns: dict[str, dict[str, float]] = {
        "layout (LayoutLM)": score_model(layout or f"models:/{config.REGISTERED_MODEL_NAME}@champion", test, val, train)
    }
    if Path(text).exists() or text.startswith(("models:/", "runs:/")):
        columns["text-only (boxes 0)"] = score_model(text, test, val, train)
    if not args.no_baseline:
        columns["sklearn baseline"] = score_baseline(splits)
    from evaluation.ceiling import ceiling_scores

    columns["ceiling (own labels)"] = ceiling_scores(test)  # what a perfect model scores through this OCR
    print_table(columns, len(test), sum(len(r["words"]) for r in test))
    print(f"bench wall time {(time.time() - t0) / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(columns, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
