"""Paired bootstrap of the difference between two models' test figures.

Why: the held-out test split has about 40 documents, and one referral moves straight-through by
0.024. Two training runs of the same config differ by a few hundredths, so a comparison table says
little without an interval. Documents (not referrals: a packet's referrals share pages and errors)
are resampled with replacement, both models' predictions on the same draw, and each metric is
recomputed with :func:`score_predictions` exactly as the table computes it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cardio_intake.extraction.scoring import score_predictions
from cardio_intake.schemas import Prediction

HEADLINE_METRICS: tuple[str, ...] = ("intent_micro_f1", "entity_f1", "straight_through", "field_em/mean")


@dataclass(frozen=True)
class Difference:
    """``a - b`` on the test rows, and the central 95% of its bootstrap distribution."""

    observed: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """The interval excludes zero: the sign of the difference is not resampling noise."""
        return self.low > 0 or self.high < 0


def paired_bootstrap(
    preds_a: Sequence[Prediction],
    preds_b: Sequence[Prediction],
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] = HEADLINE_METRICS,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Difference]:
    """Per metric, model a minus model b, with a 95% percentile interval over ``n_resamples``
    document resamples (seeded: the same inputs give the same interval)."""
    if not (len(preds_a) == len(preds_b) == len(rows)):
        raise ValueError(f"{len(preds_a)} and {len(preds_b)} predictions for {len(rows)} rows")
    if not rows:
        raise ValueError("no rows to resample")
    observed_a, observed_b = score_predictions(preds_a, rows), score_predictions(preds_b, rows)
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {m: [] for m in metrics}
    n = len(rows)
    for _ in range(n_resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        sample = [rows[i] for i in idx]
        a = score_predictions([preds_a[i] for i in idx], sample)
        b = score_predictions([preds_b[i] for i in idx], sample)
        for m in metrics:
            draws[m].append(a[m] - b[m])
    out = {}
    for m in metrics:
        d = sorted(draws[m])
        out[m] = Difference(
            observed=observed_a[m] - observed_b[m],
            low=d[round(0.025 * (len(d) - 1))],
            high=d[round(0.975 * (len(d) - 1))],
        )
    return out
