"""What ingestion produces: oriented pages of OCR (or text-layer) words with boxes.

Used by training (dataset builder), serving and evaluation alike. ``box_1000`` is the page's
LayoutLM grid (0-1000, x0<=x1, y0<=y1) in the *upright* page frame, after orientation and deskew.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

BoxPx = tuple[float, float, float, float]
Box1000 = tuple[int, int, int, int]


class Word(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    box_px: BoxPx = Field(description="[x0, y0, x1, y1] in pixels of the upright page image")
    box_1000: Box1000 = Field(description="[x0, y0, x1, y1] on the 0-1000 grid")
    ocr_confidence: float = Field(ge=0.0, le=1.0, description="1.0 for text-layer PDF words")

    @field_validator("box_1000")
    @classmethod
    def _layoutlm_box(cls, v: Box1000) -> Box1000:
        x0, y0, x1, y1 = v
        if not (0 <= x0 <= x1 <= 1000 and 0 <= y0 <= y1 <= 1000):
            raise ValueError(f"box_1000 {list(v)} is not ordered inside 0-1000")
        return v


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1)
    width: int = Field(gt=0, description="pixels of the upright page image")
    height: int = Field(gt=0)
    dpi: float = Field(gt=0)
    rotation_applied: int = Field(default=0, description="degrees clockwise applied to make the page upright")
    deskew_angle: float = Field(default=0.0, description="degrees of skew corrected")
    source: str = Field(default="ocr", description="'ocr' or 'text_layer'")
    words: list[Word] = Field(default_factory=list)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pages: list[Page]
    format: str = Field(default="", description="sniffed format: pdf, tiff, png, jpeg")
    sha256: str = ""


def to_box_1000(box_px: BoxPx, width: float, height: float) -> Box1000:
    """Scale a pixel box to LayoutLM's 0-1000 grid, clamped and ordered."""
    x0, y0, x1, y1 = box_px
    sx, sy = 1000.0 / max(width, 1.0), 1000.0 / max(height, 1.0)
    a = [round(min(x0, x1) * sx), round(min(y0, y1) * sy), round(max(x0, x1) * sx), round(max(y0, y1) * sy)]
    c = [min(1000, max(0, v)) for v in a]
    return (c[0], c[1], c[2], c[3])
