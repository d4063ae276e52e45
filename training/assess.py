"""Contract-level figures of a trained model on dataset rows: the full prediction path (referral
split, calibration, normalization) scored by ``cardio_intake.extraction.scoring``."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from cardio_intake.extraction.fit import fit_calibration
from cardio_intake.extraction.order_intents import fit_order_intents, service_order_terms
from cardio_intake.extraction.scoring import score_predictions
from cardio_intake.model.outputs import RawDocumentOutput
from cardio_intake.model.predictor import Predictor
from cardio_intake.schemas import Prediction
from training.data import row_pages
from training.gate import gate_score


def raw_outputs(predictor: Predictor, rows: Sequence[Mapping[str, Any]], progress: Any = None, label: str = "predict") -> tuple[
    list[RawDocumentOutput], float
]:
    """Raw model outputs per row, and the model-only seconds per page (encoder + heads)."""
    task = progress.add_task(label, total=len(rows)) if progress else None
    raws, seconds, pages = [], 0.0, 0
    for row in rows:
        page_inputs = row_pages(row)
        t0 = time.perf_counter()
        logits = predictor.encode_pages(page_inputs)
        seconds += time.perf_counter() - t0
        pages += len(page_inputs)
        raws.append(predictor.encoder.assemble(page_inputs, logits, predictor.split, predictor.model_version))
        if progress:
            progress.advance(task)
    return raws, seconds / max(1, pages)


def predictions(predictor: Predictor, raws: Sequence[RawDocumentOutput], rows: Sequence[Mapping[str, Any]]) -> list[Prediction]:
    from cardio_intake.extraction.build import build_prediction

    return [
        build_prediction(raw, predictor.calibration, str(row["doc_id"]), f"dataset:{row['doc_id']}")
        for raw, row in zip(raws, rows, strict=True)
    ]


def calibrate(
    predictor: Predictor,
    val_rows: Sequence[Mapping[str, Any]],
    progress: Any = None,
    train_rows: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Fit temperatures and thresholds on validation and install them on ``predictor``. With
    ``train_rows`` the order-line intent model is fitted on them (and the services' order terms)
    first; without, the predictor's own (if any) is kept."""
    orders = fit_order_intents(train_rows, service_order_terms()) if train_rows else predictor.calibration.order_intents
    raws, _ = raw_outputs(predictor, val_rows, progress, "calibrate")
    fitted = fit_calibration(raws, val_rows, order_intents=orders)
    if fitted.split_min_confidence != predictor.calibration.split_min_confidence:
        # intents are pooled per referral: refit their thresholds on the referrals the fitted split makes
        predictor.calibration = fitted
        raws, _ = raw_outputs(predictor, val_rows, progress, "calibrate (fitted split)")
        fitted = fit_calibration(raws, val_rows, order_intents=orders)
    predictor.calibration = fitted


def score(predictor: Predictor, rows: Sequence[Mapping[str, Any]], progress: Any = None, label: str = "test") -> dict[str, float]:
    return score_with_predictions(predictor, rows, progress, label)[0]


def score_with_predictions(
    predictor: Predictor, rows: Sequence[Mapping[str, Any]], progress: Any = None, label: str = "test"
) -> tuple[dict[str, float], list[Prediction]]:
    """:func:`score`, and the predictions it scored (for comparisons per document)."""
    raws, s_per_page = raw_outputs(predictor, rows, progress, label)
    preds = predictions(predictor, raws, rows)
    metrics = score_predictions(preds, rows)
    metrics["gate_score"] = gate_score(metrics)
    metrics["seconds_per_page"] = s_per_page
    return metrics, preds
