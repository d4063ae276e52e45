"""``python -m training.train --config training/configs/<name>.yaml [--resume] [section.key=value ...]``

Data -> model -> train (early stopping, checkpoints) -> calibrate on validation -> test figures ->
MLflow (config, dataset fingerprints, per-epoch metrics, label maps, model) -> register -> gate.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import cardio_intake  # noqa: F401  (runtime environment first)
from training.config import TrainConfig, help_text, load_config

log = logging.getLogger("training")


def build(cfg: TrainConfig) -> tuple[Any, Any]:
    """A fresh model and its tokenizer, as the config says."""
    from cardio_intake.model.artifacts import load_tokenizer
    from cardio_intake.model.network import build_model
    from cardio_intake.model.spec import EncoderShape, ModelSpec, default_base_model
    from cardio_intake.model.weights import LAYOUT_ONLY_KEYS

    m = cfg.model
    base = Path(m.base_model) if m.base_model else default_base_model()
    spec = ModelSpec(
        use_layout=m.use_layout, box_level=m.box_level, spatial_attention=m.spatial_attention,
        intent_pooling=m.intent_pooling, max_len=m.max_len, stride=m.stride,
    )
    if m.random_init:
        spec.encoder = EncoderShape(
            hidden_size=m.hidden_size, num_hidden_layers=m.num_hidden_layers,
            num_attention_heads=m.num_attention_heads, intermediate_size=m.intermediate_size,
        )
    model, report = build_model(spec, None if m.random_init else base, m.random_init, m.keep_layers)
    if report:
        log.info("encoder from %s: %d tensors, untrained: %s", base, report.loaded, report.missing)
    if m.layout_init == "sinusoid" and m.use_layout and (report is None or LAYOUT_ONLY_KEYS & set(report.missing)):
        # only tables that start untrained: a LayoutLM checkpoint's trained ones are kept; the text-only ablation
        # keeps zero tables (its boxes are all zero, so a sinusoid's row 0 would only shift every token)
        model.sinusoid_layout_embeddings()
    return model, load_tokenizer(base)


def config_rows(cfg: TrainConfig) -> dict[str, list[dict[str, Any]]]:
    """The config's train / validation / test rows, its extra datasets mixed in; without validation rows,
    the test (else train) rows stand in for them."""
    from training.data import load_dataset_dict, mix_rows, split_rows

    dsd = load_dataset_dict(cfg.data)
    rows = {
        "train": split_rows(dsd, "train", cfg.data.max_train_docs),
        "validation": split_rows(dsd, "validation", cfg.data.max_eval_docs),
        "test": split_rows(dsd, "test", cfg.data.max_eval_docs),
    }
    if cfg.data.extra_datasets:
        rows = mix_rows(rows, cfg.data.extra_datasets, cfg.train.seed)
    if not rows["train"]:
        raise ValueError("the dataset has no train documents")
    if not rows["validation"]:
        # a handful of generated packets may draw no validation packet; say so loudly
        fallback = "test" if rows["test"] else "train"
        log.warning("the dataset has no validation documents: validating and calibrating on %s", fallback)
        rows["validation"] = rows[fallback]
    return rows


def prepare_data(cfg: TrainConfig, tokenizer: Any) -> dict[str, Any]:
    from training.data import fingerprint, row_to_example

    rows = config_rows(cfg)
    m = cfg.model
    examples = {s: [row_to_example(r, tokenizer, m.max_len, m.stride, m.box_level) for r in rows[s]]
                for s in ("train", "validation")}
    return {"rows": rows, "examples": examples, "fingerprints": {s: fingerprint(r) for s, r in rows.items()}}


def score_per_source(predictor: Any, test_rows: list[dict[str, Any]], progress: Any = None) -> dict[str, dict[str, float]]:
    """With mixed datasets, the test figures of each source (logged as ``test/<source>/<metric>``)."""
    import mlflow

    from training import assess
    from training.data import rows_by_source

    groups = rows_by_source(test_rows)
    if len(groups) < 2:
        return {}
    out: dict[str, dict[str, float]] = {}
    for source, rows in groups.items():
        metrics = {**assess.score(predictor, rows, progress, f"test:{source}"), "documents": float(len(rows))}
        out[source] = metrics
        if mlflow.active_run() is not None:
            mlflow.log_metrics({f"test/{source}/{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
    return out


def run(cfg: TrainConfig) -> dict[str, Any]:
    import torch
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.model.artifacts import LoadedModel, save_model_dir
    from cardio_intake.model.predictor import Predictor, load_predictor
    from training import assess, tracking
    from training.loop import load_checkpoint_meta, seed_everything, train_loop
    from training.versions import package_versions

    console = Console()
    seed_everything(cfg.train.seed)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    model, tokenizer = build(cfg)
    data = prepare_data(cfg, tokenizer)
    run_dir = Path(cfg.train.output_dir) / cfg.train.run_name
    resume_run_id = load_checkpoint_meta(run_dir / "checkpoint.pt").get("mlflow_run_id") if cfg.train.resume else None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with tracking.start_run(cfg, resume_run_id) as mlrun, Progress(*columns, console=console) as progress:
        if not resume_run_id:
            sizes = {s: len(r) for s, r in data["rows"].items()}
            tracking.log_setup(cfg, data["fingerprints"], sizes, model.spec.label_maps())

        def on_epoch(state: Any, metrics: dict[str, float]) -> None:
            tracking.log_epoch(state.history)
            progress.console.print(
                f"epoch {state.epoch}: " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()) + (f"  [{state.stopped}]" if state.stopped else "")
            )

        state = train_loop(
            model, data["examples"]["train"], data["examples"]["validation"], cfg.train, run_dir, on_epoch, progress,
            all_new=cfg.model.random_init, extra_ckpt={"mlflow_run_id": mlrun.info.run_id, "config": cfg.to_dict()},
        )
        # every epoch's wall time (validation included), summed over a crash and its --resume: this process's
        # own clock would report a resumed run's last minutes only
        train_s = state.elapsed_s
        predictor = Predictor(LoadedModel(model, tokenizer, model.spec, Calibration()), "candidate")
        assess.calibrate(predictor, data["rows"]["validation"], progress, train_rows=data["rows"]["train"])
        model_dir = save_model_dir(run_dir / "model", model, tokenizer, predictor.calibration)
        (model_dir / "training.json").write_text(json.dumps({
            "train_seconds": train_s, "epochs": state.epoch, "best_epoch": state.best_epoch, "stopped": state.stopped,
            "bf16": state.bf16, "history": state.history, "config": cfg.to_dict(), "fingerprints": data["fingerprints"],
            "packages": package_versions(),
        }, indent=2), encoding="utf-8")
        test_rows = data["rows"]["test"] or data["rows"]["validation"]
        test = assess.score(predictor, test_rows, progress)
        tracking.log_metrics_final(train_s, state, test)
        by_source = score_per_source(predictor, test_rows, progress)
        for source, metrics in by_source.items():
            progress.console.print(
                f"test [{source}] ({metrics['documents']:.0f} docs): intent F1 {metrics['intent_micro_f1']:.3f}, "
                f"entity F1 {metrics['entity_f1']:.3f}, straight-through {metrics['straight_through']:.3f}"
            )
        uri, version = tracking.log_model(model_dir, cfg.tracking.registered_model_name if cfg.tracking.register else None)
        decision = None
        if version and cfg.tracking.promote:
            champion_before = tracking.current_champion(cfg.tracking.registered_model_name)
            decision = tracking.champion_gate(
                cfg.tracking.registered_model_name, version, test, cfg.tracking.gate_metric, cfg.tracking.min_gain,
                lambda champ_uri: assess.score(load_predictor(champ_uri), test_rows, progress, "champion"),
            )
            tracking.log_gate(decision, champion_before)
            console.print(decision.summary())
    console.print(
        f"[bold]done[/] in {train_s / 60:.1f} min ({state.epoch} epochs{', ' + state.stopped if state.stopped else ''}); "
        f"test: intent F1 {test['intent_micro_f1']:.3f}, entity F1 {test['entity_f1']:.3f}, "
        f"straight-through {test['straight_through']:.3f}; model {uri}" + (f" (v{version})" if version else "")
    )
    return {"state": state, "test": test, "test_by_source": by_source, "model_uri": uri, "version": version, "decision": decision,
            "model_dir": model_dir, "run_id": mlrun.info.run_id, "train_seconds": train_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--config", type=Path, default=Path("training/configs/default.yaml"), help="YAML config")
    parser.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    parser.add_argument("--help-config", action="store_true", help="print every config option and exit")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. train.epochs=2")
    args = parser.parse_args(argv)
    if args.help_config:
        print(help_text())
        return 0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = load_config(args.config, args.overrides)
    if args.resume:
        cfg.train.resume = True
    from training.data import MissingDatasetError

    try:
        run(cfg)
    except MissingDatasetError as exc:  # before any training: one line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
