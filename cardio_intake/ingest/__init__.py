"""Document ingestion: PDF (text layer or scanned), multi-page TIFF faxes, PNG and JPEG to a
``cardio_intake.document.Document`` of upright pages of words with LayoutLM boxes.

Used by the dataset builder, the model's predictor, serving and evaluation alike.
"""

from __future__ import annotations

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
from cardio_intake.ingest.loader import load_document, load_path
from cardio_intake.ingest.sniff import sniff_format

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
