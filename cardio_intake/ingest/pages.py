"""The unit of work between decoding and OCR: one page image with its resolution."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass
class PageImage:
    """An 8-bit grayscale page with square pixels, as stored in the file (not yet oriented)."""

    number: int
    image: Image.Image
    dpi: float
