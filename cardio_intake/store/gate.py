"""The scheduling gate: may this order be booked on this date? If not, every reason why.

Authorization (status and validity window against the asked date), documentation and review are
evaluated from the stored state, so they hold even when the rules' last decision is stale. The rest of
the latest triage's blockers are carried over: prerequisites (the rules know which prerequisite may
stand in for which; re-triage runs whenever an order is completed), payer not accepted, service not
offered.
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

#: Triage blocker codes the gate re-evaluates itself from stored state for the asked date (authorization
#: status and window, documentation received, review done), so a stale decision cannot block or free.
#: Every other code of the latest triage is carried over: prerequisites (``prerequisite_pending:<service>``,
#: re-evaluated by re-triage whenever an order is completed), payer not accepted, service not offered.
STATE_DERIVED_PREFIXES: tuple[str, ...] = (
    "prior_auth",
    "auth_",
    "documentation_missing",
    "review_needed",
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
    for item in order.documentation_missing:
        blockers.append(Blocker(code=f"documentation_missing:{item}", detail=f"documentation missing: {item}"))
    for code in order.blocked_by:
        if not code.startswith(STATE_DERIVED_PREFIXES):
            blockers.append(Blocker(code=code, detail=_carried_detail(code)))
    return blockers


_CARRIED_DETAILS = {
    "prerequisite_pending": "{} must be completed first",
    "prerequisite_not_done": "{} must be completed first",
    "prerequisite_not_ordered": "{} must be ordered and completed first",
    "payer_not_accepted": "the practice does not accept this payer/plan",
    "service_not_offered": "the practice does not offer this service: refer to a partner",
}


def _carried_detail(code: str) -> str:
    name, _, arg = code.partition(":")
    template = _CARRIED_DETAILS.get(name)
    return template.format(arg) if template else f"rules layer: {code}"


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
