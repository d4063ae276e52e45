"""What one HTTP request carries from the gateway middleware to the handlers and back to the audit.

The gateway opens a :class:`RequestContext` per request (a context variable, so it follows the request
into BentoML's worker threads and FastAPI's dependencies); handlers add the document id and outcome
queues with :func:`annotate`; the gateway writes the audit record and the log line from it.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated API key (never the key itself)."""

    key_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str | None) -> bool:
        """``None`` means any valid key; ``admin`` holds every scope."""
        return scope is None or scope in self.scopes or "admin" in self.scopes


@dataclass
class RequestContext:
    method: str
    endpoint: str
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    principal: Principal | None = None
    document_id: str | None = None
    queues: list[str] = field(default_factory=list)
    pages: int | None = None
    error: str | None = None
    bytes_in: int = 0
    timings: dict[str, float] = field(default_factory=dict)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "cardio_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def open_context(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def annotate(
    *,
    document_id: str | None = None,
    queues: Iterable[str] | None = None,
    pages: int | None = None,
    error: str | None = None,
    timings: dict[str, float] | None = None,
) -> None:
    """Record the request's outcome for the audit and the log (a no-op outside a request)."""
    ctx = _current.get()
    if ctx is None:
        return
    if document_id is not None:
        ctx.document_id = document_id
    if queues is not None:
        ctx.queues = list(queues)
    if pages is not None:
        ctx.pages = pages
    if error is not None:
        ctx.error = error
    if timings is not None:
        ctx.timings.update({k: round(v, 2) for k, v in timings.items()})
