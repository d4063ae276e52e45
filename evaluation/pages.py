"""Page images of corpus files for the report's error gallery and the corpus-tour notebook.

Only for pictures: the gold boxes live on the upright page's 0-1000 grid, so each page is turned
upright (the gold page says when it was stored upside down), deskewed, and stretched to the gold page's aspect
ratio (standard-resolution faxes have non-square pixels), after which any 0-1000 box can be drawn.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from cardio_intake.corpus.gold import GoldPage

GOLD_COLOUR = (0, 153, 68)  # green: what the renderer put there
PRED_COLOUR = (220, 40, 40)  # red: what the model found


def page_image(path: Path, index: int) -> Image.Image:
    """Page ``index`` (0-based) of a PDF, multi-page TIFF, PNG or JPEG, as RGB."""
    data = path.read_bytes()
    if data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            return pdf[index].render(scale=100 / 72).to_pil().convert("RGB")
        finally:
            pdf.close()
    img = Image.open(io.BytesIO(data))
    img.seek(index)
    return img.convert("RGB")


def upright(img: Image.Image, gold: GoldPage, width: int = 500) -> Image.Image:
    """The page as the gold labels see it: upright, at the gold aspect ratio, ``width`` pixels wide."""
    if gold.upside_down:
        img = img.rotate(180)
    height = round(width * gold.height / gold.width)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    if abs(gold.skew_deg) > 0.01:  # the fax was skewed counter-clockwise by skew_deg: turn it back
        img = img.rotate(-gold.skew_deg, resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))
    return img


def draw_boxes(img: Image.Image, boxes: Iterable[Sequence[int]], colour: tuple[int, int, int],
               width: int = 2, pad: int = 0) -> Image.Image:
    """Draw 0-1000 grid boxes on ``img`` (in place; returned for chaining). ``pad`` grows each box
    so two colours on the same word stay visible."""
    draw = ImageDraw.Draw(img)
    sx, sy = img.width / 1000.0, img.height / 1000.0
    for x0, y0, x1, y1 in boxes:
        draw.rectangle([x0 * sx - pad, y0 * sy - pad, x1 * sx + pad, y1 * sy + pad], outline=colour, width=width)
    return img


def png_base64(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")
