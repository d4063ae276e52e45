"""Helpers behind notebooks/02-error-analysis.ipynb: load an evaluation (from MLflow or a
metrics.json) and slice its errors by layout family, field, format and resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.report import EvaluationReport, load_report


def load_evaluation(run_id: str | None = None, metrics_json: Path | None = None) -> EvaluationReport:
    """An evaluation from ``metrics_json``, or logged to MLflow run ``run_id``, or (neither given) the
    most recent evaluated run in the tracking server (config.MLFLOW_TRACKING_URI)."""
    from evaluation.mlflow_io import download_metrics, latest_evaluated_run

    if metrics_json is not None:
        return load_report(metrics_json)
    run_id = run_id or latest_evaluated_run()
    if run_id is None:
        raise LookupError("no evaluated MLflow run: run `cardio-intake evaluate` first")
    return load_report(download_metrics(run_id))


def field_rows(report: EvaluationReport) -> Any:
    """One row per (gold referral, field): the document's family, format, resolution, page count, the
    gold and predicted values and whether they match (a DataFrame)."""
    import pandas as pd

    return pd.DataFrame([{
        "doc_id": d.doc_id, "family": d.family, "format": d.format, "resolution": d.resolution,
        "pages": d.n_pages, "field": f.field, "gold": f.gold, "pred": f.pred, "correct": f.correct,
        "confidence": f.confidence, "referral_missed": r.pred_index is None,
    } for d in report.records for r in d.gold_referrals for f in r.fields])


def error_rate_by(report: EvaluationReport, row: str = "family", col: str = "field") -> Any:
    """Share of wrong field values per ``row`` x ``col`` (e.g. family x field)."""
    df = field_rows(report)
    return (1 - df.pivot_table(index=row, columns=col, values="correct", aggfunc="mean")).round(3)


def worst_slices(report: EvaluationReport, by: tuple[str, ...] = ("family", "field"), n: int = 10) -> Any:
    """The ``n`` slices with the most wrong values (count and rate)."""
    df = field_rows(report)
    g = df.groupby(list(by))["correct"].agg(errors=lambda s: int((~s).sum()), n="count")
    g["error_rate"] = (g["errors"] / g["n"]).round(3)
    return g.sort_values(["errors", "error_rate"], ascending=False).head(n)


def errors(report: EvaluationReport, field: str | None = None, family: str | None = None) -> Any:
    """The wrong values themselves, optionally for one field and/or family."""
    df = field_rows(report)
    df = df[~df["correct"]]
    if field:
        df = df[df["field"] == field]
    if family:
        df = df[df["family"] == family]
    return df[["doc_id", "family", "field", "gold", "pred", "confidence"]]


def intent_errors(report: EvaluationReport) -> Any:
    """Referrals whose predicted intents differ from gold, with what was missed and what was added."""
    import pandas as pd

    return pd.DataFrame([{
        "doc_id": d.doc_id, "family": d.family, "missed": sorted(set(r.gold_intents) - set(r.pred_intents)),
        "spurious": sorted(set(r.pred_intents) - set(r.gold_intents)),
    } for d in report.records for r in d.referrals if r.gold_intents != r.pred_intents])
