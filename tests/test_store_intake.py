"""Durable, idempotent intake: stored before processing, same bytes -> same referral (also when sent
concurrently), interrupted work resumed, failures recorded; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from store_fixtures import Database, FakePredictor, FakeRules, referral_prediction

from cardio_intake.store.clock import FixedClock
from cardio_intake.store.intake import claim, document_path, intake, receive, resume_pending, sha256_hex
from cardio_intake.store.models import AuthorizationRow, DocumentRow, EventRow, OrderRow, ReferralRow
from cardio_intake.store.queries import intake_result


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_intake_creates_referral_orders_and_needed_authorizations(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    predictor, rules = FakePredictor(), FakeRules(submit_days=2)
    data = b"%PDF-1.4 two patients"
    predictor.by_bytes[data] = [
        referral_prediction("Maria L. Gonzalez", intents=("consult", "echo_tte"), pages=(1, 2)),
        referral_prediction("John Smith", payer="Blue Plan", intents=("rhythm_monitor",), pages=(3,), urgency="urgent"),
    ]
    doc, created = intake(session, data, "fax.pdf", "+16145550199", predictor, rules, documents_dir=documents_dir, clock=clock)
    assert created and doc.status == "done" and doc.pages == 3 and doc.model_version == "fake:1"
    stored = document_path(documents_dir, sha256_hex(data))
    assert doc.stored_path == str(stored) and stored.read_bytes() == data
    result = intake_result(session, doc, created, clock=clock)
    maria, john = result.referrals
    assert (maria.patient_name, maria.queue, maria.priority) == ("Maria L. Gonzalez", "prior_auth", "routine")
    assert [o.service for o in maria.orders] == ["consult", "echo_tte"]
    consult, echo = maria.orders
    assert consult.authorization is not None and consult.authorization.status == "not_required"
    assert echo.authorization is not None and echo.authorization.status == "needed"
    assert echo.authorization.submit_by == date(2026, 11, 4)
    assert echo.authorization.decision_window_hours == 7 * 24
    # prior_auth is due at the end of the submit-by day when that is sooner than the queue's 72 h.
    assert maria.due_at == datetime(2026, 11, 4, 23, 59, 59, tzinfo=UTC)
    assert john.due_at == clock() + timedelta(hours=24)  # urgent in scheduling
    assert (john.queue, john.priority) == ("scheduling", "urgent")
    assert john.orders[0].readiness.schedulable
    assert count(session, EventRow) >= 4  # received, 2 x referral.created, processed


def test_same_bytes_return_the_same_referral(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    predictor, rules = FakePredictor(), FakeRules()
    first, created1 = intake(session, b"fax", "a.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    clock.advance(hours=1)
    again, created2 = intake(session, b"fax", "renamed.tif", "+16145550100", predictor, rules, documents_dir=documents_dir, clock=clock)
    assert created1 and not created2
    assert again.id == first.id and [r.id for r in again.referrals] == [r.id for r in first.referrals]
    assert predictor.calls == 1
    assert (count(session, DocumentRow), count(session, ReferralRow), count(session, OrderRow)) == (1, 1, 1)


def test_document_is_committed_before_processing(
    database: Database, session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    """While the predictor runs, another connection already sees the stored document (crash-safe 2xx)."""
    predictor, rules = FakePredictor(), FakeRules()
    predictor.gate = threading.Event()
    seen: dict[str, object] = {}

    def observe() -> None:
        assert predictor.started.wait(10)
        with database.factory() as other:
            row = other.scalars(select(DocumentRow)).one()
            seen["status"] = row.status
            seen["file"] = Path(row.stored_path).exists()
        predictor.gate.set()  # type: ignore[union-attr]

    t = threading.Thread(target=observe)
    t.start()
    doc, _ = intake(session, b"slow fax", "s.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    t.join(10)
    assert seen == {"status": "processing", "file": True}
    assert doc.status == "done"


def test_concurrent_duplicates_create_one_document_and_one_referral(
    database: Database, clock: FixedClock, documents_dir: Path
) -> None:
    predictor, rules = FakePredictor(), FakeRules()
    predictor.gate = threading.Event()
    n = 6
    barrier = threading.Barrier(n)
    results: list[tuple[int, list[int]]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with database.factory() as s:
                barrier.wait(10)
                doc, _ = intake(s, b"same fax", "f.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
                results.append((doc.id, [r.id for r in doc.referrals]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    assert predictor.started.wait(10)
    predictor.gate.set()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(results) == n and len(set(map(str, results))) == 1
    assert predictor.calls == 1  # the duplicates waited for the one worker
    with database.factory() as s:
        assert (count(s, DocumentRow), count(s, ReferralRow), count(s, AuthorizationRow)) == (1, 1, 1)


def test_interrupted_processing_resumes_on_restart(
    database: Database, clock: FixedClock, documents_dir: Path
) -> None:
    rules = FakeRules()
    with database.factory() as s:
        # Worker 1 received and claimed two documents, then died before creating anything.
        for data in (b"fax A", b"fax B"):
            out = receive(s, data, "x.tif", source_fax=None, practice_id="default", documents_dir=documents_dir, clock=clock)
            assert claim(s, out.document_id, clock=clock)
        # A third was received but never claimed.
        receive(s, b"fax C", "c.tif", source_fax=None, practice_id="default", documents_dir=documents_dir, clock=clock)
        # A live worker's claim within its lease is respected by a periodic sweep...
        assert resume_pending(s, FakePredictor(), rules, clock=clock, lease=timedelta(minutes=10)) == [3]
    with database.factory() as s:  # ...and a restart (lease 0) takes over everything unfinished.
        predictor = FakePredictor()
        done = resume_pending(s, predictor, rules, clock=clock)
        assert sorted(done) == [1, 2] and predictor.calls == 2
        assert set(s.scalars(select(DocumentRow.status))) == {"done"}
        assert count(s, ReferralRow) == 3
        assert resume_pending(s, predictor, rules, clock=clock) == []
        # The replay after restart finds the resumed document, no duplicate.
        doc, created = intake(s, b"fax A", "x.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
        assert not created and doc.id == 1 and predictor.calls == 2
        assert count(s, ReferralRow) == 3


class Unreadable(Exception):
    code = "unsupported_format"


def test_failed_processing_is_recorded_and_retried_on_resend(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    predictor, rules = FakePredictor(), FakeRules()
    predictor.fail_with = Unreadable("not a PDF, TIFF, PNG or JPEG")
    doc, created = intake(session, b"MZ\x90\x00", "evil.pdf", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    assert created and doc.status == "failed"
    assert doc.error == "unsupported_format: not a PDF, TIFF, PNG or JPEG"
    assert count(session, ReferralRow) == 0
    failed = session.scalars(select(EventRow).where(EventRow.action == "document.failed")).one()
    assert failed.after is not None and failed.after["status"] == "failed"
    # Not resumed automatically (it would fail forever) ...
    assert resume_pending(session, predictor, rules, clock=clock) == []
    # ... but a resend tries again, and succeeds once the cause is gone.
    predictor.fail_with = None
    again, created = intake(session, b"MZ\x90\x00", "evil.pdf", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    assert not created and again.id == doc.id and again.status == "done" and again.error is None
    assert again.attempts == 2 and count(session, ReferralRow) == 1


def test_fax_without_any_referral_goes_to_a_person(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    predictor, rules = FakePredictor(), FakeRules()
    predictor.by_bytes[b"blank"] = []
    doc, _ = intake(session, b"blank", "blank.tif", None, predictor, rules, documents_dir=documents_dir, clock=clock)
    (referral,) = doc.referrals
    assert referral.queue == "intake_review" and referral.review_needed
    assert referral.prediction["review"]["reasons"] == ["no_referral_found"]


def test_empty_file_is_refused(session: Session, clock: FixedClock, documents_dir: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        intake(session, b"", "e.pdf", None, FakePredictor(), FakeRules(), documents_dir=documents_dir, clock=clock)
    assert count(session, DocumentRow) == 0
