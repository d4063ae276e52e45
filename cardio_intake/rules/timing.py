"""Authorization timing: the latest date to submit a request so the payer's decision window
(CMS-0057-F: 72 hours expedited, 7 calendar days standard for Medicare Advantage, Medicaid and
exchange plans; per payer where auth_timing.yaml says so) closes before the target appointment."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from cardio_intake.rules.models import DecisionWindow
from cardio_intake.rules.payers import PayerMatch
from cardio_intake.rules.policies import Policies


@dataclass(frozen=True)
class SubmitBy:
    date: date
    expedited: bool
    window: DecisionWindow
    days: int
    reason: str


def choose_window(match: PayerMatch, policies: Policies) -> DecisionWindow | None:
    if match.payer is None or match.plan is None:
        return None
    best: tuple[tuple[int, int], DecisionWindow] | None = None
    for index, w in enumerate(policies.timing.windows):
        if w.payers and match.payer.id not in w.payers:
            continue
        if w.plans and match.plan.id not in w.plans:
            continue
        if w.plan_types and match.plan.plan_type not in w.plan_types:
            continue
        key = (w.scope_rank(), -index)
        if best is None or key > best[0]:
            best = (key, w)
    return best[1] if best else None


def submit_by(
    match: PayerMatch, urgency: str, target: date, today: date, policies: Policies
) -> SubmitBy | None:
    window = choose_window(match, policies)
    if window is None:
        return None
    expedited = urgency in policies.timing.expedited_urgencies
    days = math.ceil(window.expedited_hours / 24) if expedited else window.standard_days
    buffer = policies.timing.submission_buffer_days
    latest = target - timedelta(days=days + buffer)
    kind = f"expedited {window.expedited_hours} h" if expedited else f"standard {window.standard_days} days"
    reason = f"submit by {latest.isoformat()} for {target.isoformat()}: {kind} decision window ({window.description}) + {buffer} day(s) to prepare"
    if latest < today:
        reason += "; already late: submit now and expect the decision after the target date"
    return SubmitBy(latest, expedited, window, days, reason)
