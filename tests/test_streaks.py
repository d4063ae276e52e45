"""Fax streak removal (cardio_intake/ingest/streaks.py) and its place before deskew in OCR."""

from __future__ import annotations

import ingest_docs as D
import numpy as np
import pytest
from PIL import Image

from cardio_intake.ingest.streaks import remove_streaks


def _page_with_glyph() -> np.ndarray:
    arr = np.full((400, 300), 255, dtype=np.uint8)
    arr[100:140, 90:130] = 0  # a glyph-sized blob
    return arr


def test_a_vertical_streak_goes_and_the_glyph_it_crosses_stays() -> None:
    arr = _page_with_glyph()
    arr[:, 110:112] = 0  # a 2-pixel streak down the whole page, through the blob
    out = np.asarray(remove_streaks(Image.fromarray(arr, mode="L"), 200.0))
    assert (out[:90, 110:112] == 255).all() and (out[150:, 110:112] == 255).all()
    assert (out[100:140, 90:130] == 0).all()  # ink beside the streak keeps the streak's pixels inside the glyph


def test_a_black_row_goes_and_a_white_one_is_left() -> None:
    arr = _page_with_glyph()
    arr[300:302, :] = 0
    out = np.asarray(remove_streaks(Image.fromarray(arr, mode="L"), 200.0))
    assert (out[300:302, :] == 255).all()
    assert (out[100:140, 90:130] == 0).all()


def test_a_page_without_streaks_is_returned_as_is_and_wide_bands_are_not_streaks() -> None:
    clean = Image.fromarray(_page_with_glyph(), mode="L")
    assert remove_streaks(clean, 200.0) is clean
    arr = _page_with_glyph()
    arr[:, 200:230] = 0  # 30 pixels wide: something printed, not a scanner line
    banded = Image.fromarray(arr, mode="L")
    assert remove_streaks(banded, 200.0) is banded
    arr = _page_with_glyph()
    arr[:200, 250:252] = 0  # half the page down: a printed rule, not a streak
    ruled = Image.fromarray(arr, mode="L")
    assert remove_streaks(ruled, 200.0) is ruled


def _read_share(image: Image.Image, words: list[str]) -> float:
    from cardio_intake.ingest.ocr import OcrTask, ocr_page
    from cardio_intake.ingest.pages import PageImage

    page = ocr_page(OcrTask(PageImage(number=1, image=image, dpi=200.0), 60.0))
    read = {w.text for w in page.words}
    return sum(w in read for w in words) / len(words)


def test_a_skewed_page_with_a_streak_through_its_words_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The streak is straight as scanned and slants once the page is deskewed: removed first, the words it
    crosses read; left in, tesseract drops some of them."""
    import cardio_intake.ingest.ocr as ocr_mod

    img, gold = D.render_page(font_px=28, size=(1700, 2200))
    skewed = img.rotate(1.5, fillcolor=255, resample=Image.Resampling.BICUBIC)
    arr = np.where(np.asarray(skewed) < 160, 0, 255).astype(np.uint8)  # a binarized fax
    x = int(gold[0][1][0]) + 150
    arr[:, x : x + 2] = 0  # down through the words of every line
    fax = Image.fromarray(arr, mode="L")
    words = [text for text, _ in gold]
    with_removal = _read_share(fax, words)
    monkeypatch.setattr(ocr_mod, "remove_streaks", lambda image, dpi: image)
    without = _read_share(fax, words)
    assert with_removal >= 0.9 and with_removal > without + 0.05
