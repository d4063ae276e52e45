"""Typed errors of the store's service layer (the API maps each to a 4xx)."""

from __future__ import annotations

from cardio_intake.store.views import Blocker


class StoreError(Exception):
    code = "store_error"


class NotFound(StoreError, LookupError):
    code = "not_found"

    def __init__(self, entity: str, entity_id: int) -> None:
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(f"{entity} {entity_id} does not exist")


class ConcurrentUpdate(StoreError):
    """Someone else changed the row between our read and our write; re-read and try again."""

    code = "concurrent_update"


class InvalidOrderChange(StoreError, ValueError):
    code = "invalid_order_change"


class NotSchedulable(StoreError):
    code = "not_schedulable"

    def __init__(self, order_id: int, blockers: list[Blocker]) -> None:
        self.order_id = order_id
        self.blockers = blockers
        super().__init__(f"order {order_id} cannot be scheduled: " + "; ".join(b.code for b in blockers))
