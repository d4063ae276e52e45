"""The light blur for a second read of an unsure page: dithered fax text becomes strokes tesseract reads."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from cardio_intake.ingest import ocr
from cardio_intake.ingest.ocr import OcrTask, ocr_page
from cardio_intake.ingest.pages import PageImage
from cardio_intake.ingest.smooth import blur_radius, smooth
from tests.ingest_docs import render_page

LINES = ("Olga S. Miller", "Member ID W338916860", "Cigna Open Access Plus")


def dithered_page() -> Image.Image:
    """Grey text sent at standard resolution (half the rows) dithered to 1 bit (Floyd-Steinberg), as
    a fax machine sends a light original, and stretched back to square pixels as the loader does."""
    page, _ = render_page(LINES, size=(1000, 330), font_px=34)
    grey = page.point(lambda v: 255 - (255 - v) * 0.45)  # ink at about 140 of 255: printed light
    sent = grey.resize((1000, 165), Image.Resampling.BOX).convert("1")
    return sent.convert("L").resize((1000, 330), Image.Resampling.BILINEAR)


def components(img: Image.Image) -> int:
    arr = np.asarray(img).astype(int)
    ink = arr < (arr.min() + arr.max()) / 2  # a mid-range threshold, like tesseract's own binarization
    return int(ndimage.label(ink, structure=np.ones((3, 3), dtype=bool))[1])


def test_blur_radius_scales_with_resolution() -> None:
    assert blur_radius(200) == 1.0
    assert blur_radius(400) == 2.0


def test_dithered_glyphs_merge_into_strokes() -> None:
    page = dithered_page()
    before, after = components(page), components(smooth(page, 200))
    n_glyphs = sum(len(line.replace(" ", "")) for line in LINES)
    assert before > 6 * n_glyphs  # scattered dots
    assert after < before / 3  # merged into strokes (a few glyphs still in two or three pieces)


def test_dithered_text_reads_through_ocr_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def read() -> set[str]:
        out = ocr_page(OcrTask(PageImage(number=1, image=dithered_page(), dpi=200.0), timeout_s=60))
        return {w.text for w in out.words}

    expected = {"Olga", "Miller", "W338916860", "Cigna", "Open", "Access", "Plus"}
    assert expected <= read()
    monkeypatch.setattr(ocr, "smooth", lambda image, dpi: image)
    assert len(expected & read()) < len(expected)  # the dots alone read as other letters


def test_a_sure_first_read_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def counting_smooth(image: Image.Image, dpi: float) -> Image.Image:
        calls.append(dpi)
        return smooth(image, dpi)

    monkeypatch.setattr(ocr, "smooth", counting_smooth)
    clean, _ = render_page(LINES, size=(1000, 330), font_px=34)
    ocr_page(OcrTask(PageImage(number=1, image=clean, dpi=200.0), timeout_s=60))
    assert calls == []  # sharp text: one recognition
    ocr_page(OcrTask(PageImage(number=1, image=dithered_page(), dpi=200.0), timeout_s=60))
    assert calls == [200.0]  # dotted glyphs read unsure: a second, blurred read
