"""Pure metric functions for the QA report (no I/O, no model): each takes plain labels, sets or
confidences and returns numbers or small pydantic records, so every figure in the report is tested.

Conventions
- A *span* is ``(key, type, start, end)`` (end exclusive) from BIO tags, or any hashable tuple that
  identifies an entity; spans match only when every element is equal ("exact span", seqeval style).
- Calibration bins are equal-width over [0, 1]; ECE is the support-weighted mean |accuracy - confidence|.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
from pydantic import BaseModel, Field


class PRF(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int = Field(description="gold instances")
    predicted: int = 0
    tp: int = 0


def prf(tp: int, n_pred: int, n_gold: int) -> PRF:
    """Precision, recall and F1 from counts; 0/0 is 0 (nothing predicted and nothing to find scores 0,
    not 1, so an empty label never flatters a micro average, and it carries support 0 anyway)."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(precision=p, recall=r, f1=f, support=n_gold, predicted=n_pred, tp=tp)


# --- multi-label (intents) ----------------------------------------------------------------------


def multilabel_prf(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], labels: Sequence[str]
) -> dict[str, PRF]:
    """Per-label P/R/F1 over paired label sets, plus ``"micro"`` (pooled counts) and ``"macro"``
    (mean F1 over labels with support)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sets but {len(pred)} predicted sets")
    tp: Counter[str] = Counter()
    ng: Counter[str] = Counter()
    npred: Counter[str] = Counter()
    for g_iter, p_iter in zip(gold, pred, strict=True):
        g, p = set(g_iter), set(p_iter)
        ng.update(g)
        npred.update(p)
        tp.update(g & p)
    out = {lab: prf(tp[lab], npred[lab], ng[lab]) for lab in labels}
    extra = (set(ng) | set(npred)) - set(labels)
    if extra:
        raise ValueError(f"labels outside the label set: {sorted(extra)}")
    out["micro"] = prf(sum(tp.values()), sum(npred.values()), sum(ng.values()))
    supported = [out[lab].f1 for lab in labels if out[lab].support]
    macro = float(np.mean(supported)) if supported else 0.0
    out["macro"] = PRF(precision=float(np.mean([out[lab].precision for lab in labels if out[lab].support] or [0])),
                       recall=float(np.mean([out[lab].recall for lab in labels if out[lab].support] or [0])),
                       f1=macro, support=sum(ng.values()), predicted=sum(npred.values()), tp=sum(tp.values()))
    return out


MISSED = "(missed)"
SPURIOUS = "(spurious)"


def cooccurrence_confusion(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], labels: Sequence[str]
) -> tuple[list[str], list[str], list[list[int]]]:
    """Multi-label confusion view: ``M[g][p]`` counts items whose gold set holds ``g`` and whose
    predicted set holds ``p`` (the diagonal is the true positives). An extra column ``(missed)`` counts
    gold labels not predicted, an extra row ``(spurious)`` predicted labels not in gold. An off-diagonal
    cell therefore says "when the truth was g, the model also/instead said p".
    Returns (row labels, column labels, matrix)."""
    idx = {lab: i for i, lab in enumerate(labels)}
    n = len(labels)
    m = np.zeros((n + 1, n + 1), dtype=int)
    for g_iter, p_iter in zip(gold, pred, strict=True):
        g, p = set(g_iter), set(p_iter)
        for gl in g:
            for pl in p:
                m[idx[gl], idx[pl]] += 1
            if gl not in p:
                m[idx[gl], n] += 1
        for pl in p - g:
            m[n, idx[pl]] += 1
    return [*labels, SPURIOUS], [*labels, MISSED], m.tolist()


# --- single-label (page types) ------------------------------------------------------------------


def confusion_matrix(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows gold, columns predicted, in ``labels`` order."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predicted")
    idx = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        m[idx[g], idx[p]] += 1
    return m.tolist()


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predicted")
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


# --- spans (entities) ---------------------------------------------------------------------------


def bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, start, end)`` from BIO tags, as seqeval's default (non-strict) mode reads
    them: an ``I-X`` that does not continue an ``X`` span starts a new one."""
    spans: list[tuple[str, int, int]] = []
    cur_type: str | None = None
    start = 0
    for i, tag in enumerate(tags):
        prefix, _, typ = tag.partition("-")
        if prefix == "B" or (prefix == "I" and typ != cur_type):
            if cur_type is not None:
                spans.append((cur_type, start, i))
            cur_type, start = typ, i
        elif prefix not in ("B", "I"):  # "O" (or anything unknown) closes the open span
            if cur_type is not None:
                spans.append((cur_type, start, i))
            cur_type = None
    if cur_type is not None:
        spans.append((cur_type, start, len(tags)))
    return spans


def span_prf(
    gold: Iterable[tuple[Hashable, ...]], pred: Iterable[tuple[Hashable, ...]], type_index: int = 0
) -> dict[str, PRF]:
    """Per-type and micro P/R/F1 on exact spans. Spans are compared as multisets (two identical gold
    mentions need two identical predictions); ``type_index`` says which element holds the type."""
    g, p = Counter(gold), Counter(pred)
    inter = g & p
    types = sorted({str(s[type_index]) for s in g} | {str(s[type_index]) for s in p})

    def count(c: Counter[tuple[Hashable, ...]], t: str) -> int:
        return sum(v for s, v in c.items() if str(s[type_index]) == t)

    out = {t: prf(count(inter, t), count(p, t), count(g, t)) for t in types}
    out["micro"] = prf(sum(inter.values()), sum(p.values()), sum(g.values()))
    return out


def sequence_span_prf(gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> dict[str, PRF]:
    """seqeval-style entity P/R/F1 over sequences of BIO tags (one sequence per page or form)."""
    gs: list[tuple[Hashable, ...]] = []
    ps: list[tuple[Hashable, ...]] = []
    for k, (gt, pt) in enumerate(zip(gold_tags, pred_tags, strict=True)):
        if len(gt) != len(pt):
            raise ValueError(f"sequence {k}: {len(gt)} gold tags but {len(pt)} predicted")
        gs += [(t, k, s, e) for t, s, e in bio_spans(gt)]
        ps += [(t, k, s, e) for t, s, e in bio_spans(pt)]
    return span_prf(gs, ps, type_index=0)


# --- calibration --------------------------------------------------------------------------------


class ReliabilityBin(BaseModel):
    lo: float
    hi: float
    count: int
    confidence: float = Field(description="mean confidence in the bin (0 when empty)")
    accuracy: float = Field(description="share correct in the bin (0 when empty)")


class Calibration(BaseModel):
    ece: float
    n: int
    bins: list[ReliabilityBin]


def calibration(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> Calibration:
    """Reliability diagram data and expected calibration error (equal-width bins; a confidence of
    exactly 1.0 falls in the last bin)."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if conf.size and (conf.min() < 0 or conf.max() > 1):
        raise ValueError("confidences must lie in [0, 1]")
    which = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    bins: list[ReliabilityBin] = []
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        cnt = int(mask.sum())
        mc = float(conf[mask].mean()) if cnt else 0.0
        acc = float(ok[mask].mean()) if cnt else 0.0
        ece += cnt * abs(acc - mc)
        bins.append(ReliabilityBin(lo=b / n_bins, hi=(b + 1) / n_bins, count=cnt, confidence=mc, accuracy=acc))
    return Calibration(ece=ece / conf.size if conf.size else 0.0, n=int(conf.size), bins=bins)


# --- automation curve ---------------------------------------------------------------------------


class AutomationPoint(BaseModel):
    threshold: float
    automated: int = Field(description="items whose confidence is >= threshold (skip review)")
    automation_rate: float = Field(description="automated / all items")
    errors: int = Field(description="automated items with an error")
    error_rate: float = Field(description="errors / automated (0 when nothing is automated)")


class AutomationCurve(BaseModel):
    points: list[AutomationPoint]
    max_error: float
    operating_point: AutomationPoint | None = Field(
        description="the point with the most automation whose error rate is <= max_error; None if none"
    )


def automation_curve(
    confidences: Sequence[float], has_error: Sequence[bool], max_error: float = 0.01
) -> AutomationCurve:
    """As the confidence threshold moves, the share of items that would skip review (confidence >=
    threshold) against the error rate among them. Thresholds are every distinct confidence (plus one
    above the maximum, automating nothing), so the curve is exact, not sampled."""
    if len(confidences) != len(has_error):
        raise ValueError(f"{len(confidences)} confidences but {len(has_error)} outcomes")
    conf = np.asarray(confidences, dtype=float)
    err = np.asarray(has_error, dtype=bool)
    n = conf.size
    thresholds = sorted({*conf.tolist(), float(np.nextafter(conf.max(), 2.0)) if n else 1.0})
    points: list[AutomationPoint] = []
    for t in thresholds:
        mask = conf >= t
        a = int(mask.sum())
        e = int((err & mask).sum())
        points.append(AutomationPoint(threshold=float(t), automated=a, automation_rate=a / n if n else 0.0,
                                      errors=e, error_rate=e / a if a else 0.0))
    ok = [p for p in points if p.automated and p.error_rate <= max_error]
    op = max(ok, key=lambda p: (p.automated, -p.threshold)) if ok else None
    return AutomationCurve(points=points, max_error=max_error, operating_point=op)


# --- latency ------------------------------------------------------------------------------------


class Latency(BaseModel):
    documents: int
    pages: int
    total_seconds: float
    pages_per_second: float
    page_ms_p50: float
    page_ms_p90: float
    page_ms_p95: float
    page_ms_p99: float
    doc_ms_p50: float
    doc_ms_p95: float


def latency(doc_seconds: Sequence[float], doc_pages: Sequence[int]) -> Latency:
    """Throughput and per-page percentiles. A document's time is spread evenly over its pages (the
    predictor works per file), so every page of it counts once with ``seconds / pages``."""
    if len(doc_seconds) != len(doc_pages):
        raise ValueError(f"{len(doc_seconds)} timings but {len(doc_pages)} page counts")
    secs = np.asarray(doc_seconds, dtype=float)
    pages = np.asarray(doc_pages, dtype=int)
    per_page = np.repeat(secs / np.maximum(pages, 1), np.maximum(pages, 1)) * 1000.0
    total = float(secs.sum())

    def pct(a: np.ndarray, q: float) -> float:
        return float(np.percentile(a, q)) if a.size else 0.0

    return Latency(
        documents=int(secs.size), pages=int(pages.sum()), total_seconds=total,
        pages_per_second=float(pages.sum()) / total if total > 0 else 0.0,
        page_ms_p50=pct(per_page, 50), page_ms_p90=pct(per_page, 90), page_ms_p95=pct(per_page, 95),
        page_ms_p99=pct(per_page, 99), doc_ms_p50=pct(secs * 1000, 50), doc_ms_p95=pct(secs * 1000, 95),
    )
