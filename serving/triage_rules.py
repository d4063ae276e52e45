"""The rules layer as the intake service uses it: policies loaded once, one decision per referral."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cardio_intake.schemas import Prediction, TriageDecision


class UnknownPractice(LookupError):
    """The request named a practice with no profile on file (a 422, not a server error)."""


@dataclass(frozen=True)
class RulesEngine:
    policies: Any

    @classmethod
    def load(cls) -> RulesEngine:
        from cardio_intake.rules.loader import load_policies

        return cls(load_policies())

    @property
    def version(self) -> str:
        return str(self.policies.version)

    @property
    def files(self) -> list[str]:
        from cardio_intake.rules.loader import POLICY_FILES

        return list(POLICY_FILES)

    def practice(self, practice_id: str) -> Any:
        try:
            return self.policies.practice(practice_id)
        except KeyError as exc:  # the rules layer's UnknownPracticeError is a KeyError
            raise UnknownPractice(str(exc)) from None

    def decide(self, prediction: Prediction, practice_id: str, as_of: dt.date) -> list[TriageDecision]:
        """One decision per referral, in the prediction's order (the rules are pure; ``as_of`` is
        the only clock they see). The referral's predicted page types count as documentation."""
        from cardio_intake.rules import triage_prediction

        return triage_prediction(prediction, self.practice(practice_id), self.policies, as_of)
