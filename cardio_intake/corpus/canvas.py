"""A page as a display list: drawing calls record ops, words with exact boxes, and entity spans.

Word boxes come from the font's own glyph metrics (``FreeTypeFont.getbbox`` at the baseline), so the
gold is exact by construction. The same op list is rendered either to a PIL image (faxes, scans) or to
a reportlab PDF page with a real text layer (EHR e-fax), so both outputs agree with the gold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from cardio_intake.corpus.fonts import FontSet, pil_font

#: Clean render size: a fax line is 1728 pixels at 204 dpi; 2200 lines at 196 dpi is a letter page
#: plus the fax header margin. Gold ``box_px`` is in this frame.
PAGE_W = 1728
PAGE_H = 2200
RENDER_DPI = 200.0
RIGHT_MARGIN = 40  # text never runs closer than this to the right edge

Box = tuple[float, float, float, float]


# Word metrics are asked for again and again (labels, common words): cache them per process.
_METRICS: dict[tuple[str, int, str], tuple[float, tuple[int, int, int, int]]] = {}


def _metrics(font: Any, path: str, size: int, token: str) -> tuple[float, tuple[int, int, int, int]]:
    key = (path, size, token)
    m = _METRICS.get(key)
    if m is None:
        if len(_METRICS) > 200_000:
            _METRICS.clear()
        m = (float(font.getlength(token)), font.getbbox(token, anchor="ls"))
        _METRICS[key] = m
    return m


@dataclass
class EntitySpan:
    type: str
    words: list[int]
    value: Any


@dataclass
class Canvas:
    """One page being drawn. Coordinates are pixels of the clean render (origin top left)."""

    fonts: FontSet
    width: int = PAGE_W
    height: int = PAGE_H
    ops: list[tuple[Any, ...]] = field(default_factory=list)
    words: list[tuple[str, Box, str]] = field(default_factory=list)
    entities: list[EntitySpan] = field(default_factory=list)

    # --- text --------------------------------------------------------------------------------

    def font(self, size: int, style: str = "regular") -> Any:
        return pil_font(self.fonts.path(style), int(size))

    def line_height(self, size: int, style: str = "regular") -> int:
        ascent, descent = self.font(size, style).getmetrics()
        return int(ascent + descent)

    def text_width(self, text: str, size: int, style: str = "regular") -> float:
        return _metrics(self.font(size, style), self.fonts.path(style), int(size), text)[0]

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: int = 28,
        style: str = "regular",
        entity: str | None = None,
        value: Any = None,
        gray: int = 0,
        continue_entity: bool = False,
    ) -> Box:
        """Draw ``text`` with its line box's top at ``y``; one word per space-separated token.

        With ``entity`` the words are tagged B-/I-<entity> and an entity span is recorded (or the
        previous span of that type is extended when ``continue_entity``). Returns the run's box
        (x0, line top, x end, line bottom)."""
        # A value longer than the room left on the line is first set smaller (down to 60%), then
        # wrapped under its start, as a person filling a form would do.
        avail = self.width - RIGHT_MARGIN - x
        full = self.text_width(text, size, style)
        if full > avail > 0:
            size = max(int(size * avail / full), int(size * 0.6), 12)
        font = self.font(size, style)
        path = self.fonts.path(style)
        ascent, descent = font.getmetrics()
        base = y + ascent
        space = _metrics(font, path, int(size), " ")[0]
        cx = float(x)
        span: EntitySpan | None = None
        if entity is not None:
            if continue_entity and self.entities and self.entities[-1].type == entity:
                span = self.entities[-1]
            else:
                span = EntitySpan(entity, [], value)
                self.entities.append(span)
        for token in text.split(" "):
            if token:
                advance, (bl, bt, br, bb) = _metrics(font, path, int(size), token)
                if cx > x and cx + advance > self.width - RIGHT_MARGIN:
                    cx, base = float(x), base + (ascent + descent) * 1.1
                box = (cx + bl, base + bt, cx + br, base + bb)
                tag = "O"
                if span is not None:
                    tag = ("I-" if span.words else "B-") + span.type
                    span.words.append(len(self.words))
                self.words.append((token, box, tag))
                self.ops.append(("text", cx, base, token, path, int(size), gray))
                cx += advance
            cx += space
        return (float(x), float(y), cx - space, float(base + descent))

    def paragraph(
        self,
        x: float,
        y: float,
        width: float,
        segments: Sequence[tuple[str, str | None, Any]],
        size: int = 26,
        style: str = "regular",
        leading: float = 1.25,
        max_y: float | None = None,
    ) -> float:
        """Flow ``segments`` of (text, entity type or None, field value) into lines of ``width``.
        An entity keeps its words together in one span even when it wraps. Returns the y below the
        last line; stops (dropping the rest, never half an entity) at ``max_y``."""
        space = self.text_width(" ", size, style)
        step = self.line_height(size, style) * leading
        cx, cy = float(x), float(y)
        for text, ent, value in segments:
            tokens = [t for t in text.split(" ") if t]
            if ent is not None and max_y is not None:
                # never start an entity that cannot be finished on the page
                need = sum(self.text_width(t, size, style) + space for t in tokens)
                lines_needed = 1 + int(need // max(width, 1))
                if cy + step * lines_needed > max_y:
                    return cy
            first = True
            for tok in tokens:
                w = self.text_width(tok, size, style)
                if cx > x and cx + w > x + width:
                    cx, cy = float(x), cy + step
                if max_y is not None and cy + step > max_y:
                    return cy
                self.text(cx, cy, tok, size, style, entity=ent, value=value, continue_entity=(ent is not None and not first))
                first = False
                cx += w + space
        return cy + step

    # --- graphics ----------------------------------------------------------------------------

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int = 2, gray: int = 0) -> None:
        self.ops.append(("line", x0, y0, x1, y1, width, gray))

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, width: int = 2, gray: int = 0, fill: int | None = None
    ) -> None:
        self.ops.append(("rect", x0, y0, x1, y1, width, gray, fill))

    def polyline(self, points: Sequence[tuple[float, float]], width: int = 2, gray: int = 0) -> None:
        self.ops.append(("poly", tuple(points), width, gray))

    def checkbox(self, x: float, y: float, size: int, checked: bool, mark: str = "x") -> None:
        """A box with its top left at (x, y); ``mark`` x, check or fill when checked."""
        self.rect(x, y, x + size, y + size, width=2)
        if not checked:
            return
        p = size * 0.2
        if mark == "fill":
            self.rect(x + p, y + p, x + size - p, y + size - p, width=1, fill=0)
        elif mark == "check":
            self.polyline([(x + p, y + size * 0.55), (x + size * 0.42, y + size - p), (x + size + p, y - p)], width=4)
        else:
            self.line(x + p, y + p, x + size - p, y + size - p, width=4)
            self.line(x + p, y + size - p, x + size - p, y + p, width=4)

    def hrule(self, y: float, x0: float = 90, x1: float | None = None, width: int = 2, gray: int = 0) -> None:
        self.line(x0, y, self.width - 90 if x1 is None else x1, y, width, gray)


# --- backends ---------------------------------------------------------------------------------


# Rendered glyph masks per (face, size, token): forms repeat the same words on every page, and
# rasterizing is the renderer's main cost. Positions are whole pixels (as ImageDraw.text rounds too).
_MASKS: dict[tuple[str, int, str], tuple[Any, tuple[int, int]]] = {}


def _mask(path: str, size: int, token: str) -> tuple[Any, tuple[int, int]]:
    key = (path, size, token)
    m = _MASKS.get(key)
    if m is None:
        if len(_MASKS) > 50_000:
            _MASKS.clear()
        mask, offset = pil_font(path, size).getmask2(token, "L", anchor="ls")
        m = (mask, (int(offset[0]), int(offset[1])))
        _MASKS[key] = m
    return m


def render_pil(canvas: Canvas) -> Image.Image:
    """The clean page as an 8-bit grayscale image."""
    img = Image.new("L", (canvas.width, canvas.height), 255)
    draw = ImageDraw.Draw(img)
    for op in canvas.ops:
        kind = op[0]
        if kind == "text":
            _, x, base, token, path, size, gray = op
            mask, (ox, oy) = _mask(path, size, token)
            draw.draw.draw_bitmap((int(x) + ox, int(base) + oy), mask, gray)
        elif kind == "line":
            _, x0, y0, x1, y1, width, gray = op
            draw.line([(x0, y0), (x1, y1)], fill=gray, width=width)
        elif kind == "rect":
            _, x0, y0, x1, y1, width, gray, fill = op
            draw.rectangle([x0, y0, x1, y1], outline=gray, width=width, fill=fill)
        elif kind == "poly":
            _, pts, width, gray = op
            draw.line(list(pts), fill=gray, width=width, joint="curve")
    return img


def draw_reportlab(canvas: Canvas, pdf: Any, scale: float) -> None:
    """Draw the page on a reportlab canvas (one word per drawString, at its exact position)."""
    from cardio_intake.corpus.pdf_fonts import reportlab_font

    h_pt = canvas.height * scale
    for op in canvas.ops:
        kind = op[0]
        if kind == "text":
            _, x, base, token, path, size, gray = op
            pdf.setFont(reportlab_font(path), size * scale)
            pdf.setFillGray(gray / 255.0)
            pdf.drawString(x * scale, h_pt - base * scale, token)
        elif kind == "line":
            _, x0, y0, x1, y1, width, gray = op
            pdf.setStrokeGray(gray / 255.0)
            pdf.setLineWidth(width * scale)
            pdf.line(x0 * scale, h_pt - y0 * scale, x1 * scale, h_pt - y1 * scale)
        elif kind == "rect":
            _, x0, y0, x1, y1, width, gray, fill = op
            pdf.setStrokeGray(gray / 255.0)
            pdf.setLineWidth(width * scale)
            if fill is not None:
                pdf.setFillGray(fill / 255.0)
            pdf.rect(x0 * scale, h_pt - y1 * scale, (x1 - x0) * scale, (y1 - y0) * scale, stroke=1, fill=int(fill is not None))
        elif kind == "poly":
            _, pts, width, gray = op
            pdf.setStrokeGray(gray / 255.0)
            pdf.setLineWidth(width * scale)
            path_obj = pdf.beginPath()
            path_obj.moveTo(pts[0][0] * scale, h_pt - pts[0][1] * scale)
            for px, py in pts[1:]:
                path_obj.lineTo(px * scale, h_pt - py * scale)
            pdf.drawPath(path_obj, stroke=1, fill=0)
