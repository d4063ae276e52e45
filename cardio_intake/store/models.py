"""SQLAlchemy 2 models of the workflow state.

document -> referral (one per patient in the fax) -> order (one per ordered service) -> authorization
(at most one per order), plus an append-only event log. The schema itself is created by the Alembic
migrations in ``migrations/versions``; a test checks the two never drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cardio_intake.store.states import AuthStatus, DocumentStatus, OrderStatus, ReferralStatus, sql_in
from cardio_intake.store.types import JSONType, UTCDateTime


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    """One received file, content-addressed by its sha256 (the idempotency key of intake)."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(DocumentStatus)})", name="ck_document_status"),
        Index("ix_document_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_fax: Mapped[str | None] = mapped_column(String(32))
    practice_id: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int | None] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.RECEIVED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(String(128))

    referrals: Mapped[list[ReferralRow]] = relationship(
        back_populates="document", order_by="ReferralRow.position"
    )


class ReferralRow(Base):
    """One patient's referral inside a document, with its current route (queue, priority, due time)."""

    __tablename__ = "referral"
    __table_args__ = (
        # The last guard against duplicates: two workers finishing the same document cannot both commit.
        UniqueConstraint("document_id", "position", name="uq_referral_document_position"),
        CheckConstraint(f"status IN ({sql_in(ReferralStatus)})", name="ck_referral_status"),
        Index("ix_referral_worklist", "status", "queue", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    practice_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ReferralStatus.OPEN.value)
    queue: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    route_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    review_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    patient_name: Mapped[str | None] = mapped_column(String(255))
    payer: Mapped[str | None] = mapped_column(String(255))
    #: Predicted page types of the referral's own pages (the rules read them as documentation evidence).
    page_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: The contract's ReferralPrediction and the latest TriageDecision, as JSON.
    prediction: Mapped[dict[str, Any]] = mapped_column(JSONType)
    triage: Mapped[dict[str, Any]] = mapped_column(JSONType)

    document: Mapped[DocumentRow] = relationship(back_populates="referrals")
    orders: Mapped[list[OrderRow]] = relationship(back_populates="referral", order_by="OrderRow.position")


class OrderRow(Base):
    """One ordered service of a referral, with what the rules layer said about it."""

    __tablename__ = "orders"  # "order" is an SQL keyword
    __table_args__ = (
        UniqueConstraint("referral_id", "position", name="uq_order_referral_position"),
        CheckConstraint(f"status IN ({sql_in(OrderStatus)})", name="ck_order_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(32))
    cpt: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.OPEN.value)
    #: True / False / None (no policy on file: a person decides, never scheduled silently).
    auth_required: Mapped[bool | None] = mapped_column(Boolean)
    depends_on: Mapped[list[str]] = mapped_column(JSONType, default=list)
    documentation_missing: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Items a person recorded as received; kept out of documentation_missing on every re-triage.
    documentation_received: Mapped[list[str]] = mapped_column(JSONType, default=list)
    blocked_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    appointment_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    referral: Mapped[ReferralRow] = relationship(back_populates="orders")
    authorization: Mapped[AuthorizationRow | None] = relationship(back_populates="order", uselist=False)


class AuthorizationRow(Base):
    """The prior authorization of one order; ``status`` only moves along ``lifecycle.TRANSITIONS``."""

    __tablename__ = "authorization"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(AuthStatus)})", name="ck_authorization_status"),
        CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="ck_auth_window"),
        Index("ix_authorization_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    payer: Mapped[str | None] = mapped_column(String(255))
    program: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(1024))
    submit_by: Mapped[date | None] = mapped_column(Date)
    #: How long the payer has to decide once submitted (CMS-0057-F: 72 h expedited, 7 days standard).
    decision_window_hours: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    auth_number: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    units: Mapped[int | None] = mapped_column(Integer)
    denial_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Optimistic lock: two payer responses racing on the same row cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    order: Mapped[OrderRow] = relationship(back_populates="authorization")

    __mapper_args__ = {"version_id_col": version}


class EventRow(Base):
    """Append-only audit of every state change: who, what, when, before and after.

    UPDATE and DELETE are refused by database triggers created in the initial migration.
    """

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_entity", "entity", "entity_id"), Index("ix_event_referral", "referral_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    referral_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
