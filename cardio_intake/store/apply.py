"""Turning triage decisions into rows: creation at intake, and re-triage of an existing referral."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cardio_intake.schemas import OrderDecision, ReferralPrediction, TriageDecision
from cardio_intake.store import events, sla
from cardio_intake.store.lifecycle import TRANSITIONS
from cardio_intake.store.models import AuthorizationRow, OrderRow, ReferralRow
from cardio_intake.store.ports import OrderProgress, TriageFn, WorkflowState
from cardio_intake.store.states import AuthStatus, OrderStatus, ReferralStatus


def earliest_submit_by(decision: TriageDecision) -> date | None:
    dates = [o.prior_auth.submit_by for o in decision.orders if o.prior_auth.required and o.prior_auth.submit_by]
    return min(dates) if dates else None


def new_referral(
    *,
    document_id: int,
    position: int,
    practice_id: str,
    prediction: ReferralPrediction,
    decision: TriageDecision,
    page_types: list[str],
    now: datetime,
) -> ReferralRow:
    """A referral with its orders and authorizations (not yet added to a session)."""
    route = decision.route
    referral = ReferralRow(
        document_id=document_id,
        position=position,
        practice_id=practice_id,
        created_at=now,
        updated_at=now,
        status=ReferralStatus.OPEN.value,
        queue=route.queue,
        priority=route.priority,
        due_at=sla.due_at(route.queue, route.priority, now, earliest_submit_by(decision)),
        route_reasons=list(route.reasons),
        review_needed=prediction.review.needed,
        patient_name=prediction.fields.patient_name,
        payer=prediction.fields.payer,
        page_types=list(page_types),
        prediction=prediction.model_dump(mode="json"),
        triage=decision.model_dump(mode="json"),
    )
    for position_, od in enumerate(decision.orders):
        referral.orders.append(new_order(od, referral, position_, now))
    return referral


def new_order(od: OrderDecision, referral: ReferralRow, position: int, now: datetime) -> OrderRow:
    """An order as the rules decided it, with its authorization when the requirement is known."""
    order = OrderRow(
        position=position,
        service=od.service,
        cpt=od.cpt,
        status=OrderStatus.OPEN.value,
        auth_required=od.prior_auth.required,
        depends_on=list(od.depends_on),
        documentation_missing=list(od.documentation.missing),
        documentation_received=[],
        blocked_by=list(od.blocked_by),
        updated_at=now,
    )
    if od.prior_auth.required is not None:
        order.authorization = _new_authorization(od, referral, now)
    return order


def _new_authorization(od: OrderDecision, referral: ReferralRow, now: datetime) -> AuthorizationRow:
    pa = od.prior_auth
    return AuthorizationRow(
        status=(AuthStatus.NEEDED if pa.required else AuthStatus.NOT_REQUIRED).value,
        payer=referral.payer,
        program=pa.program,
        rule_id=pa.rule_id,
        reason=pa.reason,
        source=pa.source,
        submit_by=pa.submit_by if pa.required else None,
        decision_window_hours=sla.decision_window_hours(referral.priority, pa.expedited),
        updated_at=now,
        version=1,
    )


def workflow_state(referral: ReferralRow) -> WorkflowState:
    return WorkflowState(
        orders=[
            OrderProgress(
                service=o.service,
                status=o.status,
                auth_status=o.authorization.status if o.authorization else None,
                auth_valid_from=o.authorization.valid_from if o.authorization else None,
                auth_valid_to=o.authorization.valid_to if o.authorization else None,
                documentation_received=list(o.documentation_received),
            )
            for o in referral.orders
        ],
        reviewed=referral.reviewed_at is not None,
    )


def snapshot(referral: ReferralRow) -> dict[str, Any]:
    """What re-triage can change, for the event log's before/after."""
    return {
        "queue": referral.queue,
        "priority": referral.priority,
        "status": referral.status,
        "route_reasons": list(referral.route_reasons),
        "orders": [
            {
                "id": o.id,
                "service": o.service,
                "auth_required": o.auth_required,
                "auth_status": o.authorization.status if o.authorization else None,
                "documentation_missing": list(o.documentation_missing),
                "blocked_by": list(o.blocked_by),
            }
            for o in referral.orders
        ],
    }


def retriage(
    session: Session,
    referral: ReferralRow,
    triage_fn: TriageFn,
    *,
    now: datetime,
    actor: str,
    cause: str,
) -> bool:
    """Ask the rules again with the referral's current state; apply and log what changed.

    Returns whether anything changed. Authorization requirements that appear or disappear move the
    authorization along its lifecycle (never around it); documentation a person recorded as received
    stays out of the missing list. A service the rules list that has no order yet (a reviewer
    corrected the ordered services) gets one, made as intake makes them.
    """
    before = snapshot(referral)
    prediction = ReferralPrediction.model_validate(referral.prediction)
    decision = triage_fn(
        prediction, referral.practice_id, now.date(), workflow_state(referral), list(referral.page_types)
    )
    by_service: dict[str, list[OrderDecision]] = {}
    for od in decision.orders:
        by_service.setdefault(od.service, []).append(od)
    for order in referral.orders:
        matches = by_service.get(order.service)
        if not matches:
            continue  # the rules no longer list it; keep the order for a person to cancel
        _apply_order_decision(session, order, matches.pop(0), referral, now=now, actor=actor, cause=cause)
    unmatched = {id(od) for ods in by_service.values() for od in ods}
    for od in decision.orders:
        if id(od) in unmatched:
            _add_order(session, od, referral, now=now, actor=actor, cause=cause)
    route = decision.route
    if route.queue != referral.queue or route.priority != referral.priority:
        referral.due_at = sla.due_at(route.queue, route.priority, now, _open_submit_by(referral))
    referral.queue = route.queue
    referral.priority = route.priority
    referral.route_reasons = list(route.reasons)
    referral.triage = decision.model_dump(mode="json")
    after = snapshot(referral)
    if after == before:
        return False
    referral.updated_at = now
    events.record(
        session,
        at=now,
        actor=actor,
        action="referral.retriaged",
        entity="referral",
        entity_id=referral.id,
        referral_id=referral.id,
        before=before,
        after={**after, "cause": cause},
    )
    return True


def _open_submit_by(referral: ReferralRow) -> date | None:
    dates = [
        o.authorization.submit_by
        for o in referral.orders
        if o.authorization and o.authorization.status == AuthStatus.NEEDED and o.authorization.submit_by
    ]
    return min(dates) if dates else None


def _add_order(
    session: Session, od: OrderDecision, referral: ReferralRow, *, now: datetime, actor: str, cause: str
) -> None:
    position = max((o.position for o in referral.orders), default=-1) + 1
    order = new_order(od, referral, position, now)
    referral.orders.append(order)
    session.flush()
    auth = order.authorization
    events.record(
        session,
        at=now,
        actor=actor,
        action="order.created",
        entity="order",
        entity_id=order.id,
        referral_id=referral.id,
        after={"service": order.service, "auth": auth.status if auth else None, "cause": cause},
    )
    if auth is not None:
        _record_auth_created(session, auth, referral, now=now, actor=actor, cause=cause)


def _record_auth_created(
    session: Session, auth: AuthorizationRow, referral: ReferralRow, *, now: datetime, actor: str, cause: str
) -> None:
    events.record(
        session,
        at=now,
        actor=actor,
        action="authorization.created",
        entity="authorization",
        entity_id=auth.id,
        referral_id=referral.id,
        after={"status": auth.status, "cause": cause},
    )


def _apply_order_decision(
    session: Session,
    order: OrderRow,
    od: OrderDecision,
    referral: ReferralRow,
    *,
    now: datetime,
    actor: str,
    cause: str,
) -> None:
    order.cpt = od.cpt or order.cpt
    order.depends_on = list(od.depends_on)
    order.documentation_missing = [m for m in od.documentation.missing if m not in order.documentation_received]
    order.blocked_by = list(od.blocked_by)
    required = od.prior_auth.required
    order.auth_required = required
    auth = order.authorization
    if required is None:
        return  # unknown: leave any authorization where it is, a person decides
    if auth is None:
        order.authorization = _new_authorization(od, referral, now)
        session.flush()
        _record_auth_created(session, order.authorization, referral, now=now, actor=actor, cause=cause)
        return
    current = AuthStatus(auth.status)
    if current in (AuthStatus.NEEDED, AuthStatus.NOT_REQUIRED) and auth.payer != referral.payer:
        auth.payer = referral.payer  # not sent yet: it goes to the payer on file now (a reviewer corrected it)
    target: AuthStatus | None = None
    if required and current is AuthStatus.NOT_REQUIRED:
        target = AuthStatus.NEEDED
    elif not required and AuthStatus.NOT_REQUIRED in TRANSITIONS[current]:
        target = AuthStatus.NOT_REQUIRED
    if required:
        auth.submit_by = od.prior_auth.submit_by or auth.submit_by
        auth.rule_id, auth.program = od.prior_auth.rule_id, od.prior_auth.program
        auth.reason, auth.source = od.prior_auth.reason, od.prior_auth.source
    if target is not None:
        events.record(
            session,
            at=now,
            actor=actor,
            action="authorization.status",
            entity="authorization",
            entity_id=auth.id,
            referral_id=referral.id,
            before={"status": auth.status},
            after={"status": target.value, "cause": cause},
        )
        auth.status = target.value
        auth.updated_at = now
