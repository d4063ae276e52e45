"""Service levels: when a referral in a queue is due, and how long a payer has to decide.

Defaults, in hours from the moment a referral enters its queue. The decision windows follow
CMS-0057-F (72 hours expedited, 7 calendar days standard); the rules layer may set a payer's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

#: Hours a referral may wait in a queue, by priority (stat, urgent, routine).
QUEUE_SLA_HOURS: Final[dict[str, dict[str, int]]] = {
    "intake_review": {"stat": 1, "urgent": 4, "routine": 24},
    "prior_auth": {"stat": 4, "urgent": 24, "routine": 72},
    "records_request": {"stat": 4, "urgent": 24, "routine": 72},
    "clinical_review": {"stat": 2, "urgent": 8, "routine": 48},
    "scheduling": {"stat": 2, "urgent": 24, "routine": 72},
    "out_of_network": {"stat": 4, "urgent": 24, "routine": 120},
}

PRIORITY_RANK: Final[dict[str, int]] = {"stat": 0, "urgent": 1, "routine": 2}

EXPEDITED_DECISION_HOURS: Final = 72
STANDARD_DECISION_HOURS: Final = 7 * 24

#: Aging buckets of the monitor, in hours (upper bounds; the last one is open).
AGING_BUCKETS: Final[tuple[tuple[str, float], ...]] = (
    ("lt_1d", 24),
    ("1d_3d", 72),
    ("3d_7d", 168),
    ("gt_7d", float("inf")),
)


def due_at(queue: str, priority: str, entered_at: datetime, submit_by: date | None = None) -> datetime:
    """When a referral entering ``queue`` at ``entered_at`` is due.

    In prior_auth an authorization's submit-by date wins when it is sooner: missing it delays care.
    """
    hours = QUEUE_SLA_HOURS.get(queue, QUEUE_SLA_HOURS["intake_review"]).get(priority, 24)
    due = entered_at + timedelta(hours=hours)
    if submit_by is not None:
        due = min(due, end_of_day(submit_by))
    return due


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), UTC)


def decision_window_hours(priority: str, expedited: bool | None = None) -> int:
    """Expedited review when the rules say so, else for urgent and stat referrals; standard otherwise."""
    if expedited is None:
        expedited = priority in ("urgent", "stat")
    return EXPEDITED_DECISION_HOURS if expedited else STANDARD_DECISION_HOURS


def aging_bucket(age_hours: float) -> str:
    for name, upper in AGING_BUCKETS:
        if age_hours < upper:
            return name
    return AGING_BUCKETS[-1][0]
