"""Label sets fixed by ../shared/CONTRACT.md. Order matters: it defines the model's label ids."""

from __future__ import annotations

from typing import Final, Literal

INTENTS: Final[tuple[str, ...]] = (
    "consult",
    "echo_tte",
    "echo_tee",
    "stress_echo",
    "nuclear_stress",
    "exercise_stress",
    "cardiac_ct",
    "cardiac_mri",
    "rhythm_monitor",
    "cardiac_cath",
    "electrophysiology",
    "device_check",
    "vascular_ultrasound",
)

PAGE_TYPES: Final[tuple[str, ...]] = (
    "fax_cover",
    "referral_order",
    "clinical_note",
    "insurance_card",
    "test_result",
    "other",
)

ENTITY_TYPES: Final[tuple[str, ...]] = (
    "PATIENT_NAME",
    "PATIENT_DOB",
    "PATIENT_PHONE",
    "MRN",
    "PAYER",
    "MEMBER_ID",
    "GROUP_NUMBER",
    "ICD10",
    "DIAGNOSIS",
    "CPT",
    "PROCEDURE",
    "REFERRING_PROVIDER",
    "REFERRING_NPI",
    "PROVIDER_FAX",
    "URGENCY",
    "REFERRAL_DATE",
)

#: BIO tag set: "O" first (id 0), then B-/I- per entity type in contract order.
BIO_LABELS: Final[tuple[str, ...]] = ("O", *[f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")])

#: Contract field name for each entity type, and whether the field is a list.
ENTITY_TO_FIELD: Final[dict[str, str]] = {
    "PATIENT_NAME": "patient_name",
    "PATIENT_DOB": "patient_dob",
    "PATIENT_PHONE": "patient_phone",
    "MRN": "mrn",
    "PAYER": "payer",
    "MEMBER_ID": "member_id",
    "GROUP_NUMBER": "group_number",
    "ICD10": "icd10",
    "DIAGNOSIS": "diagnoses",
    "CPT": "cpt",
    "PROCEDURE": "procedures",
    "REFERRING_PROVIDER": "referring_provider",
    "REFERRING_NPI": "referring_npi",
    "PROVIDER_FAX": "provider_fax",
    "URGENCY": "urgency",
    "REFERRAL_DATE": "referral_date",
}
LIST_FIELDS: Final[frozenset[str]] = frozenset({"icd10", "diagnoses", "cpt", "procedures"})
FIELD_NAMES: Final[tuple[str, ...]] = tuple(ENTITY_TO_FIELD.values())

#: Critical fields: a referral skips human review only when all of these are present, valid and confident.
CRITICAL_FIELDS: Final[tuple[str, ...]] = ("patient_name", "patient_dob", "payer", "member_id")

QUEUES: Final[tuple[str, ...]] = (
    "intake_review",
    "prior_auth",
    "records_request",
    "clinical_review",
    "scheduling",
    "out_of_network",
)

URGENCIES: Final[tuple[str, ...]] = ("routine", "urgent", "stat")

#: Typical CPT codes and ranges per intent (from the contract), inclusive ranges of 5-digit codes.
INTENT_CPT_RANGES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "consult": (("99203", "99205"), ("99243", "99245")),
    "echo_tte": (("93303", "93308"),),
    "echo_tee": (("93312", "93318"),),
    "stress_echo": (("93350", "93351"),),
    "nuclear_stress": (("78451", "78454"), ("78491", "78492"), ("78430", "78434")),
    "exercise_stress": (("93015", "93018"),),
    "cardiac_ct": (("75571", "75571"), ("75574", "75574")),
    "cardiac_mri": (("75557", "75563"),),
    "rhythm_monitor": (("93224", "93229"), ("93241", "93248"), ("93268", "93272")),
    "cardiac_cath": (("93451", "93461"),),
    "electrophysiology": (("93619", "93624"), ("93653", "93656"), ("33285", "33285")),
    "device_check": (("93279", "93298"),),
    "vascular_ultrasound": (("93880", "93880"), ("93922", "93923"), ("93970", "93970")),
}


def intent_for_cpt(cpt: str) -> str | None:
    """The intent a CPT code belongs to, or None when it is outside every contract range."""
    if len(cpt) != 5 or not cpt.isdigit():
        return None
    for intent, ranges in INTENT_CPT_RANGES.items():
        if any(lo <= cpt <= hi for lo, hi in ranges):
            return intent
    return None


Intent = Literal[
    "consult",
    "echo_tte",
    "echo_tee",
    "stress_echo",
    "nuclear_stress",
    "exercise_stress",
    "cardiac_ct",
    "cardiac_mri",
    "rhythm_monitor",
    "cardiac_cath",
    "electrophysiology",
    "device_check",
    "vascular_ultrasound",
]
PageType = Literal["fax_cover", "referral_order", "clinical_note", "insurance_card", "test_result", "other"]
EntityType = Literal[
    "PATIENT_NAME",
    "PATIENT_DOB",
    "PATIENT_PHONE",
    "MRN",
    "PAYER",
    "MEMBER_ID",
    "GROUP_NUMBER",
    "ICD10",
    "DIAGNOSIS",
    "CPT",
    "PROCEDURE",
    "REFERRING_PROVIDER",
    "REFERRING_NPI",
    "PROVIDER_FAX",
    "URGENCY",
    "REFERRAL_DATE",
]
Queue = Literal["intake_review", "prior_auth", "records_request", "clinical_review", "scheduling", "out_of_network"]
Urgency = Literal["routine", "urgent", "stat"]
