"""``review.needed`` and ``review.reasons`` as the contract defines them.

A referral goes to a person whenever a critical field (patient name, DOB, payer, member ID) or the
intents are missing, invalid or below their confidence threshold, or when a critical field was read
confidently as two unlike values (``inconsistent:patient_dob``: two patients' pages in one referral). Other fields add a reason only
when they are invalid (an NPI failing its check digit, an ICD-10 code outside the code set) or when
an ordered CPT code contradicts the intents: the contract asks for those reasons too, and a reason
always means review (``needed`` is exactly "there is a reason").

Reason strings are ``<kind>:<field>``: ``missing:member_id``, ``invalid:patient_dob``,
``low_confidence:payer``, ``missing:intent``, ``low_confidence:intent``, ``invalid:referring_npi``,
``inconsistent:patient_dob``, ``inconsistent:cpt``, ``format:member_id`` (a member ID unlike every shape
its payer's IDs have, ``payers.yaml`` ``member_id_formats``). Critical reasons come first, in contract order.
"""

from __future__ import annotations

from collections.abc import Sequence

from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.entities import FieldExtraction
from cardio_intake.extraction.normalize import cpt_intent_conflicts
from cardio_intake.labels import FIELD_NAMES
from cardio_intake.schemas import IntentPrediction, Review


def review_reasons(
    fx: FieldExtraction, intents: Sequence[IntentPrediction], calibration: Calibration, intents_unsure: bool = False
) -> list[str]:
    """``intents_unsure``: no model confidence backs the listed intents as a whole (the printed-order
    fallback's, or the intent head named one more that the read orders left out)."""
    reasons: list[str] = []
    values = fx.fields.model_dump()
    for name in calibration.critical_fields:
        if name in fx.invalid and values.get(name) in (None, []):
            reasons.append(f"invalid:{name}")
        elif values.get(name) in (None, []):
            reasons.append(f"missing:{name}")
        elif name in fx.low_confidence or fx.confidence.get(name, 0.0) < calibration.field_thresholds.get(name, 0.0):
            reasons.append(f"low_confidence:{name}")
        if name in fx.unshaped and values.get(name) not in (None, []):
            # a member ID unlike every shape its payer issues: misread, or another number read as the ID
            reasons.append(f"format:{name}")
        if name in fx.conflicting and values.get(name) not in (None, []):
            # two confident, unlike readings (a missed patient boundary puts two DOBs in one referral):
            # however sure each is, the record would mix two patients
            reasons.append(f"inconsistent:{name}")
    if not intents:
        reasons.append("missing:intent")
    elif intents_unsure or any(i.confidence < calibration.intent_review_thresholds.get(i.label, 0.5) for i in intents):
        reasons.append("low_confidence:intent")
    for name in FIELD_NAMES:
        if name in fx.invalid and name not in calibration.critical_fields:
            reasons.append(f"invalid:{name}")
    if cpt_intent_conflicts(list(fx.fields.cpt), [i.label for i in intents]):
        reasons.append("inconsistent:cpt")
    return reasons


def review_referral(
    fx: FieldExtraction, intents: Sequence[IntentPrediction], calibration: Calibration, intents_unsure: bool = False
) -> Review:
    reasons = review_reasons(fx, intents, calibration, intents_unsure)
    return Review(needed=bool(reasons), reasons=reasons)
