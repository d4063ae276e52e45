"""One page through tesseract: streak and speckle removal, orientation, deskew, a single recognition call,
layoutparser words.

Tesseract is called once per upright page (``image_to_data``); layoutparser's ``TesseractAgent``
would call it twice (``image_to_string`` and ``image_to_data``). OSD (``--psm 0``, about a third of a
recognition) runs only when the first pass looks wrong: upside-down or sideways text comes back as
low-confidence garbage. When OSD is inconclusive (it often is on speckled standard-resolution
faxes) an ascender/descender test decides about upside down. A rotated page is recognized again
and the better of the two passes is kept, so a wrong guess costs time, never words. A page read at
low confidence is read once more, blurred (dotted fax glyphs merge into strokes, ``smooth``), again
keeping the better pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from cardio_intake.document import Page, Word, to_box_1000
from cardio_intake.ingest.despeckle import despeckle
from cardio_intake.ingest.errors import OcrFailed, OcrTimeout
from cardio_intake.ingest.orient import (
    deskew,
    detect_rotation,
    estimate_skew,
    rotate_clockwise,
    upright_score,
)
from cardio_intake.ingest.pages import PageImage
from cardio_intake.ingest.smooth import smooth
from cardio_intake.ingest.streaks import remove_streaks
from cardio_intake.ingest.tesseract import pytesseract

if TYPE_CHECKING:
    from layoutparser.elements import Layout

#: Below this mean word confidence (0-100) or word count a page may be rotated: ask OSD. Rotated
#: text reads at 10-35, noisy upright faxes at 50-90.
_OSD_TRIGGER_CONF = 50.0
_OSD_TRIGGER_WORDS = 5
#: Below this ascender/descender balance a page whose OSD is inconclusive is tried upside down
#: (upright pages score about +0.4, upside-down ones about -0.4).
_UPSIDE_DOWN_SCORE = -0.15
#: A page that neither OSD nor that balance orients is turned when its upside-down read is this much more confident
#: on average (0-100). Turned, dev31's packet-00024 and -00093 read at 78 and 61 against 28 and 25 (upside-down
#: pages the balance missed: an order page, its orders unread, and an insurance page); its packet-00106's card image
#: at 15 against 14, both noise.
_TURN_MARGIN = 20.0
#: Below this mean word confidence (0-100) the page is read a second time, blurred (``smooth``), and
#: the better read kept. On the corpus's 129 validation and test pages (median first-pass confidence
#: 79) 85 re-reads 81 of them; a perfect tagger's straight-through rate on validation went 0.72 -> 0.76
#: (80 and 85 alike; re-reading every page 0.80, at twice the recognition time).
_SMOOTH_TRIGGER_CONF = 85.0
#: Punctuation-only specks with less confidence than this are fax noise, not words.
_NOISE_CONF = 30.0


@dataclass
class OcrTask:
    page: PageImage
    timeout_s: float


@dataclass
class _Pass:
    layout: Layout
    rotation: int
    skew: float
    image: Image.Image

    @property
    def quality(self) -> float:
        return sum(b.score for b in self.layout if any(c.isalnum() for c in b.text))

    @property
    def mean_conf(self) -> float:
        """0-100, over every word (punctuation-only words count as zero)."""
        return self.quality / max(len(self.layout), 1) * 100


def tesseract_config(dpi: float) -> str:
    return f"--oem 1 --psm 3 --dpi {round(dpi)}"


def recognize(image: Image.Image, dpi: float, timeout_s: float) -> Layout:
    """One ``image_to_data`` call, as a layoutparser ``Layout`` of word ``TextBlock``s."""
    from layoutparser.elements import Layout, Rectangle, TextBlock

    data: dict[str, list[Any]] = pytesseract.image_to_data(
        image, config=tesseract_config(dpi), output_type=pytesseract.Output.DICT, timeout=timeout_s
    )
    blocks: list[TextBlock] = []
    for i, raw_text in enumerate(data["text"]):
        text = str(raw_text).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        if conf < _NOISE_CONF and not any(c.isalnum() for c in text):
            continue
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        blocks.append(
            TextBlock(Rectangle(x, y, x + w, y + h), text=text, id=len(blocks), type="word", score=conf / 100.0)
        )
    return Layout(blocks)


def layout_to_words(layout: Layout, width: int, height: int) -> list[Word]:
    words = []
    for block in layout:
        r = block.block
        px = (
            float(max(0, min(r.x_1, width))),
            float(max(0, min(r.y_1, height))),
            float(max(0, min(r.x_2, width))),
            float(max(0, min(r.y_2, height))),
        )
        conf = min(1.0, max(0.0, float(block.score or 0.0)))
        words.append(Word(text=block.text, box_px=px, box_1000=to_box_1000(px, width, height), ocr_confidence=conf))
    return words


def ocr_page(task: OcrTask) -> Page:
    """Orient, deskew and OCR one page. Runs in a pool worker; raises only IngestErrors."""
    page = task.page
    deadline = time.monotonic() + task.timeout_s

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OcrTimeout(f"OCR of page {page.number} took longer than {task.timeout_s:g} s")
        return left

    # streaks go while they are still straight: deskewed, a streak slants through the words (ingest/streaks.py)
    image = despeckle(remove_streaks(page.image, page.dpi), page.dpi)
    try:
        best = _pass(image, 0, page.dpi, remaining)
        if len(best.layout) < _OSD_TRIGGER_WORDS or best.mean_conf < _OSD_TRIGGER_CONF:
            rotation, margin = detect_rotation(image, remaining()), 0.0
            if rotation == 0:
                # OSD gives up on speckled standard-resolution text; the ascender test does not. Where that balance
                # is even too (capitals and digits), the page is still read upside down, a fed page's usual turn,
                # and the turned read must win clearly: a page with next to nothing to read (an image of a card)
                # reads as badly either way and stays as it is
                rotation = 180
                margin = 0.0 if upright_score(best.image) < _UPSIDE_DOWN_SCORE else _TURN_MARGIN
            if rotation:
                turned = _pass(image, rotation, page.dpi, remaining)
                if turned.quality > best.quality and turned.mean_conf >= best.mean_conf + margin:
                    best = turned
        if best.mean_conf < _SMOOTH_TRIGGER_CONF:
            # Dotted glyphs (dithered or dropped-out strokes) read at low confidence; blurred they may
            # read whole. Sharp clean text reads better unblurred, so the blur is a second try only.
            # Specks go first: blurred, a speck is a grey blot that no longer counts its pixels.
            smoothed = _pass(smooth(image, page.dpi), best.rotation, page.dpi, remaining)
            if smoothed.quality > best.quality:
                best = smoothed
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrFailed("tesseract is not installed or not on PATH") from exc
    except pytesseract.TesseractError as exc:
        raise OcrFailed(f"tesseract failed on page {page.number}: {exc}") from exc
    except RuntimeError as exc:  # pytesseract's timeout kills tesseract and raises a bare RuntimeError
        if "timeout" in str(exc).lower():
            raise OcrTimeout(f"OCR of page {page.number} took longer than {task.timeout_s:g} s") from exc
        raise OcrFailed(f"tesseract failed on page {page.number}: {exc}") from exc
    w, h = best.image.size
    return Page(
        number=page.number,
        width=w,
        height=h,
        dpi=page.dpi,
        rotation_applied=best.rotation,
        deskew_angle=best.skew,
        source="ocr",
        words=layout_to_words(best.layout, w, h),
    )


def _pass(image: Image.Image, rotation: int, dpi: float, remaining: Any) -> _Pass:
    upright = rotate_clockwise(image, rotation)
    skew = estimate_skew(upright)
    work = deskew(upright, skew)
    return _Pass(layout=recognize(work, dpi, remaining()), rotation=rotation, skew=skew, image=work)
