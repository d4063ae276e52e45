"""Packet files as a fax would arrive: multi-page TIFF (CCITT Group 4), image-only PDF, single-page
PNG, and text-layer PDF (EHR e-fax, drawn with reportlab so words come from the PDF itself)."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from cardio_intake.corpus.canvas import RENDER_DPI, Canvas, draw_reportlab

_FIXED_DATE = time.gmtime(1_735_689_600)  # 2025-01-01T00:00:00Z
EXTENSIONS = {"tiff_g4": "tif", "pdf_image": "pdf", "pdf_text": "pdf", "png": "png"}


def write_tiff_g4(path: Path, frames: list[Image.Image], dpi: tuple[int, int]) -> None:
    """Multi-page TIFF, Group 4 compression, with the fax's (possibly unequal) x/y resolution."""
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], compression="group4", dpi=dpi)


def write_pdf_image(path: Path, frames: list[Image.Image], dpi: tuple[int, int]) -> None:
    """Image-only PDF (bilevel pages are CCITT-encoded by Pillow); page size follows x/y dpi."""
    # fixed dates: Pillow would stamp the current time, and the corpus must be byte-reproducible
    frames[0].save(path, format="PDF", save_all=True, append_images=frames[1:], dpi=dpi,
                   creationDate=_FIXED_DATE, modDate=_FIXED_DATE)  # fmt: skip


def write_png(path: Path, frame: Image.Image, dpi: tuple[int, int]) -> None:
    frame.save(path, format="PNG", dpi=dpi, optimize=False)


def write_pdf_text(path: Path, pages: list[Canvas]) -> None:
    """A PDF with a real text layer: every word drawn as text at its gold position."""
    from reportlab.pdfgen import canvas as rl_canvas

    scale = 72.0 / RENDER_DPI
    first = pages[0]
    pdf = rl_canvas.Canvas(str(path), pagesize=(first.width * scale, first.height * scale), invariant=1, pageCompression=1)
    pdf.setCreator("cardio-intake synthetic corpus")
    for page in pages:
        pdf.setPageSize((page.width * scale, page.height * scale))
        draw_reportlab(page, pdf, scale)
        pdf.showPage()
    pdf.save()
