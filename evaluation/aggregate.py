"""From per-document records to the report's figures (pure; see evaluation.metrics for the maths)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, Field

from cardio_intake.labels import CRITICAL_FIELDS, ENTITY_TYPES, FIELD_NAMES, INTENTS, PAGE_TYPES
from evaluation import metrics as m
from evaluation.records import DocRecord, ReferralRecord

MISSING_PAGE = "(missing)"


class FieldScore(BaseModel):
    exact_match: float = Field(description="share of gold referrals whose value matches (null == null counts)")
    recall_when_present: float = Field(description="share matched among referrals whose gold value is not null")
    n: int
    n_present: int


class PageTypeScores(BaseModel):
    accuracy: float
    labels: list[str]
    columns: list[str]
    matrix: list[list[int]]


class IntentScores(BaseModel):
    per_label: dict[str, m.PRF]
    cooccurrence_rows: list[str]
    cooccurrence_cols: list[str]
    cooccurrence: list[list[int]]


class ReviewFlagPoint(BaseModel):
    """What the model's own ``review.needed`` flag achieves (its shipped thresholds)."""

    automation_rate: float
    error_rate: float
    automated: int


class GroupRow(BaseModel):
    group: str
    documents: int
    pages: int
    referrals: int
    intent_micro_f1: float
    entity_micro_f1: float
    field_exact_match: float
    straight_through: float
    page_type_accuracy: float


class Metrics(BaseModel):
    documents: int
    pages: int
    gold_referrals: int
    missed_referrals: int
    spurious_referrals: int
    intents: IntentScores
    page_types: PageTypeScores
    entities: dict[str, m.PRF]
    fields: dict[str, FieldScore]
    straight_through: float = Field(description="share of gold referrals with every critical field and the intents right")
    calibration_intents: m.Calibration
    calibration_fields: m.Calibration
    automation: m.AutomationCurve
    review_flag: ReviewFlagPoint
    breakdowns: dict[str, list[GroupRow]]
    latency: m.Latency
    headline: dict[str, float] = Field(description="flat figures checked against thresholds.yaml and logged to MLflow")


def _intent_pairs(records: Sequence[DocRecord]) -> tuple[list[list[str]], list[list[str]]]:
    gold = [r.gold_intents for d in records for r in d.referrals]
    pred = [r.pred_intents for d in records for r in d.referrals]
    return gold, pred


def _entity_spans(records: Sequence[DocRecord]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    from evaluation.matching import normalize_text

    def key(d: DocRecord, e: object) -> tuple[str, ...]:
        return (e.type, d.doc_id, str(e.page), normalize_text(e.text))  # type: ignore[attr-defined]

    return ([key(d, e) for d in records for e in d.gold_entities],
            [key(d, e) for d in records for e in d.pred_entities])


def _gold_refs(records: Sequence[DocRecord]) -> list[ReferralRecord]:
    return [r for d in records for r in d.gold_referrals]


def _small_scores(records: Sequence[DocRecord]) -> tuple[float, float, float, float, float]:
    g, p = _intent_pairs(records)
    intent_f1 = m.multilabel_prf(g, p, INTENTS)["micro"].f1
    ge, pe = _entity_spans(records)
    ent_f1 = m.span_prf(ge, pe)["micro"].f1
    refs = _gold_refs(records)
    fem = float(np.mean([f.correct for r in refs for f in r.fields])) if refs else 0.0
    st = float(np.mean([not r.critical_error for r in refs])) if refs else 0.0
    pages = [pg for d in records for pg in d.pages]
    pta = m.accuracy([pg.gold_type for pg in pages], [pg.pred_type for pg in pages])
    return intent_f1, ent_f1, fem, st, pta


def _page_bucket(n: int) -> str:
    return "1 page" if n == 1 else ("2-3 pages" if n <= 3 else "4+ pages")


BREAKDOWNS: dict[str, Callable[[DocRecord], str]] = {
    "layout family": lambda d: d.family,
    "file format": lambda d: d.format,
    "fax resolution": lambda d: d.resolution,
    "page count": lambda d: _page_bucket(d.n_pages),
}


def breakdown(records: Sequence[DocRecord], key: Callable[[DocRecord], str]) -> list[GroupRow]:
    groups: dict[str, list[DocRecord]] = defaultdict(list)
    for d in records:
        groups[key(d)].append(d)
    rows = []
    for name in sorted(groups):
        ds = groups[name]
        i_f1, e_f1, fem, st, pta = _small_scores(ds)
        rows.append(GroupRow(group=name, documents=len(ds), pages=sum(d.n_pages for d in ds),
                             referrals=len(_gold_refs(ds)), intent_micro_f1=i_f1, entity_micro_f1=e_f1,
                             field_exact_match=fem, straight_through=st, page_type_accuracy=pta))
    return rows


def aggregate(records: Sequence[DocRecord], max_error: float = 0.01) -> Metrics:
    """Every figure of the report from the per-document records."""
    if not records:
        raise ValueError("no documents to evaluate")
    g_int, p_int = _intent_pairs(records)
    per_label = m.multilabel_prf(g_int, p_int, INTENTS)
    rows, cols, cooc = m.cooccurrence_confusion(g_int, p_int, INTENTS)

    pages = [pg for d in records for pg in d.pages]
    pred_pt = [pg.pred_type or MISSING_PAGE for pg in pages]
    pt_cols = [*PAGE_TYPES, MISSING_PAGE] if MISSING_PAGE in pred_pt else list(PAGE_TYPES)
    page_types = PageTypeScores(
        accuracy=m.accuracy([pg.gold_type for pg in pages], pred_pt), labels=list(PAGE_TYPES), columns=pt_cols,
        # square over the columns; the gold rows never hold (missing), so only the page-type rows are kept
        matrix=m.confusion_matrix([pg.gold_type for pg in pages], pred_pt, pt_cols)[: len(PAGE_TYPES)],
    )

    ge, pe = _entity_spans(records)
    ents = m.span_prf(ge, pe)
    entities = {t: ents.get(t, m.prf(0, 0, 0)) for t in ENTITY_TYPES} | {"micro": ents["micro"]}

    refs = _gold_refs(records)
    fields: dict[str, FieldScore] = {}
    for name in FIELD_NAMES:
        res = [f for r in refs for f in r.fields if f.field == name]
        present = [f for f in res if f.gold is not None]
        fields[name] = FieldScore(
            exact_match=float(np.mean([f.correct for f in res])) if res else 0.0,
            recall_when_present=float(np.mean([f.correct for f in present])) if present else 0.0,
            n=len(res), n_present=len(present),
        )

    all_refs = [r for d in records for r in d.referrals]
    int_conf = [c for r in all_refs for c in r.intent_confidence.values()]
    int_ok = [lab in r.gold_intents for r in all_refs for lab in r.intent_confidence]
    fld = [f for r in refs for f in r.fields if f.confidence is not None]
    st_conf = [r.straight_through_confidence for r in refs]
    st_err = [r.critical_error for r in refs]
    automated = [r for r in refs if not r.review_needed]
    review_flag = ReviewFlagPoint(
        automation_rate=len(automated) / len(refs) if refs else 0.0,
        error_rate=float(np.mean([r.critical_error for r in automated])) if automated else 0.0,
        automated=len(automated),
    )
    curve = m.automation_curve(st_conf, st_err, max_error=max_error)
    lat = m.latency([d.seconds for d in records], [d.n_pages for d in records])
    straight = float(np.mean([not e for e in st_err])) if refs else 0.0
    op = curve.operating_point
    critical_em = float(np.mean([fields[f].exact_match for f in CRITICAL_FIELDS]))
    cal_i = m.calibration(int_conf, int_ok)
    cal_f = m.calibration([f.confidence or 0.0 for f in fld], [f.correct for f in fld])
    headline = {
        "intent_micro_f1": per_label["micro"].f1,
        "intent_macro_f1": per_label["macro"].f1,
        "entity_micro_f1": entities["micro"].f1,
        "page_type_accuracy": page_types.accuracy,
        "field_exact_match_mean": float(np.mean([fields[f].exact_match for f in FIELD_NAMES])),
        "critical_field_exact_match_mean": critical_em,
        "straight_through": straight,
        "intent_ece": cal_i.ece,
        "field_ece": cal_f.ece,
        "automation_rate_at_max_error": op.automation_rate if op else 0.0,
        "review_flag_automation_rate": review_flag.automation_rate,
        "review_flag_error_rate": review_flag.error_rate,
        "referral_split_accuracy": 1.0 - (sum(r.pred_index is None for r in refs) + sum(
            r.gold_index is None for r in all_refs)) / max(len(refs), 1),
        "pages_per_second": lat.pages_per_second,
        "page_ms_p95": lat.page_ms_p95,
    }
    return Metrics(
        documents=len(records), pages=len(pages), gold_referrals=len(refs),
        missed_referrals=sum(r.pred_index is None for r in refs),
        spurious_referrals=sum(r.gold_index is None for r in all_refs),
        intents=IntentScores(per_label=per_label, cooccurrence_rows=rows, cooccurrence_cols=cols, cooccurrence=cooc),
        page_types=page_types, entities=entities, fields=fields, straight_through=straight,
        calibration_intents=cal_i, calibration_fields=cal_f, automation=curve, review_flag=review_flag,
        breakdowns={name: breakdown(records, key) for name, key in BREAKDOWNS.items()},
        latency=lat, headline=headline,
    )
