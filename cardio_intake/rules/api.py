"""Conveniences around ``triage`` for a whole prediction (CLI and service)."""

from __future__ import annotations

from datetime import date

from cardio_intake.labels import PageType
from cardio_intake.rules.engine import triage
from cardio_intake.rules.models import Practice
from cardio_intake.rules.policies import Policies
from cardio_intake.schemas import Prediction, ReferralPrediction, TriageDecision


def referral_page_types(prediction: Prediction, referral: ReferralPrediction) -> list[PageType]:
    """Predicted types of the referral's own pages (documentation evidence)."""
    by_page = {p.page: p.type for p in prediction.pages}
    return [by_page[n] for n in referral.pages if n in by_page]


def triage_prediction(
    prediction: Prediction,
    practice: Practice,
    policies: Policies,
    today: date,
    *,
    target_date: date | None = None,
) -> list[TriageDecision]:
    """One decision per referral of the prediction, in the same order."""
    return [
        triage(
            referral,
            practice,
            policies,
            today,
            target_date=target_date,
            page_types=referral_page_types(prediction, referral),
        )
        for referral in prediction.referrals
    ]
