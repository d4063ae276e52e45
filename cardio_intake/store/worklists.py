"""Worklists: a queue's open referrals, most urgent first, then soonest due, paginated."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from cardio_intake.labels import QUEUES
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.gate import order_blockers
from cardio_intake.store.models import OrderRow, ReferralRow
from cardio_intake.store.sla import PRIORITY_RANK
from cardio_intake.store.states import OrderStatus, ReferralStatus
from cardio_intake.store.views import WorklistItem, WorklistPage

MAX_PER_PAGE = 200


class UnknownQueue(ValueError):
    code = "unknown_queue"


def worklist(
    session: Session,
    queue: str,
    *,
    page: int = 1,
    per_page: int = 50,
    clock: Clock = utc_now,
) -> WorklistPage:
    if queue not in QUEUES:
        raise UnknownQueue(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")
    now = clock()
    where = (ReferralRow.status == ReferralStatus.OPEN.value, ReferralRow.queue == queue)
    total = session.scalar(select(func.count()).select_from(ReferralRow).where(*where)) or 0
    rank = case(PRIORITY_RANK, value=ReferralRow.priority, else_=len(PRIORITY_RANK))
    rows = session.scalars(
        select(ReferralRow)
        .where(*where)
        .order_by(rank, ReferralRow.due_at, ReferralRow.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(ReferralRow.orders).selectinload(OrderRow.authorization))
    ).all()
    items = []
    for r in rows:
        open_orders = [o for o in r.orders if o.status == OrderStatus.OPEN]
        codes: list[str] = []
        for order in open_orders:
            for b in order_blockers(order, now.date(), now.date()):
                if b.code not in codes:
                    codes.append(b.code)
        items.append(
            WorklistItem(
                referral_id=r.id,
                queue=r.queue,
                priority=r.priority,
                due_at=r.due_at,
                overdue=r.due_at < now,
                age_hours=round((now - r.created_at).total_seconds() / 3600, 2),
                patient_name=r.patient_name,
                payer=r.payer,
                services=[o.service for o in r.orders],
                blockers=codes,
            )
        )
    return WorklistPage(queue=queue, total=total, page=page, per_page=per_page, items=items)
