"""The scheduling gate: may this order be booked on this date? If not, every reason why.

Evaluated from the stored state (authorization status and window, prerequisite orders, documentation),
so it holds even when the rules' last decision is stale; decisions of the rules layer that the store
does not track itself (out of network, unknown payer ...) are carried over from the latest triage.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.errors import NotFound
from cardio_intake.store.models import OrderRow, ReferralRow
from cardio_intake.store.states import AuthStatus, OrderStatus
from cardio_intake.store.views import AppointmentCheck, Blocker

#: Triage blocker codes the gate re-evaluates from stored state (so a stale decision cannot block or free).
STATE_DERIVED_PREFIXES: tuple[str, ...] = (
    "prior_auth",
    "auth_",
    "documentation",
    "prerequisite",
    "depends_on",
    "review",
    "extraction_review",
)


def order_blockers(order: OrderRow, day: date, today: date) -> list[Blocker]:
    """Every reason ``order`` may not be booked on ``day`` (empty: allowed)."""
    blockers: list[Blocker] = []
    if order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        blockers.append(Blocker(code=f"order_{order.status}", detail=f"the order is {order.status}"))
    if day < today:
        blockers.append(Blocker(code="date_in_past", detail=f"{day} is before today ({today})"))
    referral = order.referral
    if referral.review_needed:
        blockers.append(
            Blocker(code="extraction_review_pending", detail="the extracted referral awaits a person's review")
        )
    blockers.extend(_auth_blockers(order, day))
    for prerequisite in order.depends_on:
        siblings = [o for o in referral.orders if o.service == prerequisite and o.id != order.id]
        if not any(o.status == OrderStatus.COMPLETED for o in siblings):
            state = siblings[0].status if siblings else "not ordered in this referral"
            blockers.append(
                Blocker(
                    code=f"prerequisite_not_done:{prerequisite}",
                    detail=f"{prerequisite} must be completed first (it is {state})",
                )
            )
    for item in order.documentation_missing:
        blockers.append(Blocker(code=f"documentation_missing:{item}", detail=f"documentation missing: {item}"))
    for code in order.blocked_by:
        if not code.startswith(STATE_DERIVED_PREFIXES):
            blockers.append(Blocker(code=code, detail=f"rules layer: {code}"))
    return blockers


def _auth_blockers(order: OrderRow, day: date) -> list[Blocker]:
    if order.auth_required is False:
        return []
    if order.auth_required is None:
        return [
            Blocker(
                code="prior_auth_requirement_unknown",
                detail="no policy on file for this payer/plan: a person must decide whether authorization is needed",
            )
        ]
    auth = order.authorization
    if auth is None or auth.status != AuthStatus.APPROVED:
        status = auth.status if auth is not None else "missing"
        return [Blocker(code="prior_auth_not_approved", detail=f"prior authorization is {status}")]
    assert auth.valid_from is not None and auth.valid_to is not None  # enforced by the lifecycle
    if not (auth.valid_from <= day <= auth.valid_to):
        return [
            Blocker(
                code="auth_window_not_covering_date",
                detail=f"authorization {auth.auth_number} is valid {auth.valid_from}..{auth.valid_to}, not on {day}",
            )
        ]
    return []


def load_order(session: Session, order_id: int) -> OrderRow:
    order = session.scalar(
        select(OrderRow)
        .where(OrderRow.id == order_id)
        .options(
            selectinload(OrderRow.authorization),
            selectinload(OrderRow.referral).selectinload(ReferralRow.orders),
        )
    )
    if order is None:
        raise NotFound("order", order_id)
    return order


def check_appointment(session: Session, order_id: int, day: date, *, clock: Clock = utc_now) -> AppointmentCheck:
    """The scheduling gate for one order and date."""
    order = load_order(session, order_id)
    blockers = order_blockers(order, day, clock().date())
    return AppointmentCheck(order_id=order_id, date=day, allowed=not blockers, blockers=blockers)
