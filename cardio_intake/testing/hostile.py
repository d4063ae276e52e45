"""A corpus of hostile and malformed inputs, generated (nothing binary is committed).

Every case names what it is, its bytes, the file name it arrives under, and what must happen:
``reject`` (a typed ingestion error, HTTP 4xx) or ``survive`` (a readable but useless page: either a
typed error or a prediction that asks for review; never a crash, a hang or a 5xx).
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Expect = Literal["reject", "survive"]


@dataclass(frozen=True)
class HostileCase:
    name: str
    filename: str
    data: bytes
    expect: Expect
    why: str


# --- valid seeds that the mutations start from ----------------------------------------------


def _text_page(text: str = "REFERRAL TO CARDIOLOGY  Patient: Jane Doe", size: tuple[int, int] = (850, 1100)):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype("DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default()
    draw.text((60, 80), text, fill=0, font=font)
    return img


def valid_png() -> bytes:
    buf = io.BytesIO()
    _text_page().save(buf, format="PNG")
    return buf.getvalue()


def valid_jpeg() -> bytes:
    buf = io.BytesIO()
    _text_page().convert("RGB").save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def valid_tiff(pages: int = 2) -> bytes:
    buf = io.BytesIO()
    frames = [_text_page().convert("1") for _ in range(pages)]
    frames[0].save(buf, format="TIFF", compression="group4", save_all=True, append_images=frames[1:], dpi=(204, 196))
    return buf.getvalue()


def valid_pdf(pages: int = 1) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(pages):
        c.drawString(72, 720, f"Referral to cardiology, page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _blank_pdf(pages: int, media_box: tuple[float, float] = (612, 792)) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=media_box)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    import pikepdf

    src = pikepdf.open(io.BytesIO(valid_pdf()))
    buf = io.BytesIO()
    src.save(buf, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret", R=6))
    return buf.getvalue()


def _zero_page_pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


# --- raw structures ---------------------------------------------------------------------------


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A ~100-byte PNG whose header declares width x height pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b"")


def png_bad_crc() -> bytes:
    data = bytearray(valid_png())
    data[29] ^= 0xFF  # inside the IHDR CRC
    return bytes(data)


def _tiff(entries: list[tuple[int, int, int, int]], next_ifd: int | None = None, ifd_offset: int = 8) -> bytes:
    """A little-endian TIFF with one IFD of (tag, type, count, value) entries."""
    header = b"II*\x00" + struct.pack("<I", ifd_offset)
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        ifd += struct.pack("<HHII", tag, typ, count, value)
    ifd += struct.pack("<I", ifd_offset if next_ifd is None else next_ifd)
    return header + ifd + b"\x00" * 64


def tiff_bomb() -> bytes:
    # 60000 x 60000 bilevel, one strip of 8 bytes: the header alone claims 3.6 gigapixels
    return _tiff([(256, 4, 1, 60000), (257, 4, 1, 60000), (258, 3, 1, 1), (259, 3, 1, 1), (262, 3, 1, 0),
                  (273, 4, 1, 200), (277, 3, 1, 1), (278, 4, 1, 60000), (279, 4, 1, 8)], next_ifd=0)


def tiff_looping_directory() -> bytes:
    # the IFD's next-IFD pointer points back at itself: a naive page iterator never ends
    return _tiff([(256, 4, 1, 16), (257, 4, 1, 16), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                  (273, 4, 1, 120), (277, 3, 1, 1), (278, 4, 1, 16), (279, 4, 1, 256)], next_ifd=None)


def tiff_broken_directory() -> bytes:
    return b"II*\x00" + struct.pack("<I", 0x7FFFFFF0) + b"\x00" * 32


def jpeg_bomb() -> bytes:
    # SOF0 declaring 60000 x 60000, then end of image
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 60000, 60000, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


def _zip_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("referral.txt", "not a fax")
    return buf.getvalue()


def _flip(data: bytes, seed: int, flips: int = 24) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        i = rng.randrange(16, len(out))  # keep the magic so the sniffer still routes it to the decoder
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def noise_page() -> bytes:
    rng = random.Random(3)
    from PIL import Image

    img = Image.frombytes("L", (1000, 1300), bytes(rng.getrandbits(8) for _ in range(1000 * 1300)))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def non_english_page() -> bytes:
    buf = io.BytesIO()
    _text_page("Направление к кардиологу. Пациент: Иванова Мария").save(buf, format="PNG")
    return buf.getvalue()


def hostile_cases(include_large: bool = True) -> list[HostileCase]:
    """The full hostile corpus (44+ cases). ``include_large`` adds the 5,000-page PDF and the
    over-the-size-limit file (a few seconds and ~60 MB to build)."""
    png, jpg, tif, pdf = valid_png(), valid_jpeg(), valid_tiff(), valid_pdf(2)
    R: Expect = "reject"
    S: Expect = "survive"
    cases: list[HostileCase] = [
        HostileCase("empty", "empty.pdf", b"", R, "0 bytes"),
        HostileCase("one_byte", "x.pdf", b"%", R, "one byte"),
        HostileCase("whitespace", "blank.tif", b" \n\t" * 100, R, "whitespace only"),
        HostileCase("pdf_header_only", "h.pdf", b"%PDF-1.7\n", R, "PDF header with no body"),
        HostileCase("pdf_truncated", "t.pdf", pdf[: len(pdf) // 2], R, "PDF cut in half"),
        HostileCase("pdf_encrypted", "enc.pdf", _encrypted_pdf(), R, "password-protected PDF"),
        HostileCase("pdf_zero_pages", "zero.pdf", _zero_page_pdf(), R, "a PDF with /Count 0"),
        HostileCase("pdf_huge_page", "huge.pdf", _blank_pdf(1, (14400, 14400)), R, "a 200x200 inch page"),
        HostileCase("tiff_truncated", "t.tif", tif[: len(tif) // 3], R, "TIFF cut to a third"),
        HostileCase("tiff_broken_directory", "b.tif", tiff_broken_directory(), R, "IFD offset past the end"),
        HostileCase("tiff_looping_directory", "loop.tif", tiff_looping_directory(), R, "IFD chain loops on itself"),
        HostileCase("tiff_bomb", "bomb.tif", tiff_bomb(), R, "header declares 60000x60000"),
        HostileCase("png_bomb", "bomb.png", png_bomb(), R, "header declares 60000x60000"),
        HostileCase("png_truncated", "t.png", png[: len(png) // 2], R, "PNG cut in half"),
        HostileCase("png_header_only", "h.png", png[:33], R, "signature and IHDR only"),
        HostileCase("png_bad_crc", "crc.png", png_bad_crc(), R, "IHDR CRC broken"),
        HostileCase("jpeg_truncated", "t.jpg", jpg[: len(jpg) // 3], R, "JPEG cut to a third"),
        HostileCase("jpeg_bomb", "bomb.jpg", jpeg_bomb(), R, "SOF declares 60000x60000"),
        HostileCase("html_as_pdf", "referral.pdf", b"<!DOCTYPE html><html><body>fax</body></html>", R, "HTML bytes named .pdf"),
        HostileCase("zip_as_pdf", "referral.pdf", _zip_bytes(), R, "ZIP bytes named .pdf"),
        HostileCase("exe_as_pdf", "referral.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200, R, "Windows EXE named .pdf"),
        HostileCase("elf_as_tif", "fax.tif", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, R, "ELF binary named .tif"),
        HostileCase("gzip", "fax.pdf", zlib.compress(pdf), R, "zlib-compressed PDF"),
        HostileCase("gif", "fax.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", R, "GIF: not an accepted format"),
        HostileCase("bmp", "fax.bmp", b"BM" + b"\x00" * 60, R, "BMP: not an accepted format"),
        HostileCase("svg", "fax.svg", b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", R, "SVG/XML"),
        HostileCase("plain_text", "fax.txt", b"Patient: Jane Doe\nDOB 01/01/1950\n", R, "plain text"),
        HostileCase("json", "fax.pdf", b'{"document": "x"}', R, "JSON bytes"),
        HostileCase("polyglot_pdf_zip", "poly.pdf", b"%PDF-1.4\n" + _zip_bytes(), R, "PDF magic followed by a ZIP"),
        HostileCase("polyglot_png_html", "poly.png", png[:16] + b"<html><script>alert(1)</script></html>", R, "PNG magic then HTML"),
        HostileCase("polyglot_jpeg_zip", "poly.jpg", b"\xff\xd8\xff\xe0" + _zip_bytes(), R, "JPEG magic then a ZIP"),
        HostileCase("tiny_png", "tiny.png", _tiny_png(), S, "a 1x1 pixel page"),
        HostileCase("noise_page", "noise.png", noise_page(), S, "a page of random noise"),
        HostileCase("non_english_page", "ru.png", non_english_page(), S, "a page of Russian text"),
    ]
    for seed in range(3):
        rng = random.Random(100 + seed)
        cases.append(HostileCase(f"random_bytes_{seed}", "fax.pdf", bytes(rng.getrandbits(8) for _ in range(4096)), R, "random bytes"))
    for seed, (name, data, ext) in enumerate([("pdf", pdf, "pdf"), ("tiff", tif, "tif"), ("png", png, "png"), ("jpeg", jpg, "jpg")] * 2):
        # bit flips may leave a decodable file (then it must survive) or a broken one (typed error)
        cases.append(HostileCase(f"{name}_bitflip_{seed}", f"flip.{ext}", _flip(data, seed), S, "24 random bit flips"))
    if include_large:
        cases.append(HostileCase("pdf_5000_blank_pages", "many.pdf", _blank_pdf(5000), R, "5,000 blank pages"))
        cases.append(HostileCase("tiff_300_pages", "many.tif", valid_tiff_pages(300), R, "300-page TIFF"))
        cases.append(HostileCase("oversize_file", "big.pdf", b"%PDF-1.4\n" + b"0" * (51 * 1024 * 1024), R, "51 MB, over the size limit"))
    return cases


def valid_tiff_pages(pages: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    frame = Image.new("1", (64, 64), 1)
    frame.save(buf, format="TIFF", compression="group4", save_all=True, append_images=[frame] * (pages - 1))
    return buf.getvalue()


def _tiny_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, format="PNG")
    return buf.getvalue()


CaseFactory = Callable[[], bytes]
