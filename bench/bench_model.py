"""Layout model vs text-only ablation vs scikit-learn baseline, side by side, on the held-out test
layout families after OCR (the OCR-aligned dataset's test split).

    .venv/bin/python bench/bench_model.py --train                 # train default + text-only, then compare
    .venv/bin/python bench/bench_model.py --layout models/runs/default/model --text models/runs/default_text/model
    .venv/bin/python bench/bench_model.py ... --also "fixed families only=models/runs/control_fixed/model"
    .venv/bin/python bench/bench_model.py ... --extra-test data/fresh7/dataset   # a second corpus's test split too

Figures: intent micro-F1, entity span F1, per-field exact match, critical-field straight-through
rate, auto rate (no review) and its error, model-only CPU seconds per page, training time. The last
column is the ceiling: each test row's own labels through the real post-processing, i.e. the best
any model can score on these OCR words (evaluation/ceiling.py). A second table gives the layout
model minus each other row with a paired bootstrap 95% interval over the test documents
(evaluation/bootstrap.py): on about 40 documents, differences of a few hundredths are noise. A third
counts each row's critical-field errors per gold referral by cause: the model's own, or OCR's (the
ceiling is wrong there too: no tagger can read the value off these words).
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
) -> tuple[dict[str, float], list[Any]]:
    """The model's test figures, and its predictions (for the paired bootstrap)."""
    from cardio_intake.model.predictor import load_predictor, resolve_model_dir
    from training.assess import calibrate, score_with_predictions

    predictor = load_predictor(uri)
    if recalibrate_on is not None:
        # post-processing changed since the model was saved: refit its calibration with today's code. The
        # order-line intent model is refitted only where the model has none: it was fitted on the model's own
        # training rows (the composed supplement among them), which this dataset's train split is not
        own_orders = predictor.calibration.order_intents is not None
        calibrate(predictor, recalibrate_on, train_rows=None if own_orders else train_rows)
    metrics, preds = score_with_predictions(predictor, rows, label=f"scoring {predictor.model_version}")
    model_dir = resolve_model_dir(uri)[0]
    info, ensemble = model_dir / "training.json", model_dir / "ensemble.json"
    if info.is_file():
        metrics["train_minutes"] = json.loads(info.read_text())["train_seconds"] / 60
    elif ensemble.is_file():  # an ensemble took its members' training times together
        members = json.loads(ensemble.read_text())["members"]
        if all(m.get("training") for m in members):
            metrics["train_minutes"] = sum(m["training"]["train_seconds"] for m in members) / 60
    return metrics, preds


def score_baseline(splits: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, float], list[Any]]:
    from training.baseline import predict_rows, train_baseline
    from training.baseline_model import BaselineConfig

    model, calibration, metrics = train_baseline(splits, BaselineConfig())
    out = {k[len("test/"):]: v for k, v in metrics.items() if k.startswith("test/")}
    out["train_minutes"] = metrics["train_seconds"] / 60
    return out, predict_rows(model, splits["test"], calibration, "baseline predictions")


def extra_test_rows(datasets: list[Path]) -> list[dict[str, Any]]:
    """The test splits of ``datasets``, each row's doc_id prefixed with its corpus's name so that packets
    of two corpora never share an id."""
    from training.baseline import load_splits

    rows = []
    for path in datasets:
        name = path.parent.name if path.name == "dataset" else path.name
        for row in load_splits(path).get("test", []):
            rows.append({**row, "doc_id": f"{name}/{row['doc_id']}"})
    return rows


def print_differences(preds: dict[str, list[Any]], rows: list[dict[str, Any]], n_resamples: int) -> None:
    """The first column minus each other one, with a paired bootstrap interval over test documents."""
    from rich.console import Console
    from rich.table import Table

    from evaluation.bootstrap import HEADLINE_METRICS, paired_bootstrap

    first, *others = preds
    table = Table(title=f"{first} minus each other row",
                  caption=f"observed [95% interval] over {n_resamples} paired resamples of the {len(rows)} test "
                          "documents; * = the interval excludes 0")
    table.add_column("metric")
    diffs = {name: paired_bootstrap(preds[first], preds[name], rows, n_resamples=n_resamples) for name in others}
    for name in others:
        table.add_column(f"- {name}", justify="right")
    for key in HEADLINE_METRICS:
        table.add_row(key, *[f"{d.observed:+.3f} [{d.low:+.3f}, {d.high:+.3f}]{'*' if d.clear else ''}"
                             for d in (diffs[name][key] for name in others)])
    Console().print(table)


def print_error_causes(preds: dict[str, list[Any]], rows: list[dict[str, Any]], ceiling: list[Any]) -> None:
    """Each model's critical-field errors over the gold referrals, split by cause: OCR (the ceiling's
    predictions ``ceiling`` are wrong there too) or the model (the ceiling is right)."""
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.labels import CRITICAL_FIELDS
    from evaluation.ceiling import error_causes

    causes = {name: error_causes(p, rows, ceiling) for name, p in preds.items()}
    table = Table(title="critical-field errors per gold referral: model / OCR",
                  caption="OCR: the ceiling (a perfect tagger on the same OCR words) gets it wrong too")
    table.add_column("field")
    for name in preds:
        table.add_column(name, justify="right")
    for f in (*CRITICAL_FIELDS, "intents"):
        table.add_row(f, *[f"{c[(f, 'model')]} / {c[(f, 'ocr')]}" for c in causes.values()])
    Console().print(table)


def save_predictions(preds: dict[str, list[Any]], out: Path) -> list[Path]:
    """One JSONL file per column, named after it (``layout + composed`` -> ``layout-composed.jsonl``)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, column in preds.items():
        slug = "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
        path = out / f"{slug}.jsonl"
        path.write_text("".join(p.model_dump_json() + "\n" for p in column), encoding="utf-8")
        written.append(path)
    return written


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
    ap.add_argument("--also", action="append", default=[], metavar="NAME=MODEL",
                    help="another model scored in the same run on the same test rows (a run trained on another "
                         "corpus, an earlier config); repeatable")
    ap.add_argument("--extra-test", action="append", default=[], type=Path, metavar="DATASET",
                    help="another dataset whose test split joins this one's (a second corpus of the same held-out "
                         "families, e.g. another seed): more test documents, tighter intervals; repeatable")
    ap.add_argument("--only-extra-test", action="store_true",
                    help="score on the --extra-test splits alone (a corpus held out from the choices made on this "
                         "dataset's test split); training and calibration still use --dataset")
    ap.add_argument("--no-baseline", action="store_true", help="skip the scikit-learn baseline")
    ap.add_argument("--recalibrate", action="store_true",
                    help="refit the transformers' calibration on the validation split first (models saved before a "
                         "post-processing change; the baseline is always fitted afresh)")
    ap.add_argument("--resamples", type=int, default=1000,
                    help="paired bootstrap resamples of the test documents for the difference table (0: none)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--save-predictions", type=Path, default=None, metavar="DIR",
                    help="write each column's predictions here, one JSONL file per column (one line per test "
                         "document, the contract's prediction JSON), for reading what a model got wrong")
    ap.add_argument("overrides", nargs="*", help="training config overrides (with --train), section.key=value")
    args = ap.parse_args()
    if args.only_extra_test and not args.extra_test:
        ap.error("--only-extra-test needs at least one --extra-test DATASET")
    also = {}  # checked before any training, so a typo does not surface after the runs
    for item in args.also:
        name, sep, uri = item.partition("=")
        if not sep or not name or not uri:
            ap.error(f"--also takes NAME=MODEL, got {item!r}")
        also[name] = uri

    from training.baseline import load_splits

    splits = load_splits(args.dataset)
    own = [] if args.only_extra_test else splits["test"]
    splits["test"] = test = own + extra_test_rows(args.extra_test)
    t0 = time.time()
    layout, text = args.layout, args.text
    if args.train:
        dirs = train_models(args.config, args.dataset, args.overrides)
        layout, text = str(dirs["layout"]), str(dirs["text"])
    val = splits.get("validation") if args.recalibrate else None
    train = splits.get("train") if args.recalibrate else None
    models = {"layout (LayoutLM)": layout or f"models:/{config.REGISTERED_MODEL_NAME}@champion"}
    if Path(text).exists() or text.startswith(("models:/", "runs:/")):
        models["text-only (boxes 0)"] = text
    models.update(also)
    columns: dict[str, dict[str, float]] = {}
    preds: dict[str, list[Any]] = {}
    for name, uri in models.items():
        columns[name], preds[name] = score_model(uri, test, val, train)
    if not args.no_baseline:
        columns["sklearn baseline"], preds["sklearn baseline"] = score_baseline(splits)
    from cardio_intake.extraction.scoring import score_predictions
    from evaluation.ceiling import ceiling_predictions

    ceiling = ceiling_predictions(test)  # what a perfect model scores through this OCR
    columns["ceiling (own labels)"] = score_predictions(ceiling, test)
    print_table(columns, len(test), sum(len(r["words"]) for r in test))
    if len(preds) > 1 and args.resamples > 0:
        print_differences(preds, test, args.resamples)
    print_error_causes(preds, test, ceiling)
    print(f"bench wall time {(time.time() - t0) / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(columns, indent=2), encoding="utf-8")
    if args.save_predictions:
        save_predictions({**preds, "ceiling (own labels)": ceiling}, args.save_predictions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
