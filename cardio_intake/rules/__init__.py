"""Rules layer: prior authorization, documentation, sequencing, scheduling readiness and routing.

``load_policies(dir) -> Policies`` reads the YAML policy folder (``cardio_intake/policies``);
``triage(referral, practice, policies, today) -> TriageDecision`` is pure.
"""

from __future__ import annotations

from cardio_intake.rules.api import referral_page_types, triage_prediction
from cardio_intake.rules.engine import triage
from cardio_intake.rules.loader import (
    DEFAULT_PRACTICE,
    POLICY_FILES,
    PolicyError,
    PolicyProblem,
    load_policies,
    policy_version,
)
from cardio_intake.rules.models import Practice
from cardio_intake.rules.payers import PayerMatch
from cardio_intake.rules.policies import Policies, UnknownPracticeError
from cardio_intake.rules.state import OrderProgress, OrderState

__all__ = [
    "DEFAULT_PRACTICE",
    "POLICY_FILES",
    "OrderProgress",
    "OrderState",
    "PayerMatch",
    "Policies",
    "PolicyError",
    "PolicyProblem",
    "Practice",
    "UnknownPracticeError",
    "load_policies",
    "policy_version",
    "referral_page_types",
    "triage",
    "triage_prediction",
]


def __getattr__(name: str) -> str:
    # POLICY_VERSION reads the shipped files, so it is computed on first use, not on import.
    if name == "POLICY_VERSION":
        return policy_version()
    raise AttributeError(name)
