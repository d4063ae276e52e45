"""`cardio-intake evaluate`: the model, the current champion and the scikit-learn baseline on the
same test documents; report.html + metrics.json under evaluation/reports/<model-version>/, logged to
the model's MLflow run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cardio_intake import config
from evaluation.aggregate import aggregate
from evaluation.compare import triage_changes
from evaluation.report import EvaluationReport, ModelInfo, gallery_items, report_dir_name, write_report
from evaluation.runner import Failure, Predictor, load_gold, run_models
from evaluation.thresholds import THRESHOLDS_YAML, check, load_thresholds

log = logging.getLogger(__name__)

CHAMPION_URI = f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}"


def default_baseline_uri() -> str | None:
    """The newest registered version of the scikit-learn baseline (training.baseline registers it
    without an alias), or None when none is registered."""
    try:
        from training.baseline import REGISTERED_BASELINE_NAME
    except ImportError:
        return None
    from evaluation.mlflow_io import latest_version

    version = latest_version(REGISTERED_BASELINE_NAME)
    return f"models:/{REGISTERED_BASELINE_NAME}/{version}" if version else None


@dataclass
class Outcome:
    report: EvaluationReport
    html: Path
    metrics_json: Path
    logged_to_run: str | None
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    skipped_references: dict[str, str] = field(default_factory=dict)


def _load(uri: str) -> Predictor:
    """The referral model (``load_predictor``) or, when the URI holds the scikit-learn baseline (a
    pyfunc wrapping ``training.baseline_model``), the baseline's predictor with the same surface."""
    from cardio_intake.model.predictor import load_predictor  # heavy (torch): only when evaluating

    try:
        return load_predictor(uri)
    except FileNotFoundError:  # downloaded, but no referral model inside: maybe the baseline
        from evaluation.mlflow_io import local_model_path, version_label
        from training.baseline_model import MODEL_FILE, load_baseline

        root = local_model_path(uri)
        found = sorted(root.rglob(MODEL_FILE))
        if not found:
            raise
        return load_baseline(found[0].parent, model_version=version_label(uri))


def evaluate(
    model_uri: str,
    data: Path,
    compare_uri: str | None = None,
    champion_uri: str | None = CHAMPION_URI,
    baseline_uri: str | None = "auto",
    split: str = "test",
    limit: int | None = None,
    out_root: Path = config.REPORTS_DIR,
    thresholds_path: Path = THRESHOLDS_YAML,
    log_mlflow: bool = True,
    gallery_size: int = 8,
    loader: Callable[[str], Predictor] = _load,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    thresholds = load_thresholds(thresholds_path)
    corpus, packets = load_gold(data, split, limit)
    model = loader(model_uri)

    # the references: champion and baseline (skipped, with the reason, when they do not exist or are
    # the model itself), and --compare
    refs: list[tuple[str, str, Predictor]] = []
    skipped: dict[str, str] = {}
    wanted = [("champion", champion_uri), ("baseline", default_baseline_uri() if baseline_uri == "auto" else baseline_uri)]
    if compare_uri:
        wanted.append(("compare", compare_uri))
    for role, uri in wanted:
        if not uri:
            skipped[role] = "not configured"
            continue
        try:
            pred = loader(uri)
        except Exception as exc:
            skipped[role] = f"{type(exc).__name__}: {exc}"
            log.warning("%s %s not evaluated: %s", role, uri, exc)
            continue
        if pred.model_version == model.model_version and role != "compare":
            skipped[role] = "is the evaluated model"
            continue
        refs.append((role, uri, pred))

    predictors = [model, *(p for _, _, p in refs)]
    records, failures = run_models(predictors, corpus, packets, progress)
    metrics = aggregate(records[0], max_error=thresholds.max_error_for_automation)
    checks = check(metrics.headline, thresholds)
    from evaluation.mlflow_io import run_id_for

    run_id = run_id_for(model_uri, model)
    infos = [ModelInfo(role=role, uri=uri, version=p.model_version, run_id=None) for role, uri, p in refs]
    ref_head = {
        role: aggregate(recs, max_error=thresholds.max_error_for_automation).headline
        for (role, _, _), recs in zip(refs, records[1:], strict=True)
    }
    compared = next((k for k, (role, _, _) in enumerate(refs) if role == "compare"), None)
    if compared is None:
        compared = next((k for k, (role, _, _) in enumerate(refs) if role == "champion"), None)
    report = EvaluationReport(
        data=str(data), split=split,
        model=ModelInfo(role="model", uri=model_uri, version=model.model_version, run_id=run_id),
        metrics=metrics,
        references=[i for i in infos if i.role != "compare"],
        reference_headlines={k: v for k, v in ref_head.items() if k != "compare"},
        thresholds=thresholds, checks=checks, passed=all(c.passed for c in checks),
        compared_with=infos[compared] if compared is not None else None,
        changes=triage_changes(records[0], records[1 + compared]) if compared is not None else [],
        records=records[0],
    )
    gallery = gallery_items(records[0], {p.doc_id: p for p in packets}, corpus, n=gallery_size)
    html, js = write_report(report, out_root / report_dir_name(model.model_version), gallery)
    logged = None
    if log_mlflow and run_id:
        from evaluation.mlflow_io import log_evaluation

        log_evaluation(run_id, html, js, metrics.headline, report.passed)
        logged = run_id
    names = ["model", *(role for role, _, _ in refs)]
    return Outcome(report, html, js, logged, {n: f for n, f in zip(names, failures, strict=True) if f}, skipped)
