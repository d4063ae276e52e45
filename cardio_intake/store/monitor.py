"""The monitor: what is about to slip (auths to submit, payers past their window, approvals that end
before the appointment), what can be booked now, and how old each queue's work is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cardio_intake.labels import QUEUES
from cardio_intake.store import sla
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.gate import order_blockers
from cardio_intake.store.lifecycle import AWAITING_PAYER
from cardio_intake.store.models import AuthorizationRow, DocumentRow, OrderRow, ReferralRow
from cardio_intake.store.states import AuthStatus, DocumentStatus, OrderStatus, ReferralStatus
from cardio_intake.store.views import (
    ApprovalExpiring,
    AuthAwaitingPayer,
    AuthDue,
    MonitorView,
    OrderReady,
    QueueAging,
)

#: Authorizations whose submit-by date is within this many days are listed as due.
DEFAULT_HORIZON_DAYS = 2


def monitor(session: Session, *, clock: Clock = utc_now, horizon_days: int = DEFAULT_HORIZON_DAYS) -> MonitorView:
    now = clock()
    today = now.date()
    auth_load = selectinload(AuthorizationRow.order).selectinload(OrderRow.referral)

    due: list[AuthDue] = []
    for auth in session.scalars(
        select(AuthorizationRow).where(AuthorizationRow.status == AuthStatus.NEEDED.value).options(auth_load)
    ):
        if auth.order.referral.status != ReferralStatus.OPEN or auth.order.status != OrderStatus.OPEN:
            continue
        if auth.submit_by is None or auth.submit_by <= today + timedelta(days=horizon_days):
            due.append(
                AuthDue(
                    authorization_id=auth.id,
                    order_id=auth.order_id,
                    referral_id=auth.order.referral_id,
                    service=auth.order.service,
                    payer=auth.payer,
                    submit_by=auth.submit_by,
                    days_left=(auth.submit_by - today).days if auth.submit_by else None,
                )
            )
    # No submit-by date at all is the most urgent: nobody knows how late it already is.
    due.sort(key=lambda a: (a.submit_by is not None, a.submit_by or today, a.authorization_id))

    overdue: list[AuthAwaitingPayer] = []
    for auth in session.scalars(
        select(AuthorizationRow)
        .where(AuthorizationRow.status.in_([s.value for s in AWAITING_PAYER]))
        .options(auth_load)
    ):
        if auth.submitted_at is None:
            continue
        decision_due = auth.submitted_at + timedelta(hours=auth.decision_window_hours)
        if decision_due < now:
            overdue.append(
                AuthAwaitingPayer(
                    authorization_id=auth.id,
                    order_id=auth.order_id,
                    referral_id=auth.order.referral_id,
                    service=auth.order.service,
                    payer=auth.payer,
                    status=AuthStatus(auth.status),
                    submitted_at=auth.submitted_at,
                    decision_due_at=decision_due,
                    hours_overdue=round((now - decision_due).total_seconds() / 3600, 2),
                )
            )
    overdue.sort(key=lambda a: -a.hours_overdue)

    expiring: list[ApprovalExpiring] = []
    for auth in session.scalars(
        select(AuthorizationRow)
        .join(OrderRow, OrderRow.id == AuthorizationRow.order_id)
        .where(
            AuthorizationRow.status == AuthStatus.APPROVED.value,
            OrderRow.status == OrderStatus.SCHEDULED.value,
            OrderRow.appointment_date.is_not(None),
            AuthorizationRow.valid_to < OrderRow.appointment_date,
        )
        .options(auth_load)
    ):
        assert auth.valid_to is not None and auth.order.appointment_date is not None
        expiring.append(
            ApprovalExpiring(
                authorization_id=auth.id,
                order_id=auth.order_id,
                referral_id=auth.order.referral_id,
                service=auth.order.service,
                valid_to=auth.valid_to,
                appointment_date=auth.order.appointment_date,
            )
        )

    ready: list[OrderReady] = []
    open_referrals = session.scalars(
        select(ReferralRow)
        .where(ReferralRow.status == ReferralStatus.OPEN.value)
        .options(selectinload(ReferralRow.orders).selectinload(OrderRow.authorization))
    ).all()
    aging = {q: QueueAging(queue=q, open=0, overdue=0, oldest_age_hours=0.0, buckets={}) for q in QUEUES}
    for referral in open_referrals:
        for order in referral.orders:
            if order.status == OrderStatus.OPEN and not order_blockers(order, today, today):
                ready.append(
                    OrderReady(
                        order_id=order.id,
                        referral_id=referral.id,
                        service=order.service,
                        priority=referral.priority,
                        patient_name=referral.patient_name,
                    )
                )
        qa = aging.setdefault(
            referral.queue, QueueAging(queue=referral.queue, open=0, overdue=0, oldest_age_hours=0.0, buckets={})
        )
        age_h = (now - referral.created_at).total_seconds() / 3600
        qa.open += 1
        qa.overdue += int(referral.due_at < now)
        qa.oldest_age_hours = round(max(qa.oldest_age_hours, age_h), 2)
        bucket = sla.aging_bucket(age_h)
        qa.buckets[bucket] = qa.buckets.get(bucket, 0) + 1
    for qa in aging.values():
        qa.buckets = {name: qa.buckets.get(name, 0) for name, _ in sla.AGING_BUCKETS}
    ready.sort(key=lambda o: (sla.PRIORITY_RANK.get(o.priority, 9), o.referral_id, o.order_id))

    counts = dict(
        session.execute(select(DocumentRow.status, func.count()).group_by(DocumentRow.status)).tuples().all()
    )
    return MonitorView(
        as_of=now,
        horizon_days=horizon_days,
        auths_due_to_submit=due,
        pending_beyond_window=overdue,
        approvals_expiring_before_appointment=expiring,
        orders_ready_to_schedule=ready,
        aging=list(aging.values()),
        documents={s.value: int(counts.get(s.value, 0)) for s in DocumentStatus},
    )
