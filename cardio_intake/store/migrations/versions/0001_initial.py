"""Initial workflow schema: document, referral, orders, authorization, append-only event log.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cardio_intake.store.types import UTCDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")

DOCUMENT_STATUSES = "'received', 'processing', 'done', 'failed'"
REFERRAL_STATUSES = "'open', 'scheduled'"
ORDER_STATUSES = "'open', 'scheduled', 'completed', 'cancelled'"
AUTH_STATUSES = "'not_required', 'needed', 'submitted', 'pending', 'approved', 'denied', 'expired'"


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("source_fax", sa.String(32), nullable=True),
        sa.Column("practice_id", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("stored_path", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model_version", sa.String(128), nullable=True),
        sa.CheckConstraint(f"status IN ({DOCUMENT_STATUSES})", name="ck_document_status"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index("ix_document_status", "document", ["status"])

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("route_reasons", JSON, nullable=False),
        sa.Column("review_needed", sa.Boolean(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(128), nullable=True),
        sa.Column("patient_name", sa.String(255), nullable=True),
        sa.Column("payer", sa.String(255), nullable=True),
        sa.Column("page_types", JSON, nullable=False),
        sa.Column("prediction", JSON, nullable=False),
        sa.Column("triage", JSON, nullable=False),
        sa.UniqueConstraint("document_id", "position", name="uq_referral_document_position"),
        sa.CheckConstraint(f"status IN ({REFERRAL_STATUSES})", name="ck_referral_status"),
    )
    op.create_index("ix_referral_worklist", "referral", ["status", "queue", "due_at"])

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referral.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("cpt", sa.String(5), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("auth_required", sa.Boolean(), nullable=True),
        sa.Column("depends_on", JSON, nullable=False),
        sa.Column("documentation_missing", JSON, nullable=False),
        sa.Column("documentation_received", JSON, nullable=False),
        sa.Column("blocked_by", JSON, nullable=False),
        sa.Column("appointment_date", sa.Date(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("referral_id", "position", name="uq_order_referral_position"),
        sa.CheckConstraint(f"status IN ({ORDER_STATUSES})", name="ck_order_status"),
    )

    op.create_table(
        "authorization",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payer", sa.String(255), nullable=True),
        sa.Column("program", sa.String(64), nullable=True),
        sa.Column("rule_id", sa.String(128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(1024), nullable=True),
        sa.Column("submit_by", sa.Date(), nullable=True),
        sa.Column("decision_window_hours", sa.Integer(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("auth_number", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("denial_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("order_id"),
        sa.CheckConstraint(f"status IN ({AUTH_STATUSES})", name="ck_authorization_status"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="ck_auth_window"
        ),
    )
    op.create_index("ix_authorization_status", "authorization", ["status"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
    )
    op.create_index("ix_event_entity", "event", ["entity", "entity_id"])
    op.create_index("ix_event_referral", "event", ["referral_id"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The event log refuses UPDATE and DELETE at the database, not just in the ORM."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_no_{verb.lower()} BEFORE {verb} ON event "
                "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'event log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
            "FOR EACH ROW EXECUTE FUNCTION event_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS event_append_only()")
    op.drop_table("event")
    op.drop_table("authorization")
    op.drop_table("orders")
    op.drop_table("referral")
    op.drop_table("document")
