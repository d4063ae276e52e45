"""Typed ingestion errors: every bad file ends in one of these, never in a decoder's own exception.

``code`` is the machine-readable reason (snake_case) that the CLI prints and serving returns as the
``error`` of a 4xx JSON body; the message is for people. The constructor takes only the message so
that the errors survive pickling across the OCR process pool unchanged.
"""

from __future__ import annotations


class IngestError(Exception):
    """A document that cannot be turned into pages of words."""

    code: str = "ingest_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FileTooLarge(IngestError):
    code = "file_too_large"


class EmptyDocument(IngestError):
    """Zero bytes, or a container with no pages (0-page PDF, TIFF without images)."""

    code = "empty_document"


class UnsupportedFormat(IngestError):
    code = "unsupported_format"


class CorruptDocument(IngestError):
    code = "corrupt_document"


class EncryptedDocument(IngestError):
    code = "encrypted_document"


class TooManyPages(IngestError):
    code = "too_many_pages"


class PageTooLarge(IngestError):
    """A page whose pixel count exceeds the limit (also what a decompression bomb gets)."""

    code = "page_too_large"


class OcrTimeout(IngestError):
    code = "ocr_timeout"


class OcrFailed(IngestError):
    """Tesseract itself failed on a page (crashed, killed, or missing)."""

    code = "ocr_failed"


ALL_ERRORS: tuple[type[IngestError], ...] = (
    FileTooLarge,
    EmptyDocument,
    UnsupportedFormat,
    CorruptDocument,
    EncryptedDocument,
    TooManyPages,
    PageTooLarge,
    OcrTimeout,
    OcrFailed,
)
