"""One evaluated document: the gold packet and a prediction compared item by item.

``compare_document(gold, pred)`` is pure; the aggregate metrics (evaluation.aggregate) and the
report's breakdowns, gallery and notebook slices are all computed from these records, which are also
stored in metrics.json so an evaluation can be re-sliced later without re-running the model.

Entities are matched per document on ``(page, type, normalized text)`` as multisets: an exact span in
the sense that the whole mention must be found with the right type on the right page, whatever its
OCR box (OCR and renderer boxes differ by a few units, so boxes are drawn, not compared).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from cardio_intake.corpus.gold import GoldPacket, GoldReferral
from cardio_intake.labels import CRITICAL_FIELDS, ENTITY_TO_FIELD, FIELD_NAMES
from cardio_intake.schemas import Prediction, ReferralPrediction
from evaluation.matching import match_referrals, normalize_field, normalize_text

FIELD_TO_ENTITY = {v: k for k, v in ENTITY_TO_FIELD.items()}


class FieldResult(BaseModel):
    """Values as written (contract JSON form, None when not found); ``correct`` compares their
    normalized forms (evaluation.matching.normalize_field)."""

    field: str
    gold: object = None
    pred: object = None
    correct: bool
    confidence: float | None = Field(default=None, description="None when the field was not predicted")


class EntityRef(BaseModel):
    type: str
    text: str
    page: int
    bbox: tuple[int, int, int, int]
    matched: bool
    confidence: float | None = None


class ReferralRecord(BaseModel):
    gold_index: int | None = Field(description="None for a spurious predicted referral")
    pred_index: int | None = Field(description="None for a missed gold referral")
    gold_pages: list[int] = Field(default_factory=list)
    pred_pages: list[int] = Field(default_factory=list)
    gold_intents: list[str] = Field(default_factory=list)
    pred_intents: list[str] = Field(default_factory=list)
    intent_confidence: dict[str, float] = Field(default_factory=dict)
    fields: list[FieldResult] = Field(default_factory=list)
    critical_error: bool = Field(description="a critical field wrong, or the intent set not exactly right")
    straight_through_confidence: float = Field(
        description="lowest confidence over the critical fields and the predicted intents (0 if one is missing)"
    )
    review_needed: bool = True


class PageRecord(BaseModel):
    page: int
    gold_type: str
    pred_type: str | None
    confidence: float | None = None
    entity_fn: int = 0
    entity_fp: int = 0


class DocRecord(BaseModel):
    doc_id: str
    file: str
    family: str
    format: str
    resolution: str
    source: str = ""
    mix_source: str = Field(default="", description="the evaluation source (--data is 'main', --dataset NAME) it came from")
    n_pages: int
    seconds: float = 0.0
    model_version: str = ""
    pages: list[PageRecord]
    referrals: list[ReferralRecord]
    gold_entities: list[EntityRef]
    pred_entities: list[EntityRef]

    @property
    def gold_referrals(self) -> list[ReferralRecord]:
        return [r for r in self.referrals if r.gold_index is not None]


def _entity_key(page: int, typ: str, text: str) -> tuple[int, str, str]:
    return (page, typ, normalize_text(text))


def _field_confidence(ref: ReferralPrediction, field: str) -> float | None:
    """The model's confidence in a field: its calibrated ``field_confidence`` when given, else the best
    confidence among the referral's entities of the field's type."""
    if field in ref.field_confidence:
        return ref.field_confidence[field]
    typ = FIELD_TO_ENTITY[field]
    confs = [e.confidence for e in ref.entities if e.type == typ]
    return max(confs) if confs else None


def _referral_record(
    gi: int | None, gold: GoldReferral | None, pi: int | None, pred: ReferralPrediction | None
) -> ReferralRecord:
    gold_fields = gold.fields.model_dump(mode="json") if gold else {}
    pred_fields = pred.fields.model_dump(mode="json") if pred else {}
    fields: list[FieldResult] = []
    for name in FIELD_NAMES:
        g_raw, p_raw = gold_fields.get(name) or None, pred_fields.get(name) or None  # [] counts as not found
        g, p = normalize_field(g_raw), normalize_field(p_raw)
        conf = _field_confidence(pred, name) if pred is not None and p is not None else None
        fields.append(FieldResult(field=name, gold=g_raw, pred=p_raw, correct=g == p, confidence=conf))
    gold_intents: list[str] = sorted(gold.intents) if gold else []
    pred_intents: list[str] = sorted(i.label for i in pred.intents) if pred else []
    by_name = {f.field: f for f in fields}
    critical_error = any(not by_name[f].correct for f in CRITICAL_FIELDS) or gold_intents != pred_intents
    confs = [by_name[f].confidence or 0.0 for f in CRITICAL_FIELDS]
    confs += [i.confidence for i in pred.intents] if pred and pred.intents else [0.0]
    return ReferralRecord(
        gold_index=gi,
        pred_index=pi,
        gold_pages=list(gold.pages) if gold else [],
        pred_pages=list(pred.pages) if pred else [],
        gold_intents=gold_intents,
        pred_intents=pred_intents,
        intent_confidence={i.label: i.confidence for i in pred.intents} if pred else {},
        fields=fields,
        critical_error=critical_error,
        straight_through_confidence=min(confs),
        review_needed=pred.review.needed if pred else True,
    )


def compare_document(gold: GoldPacket, pred: Prediction, seconds: float = 0.0) -> DocRecord:
    """Compare one packet's gold labels with the model's prediction for its file."""
    partner = match_referrals([r.pages for r in gold.referrals], [r.pages for r in pred.referrals])
    referrals = [
        _referral_record(gi, g, partner[gi], pred.referrals[partner[gi]] if partner[gi] is not None else None)  # type: ignore[index]
        for gi, g in enumerate(gold.referrals)
    ]
    used = {p for p in partner if p is not None}
    referrals += [_referral_record(None, None, pi, r) for pi, r in enumerate(pred.referrals) if pi not in used]

    # entities: multiset match on (page, type, normalized text) over the whole document
    gold_ents = [e for r in gold.referrals for e in r.entities]
    pred_ents = [e for r in pred.referrals for e in r.entities]
    remaining = Counter(_entity_key(e.page, e.type, e.text) for e in pred_ents)
    gold_refs: list[EntityRef] = []
    for e in gold_ents:
        k = _entity_key(e.page, e.type, e.text)
        hit = remaining[k] > 0
        if hit:
            remaining[k] -= 1
        gold_refs.append(EntityRef(type=e.type, text=e.text, page=e.page, bbox=e.bbox, matched=hit))
    gold_left = Counter(_entity_key(e.page, e.type, e.text) for e in gold_ents)
    pred_refs: list[EntityRef] = []
    for pe in pred_ents:
        k = _entity_key(pe.page, pe.type, pe.text)
        hit = gold_left[k] > 0
        if hit:
            gold_left[k] -= 1
        pred_refs.append(EntityRef(type=pe.type, text=pe.text, page=pe.page, bbox=pe.bbox, matched=hit,
                                   confidence=pe.confidence))

    pred_pages = {p.page: p for p in pred.pages}
    pages: list[PageRecord] = []
    for gp in gold.pages:
        pp = pred_pages.get(gp.page)
        pages.append(PageRecord(
            page=gp.page, gold_type=gp.type, pred_type=pp.type if pp else None,
            confidence=pp.confidence if pp else None,
            entity_fn=sum(1 for e in gold_refs if e.page == gp.page and not e.matched),
            entity_fp=sum(1 for e in pred_refs if e.page == gp.page and not e.matched),
        ))
    return DocRecord(
        doc_id=gold.doc_id, file=gold.file, family=gold.family, format=gold.format,
        resolution=gold.resolution, source=gold.source, n_pages=gold.n_pages, seconds=seconds,
        model_version=pred.model_version, pages=pages, referrals=referrals,
        gold_entities=gold_refs, pred_entities=pred_refs,
    )
