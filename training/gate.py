"""The champion gate: a pure decision, so it is tested without MLflow."""

from __future__ import annotations

import math

from pydantic import BaseModel


class GateDecision(BaseModel):
    promote: bool
    metric: str
    candidate: float
    champion: float | None
    reason: str

    def summary(self) -> str:
        champ = "none" if self.champion is None else f"{self.champion:.4f}"
        verdict = "PROMOTE" if self.promote else "keep champion"
        return f"gate on {self.metric}: candidate {self.candidate:.4f} vs champion {champ} -> {verdict} ({self.reason})"


def decide(metric: str, candidate: float, champion: float | None, min_gain: float = 0.0) -> GateDecision:
    """Promote when there is no champion, or when the candidate beats it by more than ``min_gain``
    on the same test split. A NaN candidate never wins; a NaN champion always loses."""
    if math.isnan(candidate):
        return GateDecision(promote=False, metric=metric, candidate=candidate, champion=champion, reason="candidate is NaN")
    if champion is None:
        return GateDecision(promote=True, metric=metric, candidate=candidate, champion=None, reason="no champion yet")
    if math.isnan(champion) or candidate > champion + min_gain:
        return GateDecision(promote=True, metric=metric, candidate=candidate, champion=champion, reason="beats champion")
    return GateDecision(
        promote=False, metric=metric, candidate=candidate, champion=champion,
        reason=f"does not beat champion by more than {min_gain}",
    )


def gate_score(metrics: dict[str, float]) -> float:
    """The default gate figure: the mean of intent micro-F1, entity span F1 and the critical-field
    straight-through rate on the test split (what the product needs, equally weighted)."""
    keys = ("intent_micro_f1", "entity_f1", "straight_through")
    return sum(metrics.get(k, 0.0) for k in keys) / len(keys)
