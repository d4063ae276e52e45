"""Every accepted format through the loader: words and boxes against the page we drew.

OCR is the slow part, so each document is read once (module fixtures) and the pages are small.
"""

from __future__ import annotations

import ingest_docs as D
import pytest
from PIL import Image

from cardio_intake.document import Document, Page
from cardio_intake.ingest import Limits, OcrTimeout, load_document


def _match_rate(page: Page, gold: list[tuple[str, D.Box]], size: tuple[int, int], min_iou: float = 0.5) -> float:
    """Share of drawn words that the loader returned with the same text at the same place."""
    hits = 0
    for text, box in gold:
        g = D.to_1000(box, size)
        if any(w.text == text and D.iou(w.box_1000, g) >= min_iou for w in page.words):
            hits += 1
    return hits / len(gold)


def _assert_layoutlm_boxes(doc: Document) -> None:
    for page in doc.pages:
        for w in page.words:
            x0, y0, x1, y1 = w.box_1000
            assert 0 <= x0 <= x1 <= 1000 and 0 <= y0 <= y1 <= 1000
            assert 0.0 <= w.ocr_confidence <= 1.0 and w.text.strip() == w.text != ""


@pytest.fixture(scope="module")
def page() -> tuple[Image.Image, list[tuple[str, D.Box]]]:
    return D.render_page()


@pytest.fixture(scope="module")
def g4_doc(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> Document:
    """Two-page Group 4 TIFF, page 2 stored upside down; OCR'd on the 2-process pool."""
    img, _ = page
    return load_document(D.g4_tiff([img, img.rotate(180)]), workers=2)


def test_png(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    doc = load_document(D.image_bytes(img, "PNG", dpi=(200, 200)), workers=1)
    assert doc.format == "png" and len(doc.pages) == 1
    p = doc.pages[0]
    assert (p.width, p.height, p.dpi, p.source, p.rotation_applied) == (1700, 1100, 200.0, "ocr", 0)
    assert _match_rate(p, gold, img.size) >= 0.9
    _assert_layoutlm_boxes(doc)
    assert len(doc.sha256) == 64


def test_jpeg_without_dpi_estimates_it_from_the_width(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    doc = load_document(D.image_bytes(img.convert("RGB"), "JPEG", quality=85), workers=1)
    assert doc.format == "jpeg"
    p = doc.pages[0]
    assert p.dpi == pytest.approx(1100 / 8.5, rel=0.01)  # the shorter side taken as 8.5 in
    assert _match_rate(p, gold, img.size) >= 0.9


def test_text_layer_pdf_bypasses_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    def no_ocr(*args: object, **kwargs: object) -> None:
        raise AssertionError("tesseract must not run on a text-layer PDF")

    monkeypatch.setattr(pytesseract, "image_to_data", no_ocr)
    monkeypatch.setattr(pytesseract, "image_to_osd", no_ocr)
    doc = load_document(D.text_pdf(2), limits=Limits(dpi=200), workers=2)
    assert doc.format == "pdf" and len(doc.pages) == 2
    p = doc.pages[1]
    assert (p.width, p.height, p.source) == (1700, 2200, "text_layer")
    expected = [w for text, _, _ in D.TEXT_PDF_STRINGS for w in text.split()]
    assert [w.text for w in p.words] == expected
    assert all(w.ocr_confidence == 1.0 for w in p.words)
    # "Member" starts at x=72pt; its baseline is 690pt up a 792pt page: 72/612 and (792-690)/792.
    member = next(w for w in p.words if w.text == "Member")
    assert member.box_1000[0] == pytest.approx(72 / 612 * 1000, abs=3)
    assert member.box_1000[1] < (792 - 690) / 792 * 1000 < member.box_1000[3] + 3
    _assert_layoutlm_boxes(doc)


def test_text_layer_pdf_with_rotate_maps_boxes_to_the_displayed_page() -> None:
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(D.text_pdf(1)))
    pdf.pages[0].Rotate = 90
    buf = io.BytesIO()
    pdf.save(buf)
    p = load_document(buf.getvalue(), workers=1).pages[0]
    assert (p.width, p.height) == (2200, 1700)
    member = next(w for w in p.words if w.text == "Member")
    # Turned clockwise, the top margin becomes the right margin and text runs downwards.
    assert member.box_1000[0] > 800
    assert member.box_1000[3] - member.box_1000[1] > member.box_1000[2] - member.box_1000[0]


def test_image_only_pdf_is_rasterized_and_ocred(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    doc = load_document(D.image_pdf(img), limits=Limits(dpi=200), workers=1)
    p = doc.pages[0]
    assert p.source == "ocr" and (p.width, p.height) == (1700, 1100)
    assert _match_rate(p, gold, img.size) >= 0.9


def test_scanned_pdf_with_a_text_header_line_is_still_ocred(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    data = D.image_pdf(img, stamp="11/02/2026 09:14 FROM: CLINIC FAX P.001/003")
    p = load_document(data, limits=Limits(dpi=200), workers=1).pages[0]
    # The text layer holds only the stamp; the page content is in the image, so OCR reads it all.
    assert p.source == "ocr"
    assert _match_rate(p, gold, img.size) >= 0.9
    assert "P.001/003" in {w.text for w in p.words}


def test_group4_multipage_tiff_turns_the_upside_down_page(
    g4_doc: Document, page: tuple[Image.Image, list[tuple[str, D.Box]]]
) -> None:
    img, gold = page
    assert g4_doc.format == "tiff" and [p.number for p in g4_doc.pages] == [1, 2]
    first, second = g4_doc.pages
    assert first.rotation_applied == 0 and second.rotation_applied == 180
    # Page 2's words land where they are on the upright page.
    assert _match_rate(first, gold, img.size) >= 0.9
    assert _match_rate(second, gold, img.size) >= 0.9
    _assert_layoutlm_boxes(g4_doc)


def test_pool_and_inline_ocr_agree(g4_doc: Document, page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, _ = page
    inline = load_document(D.g4_tiff([img]), workers=1)
    assert [w.text for w in inline.pages[0].words] == [w.text for w in g4_doc.pages[0].words]


def test_standard_resolution_fax_is_resampled_to_square_pixels(
    page: tuple[Image.Image, list[tuple[str, D.Box]]],
) -> None:
    img, gold = page
    skewed = img.rotate(-1.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
    data = D.standard_fax(skewed)
    with Image.open(__import__("io").BytesIO(data)) as raw:
        assert raw.size == (1700, 539)  # stored 200x98 dpi
    p = load_document(data, workers=1).pages[0]
    assert (p.width, p.height, p.dpi) == (1700, 1100, 200.0)
    assert p.deskew_angle == pytest.approx(1.5, abs=0.3)
    assert _match_rate(p, gold, img.size, min_iou=0.4) >= 0.85


def test_sideways_page_is_turned_upright(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    sideways = img.rotate(90, expand=True)  # counter-clockwise: needs 90 degrees clockwise back
    p = load_document(D.image_bytes(sideways, "PNG", dpi=(200, 200)), workers=1).pages[0]
    assert p.rotation_applied == 90
    assert (p.width, p.height) == img.size
    assert _match_rate(p, gold, img.size) >= 0.9


def test_ocr_false_leaves_image_pages_without_words(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, _ = page
    doc = load_document(D.g4_tiff([img, img]), ocr=False)
    assert [(p.source, len(p.words), p.width) for p in doc.pages] == [("none", 0, 1700)] * 2


def test_ocr_timeout_is_typed(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, _ = page
    with pytest.raises(OcrTimeout, match="page 1"):
        load_document(D.image_bytes(img, "PNG"), limits=Limits(ocr_timeout_s=0.05), workers=1)


def test_ascender_balance_tells_upright_from_upside_down(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    from cardio_intake.ingest.orient import upright_score

    img, _ = page
    assert upright_score(img) > 0.2
    assert upright_score(img.rotate(180)) < -0.2
    assert upright_score(Image.new("L", img.size, 255)) == 0.0


def test_upside_down_page_is_turned_when_osd_gives_up(
    page: tuple[Image.Image, list[tuple[str, D.Box]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cardio_intake.ingest.ocr as ocr_mod

    # OSD returns "no idea" on speckled standard-resolution faxes; the ascender test takes over
    monkeypatch.setattr(ocr_mod, "detect_rotation", lambda image, timeout_s: 0)
    img, gold = page
    p = load_document(D.image_bytes(img.rotate(180), "PNG", dpi=(200, 200)), workers=1).pages[0]
    assert p.rotation_applied == 180
    assert _match_rate(p, gold, img.size) >= 0.9
    # capitals and digits alone: as much ink above the line's core as below it, upright or not, so the ascender
    # test cannot tell; the upside-down read, far more confident, can
    caps, caps_gold = D.render_page(("MEMBER ID W238849102", "GROUP 0012345 PLAN PPO", "CPT 93306 ECHO TTE"))
    p = load_document(D.image_bytes(caps.rotate(180), "PNG", dpi=(200, 200)), workers=1).pages[0]
    assert p.rotation_applied == 180
    assert _match_rate(p, caps_gold, caps.size) >= 0.9


def test_a_faint_upright_page_osd_cannot_read_stays_upright(monkeypatch: pytest.MonkeyPatch) -> None:
    import cardio_intake.ingest.ocr as ocr_mod

    # every page asks OSD here; read upside down too, an upright page reads worse and stays as it is
    monkeypatch.setattr(ocr_mod, "detect_rotation", lambda image, timeout_s: 0)
    monkeypatch.setattr(ocr_mod, "_OSD_TRIGGER_CONF", 101.0)  # every page asks
    img, gold = D.render_page()
    p = load_document(D.image_bytes(img, "PNG", dpi=(200, 200)), workers=1).pages[0]
    assert p.rotation_applied == 0
    assert _match_rate(p, gold, img.size) >= 0.9


@pytest.mark.parametrize(
    ("compression", "mode"), [("group3", "1"), ("tiff_lzw", "L"), ("jpeg", "L"), ("tiff_adobe_deflate", "RGB")]
)
def test_other_tiff_compressions_decode(
    page: tuple[Image.Image, list[tuple[str, D.Box]]], compression: str, mode: str
) -> None:
    img, _ = page
    data = D.image_bytes(img.convert(mode), "TIFF", compression=compression, dpi=(200, 200))
    doc = load_document(data, ocr=False)
    assert doc.format == "tiff" and [(p.width, p.height, p.dpi) for p in doc.pages] == [(1700, 1100, 200.0)]


def test_lzw_tiff_is_read(page: tuple[Image.Image, list[tuple[str, D.Box]]]) -> None:
    img, gold = page
    data = D.image_bytes(img, "TIFF", compression="tiff_lzw", dpi=(200, 200))
    assert _match_rate(load_document(data, workers=1).pages[0], gold, img.size) >= 0.9
