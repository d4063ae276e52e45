"""Helpers for the rules layer's tests: compact referral builders and the shipped policies, loaded once."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from cardio_intake import config
from cardio_intake.rules import Policies, load_policies
from cardio_intake.schemas import ReferralPrediction

DEFAULT_TODAY = date(2026, 3, 2)
DEFAULT_REFERRAL_DATE = "2026-02-20"
ALL_EVIDENCE_PAGES = ["referral_order", "clinical_note", "test_result"]


@cache
def shipped_policies() -> Policies:
    return load_policies(config.POLICIES_DIR)


def make_referral(
    *,
    payer: str | None = "UnitedHealthcare",
    intents: list[str] | tuple[str, ...] = ("echo_tte",),
    cpt: list[str] | tuple[str, ...] = (),
    urgency: str | None = "routine",
    referral_date: str | None = DEFAULT_REFERRAL_DATE,
    icd10: list[str] | tuple[str, ...] = ("I25.10",),
    diagnoses: list[str] | tuple[str, ...] = ("Coronary artery disease",),
    procedures: list[str] | tuple[str, ...] = (),
    patient_dob: str | None = "1952-03-14",
    review: dict[str, Any] | None = None,
    provider_fax: str | None = None,
) -> ReferralPrediction:
    return ReferralPrediction.model_validate(
        {
            "pages": [1, 2, 3],
            "intents": [{"label": i, "confidence": 0.9} for i in intents],
            "fields": {
                "patient_name": "Maria L. Gonzalez",
                "patient_dob": patient_dob,
                "payer": payer,
                "member_id": "W238849102",
                "icd10": list(icd10),
                "diagnoses": list(diagnoses),
                "cpt": list(cpt),
                "procedures": list(procedures),
                "urgency": urgency,
                "referral_date": referral_date,
                "provider_fax": provider_fax,
            },
            "review": review or {"needed": False, "reasons": []},
        }
    )
