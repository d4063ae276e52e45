"""Audit trail: one record per API request (who, when, which endpoint, which document, what outcome).

Records go to an append-only JSON Lines file (``data/audit/audit.jsonl`` or ``CARDIO_AUDIT_FILE``) by
default. The sink is swappable (:func:`set_sink`) so the workflow store can keep them in its database
instead; callers only ever use :func:`record`. A record holds ids, sizes, timings and outcomes,
never document content, names or keys.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["ok", "client_error", "unauthorized", "forbidden", "too_large", "timeout", "server_error"]


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: datetime = Field(description="UTC time the request arrived")
    request_id: str
    key_id: str | None = Field(default=None, description="the API key's public id; null when none was valid")
    key_name: str | None = None
    method: str
    endpoint: str = Field(description="request path")
    status: int
    outcome: Outcome
    error: str | None = Field(default=None, description="machine-readable error code of a 4xx/5xx")
    document_id: str | None = Field(default=None, description="sha256:<hex> of the uploaded file")
    queues: list[str] = Field(default_factory=list, description="triage outcome queue per referral")
    pages: int | None = None
    bytes_in: int = 0
    duration_ms: float


def outcome_for(status: int) -> Outcome:
    named: dict[int, Outcome] = {401: "unauthorized", 403: "forbidden", 413: "too_large", 504: "timeout"}
    if status < 400:
        return "ok"
    return named.get(status, "server_error" if status >= 500 else "client_error")


class AuditSink(Protocol):
    def write(self, rec: AuditRecord) -> None: ...


class JsonlAuditSink:
    """Appends one line per record with a single O_APPEND write, safe across worker processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, rec: AuditRecord) -> None:
        line = (rec.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def read_records(path: Path) -> list[AuditRecord]:
    if not path.exists():
        return []
    return [AuditRecord.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


_sink: AuditSink | None = None
_sink_lock = threading.Lock()


def set_sink(sink: AuditSink | None) -> None:
    """Send records to ``sink`` (``None``: back to the JSON Lines file of the settings)."""
    global _sink
    with _sink_lock:
        _sink = sink


def get_sink() -> AuditSink:
    global _sink
    with _sink_lock:
        if _sink is None:
            from serving.settings import get_settings

            _sink = JsonlAuditSink(get_settings().audit_file)
        return _sink


def record(rec: AuditRecord) -> None:
    get_sink().write(rec)


def now() -> datetime:
    return datetime.now(UTC)
