"""A light Gaussian blur of the bilevel page for a second recognition of a page read at low confidence.

Why: fax pages arrive as 1-bit images. Where the sending machine dithered grey text, or toner dropped
out inside strokes, each glyph is a scatter of dots that tesseract reads as broken letters ("Hata. ME"
for "Olga S. Miller"). A blur of about one pixel at 200 dpi merges the dots back into grey strokes and
leaves tesseract's own binarization to find the glyphs. Radius 0.7 lost dithered pages, 1.5 lost clean
fine pages. Blurring every page is no free gain: sharp text near a form's rule can blur into it
("Oct 9, 1968" read "0h 96H"), so ``ocr.ocr_page`` blurs only for a second read of a page whose first
read was unsure, and keeps the better. Gold entity words read exactly, corpus validation and test
pages: 1,675 of 2,120 unblurred, 1,746 blurring every page, 1,747 with the second read.
"""

from __future__ import annotations

from PIL import Image, ImageFilter

#: Blur radius (Gaussian sigma) at 200 dpi, in pixels; scaled with the resolution.
BLUR_RADIUS_AT_200_DPI = 1.0


def blur_radius(dpi: float) -> float:
    return BLUR_RADIUS_AT_200_DPI * dpi / 200.0


def smooth(image: Image.Image, dpi: float) -> Image.Image:
    """The grayscale page, blurred by ``blur_radius(dpi)``."""
    return image.convert("L").filter(ImageFilter.GaussianBlur(blur_radius(dpi)))
