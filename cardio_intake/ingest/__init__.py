"""Document ingestion: PDF (text layer or scanned), multi-page TIFF faxes, PNG and JPEG to a
``cardio_intake.document.Document`` of upright pages of words with LayoutLM boxes.

Used by the dataset builder, the model's predictor, serving and evaluation alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cardio_intake.ingest.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    IngestError,
    OcrFailed,
    OcrTimeout,
    PageTooLarge,
    TooManyPages,
    UnsupportedFormat,
)
from cardio_intake.ingest.limits import Limits
from cardio_intake.ingest.sniff import sniff_format

if TYPE_CHECKING:
    from cardio_intake.ingest.loader import load_document, load_path


def __getattr__(name: str) -> Any:
    # The loader pulls in PIL, pdfium and pytesseract (~0.5 s); import it on first use so that
    # `cardio-intake --help` and the error types stay cheap to import.
    if name in ("load_document", "load_path"):
        from cardio_intake.ingest import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CorruptDocument",
    "EmptyDocument",
    "EncryptedDocument",
    "FileTooLarge",
    "IngestError",
    "Limits",
    "OcrFailed",
    "OcrTimeout",
    "PageTooLarge",
    "TooManyPages",
    "UnsupportedFormat",
    "load_document",
    "load_path",
    "sniff_format",
]
