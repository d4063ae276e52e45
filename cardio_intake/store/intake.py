"""Durable, idempotent intake.

1. The bytes are written content-addressed (``documents/ab/abcdef…``) and the document row is
   committed with status ``received`` before any processing: once ``intake`` has returned (and the
   API answered 2xx) the document survives a crash.
2. One worker claims it (``received``/``failed``, or ``processing`` whose claim is older than the lease)
   with a conditional UPDATE, so concurrent duplicates do the work once; the others wait for it.
3. Prediction and triage run outside any transaction; referrals, orders, authorizations, their events
   and ``status=done`` are committed together. ``UNIQUE(document_id, position)`` is the last guard:
   a second worker that got this far anyway loses on commit and reads the winner's rows.

The same bytes sent again return the same referrals (unique sha256); ``resume_pending`` finishes
documents a dead worker left ``received`` or ``processing``.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cardio_intake.schemas import Prediction, ReferralPrediction, Review
from cardio_intake.store import events
from cardio_intake.store.apply import new_referral
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.models import DocumentRow, ReferralRow
from cardio_intake.store.ports import PredictorFn, TriageFn
from cardio_intake.store.states import DocumentStatus

#: A claim older than this is taken to be a dead worker's (its document is processed again).
DEFAULT_LEASE = timedelta(minutes=10)
#: How long a duplicate request waits for the worker processing the same bytes before answering
#: with the document still ``processing`` (it stays durable and will finish or be resumed).
DEFAULT_WAIT_S = 60.0
_POLL_S = 0.05


@dataclass(frozen=True)
class IntakeOutcome:
    document_id: int
    created: bool  # false: these bytes were received before


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_path(documents_dir: Path, sha: str) -> Path:
    return documents_dir / sha[:2] / sha


def store_file(documents_dir: Path, data: bytes) -> tuple[str, Path]:
    """Write the bytes under their sha256 (atomically, fsynced); a second write of the same bytes is a no-op."""
    sha = sha256_hex(data)
    path = document_path(documents_dir, sha)
    if path.exists() and path.stat().st_size == len(data):
        return sha, path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # atomic: readers never see a half-written file
    return sha, path


def receive(
    session: Session,
    data: bytes,
    name: str,
    *,
    source_fax: str | None,
    practice_id: str,
    documents_dir: Path,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> IntakeOutcome:
    """Store the bytes and commit the document row (or find the one already there)."""
    if not data:
        raise ValueError("empty file: nothing to store")
    sha, path = store_file(documents_dir, data)
    existing = session.scalar(select(DocumentRow.id).where(DocumentRow.sha256 == sha))
    if existing is not None:
        return IntakeOutcome(existing, created=False)
    now = clock()
    row = DocumentRow(
        sha256=sha,
        name=Path(name).name[:255] or "upload",
        received_at=now,
        source_fax=source_fax,
        practice_id=practice_id,
        size_bytes=len(data),
        stored_path=str(path),
        status=DocumentStatus.RECEIVED.value,
        attempts=0,
    )
    try:
        session.add(row)
        session.flush()
        events.record(
            session,
            at=now,
            actor=actor,
            action="document.received",
            entity="document",
            entity_id=row.id,
            after={"sha256": sha, "size_bytes": len(data), "source_fax": source_fax},
        )
        session.commit()
    except IntegrityError:
        # A concurrent request inserted the same sha256 first: theirs is the document.
        session.rollback()
        winner = session.scalar(select(DocumentRow.id).where(DocumentRow.sha256 == sha))
        if winner is None:
            raise
        return IntakeOutcome(winner, created=False)
    return IntakeOutcome(row.id, created=True)


def claim(session: Session, document_id: int, *, clock: Clock = utc_now, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Take the document for processing; false when another live worker holds it or it is done."""
    now = clock()
    result: Any = session.execute(
        update(DocumentRow)
        .where(
            DocumentRow.id == document_id,
            or_(
                DocumentRow.status.in_([DocumentStatus.RECEIVED.value, DocumentStatus.FAILED.value]),
                and_(DocumentRow.status == DocumentStatus.PROCESSING.value, DocumentRow.claimed_at <= now - lease),
            ),
        )
        .values(status=DocumentStatus.PROCESSING.value, claimed_at=now, attempts=DocumentRow.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount == 1)


def process(
    session: Session,
    document_id: int,
    predictor_fn: PredictorFn,
    triage_fn: TriageFn,
    *,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
) -> None:
    """Predict, triage and create the referrals of a claimed document (status ends done or failed)."""
    doc = session.get(DocumentRow, document_id)
    assert doc is not None
    try:
        data = Path(doc.stored_path).read_bytes()
        if sha256_hex(data) != doc.sha256:
            raise RuntimeError(f"stored file {doc.stored_path} does not match its sha256")
        prediction = predictor_fn(data, doc.name)
    except Exception as exc:
        _fail(session, doc, exc, clock=clock, actor=actor)
        return
    now = clock()
    try:
        by_page = {p.page: p.type for p in prediction.pages}
        decisions = []
        for ref in _referrals_of(prediction):
            page_types: list[str] = [by_page[n] for n in ref.pages if n in by_page]
            decisions.append((ref, page_types, triage_fn(ref, doc.practice_id, now.date(), None, page_types)))
    except Exception as exc:
        _fail(session, doc, exc, clock=clock, actor=actor)
        return
    try:
        for position, (ref, page_types, decision) in enumerate(decisions):
            referral = new_referral(
                document_id=doc.id,
                position=position,
                practice_id=doc.practice_id,
                prediction=ref,
                decision=decision,
                page_types=page_types,
                now=now,
            )
            session.add(referral)
            session.flush()
            events.record(
                session,
                at=now,
                actor=actor,
                action="referral.created",
                entity="referral",
                entity_id=referral.id,
                referral_id=referral.id,
                after={
                    "document_id": doc.id,
                    "queue": referral.queue,
                    "priority": referral.priority,
                    "orders": [
                        {"id": o.id, "service": o.service, "auth": o.authorization.status if o.authorization else None}
                        for o in referral.orders
                    ],
                },
            )
        doc.status = DocumentStatus.DONE.value
        doc.pages = len(prediction.pages)
        doc.model_version = prediction.model_version
        doc.processed_at = now
        doc.error = None
        events.record(
            session,
            at=now,
            actor=actor,
            action="document.processed",
            entity="document",
            entity_id=doc.id,
            before={"status": DocumentStatus.PROCESSING.value},
            after={"status": DocumentStatus.DONE.value, "referrals": len(decisions), "pages": doc.pages},
        )
        session.commit()
    except IntegrityError:
        # Another worker (a stale-lease takeover) committed this document's referrals first.
        session.rollback()


def _referrals_of(prediction: Prediction) -> list[ReferralPrediction]:
    """The prediction's referrals; a fax where none was found still becomes one for a person to review."""
    if prediction.referrals:
        return list(prediction.referrals)
    return [
        ReferralPrediction(
            pages=[p.page for p in prediction.pages],
            review=Review(needed=True, reasons=["no_referral_found"]),
        )
    ]


def _fail(session: Session, doc: DocumentRow, exc: Exception, *, clock: Clock, actor: str) -> None:
    session.rollback()
    code = getattr(exc, "code", None) or type(exc).__name__
    detail = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
    # populate_existing: when no SQL ran since the claim's commit, the rollback above expired nothing and
    # the identity map still holds the pre-claim row; on a retry of a failed document it says "failed"
    # already, so setting it again would write nothing and leave the row "processing" for good.
    doc = session.get(DocumentRow, doc.id, populate_existing=True) or doc
    doc.status = DocumentStatus.FAILED.value
    doc.error = f"{code}: {detail}"
    now = clock()
    events.record(
        session,
        at=now,
        actor=actor,
        action="document.failed",
        entity="document",
        entity_id=doc.id,
        before={"status": DocumentStatus.PROCESSING.value},
        after={"status": DocumentStatus.FAILED.value, "error": doc.error},
    )
    session.commit()


def error_code(doc: DocumentRow) -> tuple[str, str]:
    """(code, detail) of a failed document's error."""
    code, _, detail = (doc.error or "error: unknown").partition(": ")
    return code, detail


def intake(
    session: Session,
    file_bytes: bytes,
    name: str,
    source_fax: str | None,
    predictor_fn: PredictorFn,
    triage_fn: TriageFn,
    *,
    practice_id: str = "default",
    documents_dir: Path,
    clock: Clock = utc_now,
    actor: str = events.SYSTEM_ACTOR,
    lease: timedelta = DEFAULT_LEASE,
    wait_s: float = DEFAULT_WAIT_S,
) -> tuple[DocumentRow, bool]:
    """Receive, then process unless done: returns the document row (with its referrals) and whether it is new.

    A replay of bytes already done returns at once. When another worker is processing the same bytes
    this waits up to ``wait_s`` for it; a failed document is tried again (once per call: a
    deterministic failure such as an unreadable file fails again and is returned as failed).
    """
    outcome = receive(
        session,
        file_bytes,
        name,
        source_fax=source_fax,
        practice_id=practice_id,
        documents_dir=documents_dir,
        clock=clock,
        actor=actor,
    )
    deadline = time.monotonic() + wait_s
    while True:
        doc = _reload(session, outcome.document_id)
        if doc.status == DocumentStatus.DONE:
            return doc, outcome.created
        if claim(session, outcome.document_id, clock=clock, lease=lease):
            process(session, outcome.document_id, predictor_fn, triage_fn, clock=clock, actor=actor)
            return _reload(session, outcome.document_id), outcome.created
        if time.monotonic() >= deadline:
            return doc, outcome.created
        time.sleep(_POLL_S)


def _reload(session: Session, document_id: int) -> DocumentRow:
    session.expire_all()
    doc = session.get(DocumentRow, document_id)
    assert doc is not None
    return doc


def resume_pending(
    session: Session,
    predictor_fn: PredictorFn,
    triage_fn: TriageFn,
    *,
    clock: Clock = utc_now,
    lease: timedelta = timedelta(0),
    retry_failed: bool = False,
) -> list[int]:
    """Process documents left ``received`` or ``processing`` (claims older than ``lease``) by a dead worker.

    At start-up ``lease=0`` takes over everything unfinished; a periodic sweep passes the normal lease.
    Returns the ids of the documents it processed.
    """
    statuses = [DocumentStatus.RECEIVED.value, DocumentStatus.PROCESSING.value]
    if retry_failed:
        statuses.append(DocumentStatus.FAILED.value)
    ids = list(session.scalars(select(DocumentRow.id).where(DocumentRow.status.in_(statuses)).order_by(DocumentRow.id)))
    done: list[int] = []
    for document_id in ids:
        if claim(session, document_id, clock=clock, lease=lease):
            process(session, document_id, predictor_fn, triage_fn, clock=clock, actor=events.SYSTEM_ACTOR)
            done.append(document_id)
    return done


def referrals_of(session: Session, document_id: int) -> list[ReferralRow]:
    return list(
        session.scalars(select(ReferralRow).where(ReferralRow.document_id == document_id).order_by(ReferralRow.position))
    )

