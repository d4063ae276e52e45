"""Pairing gold with predicted referrals, and normalization for field comparison.

Multi-patient packets: a fax may hold several referrals, each with its own pages. A gold referral is
paired with the predicted referral whose page set overlaps it most (Jaccard index of the two page
sets), greedily from the best-overlapping pair down, one-to-one; pairs with no common page are never
made. A gold referral left without a partner is *missed* (every field and intent counts as wrong); a
predicted referral left over is *spurious* (its intents count as false positives). For the usual
single-referral packet this pairs the two whole documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cardio_intake.extraction.scoring import comparison_text


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


def match_referrals(gold_pages: Sequence[Sequence[int]], pred_pages: Sequence[Sequence[int]]) -> list[int | None]:
    """For each gold referral, the index of its predicted partner (or None). Deterministic: ties go
    to the lower gold index, then the lower predicted index."""
    pairs = sorted(
        ((jaccard(g, p), gi, pi) for gi, g in enumerate(gold_pages) for pi, p in enumerate(pred_pages)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    out: list[int | None] = [None] * len(gold_pages)
    used: set[int] = set()
    for score, gi, pi in pairs:
        if score <= 0.0:
            break
        if out[gi] is None and pi not in used:
            out[gi] = pi
            used.add(pi)
    return out


#: The training figures (``cardio_intake.extraction.scoring``) and this harness compare text alike.
normalize_text = comparison_text


def normalize_field(value: Any) -> Any:
    """Comparison form of a contract field value (``Fields.model_dump(mode="json")``): None stays None,
    strings via :func:`normalize_text`, lists become sorted tuples of distinct normalized strings (order
    and duplicates do not matter for codes and diagnoses); an empty list counts as not found (None)."""
    if value is None:
        return None
    if isinstance(value, list):
        items = sorted({normalize_text(str(v)) for v in value if str(v).strip()})
        return tuple(items) if items else None
    return normalize_text(str(value)) or None
