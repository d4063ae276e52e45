"""PHI-free logging for the services.

* :func:`log_request` writes one JSON line per request through the ``cardio_intake.serving`` logger;
  its fields are a closed schema (ids, sizes, timings, outcomes), so content cannot slip in.
* :func:`install_phi_guard` strips exception *messages* from every log record of the process and
  keeps the traceback's frames. Exception messages are where content leaks: pydantic's
  ``ValidationError`` quotes the offending input (a patient's name in a posted prediction), and
  BentoML logs every handler exception with its traceback. Frames alone still locate a bug.
BentoML's access log prints method, path, sizes, content types, status and latency, never bodies.
"""

from __future__ import annotations

import json
import logging
import traceback
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict

logger = logging.getLogger("cardio_intake.serving")


class RequestLog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = "request"
    request_id: str
    method: str
    endpoint: str
    status: int
    outcome: str
    error: str | None = None
    key_id: str | None = None
    document_id: str | None = None
    pages: int | None = None
    queues: list[str] = []
    bytes_in: int = 0
    duration_ms: float
    timings: dict[str, float] = {}


def log_request(entry: RequestLog) -> None:
    logger.info(json.dumps(entry.model_dump(exclude_none=True), separators=(",", ":")))


def frames_only(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> str:
    """A traceback with file, line and function of each frame and the exception *type* only."""
    exc_type, _exc, tb = exc_info
    frames = traceback.extract_tb(tb)
    lines = ["Traceback (exception message withheld: may contain PHI):"]
    lines += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    lines.append(f"{exc_type.__module__}.{exc_type.__qualname__}")
    return "\n".join(lines)


def _sanitize(record: logging.LogRecord) -> logging.LogRecord:
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = frames_only(record.exc_info)  # type: ignore[arg-type]
        record.exc_info = None
    if record.args:
        args: Any = record.args
        if isinstance(args, tuple):
            record.args = tuple(
                f"<{type(a).__name__}>" if isinstance(a, BaseException) else a for a in args
            )
    return record


_installed = False


def install_phi_guard() -> None:
    """Sanitize every log record created in this process from now on (idempotent).

    A record factory rather than a handler filter: BentoML reconfigures handlers in each worker,
    but the factory applies to every record, whatever handler prints it.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _sanitize(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    _installed = True
