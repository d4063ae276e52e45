"""Fixtures for the store's tests: a fresh database per test on SQLite and on PostgreSQL, a fixed clock,
and a fake predictor and rules layer returning contract objects built by hand.

PostgreSQL tests run in a schema created for the test and dropped after it. When the server on
127.0.0.1:5432 is unreachable they are skipped, unless CARDIO_REQUIRE_POSTGRES=1 (then they fail).
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cardio_intake.schemas import (
    Documentation,
    Fields,
    IntentPrediction,
    OrderDecision,
    PagePrediction,
    Prediction,
    PriorAuth,
    ReferralPrediction,
    Review,
    Route,
    TriageDecision,
)
from cardio_intake.store import db
from cardio_intake.store.clock import FixedClock
from cardio_intake.store.ports import WorkflowState

PG_URL = os.environ.get("CARDIO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)

_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """None when the test server answers, else why not (checked once per session)."""
    if "reason" not in _pg_state:
        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} unreachable: {type(exc).__name__}"
    return _pg_state["reason"]


@dataclass
class Database:
    kind: str
    url: str
    schema: str | None
    engine: Engine
    factory: sessionmaker[Session]


def _open(kind: str, tmp_path: Path, *, migrate: bool) -> Iterator[Database]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'intake.db'}"
        engine = db.make_engine(url)
        schema = None
        admin = None
    else:
        reason = postgres_unavailable()
        if reason:
            if os.environ.get("CARDIO_REQUIRE_POSTGRES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        schema = f"t_store_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = PG_URL
        engine = db.make_engine(url, schema=schema)
    if migrate:
        db.upgrade(engine)
    try:
        yield Database(kind, url, schema, engine, db.session_factory(engine))
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database (both backends)."""
    yield from _open(request.param, tmp_path, migrate=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database (both backends) with no tables yet, for migration tests."""
    yield from _open(request.param, tmp_path, migrate=False)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    s = database.factory()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def documents_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


# --- hand-built contract objects ---------------------------------------------------------------


def referral_prediction(
    patient: str = "Maria L. Gonzalez",
    payer: str | None = "Aetna Medicare Advantage",
    intents: tuple[str, ...] = ("echo_tte",),
    *,
    review_needed: bool = False,
    urgency: str = "routine",
    pages: tuple[int, ...] = (1, 2),
) -> ReferralPrediction:
    return ReferralPrediction(
        pages=list(pages),
        intents=[IntentPrediction(label=i, confidence=0.95) for i in intents],  # type: ignore[arg-type]
        fields=Fields(
            patient_name=patient,
            patient_dob=date(1952, 3, 14),
            payer=payer,
            member_id="W238849102",
            urgency=urgency,  # type: ignore[arg-type]
        ),
        review=Review(needed=review_needed, reasons=["low_confidence:member_id"] if review_needed else []),
    )


def prediction_for(data: bytes, name: str, referrals: list[ReferralPrediction]) -> Prediction:
    n_pages = max((max(r.pages) for r in referrals), default=1)
    return Prediction(
        document=name,
        document_id="sha256:" + hashlib.sha256(data).hexdigest(),
        model_version="fake:1",
        pages=[PagePrediction(page=p, type="referral_order", confidence=0.9) for p in range(1, n_pages + 1)],
        referrals=referrals,
    )


class FakePredictor:
    """Returns, for each file, the referrals registered for its bytes (default: one echo_tte referral).

    Counts calls (to prove work is not repeated) and can block on an event (to hold a worker mid-way).
    """

    def __init__(self) -> None:
        self.by_bytes: dict[bytes, list[ReferralPrediction]] = {}
        self.calls = 0
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.fail_with: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self, data: bytes, name: str) -> Prediction:
        with self._lock:
            self.calls += 1
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30), "test gate never opened"
        if self.fail_with is not None:
            raise self.fail_with
        return prediction_for(data, name, self.by_bytes.get(data, [referral_prediction()]))


@dataclass
class FakeRules:
    """A tiny rules layer honouring the workflow state, with policies the test can change.

    - ``auth_services`` need prior auth for payers in ``auth_payers``; payers in ``unknown_payers`` -> None.
    - ``echo_tee`` depends on ``echo_tte``; ``echo_tee`` needs ``office_note_within_60_days``.
    - Route: review -> intake_review; unknown auth -> intake_review; auth not approved -> prior_auth;
      documentation missing -> records_request; else scheduling. Priority follows the urgency.
    """

    auth_payers: set[str] = field(default_factory=lambda: {"Aetna Medicare Advantage"})
    unknown_payers: set[str] = field(default_factory=lambda: {"Mystery Health"})
    auth_services: set[str] = field(default_factory=lambda: {"echo_tte", "echo_tee", "cardiac_mri"})
    submit_days: int = 5
    calls: int = 0

    def __call__(
        self,
        referral: ReferralPrediction,
        practice_id: str,
        today: date,
        state: WorkflowState | None = None,
        page_types: list[str] | None = None,
    ) -> TriageDecision:
        self.calls += 1
        payer = referral.fields.payer
        progress = {o.service: o for o in (state.orders if state else [])}
        completed = state.completed_services if state else set()
        orders: list[OrderDecision] = []
        for intent in referral.intents:
            service = intent.label
            if payer in self.unknown_payers or payer is None:
                required: bool | None = None
            else:
                required = payer in self.auth_payers and service in self.auth_services
            p = progress.get(service)
            missing = ["office_note_within_60_days"] if service == "echo_tee" else []
            if p:
                missing = [m for m in missing if m not in p.documentation_received]
            depends = ["echo_tte"] if service == "echo_tee" else []
            blocked: list[str] = []
            if required is None:
                blocked.append("prior_auth_unknown")
            elif required and not (p and p.auth_status == "approved"):
                blocked.append("prior_auth_not_approved")
            blocked += [f"documentation_missing:{m}" for m in missing]
            blocked += [f"prerequisite_not_done:{d}" for d in depends if d not in completed]
            orders.append(
                OrderDecision(
                    service=service,
                    prior_auth=PriorAuth(
                        required=required,
                        rule_id=f"fake-{service}" if required else None,
                        reason="fake policy",
                        submit_by=today + timedelta(days=self.submit_days) if required else None,
                    ),
                    documentation=Documentation(complete=not missing, missing=missing),
                    depends_on=depends,
                    schedulable=not blocked,
                    blocked_by=blocked,
                )
            )
        priority = referral.fields.urgency or "routine"
        reviewed = bool(state and state.reviewed)
        if (referral.review.needed and not reviewed) or any(o.prior_auth.required is None for o in orders):
            queue = "intake_review"
        elif any("prior_auth_not_approved" in o.blocked_by for o in orders):
            queue = "prior_auth"
        elif any(o.documentation.missing for o in orders):
            queue = "records_request"
        else:
            queue = "scheduling"
        return TriageDecision(orders=orders, route=Route(queue=queue, priority=priority, reasons=[f"fake:{queue}"]))  # type: ignore[arg-type]
