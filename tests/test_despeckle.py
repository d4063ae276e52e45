"""Speckle removal before OCR: specks go, glyph pixels (diagonal strokes, dots) stay."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cardio_intake.ingest.despeckle import despeckle, speck_pixels


def page(pixels: list[tuple[int, int]], size: tuple[int, int] = (60, 40)) -> Image.Image:
    arr = np.full((size[1], size[0]), 255, dtype=np.uint8)
    for x, y in pixels:
        arr[y, x] = 0
    return Image.fromarray(arr, mode="L")


def ink(img: Image.Image) -> set[tuple[int, int]]:
    ys, xs = np.nonzero(np.asarray(img) < 128)
    return set(zip(xs.tolist(), ys.tolist(), strict=True))


def test_isolated_specks_go_and_bigger_marks_stay() -> None:
    speck1, speck3 = [(5, 5)], [(20, 5), (21, 5), (20, 6)]
    dot = [(40 + dx, 10 + dy) for dx in range(2) for dy in range(2)]  # 2x2 = 4 px: an i-dot, kept
    stroke = [(10 + i, 20 + i) for i in range(6)]  # a diagonal stroke: 8-connected, one component
    out = despeckle(page(speck1 + speck3 + dot + stroke), dpi=200)
    assert ink(out) == set(dot) | set(stroke)


def test_speck_size_scales_with_resolution() -> None:
    assert speck_pixels(200) == 3
    assert speck_pixels(300) == 7
    assert speck_pixels(100) == 1
    blob5 = [(30 + dx, 30) for dx in range(5)]
    assert ink(despeckle(page(blob5), dpi=200)) == set(blob5)
    assert ink(despeckle(page(blob5), dpi=300)) == set()


def test_clean_page_is_returned_as_is_and_text_survives() -> None:
    blank = page([])
    assert despeckle(blank, 200) is blank
    # 10 pt at 200 dpi is about 28 px to the em: its periods and i-dots are bigger than a speck
    img = Image.new("L", (520, 50), 255)
    ImageDraw.Draw(img).text((5, 8), "Kim, Deborah 3PX8P99DP74 i.j;", fill=0, font=ImageFont.load_default(size=28))
    noisy = np.asarray(img).copy()
    rng = np.random.default_rng(0)
    ys, xs = rng.integers(0, 50, 60), rng.integers(0, 520, 60)
    text_ink = noisy < 128
    lone = [(x, y) for x, y in zip(xs, ys, strict=True)
            if not text_ink[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].any()]
    for x, y in lone:
        noisy[y, x] = 0
    out = despeckle(Image.fromarray(noisy, mode="L"), 200)
    assert ink(out) == ink(img)  # every speck removed, every text pixel kept
    assert len(lone) > 20
