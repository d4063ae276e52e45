"""Documents made in the tests for the ingestion tests: small pages with known words and boxes, in
every accepted format, and hostile/malformed files. Nothing binary is committed."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DPI = 200
#: Half-letter pages keep tesseract at a fraction of a second per page.
PAGE_SIZE = (1700, 1100)
LINES = (
    "REFERRAL TO CARDIOLOGY",
    "Patient: Maria Gonzalez DOB 03/14/1952",
    "Member ID: W238849102 Aetna Medicare",
    "Requested: echocardiogram with doppler",
    "Diagnosis: atrial fibrillation I48.91",
    "Referring: Alan Whitfield NPI 1245319599",
)
_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)

Box = tuple[float, float, float, float]


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        if Path(path).is_file():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)


def render_page(lines: tuple[str, ...] = LINES, size: tuple[int, int] = PAGE_SIZE, font_px: int = 40) -> tuple[Image.Image, list[tuple[str, Box]]]:
    """A clean grayscale page and its words with pixel boxes (the renderer's gold)."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = _font(font_px)
    words: list[tuple[str, Box]] = []
    y = 120
    for line in lines:
        x = 140
        for word in line.split():
            bbox = draw.textbbox((x, y), word, font=font)
            draw.text((x, y), word, font=font, fill=0)
            words.append((word, (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))))
            x = bbox[2] + font_px // 2
        y += int(font_px * 1.9)
    return img, words


def to_1000(box: Box, size: tuple[int, int]) -> tuple[float, float, float, float]:
    w, h = size
    return (box[0] * 1000 / w, box[1] * 1000 / h, box[2] * 1000 / w, box[3] * 1000 / h)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def image_bytes(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def g4_tiff(pages: list[Image.Image], dpi: tuple[float, float] = (DPI, DPI)) -> bytes:
    """Multi-page bilevel TIFF, CCITT Group 4, as fax servers store it."""
    bw = [p.convert("1") for p in pages]
    buf = io.BytesIO()
    bw[0].save(buf, "TIFF", compression="group4", dpi=dpi, save_all=True, append_images=bw[1:])
    return buf.getvalue()


def standard_fax(img: Image.Image) -> bytes:
    """Standard-resolution fax: 200 dpi across, 98 dpi down (pixels twice as tall as wide)."""
    squashed = img.resize((img.width, round(img.height * 98 / DPI)), Image.Resampling.BILINEAR)
    return g4_tiff([squashed], dpi=(DPI, 98))


def image_pdf(img: Image.Image, stamp: str | None = None) -> bytes:
    """A scanned page: one image filling a PDF page, no text layer (with ``stamp``: a one-line
    text header on top, as e-fax servers add)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    w_pt, h_pt = img.width * 72 / DPI, img.height * 72 / DPI
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(w_pt, h_pt))
    c.drawImage(ImageReader(img.convert("RGB")), 0, 0, width=w_pt, height=h_pt)
    if stamp:
        c.setFont("Helvetica", 8)
        c.drawString(20, h_pt - 12, stamp)
    c.showPage()
    c.save()
    return buf.getvalue()


#: (text, x, y baseline) in PDF points on a letter page, Helvetica 12.
TEXT_PDF_STRINGS = (
    ("Ambulatory Referral to Cardiology", 72, 720),
    ("Member ID: W238849102", 72, 690),
    ("DOB 03/14/1952", 360, 690),
    ("CPT 93306 ICD-10 I48.91", 72, 660),
)


def text_pdf(n_pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    for _ in range(n_pages):
        c.setFont("Helvetica", 12)
        for text, x, y in TEXT_PDF_STRINGS:
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def blank_pdf(n_pages: int, size: tuple[float, float] = (612, 792)) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    for _ in range(n_pages):
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    import pikepdf

    src = pikepdf.open(io.BytesIO(text_pdf()))
    buf = io.BytesIO()
    src.save(buf, encryption=pikepdf.Encryption(user="secret", owner="owner", R=6))
    return buf.getvalue()


def zero_page_pdf() -> bytes:
    import pikepdf

    buf = io.BytesIO()
    pikepdf.new().save(buf)
    return buf.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A ~100-byte PNG whose header claims width x height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def tiff_header(width: int, height: int, *, ifd_offset: int = 8, next_ifd: int = 0, strip_offset: int = 0) -> bytes:
    """A hand-made little-endian TIFF with one bilevel IFD (for bombs and broken directories)."""
    entries = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 0),  # Photometric: white is zero
        (273, 4, 1, strip_offset),  # StripOffsets
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, (width + 7) // 8 * height),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHII", tag, typ, count, value)
    ifd += struct.pack("<I", next_ifd)
    head = b"II*\x00" + struct.pack("<I", ifd_offset)
    pad = b"\x00" * max(0, ifd_offset - len(head))
    return head + pad + ifd
