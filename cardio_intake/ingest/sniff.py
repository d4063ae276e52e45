"""Format sniffing from the bytes (never from the file name)."""

from __future__ import annotations

from cardio_intake.ingest.errors import EmptyDocument, UnsupportedFormat

SUPPORTED = ("pdf", "tiff", "png", "jpeg")

# Signatures of things people send instead of a document, to say what the file actually is.
_KNOWN_OTHER: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"RIFF", "a RIFF (WebP/AVI/WAV) file"),
    (b"\xd0\xcf\x11\xe0", "an old Office (OLE) document"),
    (b"{\\rtf", "an RTF document"),
)


def sniff_format(data: bytes) -> str:
    """``pdf``, ``tiff``, ``png`` or ``jpeg``; raises EmptyDocument or UnsupportedFormat otherwise."""
    if not data:
        raise EmptyDocument("the file is empty (0 bytes)")
    head = data[:1024]
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    # The PDF spec tolerates junk before the header; readers look for it in the first 1 KiB.
    if b"%PDF-" in head:
        return "pdf"
    raise UnsupportedFormat(f"not a PDF, TIFF, PNG or JPEG: the bytes look like {_describe(head)}")


def _describe(head: bytes) -> str:
    for magic, what in _KNOWN_OTHER:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "an XML/SVG document"
    if text.startswith((b"{", b"[")):
        return "JSON text"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256]):
        return "plain text"
    return f"unknown binary data (starts with {head[:8].hex()})"
