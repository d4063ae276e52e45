"""Fax realism applied to a clean page render: blur, skew, standard (98 dpi) vertical resolution,
binarization or dithering, speckle, streaks, and an occasional page fed upside down.

Skew is in degrees counter-clockwise (PIL's convention) and is recorded as ``GoldPage.skew_deg``; the
gold boxes stay in the upright, unskewed frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

#: TIFF/PDF resolution tags (x, y) per fax resolution: fine 204x196, standard 204x98.
FAX_DPI: dict[str, tuple[int, int]] = {"fine": (204, 196), "standard": (204, 98), "digital": (200, 200)}


@dataclass(frozen=True)
class Degradation:
    skew_deg: float = 0.0
    blur: float = 0.0
    dither: bool = False
    threshold: int = 170
    speckle: float = 0.0  # fraction of pixels flipped to black
    dropout: float = 0.0  # fraction of pixels flipped to white
    streaks: int = 0
    upside_down: bool = False


def sample_degradation(rng: np.random.Generator, photo: bool = False) -> Degradation:
    """Degradation parameters for one page; ``photo`` pages (card copies) are dithered more often."""
    skew = float(rng.uniform(-2.0, 2.0)) if rng.random() < 0.7 else 0.0
    return Degradation(
        skew_deg=round(skew, 2),
        blur=float(rng.choice([0.0, 0.0, 0.0, 0.6, 0.9])),
        dither=bool(rng.random() < (0.6 if photo else 0.2)),
        threshold=int(rng.integers(140, 200)),
        speckle=float(rng.choice([0.0, 2e-4, 6e-4, 1.5e-3])),
        dropout=float(rng.choice([0.0, 0.0, 0.01, 0.03])),
        streaks=int(rng.choice([0, 0, 0, 0, 1, 2])),
        upside_down=bool(rng.random() < 0.03),
    )


def _rotate(img: Image.Image, deg: float, sy: float) -> Image.Image:
    """Rotate the physical page by ``deg`` (counter-clockwise) when its rows are stored at ``sy``
    times the column resolution: PIL's rotation matrix conjugated by the vertical scale."""
    a = -math.radians(deg)
    m00, m01, m10, m11 = math.cos(a), math.sin(a) / sy, -math.sin(a) * sy, math.cos(a)
    cx, cy = img.width / 2.0, img.height / 2.0
    data = (m00, m01, cx - m00 * cx - m01 * cy, m10, m11, cy - m10 * cx - m11 * cy)
    # nearest neighbour: the page is binarized next, and it is 4x faster than bilinear
    return img.transform(img.size, Image.Transform.AFFINE, data, resample=Image.Resampling.NEAREST, fillcolor=255)


def degrade(img: Image.Image, d: Degradation, resolution: str, rng: np.random.Generator) -> Image.Image:
    """The page as a fax machine would deliver it: a bilevel ("1") image."""
    # Order chosen for speed at the same look: downsample first (standard resolution halves the rows),
    # a box blur (optical softness) and a bilinear rotation (skew) on the smaller image.
    if resolution == "standard":
        img = img.resize((img.width, img.height // 2), Image.Resampling.BOX)
    if d.blur:
        img = img.filter(ImageFilter.BoxBlur(d.blur))
    if abs(d.skew_deg) > 0.01:
        img = _rotate(img, d.skew_deg, 0.5 if resolution == "standard" else 1.0)
    if d.dither:
        bw = img.convert("1")  # Floyd-Steinberg
    else:
        lut = [0 if v < d.threshold else 255 for v in range(256)]
        bw = img.point(lut, "1")
    arr = np.array(bw, dtype=bool)  # True = white
    h, w = arr.shape
    if d.dropout:
        # toner/line dropouts inside strokes: flip some black pixels to white
        n = int(arr.size * d.dropout)
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        arr[ys, xs] = True
    if d.speckle:
        n = int(arr.size * d.speckle)
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        arr[ys, xs] = False
        # a few bigger specks (2x2)
        m = n // 20
        ys, xs = rng.integers(0, h - 1, m), rng.integers(0, w - 1, m)
        for dy in (0, 1):
            for dx in (0, 1):
                arr[ys + dy, xs + dx] = False
    for _ in range(d.streaks):
        if rng.random() < 0.6:
            # a dirty scanner glass: a vertical line down the page
            x = int(rng.integers(0, w - 3))
            arr[:, x : x + int(rng.integers(1, 3))] = False
        else:
            # a transmission error: a few rows lost (white) or smeared black
            y = int(rng.integers(0, h - 6))
            arr[y : y + int(rng.integers(1, 5)), :] = bool(rng.random() < 0.7)
    out = Image.fromarray(arr)
    if d.upside_down:
        out = out.transpose(Image.Transpose.ROTATE_180)
    return out
