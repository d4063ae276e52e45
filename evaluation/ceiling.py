"""The ceiling a perfect model reaches through OCR and normalization.

Each dataset row's own labels stand in for the model: its BIO tags on the OCR words, its page types,
its referral split and its intents, as certain logits. Post-processing and scoring are the real ones,
so what is still wrong is what OCR garbled beyond the normalizers ("Kim, Debaralt", a member ID with
"S" for "9") or what the gold labels could not align to OCR words. Entity span F1 and intent F1 are
1 by construction; field exact match and straight-through are the figures that matter. Not a strict
bound where a field is read several times: equal certainties leave the choice to the readings'
agreement (``field_selection="support"``), and a model's confidences can pick the cleaner reading
better (a trained model scored 0.738 on patient names where this gives 0.738 with support, 0.667 with
confidence alone).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cardio_intake.extraction.build import build_prediction
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.scoring import (
    critical_wrong,
    gold_from_row,
    match_prediction,
    score_predictions,
)
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput
from cardio_intake.schemas import Prediction

_SURE = 20.0  # a logit margin no temperature or offset of an identity calibration moves


def _ids(values: Sequence[Any], names: Sequence[str]) -> list[int]:
    return [v if isinstance(v, int) else names.index(v) for v in values]


def one_hot_logits(ids: Sequence[int], n: int) -> np.ndarray:
    logits = np.full((len(ids), n), -_SURE)
    logits[np.arange(len(ids)), list(ids)] = _SURE
    return logits


def gold_raw_output(row: Mapping[str, Any]) -> RawDocumentOutput:
    """The raw output a model that got every label of ``row`` right would give."""
    pages = [
        RawPageOutput(
            words=list(words),
            boxes=[tuple(b) for b in boxes],  # type: ignore[misc]
            tag_logits=one_hot_logits(_ids(tags, BIO_LABELS), len(BIO_LABELS)),
            page_type_logits=one_hot_logits(_ids([ptype], PAGE_TYPES), len(PAGE_TYPES))[0],
        )
        for words, boxes, tags, ptype in zip(row["words"], row["bboxes"], row["ner_tags"], row["page_types"], strict=True)
    ]
    n_refs = len(row["referral_intents"])
    referral_pages = [[p for p, r in enumerate(row["page_referral"]) if r == k] for k in range(n_refs)]
    intents = [np.where(np.isin(np.arange(len(INTENTS)), _ids(ids, INTENTS)), _SURE, -_SURE)
               for ids in row["referral_intents"]]
    keep = [k for k, pages_k in enumerate(referral_pages) if pages_k]
    return RawDocumentOutput(
        pages=pages, referral_pages=[referral_pages[k] for k in keep], intent_logits=[intents[k] for k in keep]
    )


def ceiling_scores(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """``score_predictions`` of the perfect model on ``rows`` (identity calibration: nothing to fit;
    argmax decoding gives the gold tags back exactly as labelled; readings of one field agree by support)."""
    return score_predictions(ceiling_predictions(rows), rows)


def ceiling_predictions(rows: Sequence[Mapping[str, Any]]) -> list[Prediction]:
    """The perfect model's predictions on ``rows`` (as :func:`ceiling_scores` scores them)."""
    cal = Calibration(field_selection="support")
    return [build_prediction(gold_raw_output(r), cal, str(r["doc_id"]), f"dataset:{r['doc_id']}") for r in rows]


def critical_errors(pred: Prediction, row: Mapping[str, Any]) -> list[set[str]]:
    """Per gold referral of ``row``, the critical fields (and ``"intents"``) ``pred`` gets wrong
    (``scoring.critical_wrong``); a gold referral no predicted one matches gets every one wrong."""
    gold = gold_from_row(row)
    match = match_prediction(pred, gold)
    return [critical_wrong(pred.referrals[match[gi]] if gi in match else None, g) for gi, g in enumerate(gold.referrals)]


def error_causes(
    preds: Sequence[Prediction], rows: Sequence[Mapping[str, Any]], ceiling: Sequence[Prediction] | None = None,
) -> Counter[tuple[str, str]]:
    """Critical-field errors of ``preds`` per (field, cause) over the gold referrals of ``rows``: cause
    ``"ocr"`` where the perfect model (``ceiling``: :func:`ceiling_predictions` of ``rows``, made here when
    not given) is wrong there too (what OCR read cannot give the value), ``"model"`` where it is right (the
    tagger, the intent head or the post-processing lost it)."""
    ceiling = ceiling_predictions(rows) if ceiling is None else ceiling
    causes: Counter[tuple[str, str]] = Counter()
    for pred, perfect, row in zip(preds, ceiling, rows, strict=True):
        for wrong, ceiling_wrong in zip(critical_errors(pred, row), critical_errors(perfect, row), strict=True):
            for f in wrong:
                causes[(f, "ocr" if f in ceiling_wrong else "model")] += 1
    return causes
