"""The real rules layer behind the store's ``TriageFn`` port (policies loaded once, practice per call)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cardio_intake.schemas import ReferralPrediction, TriageDecision
from cardio_intake.store.ports import WorkflowState


class RulesTriage:
    """``triage_fn`` for the store: ``cardio_intake.rules.triage`` with the workflow state passed through."""

    def __init__(self, policies: Any) -> None:
        self.policies = policies

    @classmethod
    def load(cls, directory: Path | None = None) -> RulesTriage:
        from cardio_intake.rules import load_policies

        return cls(load_policies(directory) if directory else load_policies())

    @property
    def version(self) -> str:
        return str(getattr(self.policies, "version", "unknown"))

    def __call__(
        self,
        referral: ReferralPrediction,
        practice_id: str,
        today: date,
        state: WorkflowState | None = None,
        page_types: list[str] | None = None,
    ) -> TriageDecision:
        from cardio_intake.rules import OrderState, triage

        practice = self.policies.practice(practice_id)
        # The rules' OrderState mirrors WorkflowState field for field (see cardio_intake/rules/state.py).
        order_state = OrderState.model_validate(state.model_dump()) if state is not None else None
        return triage(referral, practice, self.policies, today, order_state=order_state, page_types=page_types)
