"""The states of the store's rows, as string enums (stored as their values)."""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    RECEIVED = "received"  # bytes stored and committed, not yet processed
    PROCESSING = "processing"  # claimed by a worker; stays here if that worker dies (resume_pending)
    DONE = "done"  # referrals, orders and authorizations created
    FAILED = "failed"  # the file could not be read or processed; error says why


class ReferralStatus(StrEnum):
    OPEN = "open"  # something is still to be done (review, auth, scheduling)
    SCHEDULED = "scheduled"  # every order is scheduled, completed or cancelled


class OrderStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AuthStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    NEEDED = "needed"
    SUBMITTED = "submitted"
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


def sql_in(enum: type[StrEnum]) -> str:
    """``'a', 'b'`` for a CHECK constraint listing an enum's values."""
    return ", ".join(f"'{m.value}'" for m in enum)
