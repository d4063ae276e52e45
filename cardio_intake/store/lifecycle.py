"""Authorization lifecycle: the transition table, and the one function allowed to move a status.

    not_required -> needed                     (a policy now requires it)
    needed       -> submitted | not_required   (sent to the payer; or a policy dropped the requirement)
    submitted    -> pending | approved | denied
    pending      -> approved | denied
    approved     -> expired                    (the validity window ended unused)
    denied       -> submitted | needed | not_required   (appeal / resubmission, or requirement dropped)
    expired      -> needed | not_required      (a new authorization has to be requested)

Anything else raises :class:`IllegalTransition`; a legal move without the data it needs (an approval
without number and window, a denial without reason) raises :class:`InvalidTransitionData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from cardio_intake.store.states import AuthStatus

A = AuthStatus

TRANSITIONS: Final[dict[AuthStatus, frozenset[AuthStatus]]] = {
    A.NOT_REQUIRED: frozenset({A.NEEDED}),
    A.NEEDED: frozenset({A.SUBMITTED, A.NOT_REQUIRED}),
    A.SUBMITTED: frozenset({A.PENDING, A.APPROVED, A.DENIED}),
    A.PENDING: frozenset({A.APPROVED, A.DENIED}),
    A.APPROVED: frozenset({A.EXPIRED}),
    A.DENIED: frozenset({A.SUBMITTED, A.NEEDED, A.NOT_REQUIRED}),
    A.EXPIRED: frozenset({A.NEEDED, A.NOT_REQUIRED}),
}

#: Statuses a payer is still deciding on (the decision-window clock runs).
AWAITING_PAYER: Final[frozenset[AuthStatus]] = frozenset({A.SUBMITTED, A.PENDING})


class AuthorizationError(ValueError):
    """Base of the lifecycle's errors (a ValueError, so callers can map it to a 4xx)."""

    code = "authorization_error"


class IllegalTransition(AuthorizationError):
    code = "illegal_transition"

    def __init__(self, current: AuthStatus, target: AuthStatus) -> None:
        self.current = current
        self.target = target
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        super().__init__(
            f"authorization cannot go from {current.value!r} to {target.value!r} (allowed from {current.value!r}: {allowed})"
        )


class InvalidTransitionData(AuthorizationError):
    code = "invalid_transition_data"


@dataclass(frozen=True)
class StatusUpdate:
    """A requested status change with the data that goes with it (a payer response)."""

    status: AuthStatus
    auth_number: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    units: int | None = None
    denial_reason: str | None = None


def check_transition(current: AuthStatus, update: StatusUpdate) -> None:
    """Raise unless ``current -> update.status`` is in the table and carries the data it needs."""
    if update.status not in TRANSITIONS[current]:
        raise IllegalTransition(current, update.status)
    if update.status is A.APPROVED:
        missing = [
            name for name in ("auth_number", "valid_from", "valid_to") if getattr(update, name) in (None, "")
        ]
        if missing:
            raise InvalidTransitionData(f"an approval needs {', '.join(missing)}")
        assert update.valid_from is not None and update.valid_to is not None
        if update.valid_from > update.valid_to:
            raise InvalidTransitionData(
                f"approval window is reversed: valid_from {update.valid_from} is after valid_to {update.valid_to}"
            )
        if update.units is not None and update.units < 1:
            raise InvalidTransitionData(f"approved units must be at least 1, got {update.units}")
    elif update.status is A.DENIED:
        if not (update.denial_reason and update.denial_reason.strip()):
            raise InvalidTransitionData("a denial needs a reason")
    elif any(
        v is not None
        for v in (update.auth_number, update.valid_from, update.valid_to, update.units, update.denial_reason)
    ):
        raise InvalidTransitionData(
            f"{update.status.value!r} takes no auth number, window, units or denial reason"
        )


def is_expired(status: AuthStatus, valid_to: date | None, today: date) -> bool:
    """An approval whose window ended before ``today``."""
    return status is A.APPROVED and valid_to is not None and valid_to < today


def awaiting_since(status: AuthStatus, submitted_at: datetime | None) -> datetime | None:
    """When the payer's decision clock started, for an authorization still awaiting the payer."""
    return submitted_at if status in AWAITING_PAYER else None
