"""Authorization lifecycle: the transition table, exhaustively, and payer responses through the store."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, FakeRules

from cardio_intake.store.clock import FixedClock
from cardio_intake.store.errors import ConcurrentUpdate, NotFound
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import (
    TRANSITIONS,
    IllegalTransition,
    InvalidTransitionData,
    StatusUpdate,
    check_transition,
)
from cardio_intake.store.models import AuthorizationRow, EventRow
from cardio_intake.store.states import AuthStatus
from cardio_intake.store.updates import update_authorization

A = AuthStatus
EXPECTED = {
    (A.NOT_REQUIRED, A.NEEDED),
    (A.NEEDED, A.SUBMITTED),
    (A.NEEDED, A.NOT_REQUIRED),
    (A.SUBMITTED, A.PENDING),
    (A.SUBMITTED, A.APPROVED),
    (A.SUBMITTED, A.DENIED),
    (A.PENDING, A.APPROVED),
    (A.PENDING, A.DENIED),
    (A.APPROVED, A.EXPIRED),
    (A.DENIED, A.SUBMITTED),
    (A.DENIED, A.NEEDED),
    (A.DENIED, A.NOT_REQUIRED),
    (A.EXPIRED, A.NEEDED),
    (A.EXPIRED, A.NOT_REQUIRED),
}


def valid_update(target: AuthStatus) -> StatusUpdate:
    if target is A.APPROVED:
        return StatusUpdate(target, auth_number="A123", valid_from=date(2026, 11, 1), valid_to=date(2027, 1, 31), units=1)
    if target is A.DENIED:
        return StatusUpdate(target, denial_reason="not medically necessary")
    return StatusUpdate(target)


def test_transition_table_is_the_documented_one() -> None:
    assert set(TRANSITIONS) == set(AuthStatus)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EXPECTED


@pytest.mark.parametrize(("current", "target"), list(itertools.product(AuthStatus, AuthStatus)))
def test_every_pair_is_allowed_exactly_when_in_the_table(current: AuthStatus, target: AuthStatus) -> None:
    update = valid_update(target)
    if (current, target) in EXPECTED:
        check_transition(current, update)
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(current, update)
        assert err.value.current is current and err.value.target is target
        assert f"from {current.value!r} to {target.value!r}" in str(err.value)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (StatusUpdate(A.APPROVED, valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 1)), "auth_number"),
        (StatusUpdate(A.APPROVED, auth_number="X", valid_to=date(2026, 2, 1)), "valid_from"),
        (StatusUpdate(A.APPROVED, auth_number="X", valid_from=date(2026, 3, 1), valid_to=date(2026, 2, 1)), "reversed"),
        (StatusUpdate(A.APPROVED, auth_number="X", valid_from=date(2026, 1, 1), valid_to=date(2026, 2, 1), units=0), "units"),
        (StatusUpdate(A.DENIED), "reason"),
        (StatusUpdate(A.DENIED, denial_reason="  "), "reason"),
        (StatusUpdate(A.PENDING, auth_number="X"), "takes no"),
    ],
)
def test_transition_data_is_checked(update: StatusUpdate, message: str) -> None:
    current = A.SUBMITTED
    with pytest.raises(InvalidTransitionData, match=message):
        check_transition(current, update)


# --- through the store (both databases) ----------------------------------------------------------


def _one_auth(session: Session, clock: FixedClock, documents_dir: Path, rules: FakeRules) -> AuthorizationRow:
    intake(session, b"fax-1", "fax-1.tif", "+16145550199", FakePredictor(), rules, documents_dir=documents_dir, clock=clock)
    auth = session.scalars(select(AuthorizationRow)).one()
    assert auth.status == "needed"
    return auth


def test_payer_responses_walk_the_lifecycle_and_are_logged(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    auth = _one_auth(session, clock, documents_dir, rules)
    clock.advance(hours=1)
    update_authorization(session, auth.id, StatusUpdate(A.SUBMITTED), triage_fn=rules, clock=clock, actor="key:alice")
    assert auth.submitted_at == clock()
    update_authorization(session, auth.id, StatusUpdate(A.PENDING), triage_fn=rules, clock=clock, actor="key:alice")
    clock.advance(days=2)
    update_authorization(session, auth.id, valid_update(A.APPROVED), triage_fn=rules, clock=clock, actor="key:payer")
    session.expire_all()
    fresh = session.get(AuthorizationRow, auth.id)
    assert fresh is not None and fresh.status == "approved" and fresh.auth_number == "A123"
    assert fresh.valid_to == date(2027, 1, 31) and fresh.decided_at == clock()
    changes = session.scalars(
        select(EventRow).where(EventRow.action == "authorization.status").order_by(EventRow.id)
    ).all()
    assert [(e.before or {}).get("status") for e in changes] == ["needed", "submitted", "pending"]
    assert [(e.after or {}).get("status") for e in changes] == ["submitted", "pending", "approved"]
    assert {e.actor for e in changes} == {"key:alice", "key:payer"}
    # Approval re-triaged the referral out of prior_auth, and the event log says so.
    retriaged = session.scalars(select(EventRow).where(EventRow.action == "referral.retriaged")).all()
    assert retriaged[-1].before is not None and retriaged[-1].before["queue"] == "prior_auth"
    assert retriaged[-1].after is not None and retriaged[-1].after["queue"] == "scheduling"
    assert retriaged[-1].after["cause"] == f"authorization:{auth.id}:approved"


def test_illegal_transition_through_the_store_changes_nothing(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    auth = _one_auth(session, clock, documents_dir, rules)
    n_events = len(session.scalars(select(EventRow)).all())
    with pytest.raises(IllegalTransition, match="from 'needed' to 'approved'"):
        update_authorization(session, auth.id, valid_update(A.APPROVED), triage_fn=rules, clock=clock)
    session.rollback()
    session.expire_all()
    assert session.get(AuthorizationRow, auth.id).status == "needed"  # type: ignore[union-attr]
    assert len(session.scalars(select(EventRow)).all()) == n_events


def test_unknown_authorization_is_not_found(session: Session, clock: FixedClock) -> None:
    with pytest.raises(NotFound, match="authorization 999"):
        update_authorization(session, 999, StatusUpdate(A.SUBMITTED), triage_fn=FakeRules(), clock=clock)


def test_racing_payer_responses_cannot_both_win(
    database, session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    auth = _one_auth(session, clock, documents_dir, rules)
    update_authorization(session, auth.id, StatusUpdate(A.SUBMITTED), triage_fn=rules, clock=clock)
    other = database.factory()
    try:
        stale = other.get(AuthorizationRow, auth.id)  # read before the first writer commits
        assert stale is not None
        update_authorization(session, auth.id, valid_update(A.APPROVED), triage_fn=rules, clock=clock)
        with pytest.raises((ConcurrentUpdate, IllegalTransition)):
            # Either the stale row is caught by its version, or re-read first and refused by the table.
            update_authorization(
                other, auth.id, StatusUpdate(A.DENIED, denial_reason="late"), triage_fn=rules, clock=clock
            )
    finally:
        other.close()
    session.expire_all()
    assert session.get(AuthorizationRow, auth.id).status == "approved"  # type: ignore[union-attr]


def test_expiry_window_end(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    from cardio_intake.store.updates import expire_approvals

    rules = FakeRules()
    auth = _one_auth(session, clock, documents_dir, rules)
    update_authorization(session, auth.id, StatusUpdate(A.SUBMITTED), triage_fn=rules, clock=clock)
    window_end = clock().date() + timedelta(days=10)
    update_authorization(
        session,
        auth.id,
        StatusUpdate(A.APPROVED, auth_number="N1", valid_from=clock().date(), valid_to=window_end),
        triage_fn=rules,
        clock=clock,
    )
    clock.advance(days=10)
    assert expire_approvals(session, rules, clock=clock) == []  # the last day is still valid
    clock.advance(days=1)
    assert expire_approvals(session, rules, clock=clock) == [auth.id]
    session.expire_all()
    assert session.get(AuthorizationRow, auth.id).status == "expired"  # type: ignore[union-attr]
