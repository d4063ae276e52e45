"""Serving options, read once from the environment (``CARDIO_*``) with production defaults.

Only reads variables; the process environment itself is set in ``cardio_intake/settings.py``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake import config

#: The loader's own file limit is 50 MB; a multipart envelope adds headers and boundaries around it.
_MULTIPART_SLACK = 1024 * 1024


class ServingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keys_file: Path = Field(description="hashed API keys (JSON); CARDIO_API_KEYS_FILE")
    audit_file: Path = Field(description="append-only audit log (JSON Lines); CARDIO_AUDIT_FILE")
    max_request_bytes: int = Field(gt=0, description="largest request body; CARDIO_MAX_REQUEST_BYTES")
    request_timeout_s: float = Field(gt=0, description="wall time per request; CARDIO_REQUEST_TIMEOUT_S")
    model_uri: str | None = Field(
        default=None,
        description="load this model (models:/ URI or path) instead of the packed BentoML model; CARDIO_MODEL_URI",
    )
    predictor_factory: str | None = Field(
        default=None,
        description="'module:callable' returning a Predictor (a site's own model); CARDIO_PREDICTOR_FACTORY",
    )
    adaptive_batching: bool = Field(default=True, description="CARDIO_ADAPTIVE_BATCHING=0 turns it off")
    max_batch_size: int = Field(default=8, gt=0, description="documents per encoder batch; CARDIO_MAX_BATCH_SIZE")
    max_latency_ms: int = Field(
        default=30_000, gt=0, description="batching SLO before BentoML sheds load (503); CARDIO_MAX_LATENCY_MS"
    )
    ocr_workers: int = Field(default=0, ge=0, description="OCR processes, 0 = one per core; CARDIO_OCR_WORKERS")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.strip() else default


def load_settings() -> ServingSettings:
    """Build the settings from the environment now (tests call this after changing variables)."""
    from cardio_intake.ingest.limits import Limits

    keys = os.environ.get("CARDIO_API_KEYS_FILE")
    audit = os.environ.get("CARDIO_AUDIT_FILE")
    timeout = os.environ.get("CARDIO_REQUEST_TIMEOUT_S")
    return ServingSettings(
        keys_file=Path(keys).expanduser() if keys else config.DATA_DIR / "api_keys.json",
        audit_file=Path(audit).expanduser() if audit else config.DATA_DIR / "audit" / "audit.jsonl",
        max_request_bytes=_env_int("CARDIO_MAX_REQUEST_BYTES", Limits().max_bytes + _MULTIPART_SLACK),
        request_timeout_s=float(timeout) if timeout else 120.0,
        model_uri=os.environ.get("CARDIO_MODEL_URI") or None,
        predictor_factory=os.environ.get("CARDIO_PREDICTOR_FACTORY") or None,
        adaptive_batching=_env_bool("CARDIO_ADAPTIVE_BATCHING", True),
        max_batch_size=_env_int("CARDIO_MAX_BATCH_SIZE", 8),
        max_latency_ms=_env_int("CARDIO_MAX_LATENCY_MS", 30_000),
        ocr_workers=_env_int("CARDIO_OCR_WORKERS", 0),
    )


@lru_cache(maxsize=1)
def get_settings() -> ServingSettings:
    """The settings of this process (cached; the services read them once at import)."""
    return load_settings()
