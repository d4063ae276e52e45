"""Routing: one queue and one priority per referral.

Each order has the queue that works it next; the referral goes to the most pressing of those, in
this order: a person must first trust the extraction (``intake_review``), then a clinician decide
(``clinical_review``), then authorizations be started (``prior_auth``), records chased
(``records_request``), services the practice does not provide sent on (``out_of_network``), and
only then is the referral ``scheduling``'s. Priority is the referral's urgency (routine if none found).
"""

from __future__ import annotations

from typing import Final

from cardio_intake.labels import Queue
from cardio_intake.schemas import Route

QUEUE_PRECEDENCE: Final[tuple[Queue, ...]] = (
    "intake_review",
    "clinical_review",
    "prior_auth",
    "records_request",
    "out_of_network",
    "scheduling",
)


def order_queue(blocked_by: list[str], doc_queues: list[str]) -> Queue:
    """The queue that works one order next, from its blockers."""
    if "payer_not_accepted" in blocked_by or "service_not_offered" in blocked_by:
        return "out_of_network"  # not ours to perform, whatever else it lacks
    if "review_needed" in blocked_by:
        return "intake_review"
    if "clinical_review" in doc_queues:
        return "clinical_review"
    if any(b.startswith("prior_auth_") for b in blocked_by):
        return "prior_auth"
    if doc_queues:
        return "records_request"
    return "scheduling"  # ready, or waiting only on another order of the referral


def route(candidates: list[tuple[Queue, str]], urgency: str | None) -> Route:
    """``candidates``: (queue, reason) pairs from the referral and its orders."""
    if not candidates:
        candidates = [("intake_review", "nothing to route: no orders found")]
    queue = min((q for q, _ in candidates), key=QUEUE_PRECEDENCE.index)
    ranked = sorted(candidates, key=lambda c: QUEUE_PRECEDENCE.index(c[0]))
    reasons = list(dict.fromkeys(r for _, r in ranked))
    return Route(queue=queue, priority=urgency or "routine", reasons=reasons)  # type: ignore[arg-type]
