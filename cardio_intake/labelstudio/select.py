"""Active learning: rank unlabelled faxes by what a person's label would teach the model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

from cardio_intake.labels import CRITICAL_FIELDS, intent_for_cpt
from cardio_intake.schemas import Prediction


class Candidate(BaseModel):
    document: str
    document_id: str
    score: float
    why: list[str]


def _source_key(pred: Prediction) -> str | None:
    for ref in pred.referrals:
        f = ref.fields
        if f.referring_npi or f.provider_fax:
            return f.referring_npi or f.provider_fax
    return None


def informativeness(pred: Prediction, known_sources: set[str], batch_sources: Counter[str]) -> Candidate:
    """Score one prediction. Terms (each explained in ``why``):
    - uncertainty: 1 - the lowest confidence among critical fields, intents and page types;
    - review: 0.25 per review reason (capped at 1);
    - disagreement: 1 when CPT codes imply intents the model did not predict, or predicted
      intents have CPTs pointing elsewhere;
    - novelty: 1 for a referral source (NPI/fax) never seen in training (or, without that list,
      seen once in this batch)."""
    why: list[str] = []
    confidences = [p.confidence for p in pred.pages]
    for ref in pred.referrals:
        confidences += [i.confidence for i in ref.intents]
        confidences += [ref.field_confidence.get(f, 0.0) for f in CRITICAL_FIELDS if f in ref.field_confidence]
    uncertainty = 1.0 - min(confidences) if confidences else 1.0
    if uncertainty > 0.2:
        why.append(f"uncertainty:{uncertainty:.2f}")
    reasons = [r for ref in pred.referrals for r in ref.review.reasons]
    review = min(1.0, 0.25 * len(reasons))
    why += reasons[:4]
    disagreement = 0.0
    for ref in pred.referrals:
        predicted = {i.label for i in ref.intents}
        implied = {i for c in ref.fields.cpt if (i := intent_for_cpt(c))}
        if implied - predicted:
            disagreement = 1.0
            why.append("cpt_implies:" + ",".join(sorted(implied - predicted)))
    source = _source_key(pred)
    novel = source is not None and (source not in known_sources if known_sources else batch_sources[source] == 1)
    if novel:
        why.append("new_referral_source")
    if not pred.referrals:
        why.append("no_referral_found")
    score = uncertainty + review + disagreement + (1.0 if novel else 0.0) + (1.0 if not pred.referrals else 0.0)
    return Candidate(document=pred.document, document_id=pred.document_id, score=round(score, 4), why=why)


def rank(predictions: Iterable[Prediction], budget: int, known_sources: set[str] | None = None) -> list[Candidate]:
    """The ``budget`` most informative documents, best first (ties broken by document id for
    reproducibility)."""
    preds = list(predictions)
    batch = Counter(s for p in preds if (s := _source_key(p)))
    scored = [informativeness(p, known_sources or set(), batch) for p in preds]
    scored.sort(key=lambda c: (-c.score, c.document_id))
    return scored[: max(0, budget)]
