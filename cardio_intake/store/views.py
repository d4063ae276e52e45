"""Pydantic views of the workflow state: what the API returns and the CLI prints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.schemas import TriageDecision
from cardio_intake.store.states import AuthStatus


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Blocker(_View):
    code: str = Field(description="machine-readable, e.g. prior_auth_not_approved, prerequisite_not_done:echo_tte")
    detail: str = Field(description="one human-readable sentence")


class AuthorizationView(_View):
    id: int
    order_id: int
    status: AuthStatus
    payer: str | None
    program: str | None
    rule_id: str | None
    reason: str
    source: str | None
    submit_by: date | None
    decision_window_hours: int
    submitted_at: datetime | None
    decision_due_at: datetime | None = Field(description="submitted_at + decision window, while awaiting the payer")
    decided_at: datetime | None
    auth_number: str | None
    valid_from: date | None
    valid_to: date | None
    units: int | None
    denial_reason: str | None
    updated_at: datetime


class Readiness(_View):
    as_of: date = Field(description="the date readiness was checked for (the appointment date, else today)")
    schedulable: bool
    blockers: list[Blocker]


class OrderView(_View):
    id: int
    service: str
    cpt: str | None
    status: str
    auth_required: bool | None
    depends_on: list[str]
    documentation_missing: list[str]
    appointment_date: date | None
    authorization: AuthorizationView | None
    readiness: Readiness


class ReferralView(_View):
    id: int
    document_id: int
    document_sha256: str
    practice_id: str
    status: str
    queue: str
    priority: str
    due_at: datetime
    overdue: bool
    review_needed: bool
    route_reasons: list[str]
    patient_name: str | None
    payer: str | None
    created_at: datetime
    updated_at: datetime
    orders: list[OrderView]
    triage: TriageDecision


class DocumentView(_View):
    id: int
    sha256: str
    name: str
    status: str
    received_at: datetime
    source_fax: str | None
    pages: int | None
    error: str | None


class IntakeResult(_View):
    document: DocumentView
    created: bool = Field(description="false when these bytes were received before (idempotent replay)")
    referrals: list[ReferralView]


class AppointmentCheck(_View):
    order_id: int
    date: date
    allowed: bool
    blockers: list[Blocker]


class WorklistItem(_View):
    referral_id: int
    queue: str
    priority: str
    due_at: datetime
    overdue: bool
    age_hours: float
    patient_name: str | None
    payer: str | None
    services: list[str]
    blockers: list[str] = Field(description="distinct blocker codes over the referral's open orders, as of today")


class WorklistPage(_View):
    queue: str
    total: int
    page: int
    per_page: int
    items: list[WorklistItem]


class AuthDue(_View):
    authorization_id: int
    order_id: int
    referral_id: int
    service: str
    payer: str | None
    submit_by: date | None
    days_left: int | None = Field(description="negative when the submit-by date has passed")


class AuthAwaitingPayer(_View):
    authorization_id: int
    order_id: int
    referral_id: int
    service: str
    payer: str | None
    status: AuthStatus
    submitted_at: datetime
    decision_due_at: datetime
    hours_overdue: float


class ApprovalExpiring(_View):
    authorization_id: int
    order_id: int
    referral_id: int
    service: str
    valid_to: date
    appointment_date: date


class OrderReady(_View):
    order_id: int
    referral_id: int
    service: str
    priority: str
    patient_name: str | None


class QueueAging(_View):
    queue: str
    open: int
    overdue: int
    oldest_age_hours: float
    buckets: dict[str, int] = Field(description="open referrals by age: lt_1d, 1d_3d, 3d_7d, gt_7d")


class MonitorView(_View):
    as_of: datetime
    horizon_days: int = Field(description="authorizations whose submit-by date falls within this many days")
    auths_due_to_submit: list[AuthDue]
    pending_beyond_window: list[AuthAwaitingPayer]
    approvals_expiring_before_appointment: list[ApprovalExpiring]
    orders_ready_to_schedule: list[OrderReady]
    aging: list[QueueAging]
    documents: dict[str, int] = Field(description="documents by processing status")


IntakeOutcome = Literal["created", "replayed", "processing", "failed"]
