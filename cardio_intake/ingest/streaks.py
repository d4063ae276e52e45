"""Fax streak removal before deskew: a dirty scanner glass draws a thin vertical line down the whole page, and a
transmission error smears a few whole rows black.

Why: tesseract drops the text a streak crosses. Upright, a streak is a rule that its line finder sets aside;
deskewed, it is a slanted stroke through the words, and the block around it is read as an image. On the test
corpus's packet-00062 (a 1.8-degree skew, one streak through the left column) the order line "CCTA" and the whole
diagnosis section were missing from OCR, so the referral lost its CT order. A streak is straight in the page as
scanned, so it is found there: a run of at most a few columns (rows) that are ink along nearly the whole page.
Its pixels are whitened only where the page beside it is paper, so a glyph's stroke that it crosses stays whole.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: A column (row) that is ink over at least this share of the page's height (width) is part of a streak;
#: text, rules and table borders never come close (a form's longest rule spans about 0.9 of the width, so rows ask
#: for more).
COLUMN_INK_SHARE = 0.85
ROW_INK_SHARE = 0.97
#: A streak is at most this many pixels wide at 200 dpi; a wider dark band is something printed (a bar, a photo).
MAX_STREAK_PX_AT_200_DPI = 4
_INK = 128


def _streak_lines(ink_share: np.ndarray, threshold: float, max_width: int) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of consecutive lines over ``threshold``, each at most ``max_width`` long."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, over in enumerate([*(ink_share >= threshold), False]):
        if over and start is None:
            start = i
        elif not over and start is not None:
            if i - start <= max_width:
                runs.append((start, i))
            start = None
    return runs


def _whiten_columns(ink: np.ndarray, out: np.ndarray, runs: list[tuple[int, int]]) -> None:
    width = ink.shape[1]
    for start, end in runs:
        left = ink[:, start - 1] if start > 0 else np.zeros(ink.shape[0], dtype=bool)
        right = ink[:, end] if end < width else np.zeros(ink.shape[0], dtype=bool)
        paper_beside = ~(left | right)
        out[paper_beside, start:end] = 255


def remove_streaks(image: Image.Image, dpi: float) -> Image.Image:
    """A copy of the grayscale page without its streaks; the page itself when it has none."""
    arr = np.asarray(image.convert("L"))
    ink = arr < _INK
    max_width = max(1, round(MAX_STREAK_PX_AT_200_DPI * dpi / 200.0))
    columns = _streak_lines(ink.mean(axis=0), COLUMN_INK_SHARE, max_width)
    # rows take the same width limit; a standard-resolution fax's smear, resampled to square pixels, can be twice as
    # thick and is then left as it is (not measured: the corpus's row smears were not looked at one by one)
    rows = _streak_lines(ink.mean(axis=1), ROW_INK_SHARE, max_width)
    if not columns and not rows:
        return image
    out = arr.copy()
    _whiten_columns(ink, out, columns)
    _whiten_columns(ink.T, out.T, rows)  # out.T is a view: rows are whitened in place
    return Image.fromarray(out, mode="L")
