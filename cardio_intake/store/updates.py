"""State changes after intake: payer responses, scheduling, completion, documentation, review, re-triage.

Each function takes a Session, applies one change with its event, re-triages where the change can
alter a decision, and commits. Concurrent writers on the same authorization are caught by its
optimistic version column and reported as :class:`ConcurrentUpdate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from cardio_intake.schemas import ReferralPrediction, Review
from cardio_intake.store import events
from cardio_intake.store.apply import retriage
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.corrections import apply_corrections
from cardio_intake.store.errors import ConcurrentUpdate, InvalidOrderChange, NotFound, NotSchedulable
from cardio_intake.store.gate import load_order, order_blockers
from cardio_intake.store.lifecycle import StatusUpdate, check_transition
from cardio_intake.store.models import AuthorizationRow, OrderRow, ReferralRow
from cardio_intake.store.ports import TriageFn
from cardio_intake.store.states import AuthStatus, OrderStatus, ReferralStatus


def _auth_snapshot(auth: AuthorizationRow) -> dict[str, Any]:
    return {
        "status": auth.status,
        "auth_number": auth.auth_number,
        "valid_from": auth.valid_from.isoformat() if auth.valid_from else None,
        "valid_to": auth.valid_to.isoformat() if auth.valid_to else None,
        "units": auth.units,
        "denial_reason": auth.denial_reason,
    }


def load_referral(session: Session, referral_id: int) -> ReferralRow:
    referral = session.scalar(
        select(ReferralRow)
        .where(ReferralRow.id == referral_id)
        .options(selectinload(ReferralRow.orders).selectinload(OrderRow.authorization))
    )
    if referral is None:
        raise NotFound("referral", referral_id)
    return referral


def _commit(session: Session) -> None:
    session.commit()


@contextmanager
def _guard(session: Session) -> Iterator[None]:
    """A version mismatch can surface at any flush (autoflush included): report it as ConcurrentUpdate."""
    try:
        yield
    except StaleDataError as exc:
        session.rollback()
        raise ConcurrentUpdate(f"the record changed while this request was being applied: {exc}") from exc


def update_authorization(
    session: Session,
    authorization_id: int,
    update: StatusUpdate,
    *,
    triage_fn: TriageFn,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> AuthorizationRow:
    """Apply a payer response (or a submission) to one authorization, then re-triage its referral."""
    with _guard(session):
        return _update_authorization(session, authorization_id, update, triage_fn=triage_fn, clock=clock, actor=actor)


def _update_authorization(
    session: Session,
    authorization_id: int,
    update: StatusUpdate,
    *,
    triage_fn: TriageFn,
    clock: Clock,
    actor: str,
) -> AuthorizationRow:
    auth = session.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise NotFound("authorization", authorization_id)
    check_transition(AuthStatus(auth.status), update)
    now = clock()
    before = _auth_snapshot(auth)
    target = update.status
    auth.status = target.value
    auth.updated_at = now
    if target is AuthStatus.SUBMITTED:
        auth.submitted_at = now  # the payer's decision clock starts (again, on a resubmission)
        auth.decided_at = None
        auth.denial_reason = None
    elif target is AuthStatus.APPROVED:
        auth.decided_at = now
        auth.auth_number = update.auth_number
        auth.valid_from, auth.valid_to, auth.units = update.valid_from, update.valid_to, update.units
    elif target is AuthStatus.DENIED:
        auth.decided_at = now
        auth.denial_reason = update.denial_reason
    referral = load_referral(session, auth.order.referral_id)
    events.record(
        session,
        at=now,
        actor=actor,
        action="authorization.status",
        entity="authorization",
        entity_id=auth.id,
        referral_id=referral.id,
        before=before,
        after=_auth_snapshot(auth),
    )
    retriage(session, referral, triage_fn, now=now, actor=actor, cause=f"authorization:{auth.id}:{target.value}")
    _commit(session)
    return auth


def schedule_order(
    session: Session,
    order_id: int,
    day: date,
    *,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> OrderRow:
    """Book the order on ``day`` if the gate allows it; otherwise raise :class:`NotSchedulable`."""
    order = load_order(session, order_id)
    now = clock()
    blockers = order_blockers(order, day, now.date())
    if blockers:
        raise NotSchedulable(order_id, blockers)
    before = {"status": order.status, "appointment_date": _iso(order.appointment_date)}
    order.status = OrderStatus.SCHEDULED.value
    order.appointment_date = day
    order.updated_at = now
    events.record(
        session,
        at=now,
        actor=actor,
        action="order.scheduled",
        entity="order",
        entity_id=order.id,
        referral_id=order.referral_id,
        before=before,
        after={"status": order.status, "appointment_date": day.isoformat()},
    )
    _refresh_referral_status(session, order.referral, now=now, actor=actor)
    _commit(session)
    return order


def set_order_status(
    session: Session,
    order_id: int,
    status: OrderStatus,
    *,
    triage_fn: TriageFn,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> OrderRow:
    """Mark an order completed or cancelled (completion can free the orders that depend on it)."""
    if status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        raise InvalidOrderChange(f"orders are set to completed or cancelled here, not {status.value!r}")
    order = load_order(session, order_id)
    if order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        raise InvalidOrderChange(f"order {order_id} is already {order.status}")
    now = clock()
    before = {"status": order.status}
    order.status = status.value
    order.updated_at = now
    if status is OrderStatus.COMPLETED:
        order.completed_at = now
    events.record(
        session,
        at=now,
        actor=actor,
        action=f"order.{status.value}",
        entity="order",
        entity_id=order.id,
        referral_id=order.referral_id,
        before=before,
        after={"status": order.status},
    )
    referral = order.referral
    retriage(session, referral, triage_fn, now=now, actor=actor, cause=f"order:{order.id}:{status.value}")
    _refresh_referral_status(session, referral, now=now, actor=actor)
    _commit(session)
    return order


def record_documentation(
    session: Session,
    order_id: int,
    received: list[str],
    *,
    triage_fn: TriageFn,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> OrderRow:
    """Record documentation items received for an order (e.g. office_note_within_60_days)."""
    order = load_order(session, order_id)
    now = clock()
    before = {"documentation_missing": list(order.documentation_missing)}
    order.documentation_received = sorted(set(order.documentation_received) | set(received))
    order.documentation_missing = [m for m in order.documentation_missing if m not in received]
    order.updated_at = now
    events.record(
        session,
        at=now,
        actor=actor,
        action="order.documentation",
        entity="order",
        entity_id=order.id,
        referral_id=order.referral_id,
        before=before,
        after={"documentation_missing": list(order.documentation_missing), "received": sorted(received)},
    )
    retriage(session, order.referral, triage_fn, now=now, actor=actor, cause=f"order:{order.id}:documentation")
    _commit(session)
    return order


def mark_reviewed(
    session: Session,
    referral_id: int,
    *,
    triage_fn: TriageFn,
    corrections: Mapping[str, Any] | None = None,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> ReferralRow:
    """A person has checked the extraction: the referral leaves intake_review on re-triage.

    ``corrections`` (contract field name -> right value, and ``intents``; see
    :mod:`cardio_intake.store.corrections`) replace the extracted values first, each with its
    before/after in the event log; re-triage then creates or updates orders and authorizations from
    the corrected prediction, and open orders of services the reviewer struck out are cancelled.
    An unknown field or an invalid value raises :class:`InvalidCorrection` and changes nothing.
    """
    referral = load_referral(session, referral_id)
    current = ReferralPrediction.model_validate(referral.prediction)
    corrected, changes = apply_corrections(current, corrections or {})
    now = clock()
    before = {"review_needed": referral.review_needed, "reasons": list(current.review.reasons)}
    if changes:
        events.record(
            session,
            at=now,
            actor=actor,
            action="referral.corrected",
            entity="referral",
            entity_id=referral.id,
            referral_id=referral.id,
            before={c.field: c.before for c in changes},
            after={c.field: c.after for c in changes},
        )
        referral.patient_name = corrected.fields.patient_name
        referral.payer = corrected.fields.payer
        if any(c.field == "intents" for c in changes):
            _cancel_struck_services(session, referral, {i.label for i in corrected.intents}, now=now, actor=actor)
    # The rules route on review.needed; a checked extraction no longer needs it.
    referral.prediction = corrected.model_copy(update={"review": Review(needed=False)}).model_dump(mode="json")
    referral.review_needed = False
    referral.reviewed_at, referral.reviewed_by = now, actor
    events.record(
        session,
        at=now,
        actor=actor,
        action="referral.reviewed",
        entity="referral",
        entity_id=referral.id,
        referral_id=referral.id,
        before=before,
        after={"review_needed": False, "corrected": [c.field for c in changes]},
    )
    retriage(session, referral, triage_fn, now=now, actor=actor, cause="review")
    _commit(session)
    return referral


def _cancel_struck_services(
    session: Session, referral: ReferralRow, ordered: set[str], *, now: datetime, actor: str
) -> None:
    """The reviewer says these services were never ordered: their open orders are cancelled (re-triage
    alone keeps an order the rules stop listing, for a person to decide; here the person has)."""
    for order in referral.orders:
        if order.service in ordered or order.status != OrderStatus.OPEN:
            continue
        order.status = OrderStatus.CANCELLED.value
        order.updated_at = now
        events.record(
            session,
            at=now,
            actor=actor,
            action="order.cancelled",
            entity="order",
            entity_id=order.id,
            referral_id=referral.id,
            before={"status": OrderStatus.OPEN.value},
            after={"status": OrderStatus.CANCELLED.value, "cause": "review:service_not_ordered"},
        )


def retriage_open(
    session: Session,
    triage_fn: TriageFn,
    *,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
    cause: str = "policy_change",
) -> list[int]:
    """Re-triage every open referral (after a policy change); returns the ids whose decision changed."""
    now = clock()
    changed: list[int] = []
    ids = list(session.scalars(select(ReferralRow.id).where(ReferralRow.status == ReferralStatus.OPEN.value)))
    for referral_id in ids:
        referral = load_referral(session, referral_id)
        if retriage(session, referral, triage_fn, now=now, actor=actor, cause=cause):
            changed.append(referral_id)
        _commit(session)
    return changed


def expire_approvals(
    session: Session,
    triage_fn: TriageFn,
    *,
    clock: Clock = utc_now,
) -> list[int]:
    """Move approvals whose window ended before today to ``expired`` (a periodic sweep)."""
    today = clock().date()
    ids = list(
        session.scalars(
            select(AuthorizationRow.id).where(
                AuthorizationRow.status == AuthStatus.APPROVED.value, AuthorizationRow.valid_to < today
            )
        )
    )
    for auth_id in ids:
        update_authorization(
            session, auth_id, StatusUpdate(AuthStatus.EXPIRED), triage_fn=triage_fn, clock=clock, actor="expiry-sweep"
        )
    return ids


def _refresh_referral_status(session: Session, referral: ReferralRow, *, now: datetime, actor: str) -> None:
    """A referral leaves the worklists once none of its orders is still open."""
    open_orders = [o for o in referral.orders if o.status == OrderStatus.OPEN]
    target = ReferralStatus.OPEN if open_orders or not referral.orders else ReferralStatus.SCHEDULED
    if referral.status != target:
        events.record(
            session,
            at=now,
            actor=actor,
            action="referral.status",
            entity="referral",
            entity_id=referral.id,
            referral_id=referral.id,
            before={"status": referral.status},
            after={"status": target.value},
        )
        referral.status = target.value
        referral.updated_at = now


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
