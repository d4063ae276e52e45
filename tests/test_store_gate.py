"""The scheduling gate: allowed only with the authorization approved for the date, prerequisites
completed and documentation in; every blocker listed otherwise. Booking goes through the same gate."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, FakeRules, referral_prediction

from cardio_intake.store.clock import FixedClock
from cardio_intake.store.errors import InvalidOrderChange, NotFound, NotSchedulable
from cardio_intake.store.gate import check_appointment
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import StatusUpdate
from cardio_intake.store.models import EventRow, OrderRow, ReferralRow
from cardio_intake.store.queries import get_referral
from cardio_intake.store.states import AuthStatus, OrderStatus
from cardio_intake.store.updates import (
    mark_reviewed,
    record_documentation,
    retriage_open,
    schedule_order,
    set_order_status,
    update_authorization,
)

WINDOW = (date(2026, 11, 10), date(2026, 12, 10))


def _referral(session: Session, clock: FixedClock, documents_dir: Path, rules: FakeRules, **kw: object) -> ReferralRow:
    predictor = FakePredictor()
    data = repr(kw).encode()
    predictor.by_bytes[data] = [referral_prediction(**kw)]  # type: ignore[arg-type]
    doc, _ = intake(session, data, "f.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    return doc.referrals[0]


def _approve(session: Session, order: OrderRow, rules: FakeRules, clock: FixedClock) -> None:
    assert order.authorization is not None
    auth_id = order.authorization.id
    update_authorization(session, auth_id, StatusUpdate(AuthStatus.SUBMITTED), triage_fn=rules, clock=clock)
    update_authorization(
        session,
        auth_id,
        StatusUpdate(AuthStatus.APPROVED, auth_number="AUTH-1", valid_from=WINDOW[0], valid_to=WINDOW[1], units=1),
        triage_fn=rules,
        clock=clock,
    )


def codes(session: Session, order_id: int, day: date, clock: FixedClock) -> list[str]:
    return [b.code for b in check_appointment(session, order_id, day, clock=clock).blockers]


def test_authorization_must_be_approved_and_cover_the_date(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    echo = _referral(session, clock, documents_dir, rules, intents=("echo_tte",)).orders[0]
    day = date(2026, 11, 20)
    assert codes(session, echo.id, day, clock) == ["prior_auth_not_approved"]
    _approve(session, echo, rules, clock)
    check = check_appointment(session, echo.id, day, clock=clock)
    assert check.allowed and check.blockers == [] and check.date == day
    assert codes(session, echo.id, WINDOW[0] - timedelta(days=1), clock) == ["auth_window_not_covering_date"]
    assert codes(session, echo.id, WINDOW[1] + timedelta(days=1), clock) == ["auth_window_not_covering_date"]
    assert codes(session, echo.id, WINDOW[1], clock) == []  # both ends inclusive
    assert codes(session, echo.id, WINDOW[0], clock) == []


def test_denied_or_pending_authorization_blocks(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules()
    echo = _referral(session, clock, documents_dir, rules).orders[0]
    assert echo.authorization is not None
    update_authorization(session, echo.authorization.id, StatusUpdate(AuthStatus.SUBMITTED), triage_fn=rules, clock=clock)
    update_authorization(session, echo.authorization.id, StatusUpdate(AuthStatus.PENDING), triage_fn=rules, clock=clock)
    check = check_appointment(session, echo.id, date(2026, 11, 20), clock=clock)
    assert not check.allowed and check.blockers[0].detail == "prior authorization is pending"
    update_authorization(
        session,
        echo.authorization.id,
        StatusUpdate(AuthStatus.DENIED, denial_reason="no prior conservative therapy"),
        triage_fn=rules,
        clock=clock,
    )
    assert codes(session, echo.id, date(2026, 11, 20), clock) == ["prior_auth_not_approved"]


def test_prerequisite_and_documentation_block_until_done(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules(auth_payers=set())  # no auth needed: isolate the other blockers
    referral = _referral(session, clock, documents_dir, rules, intents=("echo_tte", "echo_tee"))
    tte, tee = referral.orders
    day = date(2026, 11, 20)
    assert codes(session, tee.id, day, clock) == [
        "documentation_missing:office_note_within_60_days",
        "prerequisite_not_done:echo_tte",
    ]
    assert referral.queue == "records_request"
    schedule_order(session, tte.id, date(2026, 11, 5), clock=clock)
    assert codes(session, tee.id, day, clock)[-1] == "prerequisite_not_done:echo_tte"  # booked is not done
    set_order_status(session, tte.id, OrderStatus.COMPLETED, triage_fn=rules, clock=clock)
    assert codes(session, tee.id, day, clock) == ["documentation_missing:office_note_within_60_days"]
    record_documentation(session, tee.id, ["office_note_within_60_days"], triage_fn=rules, clock=clock, actor="key:bob")
    assert codes(session, tee.id, day, clock) == []
    session.expire_all()
    assert session.get(ReferralRow, referral.id).queue == "scheduling"  # type: ignore[union-attr]
    # Re-triage does not bring back documentation a person recorded as received.
    retriage_open(session, rules, clock=clock)
    assert codes(session, tee.id, day, clock) == []


def test_unknown_payer_is_never_schedulable(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules()
    order = _referral(session, clock, documents_dir, rules, payer="Mystery Health").orders[0]
    assert order.auth_required is None and order.authorization is None
    assert codes(session, order.id, date(2026, 11, 20), clock) == ["prior_auth_requirement_unknown"]


def test_review_past_dates_and_closed_orders_block(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules(auth_payers=set())
    referral = _referral(session, clock, documents_dir, rules, review_needed=True)
    order = referral.orders[0]
    assert referral.queue == "intake_review"
    assert codes(session, order.id, date(2026, 11, 20), clock) == ["extraction_review_pending"]
    mark_reviewed(session, referral.id, triage_fn=rules, clock=clock, actor="key:carol")
    assert codes(session, order.id, date(2026, 11, 20), clock) == []
    assert get_referral(session, referral.id, clock=clock).queue == "scheduling"
    assert codes(session, order.id, clock().date() - timedelta(days=1), clock) == ["date_in_past"]
    set_order_status(session, order.id, OrderStatus.CANCELLED, triage_fn=rules, clock=clock)
    assert codes(session, order.id, date(2026, 11, 20), clock) == ["order_cancelled"]
    with pytest.raises(InvalidOrderChange, match="already cancelled"):
        set_order_status(session, order.id, OrderStatus.COMPLETED, triage_fn=rules, clock=clock)


def test_booking_uses_the_gate_and_closes_the_referral(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules)
    echo = referral.orders[0]
    with pytest.raises(NotSchedulable) as err:
        schedule_order(session, echo.id, date(2026, 11, 20), clock=clock)
    assert [b.code for b in err.value.blockers] == ["prior_auth_not_approved"]
    _approve(session, echo, rules, clock)
    schedule_order(session, echo.id, date(2026, 11, 20), clock=clock, actor="key:dana")
    view = get_referral(session, referral.id, clock=clock)
    assert view.status == "scheduled" and view.orders[0].appointment_date == date(2026, 11, 20)
    assert view.orders[0].readiness.schedulable and view.orders[0].readiness.as_of == date(2026, 11, 20)
    actions = [e.action for e in session.scalars(select(EventRow).order_by(EventRow.id))]
    assert actions[-2:] == ["order.scheduled", "referral.status"]


def test_policy_change_retriages_open_referrals(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules(auth_payers=set())
    referral = _referral(session, clock, documents_dir, rules)
    order = referral.orders[0]
    assert order.authorization is not None and order.authorization.status == "not_required"
    assert codes(session, order.id, date(2026, 11, 20), clock) == []
    rules.auth_payers = {"Aetna Medicare Advantage"}  # the payer starts requiring auth for echo
    clock.advance(hours=3)
    assert retriage_open(session, rules, clock=clock, actor="policy-loader") == [referral.id]
    session.expire_all()
    assert codes(session, order.id, date(2026, 11, 20), clock) == ["prior_auth_not_approved"]
    view = get_referral(session, referral.id, clock=clock)
    assert view.queue == "prior_auth" and view.orders[0].authorization.status == "needed"  # type: ignore[union-attr]
    assert view.due_at <= clock() + timedelta(hours=72)
    event = session.scalars(select(EventRow).where(EventRow.action == "referral.retriaged")).one()
    assert event.actor == "policy-loader" and event.after is not None and event.after["cause"] == "policy_change"
    assert event.before is not None and event.before["queue"] == "scheduling"
    # Unchanged policies: nothing to re-triage, nothing logged.
    assert retriage_open(session, rules, clock=clock) == []


def test_unknown_order(session: Session, clock: FixedClock) -> None:
    with pytest.raises(NotFound, match="order 42"):
        check_appointment(session, 42, date(2026, 11, 20), clock=clock)
