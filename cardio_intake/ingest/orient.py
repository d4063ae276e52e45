"""Page orientation (tesseract OSD) and small-angle deskew (projection profile).

Deskew works on a downscaled, binarized copy: for each candidate angle the bottoms of the
character-sized blobs are sheared onto the y axis and the sharpest row histogram (baselines lined
up) wins: a few thousand points per angle, far cheaper than rotating the image per candidate.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from cardio_intake.ingest.tesseract import pytesseract

_DESKEW_WIDTH = 1000  # px of the working copy (about 120 dpi for a letter page)
_OSD_MIN_CONFIDENCE = 1.5


def estimate_skew(image: Image.Image, max_angle: float = 5.0) -> float:
    """Skew of the text lines in degrees; rotating the image by ``Image.rotate(angle)`` makes them
    horizontal. 0.0 when the page has too little text to tell.

    The projection uses the bottom centre of each character-sized connected component, not every
    ink pixel: long rules and box frames would otherwise outweigh the text (and forms draw many of
    them), and one component per glyph keeps speckle and bold titles from dominating.
    """
    from scipy import ndimage

    scale = min(1.0, _DESKEW_WIDTH / max(image.width, 1))
    small = image if scale == 1.0 else image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BOX
    )
    ink = np.asarray(small, dtype=np.uint8) < 160
    labels, n = ndimage.label(ink)
    if n < 20:
        return 0.0
    xs_list, ys_list = [], []
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        # Character-sized: taller than a speck, smaller than a title letter, not a rule or frame.
        if 3 <= h <= 40 and w <= 3 * h + 4:
            xs_list.append((sl[1].start + sl[1].stop) / 2)
            ys_list.append(float(sl[0].stop))
    if len(xs_list) < 20:
        return 0.0
    xs, ys = np.asarray(xs_list), np.asarray(ys_list)
    height = ink.shape[0]

    def score(angle: float) -> float:
        shifted = ys - xs * np.tan(np.radians(angle))
        hist = np.bincount(np.clip(np.round(shifted) + height, 0, 3 * height).astype(np.int64))
        return float(np.dot(hist, hist))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.2)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.2, best + 0.2 + 1e-9, 0.05)
    best = float(max(fine, key=score))
    # Text lines sheared by `best` are horizontal; PIL rotates counter-clockwise for positive angles.
    return round(best, 2) if abs(best) >= 0.1 else 0.0


def deskew(image: Image.Image, angle: float) -> Image.Image:
    if angle == 0.0:
        return image
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)


_ROTATE_RE = re.compile(r"Rotate:\s*(\d+)")
_CONF_RE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def detect_rotation(image: Image.Image, timeout_s: float) -> int:
    """Degrees clockwise that make the page upright (0, 90, 180, 270), from tesseract's OSD.
    0 when OSD cannot tell (blank page, too few characters, low confidence)."""
    try:
        out = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=20", timeout=timeout_s)
    except pytesseract.TesseractError:
        return 0  # "Too few characters": nothing to orient
    rot, conf = _ROTATE_RE.search(out), _CONF_RE.search(out)
    if not rot or not conf or float(conf.group(1)) < _OSD_MIN_CONFIDENCE:
        return 0
    return int(rot.group(1)) % 360


def rotate_clockwise(image: Image.Image, degrees: int) -> Image.Image:
    if degrees % 360 == 0:
        return image
    method = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(method[degrees % 360])


def upright_score(image: Image.Image) -> float:
    """Evidence that the (deskewed) text is upright rather than upside down, in [-1, 1].

    Latin text has far more ink above the x-height band (capitals, b d f h k l t) than below it
    (g j p q y): per text line, compare the ink above and below the line's dense core. Upside down
    the balance flips. Cheap (row profiles of a downscaled copy) and, unlike tesseract's OSD, it
    holds up on speckled standard-resolution faxes. 0.0 when there is too little text to tell.
    """
    scale = min(1.0, _DESKEW_WIDTH / max(image.width, 1))
    small = image if scale == 1.0 else image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BOX
    )
    ink = np.asarray(small, dtype=np.uint8) < 160
    prof = ink.sum(axis=1).astype(np.float64)
    on = prof > max(2.0, 0.01 * ink.shape[1])
    above = below = 0.0
    y, n_rows = 0, len(prof)
    while y < n_rows:
        if not on[y]:
            y += 1
            continue
        start = y
        while y < n_rows and on[y]:
            y += 1
        band = prof[start:y]
        if not 5 <= len(band) <= 60:  # a text line at ~120 dpi; rules, specks and images are not
            continue
        core = np.nonzero(band >= 0.5 * band.max())[0]
        above += float(band[: core[0]].sum())
        below += float(band[core[-1] + 1 :].sum())
    total = above + below
    return (above - below) / total if total > 0 else 0.0
