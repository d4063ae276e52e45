"""Gold format of a generated corpus (the renderer's own labels, exact, not from OCR).

Corpus directory layout written by ``cardio-intake data generate --out DIR``::

    DIR/manifest.json          seed, n, generator version, families and which split each belongs to
    DIR/labels.jsonl           one GoldPacket per line
    DIR/gold/<doc_id>.json     the same GoldPacket, one file per document
    DIR/files/<doc_id>.<ext>   the packet as a fax would arrive (.tif, .pdf, .png)

Coordinates: ``box_1000`` is the canonical gold box, on the upright, unskewed page on LayoutLM's
0-1000 grid. It is resolution independent, so it aligns with the loader's output for fine and
standard-resolution faxes alike. ``box_px`` is the same box in pixels of the clean render (page
``width`` x ``height`` at ``dpi``), before fax degradation, rotation or resampling.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.document import Box1000, BoxPx
from cardio_intake.labels import Intent, PageType
from cardio_intake.schemas import Fields

FileFormat = Literal["tiff_g4", "pdf_image", "pdf_text", "png"]
Resolution = Literal["fine", "standard", "digital"]
Split = Literal["train", "validation", "test"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldWord(_Model):
    text: str
    box_px: BoxPx
    box_1000: Box1000
    tag: str = Field(description="BIO tag from cardio_intake.labels.BIO_LABELS")


class GoldPage(_Model):
    page: int = Field(ge=1)
    type: PageType
    width: int
    height: int
    dpi: float
    upside_down: bool = Field(default=False, description="stored rotated 180 degrees in the file")
    skew_deg: float = 0.0
    words: list[GoldWord]


class GoldEntity(_Model):
    type: str
    text: str
    page: int
    bbox: Box1000


class GoldReferral(_Model):
    pages: list[int]
    intents: list[Intent]
    fields: Fields
    entities: list[GoldEntity] = Field(default_factory=list)


class GoldPacket(_Model):
    doc_id: str
    file: str = Field(description="path of the packet file relative to the corpus directory")
    format: FileFormat
    resolution: Resolution
    family: str = Field(description="layout family of the referral page (the referral source's form)")
    split: Split
    source: str = Field(default="", description="referral source (clinic/hospital) name")
    pages: list[GoldPage]
    referrals: list[GoldReferral]

    @property
    def n_pages(self) -> int:
        return len(self.pages)


def read_labels(corpus_dir: Path) -> Iterator[GoldPacket]:
    """Iterate the corpus's labels.jsonl."""
    with (corpus_dir / "labels.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield GoldPacket.model_validate(json.loads(line))
