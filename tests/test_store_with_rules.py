"""The store with the real rules layer (shipped policies): an authorization's approval and recorded
documentation re-triage the referral until its order is schedulable (SQLite only; the store's
backend behaviour is covered on both databases elsewhere)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, referral_prediction

from cardio_intake.store.clock import FixedClock
from cardio_intake.store.gate import check_appointment
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import StatusUpdate
from cardio_intake.store.models import EventRow
from cardio_intake.store.queries import get_referral
from cardio_intake.store.rules_adapter import RulesTriage
from cardio_intake.store.states import AuthStatus
from cardio_intake.store.updates import record_documentation, update_authorization


@pytest.fixture(scope="module")
def rules() -> RulesTriage:
    return RulesTriage.load()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_echo_becomes_schedulable_after_approval_and_documentation(
    session: Session, clock: FixedClock, documents_dir: Path, rules: RulesTriage
) -> None:
    predictor = FakePredictor()
    predictor.by_bytes[b"uhc"] = [referral_prediction(payer="UnitedHealthcare", intents=("echo_tte",))]
    doc, _ = intake(session, b"uhc", "f.pdf", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    referral = get_referral(session, doc.referrals[0].id, clock=clock)
    (echo,) = referral.orders
    assert referral.queue == "prior_auth"
    assert echo.auth_required is True and echo.authorization is not None
    assert echo.authorization.status == "needed" and echo.authorization.submit_by is not None
    assert echo.authorization.rule_id  # the policy that requires it is named
    day = clock().date() + timedelta(days=14)
    blockers = {b.code for b in check_appointment(session, echo.id, day, clock=clock).blockers}
    assert "prior_auth_not_approved" in blockers

    auth_id = echo.authorization.id
    update_authorization(session, auth_id, StatusUpdate(AuthStatus.SUBMITTED), triage_fn=rules, clock=clock)
    update_authorization(
        session,
        auth_id,
        StatusUpdate(AuthStatus.APPROVED, auth_number="UHC-1", valid_from=clock().date(), valid_to=day + timedelta(days=30)),
        triage_fn=rules,
        clock=clock,
    )
    check = check_appointment(session, echo.id, day, clock=clock)
    assert not any(b.code.startswith("prior_auth") for b in check.blockers)
    missing = [b.code.split(":", 1)[1] for b in check.blockers if b.code.startswith("documentation_missing:")]
    if missing:
        record_documentation(session, echo.id, missing, triage_fn=rules, clock=clock, actor="key:records")
    check = check_appointment(session, echo.id, day, clock=clock)
    assert check.allowed, check.blockers
    assert get_referral(session, referral.id, clock=clock).queue == "scheduling"
    causes = [e.after["cause"] for e in session.scalars(select(EventRow).where(EventRow.action == "referral.retriaged")) if e.after]
    assert f"authorization:{auth_id}:approved" in causes
