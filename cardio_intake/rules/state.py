"""What the workflow store knows about a referral's progress, handed to ``triage`` on re-evaluation.

The shape mirrors the store's ``WorkflowState`` (``cardio_intake.store.ports``) so it converts with
``OrderState.model_validate(workflow_state.model_dump())``. Without it, triage evaluates the referral
alone: an authorization that is required is not yet approved, nothing is completed, nothing received.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AuthStatus = Literal["not_required", "needed", "submitted", "pending", "approved", "denied", "expired"]


class OrderProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str
    status: str = Field(default="open", description="open, scheduled, completed or cancelled")
    auth_status: AuthStatus | None = None
    auth_valid_from: date | None = None
    auth_valid_to: date | None = None
    documentation_received: list[str] = Field(
        default_factory=list, description="documentation requirements a person recorded as received"
    )


class OrderState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[OrderProgress] = Field(default_factory=list)
    reviewed: bool = Field(default=False, description="a person has reviewed the extraction")
    established_patient: bool | None = Field(
        default=None, description="known to the practice already; null (unknown) counts as a new patient"
    )

    def progress(self, service: str) -> OrderProgress | None:
        return next((o for o in self.orders if o.service == service), None)

    @property
    def completed_services(self) -> set[str]:
        return {o.service for o in self.orders if o.status == "completed"}
