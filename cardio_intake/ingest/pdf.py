"""PDF pages through pypdfium2: words straight from the text layer when the page has one, else a
grayscale rendering for OCR.

pdfium is not thread-safe, so all of this runs in the calling process; only OCR is farmed out.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from cardio_intake.document import Page, Word, to_box_1000
from cardio_intake.ingest.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    PageTooLarge,
    TooManyPages,
)
from cardio_intake.ingest.limits import Limits
from cardio_intake.ingest.pages import PageImage

#: A page is "scanned" (OCR it) when an image covers this share of it and it carries little text:
#: e-fax servers stamp a text header line onto otherwise image-only pages.
_SCAN_IMAGE_COVER = 0.5
_SCAN_MAX_CHARS = 200

_SPACES = frozenset(" \t\r\n\x00\xa0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u3000\ufeff\ufffe")


def open_pdf(data: bytes, limits: Limits) -> pdfium.PdfDocument:
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:
        # Not pdfium's error code: FPDF_GetLastError is process-global and is left stale by some
        # failures (a 0-page PDF after an encrypted one reports "password"), so diagnose afresh.
        raise _diagnose(data) from exc
    n = len(pdf)
    if n == 0:
        pdf.close()
        raise _diagnose(data)
    if n > limits.max_pages:
        pdf.close()
        raise TooManyPages(f"the PDF has {n} pages (limit {limits.max_pages})")
    return pdf


def _diagnose(data: bytes) -> CorruptDocument | EmptyDocument | EncryptedDocument:
    """Why pdfium could not give pages. pdfium refuses a valid 0-page PDF with the same
    "format error" as garbage, so qpdf (pikepdf), which tells them apart, gets a second look."""
    truncated = b"%%EOF" not in data[-2048:]
    try:
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as doc:
            if len(doc.pages) == 0 and not truncated:
                return EmptyDocument("the PDF has no pages")
    except pikepdf.PasswordError:
        return EncryptedDocument("the PDF is password-protected")
    except Exception:
        if b"/Encrypt" in data[-65536:]:
            return EncryptedDocument("the PDF is encrypted with a scheme that cannot be opened")
    if truncated:
        return CorruptDocument("the PDF is truncated (no end-of-file marker) and cannot be read")
    return CorruptDocument("the PDF is damaged: its structure cannot be read")


@dataclass
class _Geometry:
    """Maps PDF user space to pixels of the upright rendered page (handles /Rotate and CropBox)."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int
    scale: float

    @property
    def size_px(self) -> tuple[int, int]:
        w, h = (self.right - self.left) * self.scale, (self.top - self.bottom) * self.scale
        return (round(h), round(w)) if self.rotation in (90, 270) else (round(w), round(h))

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        u, v = (x - self.left) * self.scale, (self.top - y) * self.scale
        w, h = (self.right - self.left) * self.scale, (self.top - self.bottom) * self.scale
        if self.rotation == 90:
            return h - v, u
        if self.rotation == 180:
            return w - u, h - v
        if self.rotation == 270:
            return v, w - u
        return u, v


def iter_pdf_pages(pdf: pdfium.PdfDocument, limits: Limits, *, ocr: bool) -> Iterator[Page | PageImage]:
    """Yield a finished ``Page`` for text-layer pages and a ``PageImage`` for pages that need OCR
    (or, with ``ocr=False``, an empty page)."""
    for idx in range(len(pdf)):
        number = idx + 1
        try:
            page = pdf[idx]
        except Exception as exc:
            raise CorruptDocument(f"cannot read page {number} of the PDF: {exc}") from exc
        try:
            geo = _geometry(page, limits.dpi, number)
            w_px, h_px = geo.size_px
            if w_px * h_px > limits.max_pixels:
                raise PageTooLarge(
                    f"page {number} is {w_px}x{h_px} pixels at {limits.dpi} dpi, over the limit of "
                    f"{limits.max_megapixels:g} megapixels"
                )
            words, n_chars = _text_layer_words(page, geo)
            if words and not (n_chars < _SCAN_MAX_CHARS and _image_cover(page, geo) >= _SCAN_IMAGE_COVER):
                yield Page(number=number, width=w_px, height=h_px, dpi=float(limits.dpi), source="text_layer",
                           words=words)
            elif not ocr:
                yield Page(number=number, width=w_px, height=h_px, dpi=float(limits.dpi), source="none")
            else:
                yield PageImage(number=number, image=_render(page, geo, number), dpi=float(limits.dpi))
        finally:
            page.close()


def _geometry(page: pdfium.PdfPage, dpi: int, number: int) -> _Geometry:
    try:
        left, bottom, right, top = page.get_bbox()
        rotation = int(page.get_rotation()) % 360
    except Exception as exc:
        raise CorruptDocument(f"page {number} of the PDF has no usable page box: {exc}") from exc
    if not (right > left and top > bottom):
        raise CorruptDocument(f"page {number} of the PDF has an empty page box")
    return _Geometry(left, bottom, right, top, rotation, dpi / 72.0)


def _render(page: pdfium.PdfPage, geo: _Geometry, number: int):  # type: ignore[no-untyped-def]
    try:
        bitmap = page.render(scale=geo.scale, grayscale=True, fill_color=(255, 255, 255, 255))
        image = bitmap.to_pil().convert("L").copy()  # copy: the bitmap's buffer is freed with it
        bitmap.close()
        return image
    except Exception as exc:
        raise CorruptDocument(f"cannot render page {number} of the PDF: {exc}") from exc


def _image_cover(page: pdfium.PdfPage, geo: _Geometry) -> float:
    """Largest share of the page covered by a single image object."""
    page_area = (geo.right - geo.left) * (geo.top - geo.bottom)
    best = 0.0
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
            left, bottom, right, top = obj.get_bounds()
            w = min(right, geo.right) - max(left, geo.left)
            h = min(top, geo.top) - max(bottom, geo.bottom)
            if w > 0 and h > 0:
                best = max(best, w * h / page_area)
    except Exception:
        return 0.0  # unreadable object tree: trust the text layer
    return best


def _text_layer_words(page: pdfium.PdfPage, geo: _Geometry) -> tuple[list[Word], int]:
    """Words (whitespace- and gap-separated runs of characters) with their pixel boxes."""
    try:
        textpage = page.get_textpage()
    except Exception:
        return [], 0
    try:
        n = pdfium_c.FPDFText_CountChars(textpage)
        if n <= 0:
            return [], 0
        left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] = []  # left, bottom, right, top in PDF user space
        n_chars = 0
        w_px, h_px = geo.size_px

        def flush() -> None:
            if chars and box:
                text = "".join(chars)
                (xa, ya), (xb, yb) = geo.to_px(box[0], box[3]), geo.to_px(box[2], box[1])
                px = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
                words.append(Word(text=text, box_px=px, box_1000=to_box_1000(px, w_px, h_px), ocr_confidence=1.0))
            chars.clear()
            box.clear()

        for i in range(n):
            ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 32)
            if ch in _SPACES or not ch.isprintable():
                flush()
                continue
            if not pdfium_c.FPDFText_GetCharBox(textpage, i, left, right, bottom, top):
                continue
            # Words are grouped in PDF user space (where the text runs horizontally even on a page
            # with /Rotate) and only the finished word box is mapped to pixels.
            cbox = [left.value, bottom.value, right.value, top.value]
            if box and _breaks(box, cbox):
                flush()
            n_chars += 1
            chars.append(ch)
            if box:
                box[:] = [min(box[0], cbox[0]), min(box[1], cbox[1]), max(box[2], cbox[2]), max(box[3], cbox[3])]
            else:
                box.extend(cbox)
        flush()
        return words, n_chars
    finally:
        textpage.close()


def _breaks(word: list[float], char: list[float]) -> bool:
    """A new word starts without a space when the next character is on another line or far away
    (table cells and labels drawn as separate strings). Boxes are (left, bottom, right, top)."""
    height = max(word[3] - word[1], char[3] - char[1], 1.0)
    cy = (char[1] + char[3]) / 2
    if cy < word[1] - 0.2 * height or cy > word[3] + 0.2 * height:
        return True
    gap = char[0] - word[2]
    return gap > 0.6 * height or char[2] < word[0]
