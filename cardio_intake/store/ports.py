"""What the store needs from the model and the rules layer, as callables it is handed.

The store never loads a model or policies itself: the service, the CLI and the tests pass these in
(tests pass fakes that return contract objects built by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.schemas import Prediction, ReferralPrediction, TriageDecision

#: ``predictor_fn(file_bytes, file_name) -> Prediction`` (e.g. ``load_predictor(uri).predict_bytes``).
PredictorFn = Callable[[bytes, str], Prediction]


class OrderProgress(BaseModel):
    """How far one order has got, for re-evaluating its readiness."""

    model_config = ConfigDict(extra="forbid")

    service: str
    status: str = Field(description="open, scheduled, completed or cancelled")
    auth_status: str | None = Field(default=None, description="the authorization's lifecycle status, if any")
    auth_valid_from: date | None = None
    auth_valid_to: date | None = None
    documentation_received: list[str] = Field(default_factory=list)


class WorkflowState(BaseModel):
    """The store's view of a referral's progress, handed to the rules on re-triage."""

    model_config = ConfigDict(extra="forbid")

    orders: list[OrderProgress] = Field(default_factory=list)
    reviewed: bool = Field(default=False, description="a person has reviewed the extraction")

    @property
    def completed_services(self) -> set[str]:
        return {o.service for o in self.orders if o.status == "completed"}


class TriageFn(Protocol):
    """``triage_fn(referral, practice_id, today, state, page_types)``: the rules layer with policies bound.

    ``state`` is None at intake (nothing has happened yet); ``page_types`` are the predicted types of
    the referral's own pages. ``cardio_intake.store.rules_adapter.RulesTriage`` is the real one.
    """

    def __call__(
        self,
        referral: ReferralPrediction,
        practice_id: str,
        today: date,
        state: WorkflowState | None = None,
        page_types: list[str] | None = None,
    ) -> TriageDecision: ...
