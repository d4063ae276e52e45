"""Pydantic models of the HTTP API beyond the contract's (``cardio_intake.schemas``), with examples
that the OpenAPI spec shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.document import Document
from cardio_intake.schemas import ErrorBody, Prediction, TriageDecision

#: The contract's example prediction (../shared/CONTRACT.md), shown in the OpenAPI spec.
PREDICTION_EXAMPLE: dict[str, Any] = {
    "document": "packet-0001.tif",
    "document_id": "sha256:" + "0" * 64,
    "model_version": "cardio-intake-referral:7",
    "pages": [{"page": 1, "type": "fax_cover", "confidence": 0.99}],
    "referrals": [
        {
            "pages": [1, 2, 3],
            "intents": [{"label": "echo_tte", "confidence": 0.97}],
            "entities": [
                {"type": "MEMBER_ID", "text": "W238849102", "page": 2, "bbox": [412, 233, 530, 248], "confidence": 0.95}
            ],
            "fields": {
                "patient_name": "Maria L. Gonzalez",
                "patient_dob": "1952-03-14",
                "patient_phone": "+16145550134",
                "mrn": "00483921",
                "payer": "Aetna Medicare Advantage",
                "member_id": "W238849102",
                "group_number": "0881234-010",
                "icd10": ["I48.91"],
                "diagnoses": ["atrial fibrillation, unspecified"],
                "cpt": ["93306"],
                "procedures": ["2D echo with doppler"],
                "referring_provider": "Alan Whitfield",
                "referring_npi": "1245319599",
                "provider_fax": "+16145550199",
                "urgency": "urgent",
                "referral_date": "2026-11-02",
            },
            "review": {"needed": False, "reasons": []},
        }
    ],
}

TRIAGE_EXAMPLE: dict[str, Any] = {
    "orders": [
        {
            "service": "echo_tte",
            "cpt": "93306",
            "prior_auth": {"required": True, "program": "eviCore", "rule_id": "uhc-comm-echo", "reason": "…"},
            "documentation": {"complete": False, "missing": ["office_note_within_60_days"]},
            "depends_on": [],
            "schedulable": False,
            "blocked_by": ["prior_auth_not_approved"],
        }
    ],
    "route": {"queue": "prior_auth", "priority": "urgent", "reasons": ["…"]},
}


class TriageResult(Prediction):
    """The prediction with one triage decision per referral (same order as ``referrals``)."""

    model_config = ConfigDict(extra="forbid")

    practice_id: str
    as_of: date = Field(description="the date the rules were applied for (scheduling windows, auth deadlines)")
    policy_version: str = Field(description="version of the policy files that decided")
    triage: list[TriageDecision] = Field(description="one decision per referral", examples=[[TRIAGE_EXAMPLE]])


class LabelSets(BaseModel):
    intents: list[str]
    page_types: list[str]
    entity_types: list[str]
    queues: list[str]


class PredictorInfo(BaseModel):
    """What the model service reports about the loaded model."""

    model_version: str
    thresholds: dict[str, Any] = Field(default_factory=dict, description="per-intent and per-field thresholds")
    adaptive_batching: bool
    max_batch_size: int
    ocr_workers: int


class ModelInfo(PredictorInfo):
    """GET /model."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_version": "cardio-intake-referral:7",
                    "labels": {"intents": ["consult", "echo_tte"], "page_types": ["fax_cover"],
                               "entity_types": ["PATIENT_NAME"], "queues": ["intake_review"]},
                    "thresholds": {"intents": {"echo_tte": 0.5}, "fields": {"member_id": 0.8}},
                    "policy_version": "sha256:…",
                    "policy_files": ["payers.yaml", "practices.yaml"],
                    "adaptive_batching": True,
                    "max_batch_size": 8,
                    "ocr_workers": 2,
                }
            ]
        }
    )

    labels: LabelSets
    policy_version: str
    policy_files: list[str] = Field(default_factory=list)


class EncodeItem(BaseModel):
    """One loaded document for the model service's batched encoder call."""

    document: Document
    name: str
    document_id: str


class ExtractOutcome(BaseModel):
    """Model service -> intake service: a prediction, or the typed reason the file could not be read.

    An envelope rather than an HTTP error between the services, so the loader's error code and
    message reach the client unchanged and nothing is logged as an exception on the way.
    """

    prediction: Prediction | None = None
    error: ErrorBody | None = None
    status: int = 200
    pages: int = 0
    ocr_ms: float = 0.0
    model_ms: float = 0.0
