"""Pydantic models for ../shared/CONTRACT.md: the prediction output and the triage decision.

The contract is the fixed interface between model, rules layer, upstream systems and evaluation.
Fields may be added here, never renamed or dropped.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cardio_intake.labels import FIELD_NAMES, EntityType, Intent, PageType, Queue, Urgency

BBox = tuple[int, int, int, int]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PagePrediction(_Model):
    page: int = Field(ge=1, description="1-based page number")
    type: PageType
    confidence: float = Field(ge=0.0, le=1.0)


class IntentPrediction(_Model):
    label: Intent
    confidence: float = Field(ge=0.0, le=1.0)


class EntityPrediction(_Model):
    type: EntityType
    text: str
    page: int = Field(ge=1)
    bbox: BBox = Field(description="[x0, y0, x1, y1] on the page's 0-1000 grid")
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("bbox")
    @classmethod
    def _valid_box(cls, v: BBox) -> BBox:
        x0, y0, x1, y1 = v
        if not (0 <= x0 <= x1 <= 1000 and 0 <= y0 <= y1 <= 1000):
            raise ValueError(f"bbox {list(v)} is not ordered inside 0-1000")
        return v


class Fields(_Model):
    """Normalized fields; every key is always present, null (or []) when not found."""

    patient_name: str | None = None
    patient_dob: date | None = None
    patient_phone: str | None = Field(default=None, pattern=r"^\+1\d{10}$")
    mrn: str | None = None
    payer: str | None = None
    member_id: str | None = None
    group_number: str | None = None
    icd10: list[str] = Field(default_factory=list)
    diagnoses: list[str] = Field(default_factory=list)
    cpt: list[str] = Field(default_factory=list)
    procedures: list[str] = Field(default_factory=list)
    referring_provider: str | None = None
    referring_npi: str | None = Field(default=None, pattern=r"^\d{10}$")
    provider_fax: str | None = Field(default=None, pattern=r"^\+1\d{10}$")
    urgency: Urgency | None = None
    referral_date: date | None = None

    @field_validator("icd10")
    @classmethod
    def _icd_format(cls, v: list[str]) -> list[str]:
        for code in v:
            if not (3 <= len(code) <= 8 and code[0].isalpha() and ("." in code or len(code) == 3)):
                raise ValueError(f"ICD-10-CM code {code!r} must carry its dot (e.g. I48.91)")
        return v

    @field_validator("cpt")
    @classmethod
    def _cpt_format(cls, v: list[str]) -> list[str]:
        for code in v:
            if len(code) != 5 or not code.isalnum():
                raise ValueError(f"CPT code {code!r} must be five characters")
        return v


assert tuple(Fields.model_fields) == FIELD_NAMES, "Fields must list the contract's keys in order"


class Review(_Model):
    needed: bool
    reasons: list[str] = Field(default_factory=list, description="e.g. low_confidence:member_id")


class ReferralPrediction(_Model):
    pages: list[int] = Field(description="1-based pages of this referral")
    intents: list[IntentPrediction] = Field(default_factory=list, description="highest confidence first")
    entities: list[EntityPrediction] = Field(default_factory=list)
    fields: Fields = Field(default_factory=Fields)
    review: Review
    field_confidence: dict[str, float] = Field(
        default_factory=dict, description="calibrated confidence per found field (project addition)"
    )


class Prediction(_Model):
    """One input file's prediction (one JSON object per file; JSON Lines when batched)."""

    document: str
    document_id: str = Field(description="sha256:<hex> of the file's bytes")
    model_version: str
    pages: list[PagePrediction]
    referrals: list[ReferralPrediction]


# --- triage decision -------------------------------------------------------------------------


class PriorAuth(_Model):
    required: bool | None = Field(description="null: no policy on file for the payer/plan (routes to a person)")
    program: str | None = None
    rule_id: str | None = None
    reason: str = ""
    source: str | None = Field(default=None, description="URL or reference of the policy")
    submit_by: date | None = Field(default=None, description="latest date to submit for the target date")
    expedited: bool | None = Field(default=None, description="expedited review (urgent/stat) when required")
    policy_default: bool = Field(default=False, description="decided by an explicit default: no payer data on file")


class Documentation(_Model):
    complete: bool
    missing: list[str] = Field(default_factory=list)


class OrderDecision(_Model):
    service: Intent
    cpt: str | None = None
    prior_auth: PriorAuth
    documentation: Documentation
    depends_on: list[str] = Field(default_factory=list)
    schedulable: bool
    blocked_by: list[str] = Field(default_factory=list)
    rule_ids: list[str] = Field(default_factory=list, description="every rule that fired for this order")
    reason: str = Field(default="", description="why the order is (not) schedulable, for a person")
    sources: list[str] = Field(default_factory=list, description="references of the policies that fired")
    queue: Queue | None = Field(default=None, description="the queue that works this order next")
    location: str | None = Field(default=None, description="practice location offering the service")


class Route(_Model):
    queue: Queue
    priority: Urgency
    reasons: list[str] = Field(default_factory=list)


class TriageDecision(_Model):
    orders: list[OrderDecision]
    route: Route


class ErrorBody(_Model):
    """HTTP 4xx body, and the CLI's one-line error, for a file that cannot be read."""

    error: str
    detail: str


def json_schemas() -> dict[str, Any]:
    """JSON Schema of the contract's two documents (``cardio-intake schema``)."""
    return {
        "prediction": Prediction.model_json_schema(),
        "triage_decision": TriageDecision.model_json_schema(),
    }


def dump_jsonl_line(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False)
