"""Worklists and the monitor with a fixed clock: ordering, pagination, SLA and decision windows,
approvals ending before the appointment, aging by queue, and the Prometheus gauges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, FakeRules, referral_prediction

from cardio_intake.store import sla
from cardio_intake.store.clock import FixedClock
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import StatusUpdate
from cardio_intake.store.metrics import publish
from cardio_intake.store.models import ReferralRow
from cardio_intake.store.monitor import monitor
from cardio_intake.store.states import AuthStatus
from cardio_intake.store.updates import schedule_order, update_authorization
from cardio_intake.store.worklists import UnknownQueue, worklist

S = AuthStatus


def add(session: Session, clock: FixedClock, documents_dir: Path, rules: FakeRules, tag: str, **kw: object) -> ReferralRow:
    predictor = FakePredictor()
    data = tag.encode()
    predictor.by_bytes[data] = [referral_prediction(patient=tag, **kw)]  # type: ignore[arg-type]
    doc, _ = intake(session, data, f"{tag}.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    return doc.referrals[0]


def test_sla_functions() -> None:
    t = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert sla.due_at("intake_review", "stat", t) == t + timedelta(hours=1)
    assert sla.due_at("prior_auth", "routine", t) == t + timedelta(hours=72)
    assert sla.due_at("prior_auth", "routine", t, submit_by=date(2026, 11, 3)) == datetime(2026, 11, 3, 23, 59, 59, tzinfo=UTC)
    assert sla.due_at("prior_auth", "stat", t, submit_by=date(2026, 11, 30)) == t + timedelta(hours=4)
    assert (sla.decision_window_hours("urgent"), sla.decision_window_hours("routine")) == (72, 168)
    assert [sla.aging_bucket(h) for h in (0, 23.9, 24, 71.9, 72, 167.9, 168, 1e6)] == [
        "lt_1d", "lt_1d", "1d_3d", "1d_3d", "3d_7d", "3d_7d", "gt_7d", "gt_7d",
    ]


def test_worklist_orders_by_priority_then_due_and_paginates(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules(auth_payers=set())  # everything lands in scheduling
    routine_old = add(session, clock, documents_dir, rules, "routine-old")
    clock.advance(hours=1)
    stat = add(session, clock, documents_dir, rules, "stat", urgency="stat")
    urgent_late = add(session, clock, documents_dir, rules, "urgent-late", urgency="urgent")
    clock.advance(hours=1)
    routine_new = add(session, clock, documents_dir, rules, "routine-new")
    urgent_later = add(session, clock, documents_dir, rules, "urgent-later", urgency="urgent")
    add(session, clock, documents_dir, rules, "review", review_needed=True)  # another queue
    clock.advance(hours=30)  # the urgent ones (24 h) and stat (2 h) are overdue, routine (72 h) not
    first = worklist(session, "scheduling", page=1, per_page=3, clock=clock)
    second = worklist(session, "scheduling", page=2, per_page=3, clock=clock)
    assert first.total == second.total == 5
    ids = [i.referral_id for i in first.items + second.items]
    assert ids == [stat.id, urgent_late.id, urgent_later.id, routine_old.id, routine_new.id]
    assert [i.overdue for i in first.items + second.items] == [True, True, True, False, False]
    assert first.items[0].age_hours == 31.0 and first.items[0].services == ["echo_tte"]
    assert worklist(session, "scheduling", page=3, per_page=3, clock=clock).items == []
    review = worklist(session, "intake_review", clock=clock)
    assert review.total == 1 and review.items[0].blockers == ["extraction_review_pending"]
    with pytest.raises(UnknownQueue, match="unknown queue 'nope'"):
        worklist(session, "nope", clock=clock)
    with pytest.raises(ValueError, match="per_page"):
        worklist(session, "scheduling", per_page=0, clock=clock)


def test_monitor_views_with_a_fixed_clock(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules(submit_days=5)
    due_soon = add(session, clock, documents_dir, rules, "due-soon")  # submit_by = T0 + 5 days
    slow_payer = add(session, clock, documents_dir, rules, "slow-payer", urgency="urgent")
    expiring = add(session, clock, documents_dir, rules, "expiring")
    free = add(session, clock, documents_dir, FakeRules(auth_payers=set()), "free")

    def auth_id(r: ReferralRow) -> int:
        assert r.orders[0].authorization is not None
        return r.orders[0].authorization.id

    update_authorization(session, auth_id(slow_payer), StatusUpdate(S.SUBMITTED), triage_fn=rules, clock=clock)
    update_authorization(session, auth_id(expiring), StatusUpdate(S.SUBMITTED), triage_fn=rules, clock=clock)
    update_authorization(
        session,
        auth_id(expiring),
        StatusUpdate(S.APPROVED, auth_number="N-9", valid_from=date(2026, 11, 2), valid_to=date(2026, 11, 30)),
        triage_fn=rules,
        clock=clock,
    )
    view = monitor(session, clock=clock)
    assert view.auths_due_to_submit == []  # 5 days left, horizon 2
    assert view.pending_beyond_window == []
    assert [o.referral_id for o in view.orders_ready_to_schedule] == [expiring.id, free.id]

    # Book "expiring" inside its window, then pretend the appointment moved past the window's end
    # (e.g. rescheduled by the EHR): the monitor must flag it.
    schedule_order(session, expiring.orders[0].id, date(2026, 11, 25), clock=clock)
    session.get(type(expiring.orders[0]), expiring.orders[0].id).appointment_date = date(2026, 12, 3)  # type: ignore[union-attr]
    session.commit()

    clock.advance(days=3, hours=1)  # T0 + 73 h: past the 72 h expedited window; submit_by in 1-2 days
    view = monitor(session, clock=clock)
    assert [(a.referral_id, a.days_left) for a in view.auths_due_to_submit] == [(due_soon.id, 2)]
    (late,) = view.pending_beyond_window
    assert late.referral_id == slow_payer.id and late.hours_overdue == 1.0
    assert late.decision_due_at == clock() - timedelta(hours=1)
    (exp,) = view.approvals_expiring_before_appointment
    assert (exp.referral_id, exp.valid_to, exp.appointment_date) == (expiring.id, date(2026, 11, 30), date(2026, 12, 3))
    assert [o.referral_id for o in view.orders_ready_to_schedule] == [free.id]
    aging = {a.queue: a for a in view.aging}
    assert aging["prior_auth"].open == 2 and aging["prior_auth"].buckets["3d_7d"] == 2
    assert aging["prior_auth"].oldest_age_hours == 73.0
    assert aging["prior_auth"].overdue == 2  # urgent (24 h) and routine (72 h) both past due
    assert aging["scheduling"].open == 1 and aging["intake_review"].open == 0
    assert view.documents == {"received": 0, "processing": 0, "done": 4, "failed": 0}

    # A standard (routine) submission gets 7 days before it counts as late.
    update_authorization(session, auth_id(due_soon), StatusUpdate(S.SUBMITTED), triage_fn=rules, clock=clock)
    clock.advance(days=7)
    late_ids = [a.referral_id for a in monitor(session, clock=clock).pending_beyond_window]
    assert due_soon.id not in late_ids
    clock.advance(seconds=1)
    assert due_soon.id in [a.referral_id for a in monitor(session, clock=clock).pending_beyond_window]


def test_gauges_publish_the_monitor(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules(submit_days=1)
    add(session, clock, documents_dir, rules, "a")
    add(session, clock, documents_dir, FakeRules(auth_payers=set()), "b", urgency="stat")
    registry = CollectorRegistry()
    publish(monitor(session, clock=clock), registry)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(f"cardio_intake_workflow_{name}", labels)

    assert value("auths_due_to_submit") == 1
    assert value("orders_ready_to_schedule") == 1
    assert value("queue_open", queue="prior_auth") == 1 and value("queue_open", queue="scheduling") == 1
    assert value("queue_aging", queue="scheduling", bucket="lt_1d") == 1
    assert value("documents", status="done") == 2
    clock.advance(hours=3)
    publish(monitor(session, clock=clock), registry)
    assert value("queue_overdue", queue="scheduling") == 1  # stat: 2 h
    assert value("queue_oldest_age_hours", queue="scheduling") == 3.0
