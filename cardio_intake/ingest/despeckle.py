"""Fax speckle removal before recognition: ink specks of a few pixels, not touching any glyph, are
turned white.

Why: tesseract reads isolated specks as punctuation and, near a word, as part of it ("3PX8P99DP74"
read with a stray "'" or a broken glyph), and a speck between two words can glue or split them. On the
corpus's fax pages, removing components of at most 3 pixels at 200 dpi raised the share of gold entity
words that OCR returns from 0.929 to 0.954 (test packets) and from 0.963 to 0.975 (validation); 2 and
6 pixels did less well (i-dots and periods are 4-9 pixels at 200 dpi).

Components are 8-connected, so a thin diagonal stroke of a glyph (italic or handwriting faces) stays
one component with its glyph and is never mistaken for a speck.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: Largest speck removed at 200 dpi, in pixels; scaled with the square of the resolution.
SPECK_PIXELS_AT_200_DPI = 3
_INK = 128


def speck_pixels(dpi: float) -> int:
    return max(1, round(SPECK_PIXELS_AT_200_DPI * (dpi / 200.0) ** 2))


def despeckle(image: Image.Image, dpi: float) -> Image.Image:
    """A copy of the grayscale page with ink components of at most ``speck_pixels(dpi)`` pixels
    whitened; the page itself when it has none."""
    from scipy import ndimage

    arr = np.asarray(image.convert("L"))
    labels, n = ndimage.label(arr < _INK, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return image
    sizes = np.bincount(labels.ravel())
    speck = sizes <= speck_pixels(dpi)
    speck[0] = False  # paper
    mask = speck[labels]
    if not mask.any():
        return image
    out = arr.copy()
    out[mask] = 255
    return Image.fromarray(out, mode="L")
