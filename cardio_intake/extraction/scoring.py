"""Contract predictions scored against dataset rows (the columns of ``corpus/features.py``).

Shared by calibration fitting, the baseline and the model's test-split figures, so every row of the
comparison table is measured the same way:

- ``intent_micro_f1``: over (referral, intent) pairs, predicted referrals aligned to gold ones by
  page overlap (unmatched gold referrals count as misses, unmatched predictions as false alarms).
- ``entity_f1``: exact spans (type, page, word range; seqeval-style), compared as (type, page, bbox,
  text), which both sides derive from the same words.
- ``field_em/<field>``: exact match after normalization per aligned gold referral (lists as sets;
  a field null on both sides matches).
- ``straight_through``: share of gold referrals with patient name, DOB, payer, member ID and the
  intent set all exactly right.
- ``auto_rate`` / ``auto_error``: share of predicted referrals without review, and the share of
  those whose critical fields or intents are wrong.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cardio_intake.extraction.entities import tag_spans, union_box
from cardio_intake.labels import BIO_LABELS, CRITICAL_FIELDS, FIELD_NAMES, INTENTS, LIST_FIELDS, PAGE_TYPES
from cardio_intake.schemas import Fields, Prediction, ReferralPrediction


@dataclass
class GoldReferralRow:
    pages: list[int]  # 0-based
    intents: frozenset[str]
    fields: Fields


@dataclass
class GoldDocRow:
    page_types: list[str]
    referrals: list[GoldReferralRow]
    entities: list[tuple[str, int, tuple[int, int, int, int], str]]  # (type, page 1-based, bbox, text)


def _label(value: Any, names: Sequence[str]) -> str:
    return names[value] if isinstance(value, int) else str(value)


def gold_from_row(row: Mapping[str, Any]) -> GoldDocRow:
    page_ref = list(row["page_referral"])
    refs = []
    for r, (intents, fields_json) in enumerate(zip(row["referral_intents"], row["referral_fields"], strict=True)):
        refs.append(
            GoldReferralRow(
                pages=[p for p, x in enumerate(page_ref) if x == r],
                intents=frozenset(_label(i, INTENTS) for i in intents),
                fields=Fields.model_validate(json.loads(fields_json)),
            )
        )
    entities = []
    for p, (words, boxes, tags) in enumerate(zip(row["words"], row["bboxes"], row["ner_tags"], strict=True)):
        labels = [_label(t, BIO_LABELS) for t in tags]
        for etype, s, e in tag_spans(labels):
            entities.append((etype, p + 1, union_box(boxes[s:e]), " ".join(words[s:e])))
    return GoldDocRow(
        page_types=[_label(t, PAGE_TYPES) for t in row["page_types"]], referrals=refs, entities=entities
    )


def match_referrals(pred_pages: Sequence[Sequence[int]], gold_pages: Sequence[Sequence[int]]) -> dict[int, int]:
    """gold index -> predicted index, greedily by number of shared pages (any page base, as long as
    both sides use the same)."""
    pairs = sorted(
        ((len(set(g) & set(p)), gi, pi) for gi, g in enumerate(gold_pages) for pi, p in enumerate(pred_pages)),
        reverse=True,
    )
    out: dict[int, int] = {}
    used: set[int] = set()
    for overlap, gi, pi in pairs:
        if overlap and gi not in out and pi not in used:
            out[gi] = pi
            used.add(pi)
    return out


def match_prediction(pred: Prediction, gold: GoldDocRow) -> dict[int, int]:
    """gold referral index -> index of the predicted referral that stands for it (``match_referrals``
    over their pages; a prediction numbers pages from 1, a dataset row from 0)."""
    return match_referrals([[p - 1 for p in r.pages] for r in pred.referrals], [g.pages for g in gold.referrals])


_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = " .,;:"


def comparison_text(value: str) -> str:
    """Comparison form of a free-text value: case-folded, whitespace collapsed, stray punctuation at
    the ends removed ("Aetna  Medicare." == "aetna medicare"). Inner punctuation is kept: it is part of
    IDs such as group numbers and ICD-10 codes. Case carries no identity: an all-caps form face, or a
    card that prints "BROWN, GLORIA" where the order says "Brown, Gloria", names the same patient.
    The evaluation harness (``evaluation.matching``) compares with this same function."""
    return _SPACE.sub(" ", value).strip(_EDGE_PUNCT).casefold()


def _norm_value(field: str, value: Any) -> Any:
    if field in LIST_FIELDS:
        return frozenset(comparison_text(str(v)) for v in value or [])
    if value is None:
        return None
    return comparison_text(str(value))


def field_matches(field: str, pred: Any, gold: Any) -> bool:
    """Match after :func:`comparison_text` (lists as sets)."""
    return bool(_norm_value(field, pred) == _norm_value(field, gold))


def critical_wrong(pred: ReferralPrediction | None, gold: GoldReferralRow) -> set[str]:
    """The critical fields (and ``"intents"``) ``pred`` gets wrong; no prediction gets every one wrong."""
    if pred is None:
        return {*CRITICAL_FIELDS, "intents"}
    p, g = pred.fields.model_dump(mode="json"), gold.fields.model_dump(mode="json")
    wrong = {f for f in CRITICAL_FIELDS if not field_matches(f, p[f], g[f])}
    if {i.label for i in pred.intents} != set(gold.intents):
        wrong.add("intents")
    return wrong


def critical_correct(pred: ReferralPrediction | None, gold: GoldReferralRow) -> bool:
    return not critical_wrong(pred, gold)


def score_predictions(preds: Sequence[Prediction], rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    if len(preds) != len(rows):
        raise ValueError(f"{len(preds)} predictions for {len(rows)} rows")
    tp = fp = fn = 0
    ent_tp = ent_pred = ent_gold = 0
    pages_ok = pages_n = 0
    field_ok: Counter[str] = Counter()
    n_gold_refs = straight = split_ok = 0
    n_pred_refs = auto = auto_wrong = 0
    for pred, row in zip(preds, rows, strict=True):
        gold = gold_from_row(row)
        for pp, gt in zip(pred.pages, gold.page_types, strict=False):
            pages_ok += pp.type == gt
        pages_n += len(gold.page_types)
        pred_ents: Counter[tuple[str, int, tuple[int, ...], str]] = Counter(
            (e.type, e.page, tuple(e.bbox), e.text) for r in pred.referrals for e in r.entities
        )
        gold_ents: Counter[tuple[str, int, tuple[int, ...], str]] = Counter(gold.entities)
        ent_tp += sum((pred_ents & gold_ents).values())
        ent_pred += sum(pred_ents.values())
        ent_gold += sum(gold_ents.values())
        pred_pages = [[p - 1 for p in r.pages] for r in pred.referrals]
        split_ok += sorted(map(sorted, pred_pages)) == sorted(sorted(g.pages) for g in gold.referrals)
        match = match_prediction(pred, gold)
        matched_pred = set(match.values())
        for gi, g in enumerate(gold.referrals):
            n_gold_refs += 1
            pr = pred.referrals[match[gi]] if gi in match else None
            labels = {i.label for i in pr.intents} if pr else set()
            tp += len(labels & g.intents)
            fp += len(labels - g.intents)
            fn += len(g.intents - labels)
            pf = pr.fields.model_dump(mode="json") if pr else Fields().model_dump(mode="json")
            gf = g.fields.model_dump(mode="json")
            for f in FIELD_NAMES:
                field_ok[f] += field_matches(f, pf[f], gf[f])
            ok = critical_correct(pr, g)
            straight += ok
            if pr is not None:
                n_pred_refs += 1
                if not pr.review.needed:
                    auto += 1
                    auto_wrong += not ok
        for pi, pr in enumerate(pred.referrals):
            if pi not in matched_pred:
                fp += len(pr.intents)
                n_pred_refs += 1
                if not pr.review.needed:
                    auto += 1
                    auto_wrong += 1

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    ip, ir = ratio(tp, tp + fp), ratio(tp, tp + fn)
    ep, er = ratio(ent_tp, ent_pred), ratio(ent_tp, ent_gold)
    out = {
        "documents": float(len(rows)),
        "referrals": float(n_gold_refs),
        "intent_precision": ip,
        "intent_recall": ir,
        "intent_micro_f1": ratio(2 * ip * ir, ip + ir),
        "page_type_accuracy": ratio(pages_ok, pages_n),
        "entity_precision": ep,
        "entity_recall": er,
        "entity_f1": ratio(2 * ep * er, ep + er),
        "referral_split_accuracy": ratio(split_ok, len(rows)),
        "straight_through": ratio(straight, n_gold_refs),
        "auto_rate": ratio(auto, n_pred_refs),
        "auto_error": ratio(auto_wrong, auto),
    }
    for f in FIELD_NAMES:
        out[f"field_em/{f}"] = ratio(field_ok[f], n_gold_refs)
    out["field_em/mean"] = sum(out[f"field_em/{f}"] for f in FIELD_NAMES) / len(FIELD_NAMES)
    return out
