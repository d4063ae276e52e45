"""Read side: building the pydantic views of documents and referrals from rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from cardio_intake.schemas import TriageDecision
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.errors import NotFound
from cardio_intake.store.gate import order_blockers
from cardio_intake.store.lifecycle import AWAITING_PAYER
from cardio_intake.store.models import AuthorizationRow, DocumentRow, OrderRow, ReferralRow
from cardio_intake.store.states import AuthStatus
from cardio_intake.store.updates import load_referral
from cardio_intake.store.views import (
    AuthorizationView,
    DocumentView,
    IntakeResult,
    OrderView,
    Readiness,
    ReferralView,
)


def decision_due_at(auth: AuthorizationRow) -> datetime | None:
    if AuthStatus(auth.status) in AWAITING_PAYER and auth.submitted_at is not None:
        return auth.submitted_at + timedelta(hours=auth.decision_window_hours)
    return None


def authorization_view(auth: AuthorizationRow) -> AuthorizationView:
    return AuthorizationView(
        id=auth.id,
        order_id=auth.order_id,
        status=AuthStatus(auth.status),
        payer=auth.payer,
        program=auth.program,
        rule_id=auth.rule_id,
        reason=auth.reason,
        source=auth.source,
        submit_by=auth.submit_by,
        decision_window_hours=auth.decision_window_hours,
        submitted_at=auth.submitted_at,
        decision_due_at=decision_due_at(auth),
        decided_at=auth.decided_at,
        auth_number=auth.auth_number,
        valid_from=auth.valid_from,
        valid_to=auth.valid_to,
        units=auth.units,
        denial_reason=auth.denial_reason,
        updated_at=auth.updated_at,
    )


def order_view(order: OrderRow, today: date) -> OrderView:
    as_of = order.appointment_date or today
    blockers = order_blockers(order, as_of, today)
    return OrderView(
        id=order.id,
        service=order.service,
        cpt=order.cpt,
        status=order.status,
        auth_required=order.auth_required,
        depends_on=list(order.depends_on),
        documentation_missing=list(order.documentation_missing),
        appointment_date=order.appointment_date,
        authorization=authorization_view(order.authorization) if order.authorization else None,
        readiness=Readiness(as_of=as_of, schedulable=not blockers, blockers=blockers),
    )


def referral_view(referral: ReferralRow, now: datetime) -> ReferralView:
    return ReferralView(
        id=referral.id,
        document_id=referral.document_id,
        document_sha256=referral.document.sha256,
        practice_id=referral.practice_id,
        status=referral.status,
        queue=referral.queue,
        priority=referral.priority,
        due_at=referral.due_at,
        overdue=referral.status == "open" and referral.due_at < now,
        review_needed=referral.review_needed,
        route_reasons=list(referral.route_reasons),
        patient_name=referral.patient_name,
        payer=referral.payer,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        orders=[order_view(o, now.date()) for o in referral.orders],
        triage=TriageDecision.model_validate(referral.triage),
    )


def get_referral(session: Session, referral_id: int, *, clock: Clock = utc_now) -> ReferralView:
    return referral_view(load_referral(session, referral_id), clock())


def document_view(doc: DocumentRow) -> DocumentView:
    return DocumentView(
        id=doc.id,
        sha256=doc.sha256,
        name=doc.name,
        status=doc.status,
        received_at=doc.received_at,
        source_fax=doc.source_fax,
        pages=doc.pages,
        error=doc.error,
    )


def get_document(session: Session, document_id: int) -> DocumentRow:
    doc = session.get(DocumentRow, document_id)
    if doc is None:
        raise NotFound("document", document_id)
    return doc


def intake_result(session: Session, doc: DocumentRow, created: bool, *, clock: Clock = utc_now) -> IntakeResult:
    now = clock()
    referrals = [referral_view(load_referral(session, r.id), now) for r in doc.referrals]
    return IntakeResult(document=document_view(doc), created=created, referrals=referrals)
