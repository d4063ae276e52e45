"""Appending to the event log (the only way the store writes an event)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cardio_intake.store.models import EventRow

#: Who acted when no person or API key is known (intake worker, resume on restart, expiry sweep).
SYSTEM_ACTOR = "system"


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int,
    referral_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> EventRow:
    """Add one event to the session (committed with the change it describes, never on its own)."""
    event = EventRow(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        referral_id=referral_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event
