"""Regression tests for bugs the reliability work (issue 9) found: API fuzzing, hostile inputs, load and
the loader fuzzer. Each test names how the bug was found; all run in-process and fast."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from store_fixtures import FakePredictor, FakeRules

from cardio_intake.ingest.errors import UnsupportedFormat
from cardio_intake.store.clock import FixedClock
from cardio_intake.store.intake import intake


def test_resending_a_rejected_file_fails_again_instead_of_hanging_in_processing(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    """Found by schemathesis on POST /intake: the second upload of an unreadable file answered 202 with
    the document stuck in ``processing`` (and a third one waited 60 s for it). The retry's failure was
    written to a stale in-memory row that already said ``failed``, so nothing reached the database."""
    predictor, rules = FakePredictor(), FakeRules()
    predictor.fail_with = UnsupportedFormat("not a PDF, TIFF, PNG or JPEG")
    for attempt in (1, 2, 3):
        doc, created = intake(session, b"<html>", "x.pdf", None, predictor, rules,
                              documents_dir=documents_dir, clock=clock, wait_s=0.5)
        assert created is (attempt == 1)
        assert (doc.status, doc.attempts) == ("failed", attempt)
        assert doc.error is not None and doc.error.startswith("unsupported_format:")
    assert predictor.calls == 3  # every resend was tried again (a failure is not cached), none waited
