"""Facts derived once per referral from the extraction, for every rule to read.

Documentation is judged from what the extraction found, never from the file itself:
- page evidence is the predicted type of the referral's own pages (``page_types``); a
  ``clinical_note`` page stands for an office note, a ``test_result`` page for a prior result;
- the age of that note is the referral's age (``today - referral_date``): the note travels with the
  referral, and the referral date is the one date the contract extracts;
- diagnosis evidence is the extracted ICD-10 codes and the diagnosis/procedure texts.
When page types are not given, page evidence counts as absent (the requirement stays missing).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cardio_intake.labels import INTENTS
from cardio_intake.rules.models import AcuteCoronary, Evidence
from cardio_intake.rules.policies import Policies
from cardio_intake.rules.state import OrderState
from cardio_intake.schemas import ReferralPrediction


@dataclass(frozen=True)
class ReferralFacts:
    urgency: str
    urgency_found: bool
    ordered: tuple[str, ...]
    cpt_by_service: dict[str, tuple[str, ...]]
    icd10: tuple[str, ...]
    texts: tuple[str, ...]  # diagnoses and procedures, lower case
    diagnoses: tuple[str, ...]  # lower case
    page_types: frozenset[str] | None
    referral_age_days: int | None
    age_years: float | None
    acute_coronary: bool
    new_patient: bool
    completed: frozenset[str]
    reviewed: bool


def _acute(icd10: Collection[str], texts: Collection[str], spec: AcuteCoronary) -> bool:
    codes = any(c.upper().startswith(p.upper()) for c in icd10 for p in spec.icd10_prefixes)
    words = any(p.lower() in t for t in texts for p in spec.text_patterns)
    return codes or words


def derive_facts(
    referral: ReferralPrediction,
    policies: Policies,
    today: date,
    service_date: date,
    page_types: Collection[str] | None,
    state: OrderState | None,
) -> ReferralFacts:
    f = referral.fields
    ordered_set = {i.label for i in referral.intents}
    ordered = tuple(s for s in INTENTS if s in ordered_set)  # contract order: stable and readable
    cpt_by_service: dict[str, list[str]] = {}
    for code in dict.fromkeys(f.cpt):
        service = policies.service_for_cpt(code)
        if service is not None:
            cpt_by_service.setdefault(service, []).append(code)
    diagnoses = tuple(d.lower() for d in f.diagnoses)
    texts = diagnoses + tuple(p.lower() for p in f.procedures)
    age = None
    if f.patient_dob is not None and f.patient_dob <= service_date:
        age = (service_date - f.patient_dob).days / 365.25
    return ReferralFacts(
        urgency=f.urgency or "routine",
        urgency_found=f.urgency is not None,
        ordered=ordered,
        cpt_by_service={k: tuple(v) for k, v in cpt_by_service.items()},
        icd10=tuple(f.icd10),
        texts=texts,
        diagnoses=diagnoses,
        page_types=frozenset(page_types) if page_types is not None else None,
        referral_age_days=(today - f.referral_date).days if f.referral_date else None,
        age_years=age,
        acute_coronary=_acute(f.icd10, texts, policies.sequencing.acute_coronary),
        new_patient=not (state is not None and state.established_patient),
        completed=frozenset(state.completed_services) if state else frozenset(),
        reviewed=bool(state and state.reviewed),
    )


def evidence_holds(ev: Evidence, facts: ReferralFacts) -> bool:
    """All the conditions of one evidence alternative hold."""
    if ev.page_types and (facts.page_types is None or not facts.page_types & set(ev.page_types)):
        return False
    if ev.referral_within_days is not None and not (
        facts.referral_age_days is not None and 0 <= facts.referral_age_days <= ev.referral_within_days
    ):
        return False
    if ev.icd10_prefixes and not any(
        c.upper().startswith(p.upper()) for c in facts.icd10 for p in ev.icd10_prefixes
    ):
        return False
    if ev.text_patterns and not any(p.lower() in t for t in facts.texts for p in ev.text_patterns):
        return False
    return not (ev.any_diagnosis and not (facts.icd10 or facts.diagnoses))


def base_context(
    facts: ReferralFacts, practice_id: str, consult_first: bool, consult_services: Sequence[str]
) -> dict[str, Any]:
    """The referral-wide part of the rule-engine context (see expressions.CONTEXT_TYPES)."""
    return {
        "ordered": list(facts.ordered),
        "urgency": facts.urgency,
        "practice": practice_id,
        "age": facts.age_years,
        "icd10": list(facts.icd10),
        "diagnoses": list(facts.diagnoses),
        "acute_coronary": facts.acute_coronary,
        "new_patient": facts.new_patient,
        "consult_first": consult_first,
        "consult_first_services": list(consult_services),
    }
