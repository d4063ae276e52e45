"""Pydantic schemas of the policy files under ``cardio_intake/policies/`` (one model per file).

Every rule carries an ``id`` (reported in decisions as ``rule_ids``) and a ``source`` (URL or reference).
Conditions that do not fit a fixed field are written as ``rule-engine`` expressions over a typed
context (see :mod:`cardio_intake.rules.expressions`); they are compiled, never ``eval``-ed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cardio_intake.labels import Intent, PageType, Urgency

#: ``tricare`` (military health plans) is outside CMS-0057-F and ERISA, so it is a type of its own.
PlanType = Literal[
    "commercial", "medicare_advantage", "traditional_medicare", "medicaid", "exchange", "tricare"
]
#: Where a service is performed; payers' site-of-service conditions are written against these.
Site = Literal["office", "outpatient_hospital", "inpatient", "emergency"]

_SLUG = r"^[a-z0-9][a-z0-9_\-]*$"
Slug = Annotated[str, Field(pattern=_SLUG)]
_CPT_RE = re.compile(r"^[0-9A-Z]{5}$")


def _check_cpt_spec(value: str) -> str:
    """``93306`` or an inclusive range ``93303-93308`` of same-shaped codes (``0571T`` allowed)."""
    parts = value.split("-")
    if len(parts) not in (1, 2) or not all(_CPT_RE.match(p) for p in parts):
        raise ValueError(f"CPT {value!r} must be a 5-character code or a range like 93303-93308")
    if len(parts) == 2 and not parts[0] <= parts[1]:
        raise ValueError(f"CPT range {value!r} is reversed")
    return value


CptSpec = Annotated[str, AfterValidator(_check_cpt_spec)]


def cpt_in(code: str, specs: list[str]) -> bool:
    for spec in specs:
        lo, _, hi = spec.partition("-")
        hi = hi or lo
        # Same-shaped codes compare correctly as strings (all digits, or the same Category III suffix).
        if len(code) == len(lo) and code[-1].isdigit() == lo[-1].isdigit() and lo <= code <= hi:
            return True
    return False


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- payers.yaml ------------------------------------------------------------------------------


class Plan(_Model):
    id: Slug
    name: str
    plan_type: PlanType
    benefit_manager: str | None = Field(
        default=None, description="e.g. eviCore, Carelon; null: the payer itself"
    )
    aliases: list[str] = Field(
        default_factory=list, description="phrases that select this plan once the payer is known"
    )
    note: str = ""


class Payer(_Model):
    id: Slug
    name: str
    parent: str | None = None
    aliases: list[str] = Field(min_length=1, description="the payer's names as they appear on faxes")
    generic: bool = Field(
        default=False,
        description="a programme name (Medicare, Medicaid) matched only when no brand name matches",
    )
    plans: list[Plan] = Field(min_length=1)
    default_plan: str | None = Field(
        default=None, description="plan assumed when the fax names the payer but no plan (an assumption)"
    )
    member_id_formats: list[str] = Field(
        default_factory=list,
        description="shapes of the payer's member IDs: # a digit, @ a letter, * either, capitals and digits as "
        "printed (\"W#########\"); OCR's letter-for-digit slips are mended to them (extraction/member_ids.py)",
    )

    @model_validator(mode="after")
    def _default_plan_known(self) -> Payer:
        ids = [p.id for p in self.plans]
        if len(set(ids)) != len(ids):
            raise ValueError(f"payer {self.id}: duplicate plan ids")
        bad = [f for f in self.member_id_formats if re.fullmatch(r"[#@*A-Z0-9]+", f) is None]
        if bad:
            raise ValueError(f"payer {self.id}: member_id_formats {bad} use characters other than # @ * A-Z 0-9")
        if self.default_plan is not None and self.default_plan not in ids:
            raise ValueError(
                f"payer {self.id}: default_plan {self.default_plan!r} is not one of its plans {ids}"
            )
        return self

    def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in self.plans if p.id == plan_id), None)


class PayersFile(_Model):
    payers: list[Payer]


# --- services.yaml ----------------------------------------------------------------------------


class ServiceInfo(_Model):
    name: str
    extra_cpt: list[CptSpec] = Field(
        default_factory=list,
        description="codes beyond the contract's typical list that belong to this service",
    )
    order_terms: list[str] = Field(
        default_factory=list,
        description="names and abbreviations an order line uses for the service; they seed the model's "
        "order-line reader (extraction/order_intents.py) beside the training faxes' own wordings",
    )


class ServicesFile(_Model):
    services: dict[Intent, ServiceInfo]


# --- prior_auth.yaml --------------------------------------------------------------------------

Services = list[Intent] | Literal["all"]


class PriorAuthRule(_Model):
    id: Slug
    description: str
    payers: list[str] = Field(default_factory=list, description="payer ids; empty: any payer in scope")
    plans: list[str] = Field(default_factory=list, description="plan ids of those payers; empty: all")
    plan_types: list[PlanType] = Field(default_factory=list)
    benefit_manager: str | None = None
    services: Services = Field(default_factory=list)
    cpt: list[CptSpec] = Field(default_factory=list)
    sites: list[Site] = Field(
        default_factory=list, description="site of service where it applies; empty: any"
    )
    when: str | None = Field(default=None, description="rule-engine expression; the rule applies when true")
    effective_from: date | None = None
    effective_to: date | None = None
    required: bool
    program: str | None = Field(default=None, description="who decides; default: benefit manager or payer")
    source: str = Field(min_length=1)
    default: bool = Field(default=False, description="an explicit default for a payer with no data on file")
    note: str = ""

    @model_validator(mode="after")
    def _scoped(self) -> PriorAuthRule:
        if not (self.payers or self.benefit_manager or self.plan_types):
            raise ValueError(f"rule {self.id}: give payers, benefit_manager or plan_types")
        if self.plans and not self.payers:
            raise ValueError(f"rule {self.id}: plans need payers")
        if not self.services and not self.cpt:
            raise ValueError(f"rule {self.id}: give services and/or cpt")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError(f"rule {self.id}: effective_to is before effective_from")
        return self

    def scope_rank(self) -> int:
        """Narrower scope wins: plans > payers > benefit manager > plan types."""
        if self.plans:
            return 4
        if self.payers:
            return 3
        if self.benefit_manager:
            return 2
        return 1


class Fallback(_Model):
    id: Slug
    description: str
    source: str = Field(min_length=1)


class PriorAuthFallbacks(_Model):
    unknown_payer: Fallback
    unknown_plan: Fallback
    no_policy: Fallback


class PriorAuthFile(_Model):
    fallbacks: PriorAuthFallbacks
    rules: list[PriorAuthRule]


# --- documentation.yaml -----------------------------------------------------------------------


class Evidence(_Model):
    """One way a requirement can be met; all the conditions given must hold."""

    page_types: list[PageType] = Field(
        default_factory=list, description="the referral has a page of one of these"
    )
    referral_within_days: int | None = Field(
        default=None, ge=0, description="referral_date at most N days before today"
    )
    icd10_prefixes: list[str] = Field(default_factory=list)
    text_patterns: list[str] = Field(
        default_factory=list, description="case-insensitive substrings of diagnoses or procedures"
    )
    any_diagnosis: bool = Field(default=False, description="at least one ICD-10 code or diagnosis text")

    @model_validator(mode="after")
    def _not_empty(self) -> Evidence:
        if not (
            self.page_types
            or self.referral_within_days is not None
            or self.icd10_prefixes
            or self.text_patterns
            or self.any_diagnosis
        ):
            raise ValueError("evidence needs at least one condition")
        return self


class DocumentationRule(_Model):
    id: Slug
    requirement: Slug = Field(description="name reported in documentation.missing")
    description: str
    services: Services
    applies_when: str | None = Field(default=None, description="rule-engine expression")
    evidence: list[Evidence] = Field(min_length=1, description="any one of these meets the requirement")
    satisfied_by_orders: list[Intent] = Field(
        default_factory=list,
        description="the requirement is met by ordering one of these in the same referral",
    )
    queue: Literal["records_request", "clinical_review"] = "records_request"
    source: str = Field(min_length=1)


class DocumentationFile(_Model):
    rules: list[DocumentationRule]


# --- sequencing.yaml --------------------------------------------------------------------------


class AcuteCoronary(_Model):
    """What counts as acute-coronary language in the extracted diagnoses."""

    icd10_prefixes: list[str]
    text_patterns: list[str]
    source: str


class SequencingRule(_Model):
    id: Slug
    description: str
    services: Services
    prerequisites: list[Intent] = Field(
        min_length=1, description="any one of these, done first, satisfies it"
    )
    if_not_ordered: Literal["skip", "require"] = Field(
        description="when no prerequisite is in the referral: skip the rule, or require the first prerequisite"
    )
    applies_when: str | None = None
    source: str = Field(min_length=1)


class SequencingFile(_Model):
    acute_coronary: AcuteCoronary
    rules: list[SequencingRule]


# --- auth_timing.yaml -------------------------------------------------------------------------


class DecisionWindow(_Model):
    id: Slug
    description: str
    plan_types: list[PlanType] = Field(default_factory=list)
    payers: list[str] = Field(default_factory=list)
    plans: list[str] = Field(default_factory=list)
    expedited_hours: int = Field(gt=0)
    standard_days: int = Field(gt=0)
    source: str = Field(min_length=1)
    default: bool = False

    @model_validator(mode="after")
    def _scoped(self) -> DecisionWindow:
        if not (self.plan_types or self.payers):
            raise ValueError(f"window {self.id}: give plan_types or payers")
        if self.plans and not self.payers:
            raise ValueError(f"window {self.id}: plans need payers")
        return self

    def scope_rank(self) -> int:
        return 3 if self.plans else 2 if self.payers else 1


class TimingFile(_Model):
    expedited_urgencies: list[Urgency] = Field(default_factory=lambda: list[Urgency](["urgent", "stat"]))
    submission_buffer_days: int = Field(
        default=1, ge=0, description="working time to assemble the request before the payer's clock starts"
    )
    windows: list[DecisionWindow]


# --- practices.yaml ---------------------------------------------------------------------------


class Location(_Model):
    id: Slug
    name: str
    site: Site
    state: str = Field(pattern=r"^[A-Z]{2}$")
    modalities: list[Intent]


class Partner(_Model):
    name: str
    services: list[Intent]


class ReferralSource(_Model):
    name: str
    npi: str | None = Field(default=None, pattern=r"^\d{10}$")
    fax: str | None = Field(default=None, pattern=r"^\+1\d{10}$")


class ConsultFirst(_Model):
    new_patients: bool = False
    services: list[Intent] = Field(
        default_factory=list, description="procedures a new patient's consult precedes"
    )

    @model_validator(mode="after")
    def _not_self(self) -> ConsultFirst:
        if "consult" in self.services:
            raise ValueError("consult_first.services cannot contain consult itself")
        return self


def _default_lead() -> dict[Urgency, int]:
    return {"routine": 14, "urgent": 3, "stat": 1}


class Practice(_Model):
    id: Slug
    name: str
    locations: list[Location] = Field(min_length=1)
    accepted_payers: list[str] = Field(description="payer ids, or payer/plan for one plan only")
    referral_sources: list[ReferralSource] = Field(default_factory=list)
    consult_first: ConsultFirst = Field(default_factory=ConsultFirst)
    partners: list[Partner] = Field(default_factory=list, description="where services not offered are sent")
    scheduling_lead_days: dict[Urgency, int] = Field(
        default_factory=_default_lead, description="target appointment, days from today, when none is given"
    )

    def location_for(self, service: str) -> Location | None:
        return next((loc for loc in self.locations if service in loc.modalities), None)

    def partner_for(self, service: str) -> Partner | None:
        return next((p for p in self.partners if service in p.services), None)

    def accepts(self, payer_id: str, plan_id: str | None) -> bool:
        return payer_id in self.accepted_payers or (
            plan_id is not None and f"{payer_id}/{plan_id}" in self.accepted_payers
        )

    @property
    def modalities(self) -> set[str]:
        return {m for loc in self.locations for m in loc.modalities}


class PracticesFile(_Model):
    practices: list[Practice] = Field(min_length=1)
