"""Review with corrections: the intake reviewer's values replace the extracted ones (each change in the
event log), and re-triage creates the orders and authorizations the corrected referral needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, FakeRules, referral_prediction

from cardio_intake.store.clock import FixedClock
from cardio_intake.store.corrections import InvalidCorrection
from cardio_intake.store.intake import intake
from cardio_intake.store.models import EventRow, ReferralRow
from cardio_intake.store.updates import load_referral, mark_reviewed


def _referral(session: Session, clock: FixedClock, documents_dir: Path, rules: FakeRules, **kw: Any) -> ReferralRow:
    predictor = FakePredictor()
    data = repr(kw).encode()
    predictor.by_bytes[data] = [referral_prediction(review_needed=True, **kw)]
    doc, _ = intake(session, data, "f.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    return doc.referrals[0]


def _events(session: Session, referral_id: int, action: str) -> list[EventRow]:
    return list(
        session.scalars(
            select(EventRow).where(EventRow.referral_id == referral_id, EventRow.action == action).order_by(EventRow.id)
        )
    )


def test_corrected_payer_replaces_the_extraction_and_creates_the_needed_authorization(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules, payer="Mystery Health", intents=("echo_tte",))
    (order,) = referral.orders
    assert referral.queue == "intake_review" and order.auth_required is None and order.authorization is None

    mark_reviewed(
        session,
        referral.id,
        triage_fn=rules,
        corrections={"payer": "Aetna Medicare Advantage", "patient_dob": "1952-03-15", "member_id": "W238849102"},
        clock=clock,
        actor="key:carol",
    )

    referral = load_referral(session, referral.id)
    fields = referral.prediction["fields"]
    assert fields["payer"] == "Aetna Medicare Advantage" and fields["patient_dob"] == "1952-03-15"
    assert referral.payer == "Aetna Medicare Advantage"
    assert referral.prediction["field_confidence"]["payer"] == 1.0
    assert referral.prediction["review"] == {"needed": False, "reasons": []}
    (corrected,) = _events(session, referral.id, "referral.corrected")
    # member_id was already right: not a change.
    assert corrected.before == {"patient_dob": "1952-03-14", "payer": "Mystery Health"}
    assert corrected.after == {"patient_dob": "1952-03-15", "payer": "Aetna Medicare Advantage"}
    assert corrected.actor == "key:carol"
    (reviewed,) = _events(session, referral.id, "referral.reviewed")
    assert reviewed.after == {"review_needed": False, "corrected": ["patient_dob", "payer"]}

    (order,) = referral.orders
    auth = order.authorization
    assert order.auth_required is True and auth is not None
    assert auth.status == "needed" and auth.payer == "Aetna Medicare Advantage" and auth.submit_by is not None
    assert referral.queue == "prior_auth"
    assert [(e.after or {}).get("status") for e in _events(session, referral.id, "authorization.created")] == ["needed"]


def test_corrected_payer_moves_an_existing_authorization_to_needed(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules, payer="Blue Plan", intents=("echo_tte",))
    auth = referral.orders[0].authorization
    assert auth is not None and (auth.status, auth.payer) == ("not_required", "Blue Plan")
    mark_reviewed(session, referral.id, triage_fn=rules, corrections={"payer": "Aetna Medicare Advantage"}, clock=clock)
    auth = load_referral(session, referral.id).orders[0].authorization
    assert auth is not None and (auth.status, auth.payer) == ("needed", "Aetna Medicare Advantage")
    assert auth.submit_by is not None


def test_corrected_intents_add_orders_with_authorizations_and_cancel_struck_ones(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules, intents=("consult",))
    assert [(o.service, o.authorization.status if o.authorization else None) for o in referral.orders] == [
        ("consult", "not_required")
    ]

    mark_reviewed(session, referral.id, triage_fn=rules, corrections={"intents": ["cardiac_mri"]}, clock=clock)

    referral = load_referral(session, referral.id)
    consult, mri = referral.orders
    assert (consult.service, consult.status) == ("consult", "cancelled")
    assert (mri.service, mri.status, mri.position) == ("cardiac_mri", "open", 1)
    assert mri.authorization is not None and mri.authorization.status == "needed"
    assert [i["label"] for i in referral.prediction["intents"]] == ["cardiac_mri"]
    assert referral.queue == "prior_auth"
    (corrected,) = _events(session, referral.id, "referral.corrected")
    assert (corrected.before, corrected.after) == ({"intents": ["consult"]}, {"intents": ["cardiac_mri"]})
    assert [e.entity_id for e in _events(session, referral.id, "order.created")] == [mri.id]
    assert [e.entity_id for e in _events(session, referral.id, "order.cancelled")] == [consult.id]


def test_review_without_changes_records_no_correction(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules)
    same = {"payer": "Aetna Medicare Advantage", "intents": ["echo_tte"]}
    mark_reviewed(session, referral.id, triage_fn=rules, corrections=same, clock=clock)
    assert _events(session, referral.id, "referral.corrected") == []
    assert [o.service for o in load_referral(session, referral.id).orders] == ["echo_tte"]


@pytest.mark.parametrize(
    ("corrections", "message"),
    [
        ({"dob": "1952-03-14"}, "unknown field.*'dob'.*correctable: patient_name, patient_dob"),
        ({"patient_dob": "14th of March"}, "patient_dob: "),
        ({"patient_phone": "555-0199"}, "patient_phone: String should match pattern"),
        ({"cpt": ["9330"]}, "CPT code '9330' must be five characters"),
        ({"payer": ["Aetna"]}, "payer: "),
        ({"intents": ["teleportation"]}, "intents.0: "),
        ({"intents": "echo_tte"}, "intents: expected a list"),
        ({"patient_name": "x" * 256}, "patient_name: text must be at most 255"),
        ({"diagnoses": ["chest pain\x00"]}, "diagnoses: text must be at most 255 characters, without NUL"),
    ],
)
def test_invalid_corrections_are_rejected_and_change_nothing(
    session: Session, clock: FixedClock, documents_dir: Path, corrections: dict[str, Any], message: str
) -> None:
    rules = FakeRules()
    referral = _referral(session, clock, documents_dir, rules, payer="Mystery Health")
    before = dict(referral.prediction)
    with pytest.raises(InvalidCorrection, match=message):
        mark_reviewed(session, referral.id, triage_fn=rules, corrections=corrections, clock=clock)
    session.expire_all()
    referral = load_referral(session, referral.id)
    assert referral.prediction == before and referral.review_needed and referral.queue == "intake_review"
    assert _events(session, referral.id, "referral.reviewed") == []
