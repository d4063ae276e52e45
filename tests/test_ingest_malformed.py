"""Malformed and hostile inputs, made here: each must end in its typed IngestError, fast, without
decoding pixels it should not (bombs) and without a decoder's own exception leaking out."""

from __future__ import annotations

import pickle
import re
import time
from collections.abc import Callable

import ingest_docs as D
import pytest

from cardio_intake.ingest import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    IngestError,
    Limits,
    PageTooLarge,
    TooManyPages,
    UnsupportedFormat,
    load_document,
    sniff_format,
)
from cardio_intake.ingest.errors import ALL_ERRORS


def _page_png() -> bytes:
    img, _ = D.render_page()
    return D.image_bytes(img, "PNG", dpi=(200, 200))


def _page_jpeg() -> bytes:
    img, _ = D.render_page()
    return D.image_bytes(img, "JPEG", quality=85, dpi=(200, 200))


def _page_tiff(n: int = 2) -> bytes:
    img, _ = D.render_page()
    return D.g4_tiff([img] * n)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


# (name, bytes factory, expected error, limits)
CASES: list[tuple[str, Callable[[], bytes], type[IngestError], Limits | None]] = [
    ("empty file", lambda: b"", EmptyDocument, None),
    ("html named .pdf", lambda: b"<!DOCTYPE html><html><body>Fax</body></html>", UnsupportedFormat, None),
    ("zip named .pdf", lambda: b"PK\x03\x04" + b"\x00" * 60, UnsupportedFormat, None),
    ("windows exe", lambda: b"MZ\x90\x00" + b"\x00" * 60, UnsupportedFormat, None),
    ("gif image", lambda: b"GIF89a" + b"\x00" * 60, UnsupportedFormat, None),
    ("plain text", lambda: b"Patient: Maria Gonzalez\nDOB 03/14/1952\n", UnsupportedFormat, None),
    ("truncated pdf", lambda: D.text_pdf(3)[: len(D.text_pdf(3)) * 2 // 5], CorruptDocument, None),
    ("pdf header only", lambda: b"%PDF-1.4\n", CorruptDocument, None),
    ("pdf header then garbage", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n", CorruptDocument, None),
    ("encrypted pdf", D.encrypted_pdf, EncryptedDocument, None),
    ("0-page pdf", D.zero_page_pdf, EmptyDocument, None),
    ("pdf over the page limit", lambda: D.blank_pdf(250), TooManyPages, None),
    ("pdf page of 200x200 inches", lambda: D.blank_pdf(1, (14400, 14400)), PageTooLarge, None),
    ("png claiming 60000x60000", D.png_bomb, PageTooLarge, None),
    ("png over a configured limit", lambda: D.png_bomb(8000, 8000), PageTooLarge, Limits(max_megapixels=40)),
    ("truncated png", lambda: _page_png()[: len(_page_png()) // 2], CorruptDocument, None),
    ("png with a corrupted header", lambda: _flip(_page_png(), 20), CorruptDocument, None),
    ("truncated jpeg", lambda: _page_jpeg()[: len(_page_jpeg()) // 2], CorruptDocument, None),
    ("jpeg marker then zeros", lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 30, CorruptDocument, None),
    ("truncated tiff", lambda: _page_tiff()[: len(_page_tiff()) // 2], CorruptDocument, None),
    ("tiff header only", lambda: _page_tiff()[:60], CorruptDocument, None),
    ("tiff directory beyond the end", lambda: b"II*\x00" + (10**6).to_bytes(4, "little") + b"\x00" * 100, CorruptDocument, None),
    ("tiff strip beyond the end", lambda: D.tiff_header(100, 100, strip_offset=10**6), CorruptDocument, None),
    ("tiff with zero width", lambda: D.tiff_header(0, 100, strip_offset=200) + b"\x00" * 200, CorruptDocument, None),
    ("tiff claiming 60000x60000", lambda: D.tiff_header(60000, 60000, strip_offset=200) + b"\x00" * 200, PageTooLarge, None),
    ("bigtiff garbage", lambda: b"II+\x00" + b"\x07" * 100, CorruptDocument, None),
    ("tiff over the page limit", lambda: _page_tiff(4), TooManyPages, Limits(max_pages=3)),
    ("file over the size limit", _page_png, FileTooLarge, Limits(max_bytes=10_000)),
]


@pytest.mark.parametrize(("name", "make", "expected", "limits"), CASES, ids=[c[0] for c in CASES])
def test_malformed_input_raises_its_typed_error_quickly(
    name: str, make: Callable[[], bytes], expected: type[IngestError], limits: Limits | None
) -> None:
    data = make()
    start = time.perf_counter()
    with pytest.raises(IngestError) as info:
        # ocr=True: a bad file must be rejected before any page reaches tesseract.
        load_document(data, limits=limits, ocr=True, workers=1)
    elapsed = time.perf_counter() - start
    assert type(info.value) is expected, f"{name}: got {type(info.value).__name__}: {info.value}"
    assert info.value.code == expected.code
    assert str(info.value).strip(), "the message must say what is wrong"
    assert "0x7f" not in str(info.value), "no object reprs in messages"
    # Generous bound for a shared 2-core machine; a decoded bomb or an OCR'd page takes far longer.
    assert elapsed < 5.0, f"{name} took {elapsed:.1f}s"


def test_at_least_fifteen_malformed_inputs() -> None:
    assert len(CASES) >= 15
    assert {c[2] for c in CASES} >= {
        EmptyDocument, UnsupportedFormat, CorruptDocument, EncryptedDocument, TooManyPages, PageTooLarge, FileTooLarge
    }


def test_looping_tiff_directory_ends_instead_of_spinning() -> None:
    # IFD whose "next" offset points back at itself: read once, no endless page list.
    data = D.tiff_header(100, 100, next_ifd=8, strip_offset=200) + b"\x00" * 2000
    doc = load_document(data, ocr=False, workers=1)
    assert len(doc.pages) == 1
    assert doc.pages[0].width == 100


def test_unsupported_format_message_says_what_the_bytes_are() -> None:
    with pytest.raises(UnsupportedFormat, match="ZIP"):
        sniff_format(b"PK\x03\x04rest")
    with pytest.raises(UnsupportedFormat, match="HTML"):
        sniff_format(b"  <html><body>x</body></html>")


@pytest.mark.parametrize(
    ("head", "fmt"),
    [(b"%PDF-1.7\n", "pdf"), (b"junk before %PDF-1.4", "pdf"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"),
     (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff\xe0", "jpeg")],
)
def test_sniff_format_reads_the_bytes(head: bytes, fmt: str) -> None:
    assert sniff_format(head + b"\x00" * 16) == fmt


def test_errors_have_snake_case_codes_and_survive_pickling() -> None:
    codes = [cls.code for cls in ALL_ERRORS]
    assert len(set(codes)) == len(codes)
    for cls in ALL_ERRORS:
        assert issubclass(cls, IngestError)
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code)
        # Errors raised in OCR workers cross a process boundary.
        back = pickle.loads(pickle.dumps(cls("page 3: something")))
        assert type(back) is cls and str(back) == "page 3: something" and back.code == cls.code
