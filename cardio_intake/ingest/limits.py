"""Configurable safety limits and rendering settings of the loader, with production defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_bytes: int = Field(default=50 * 1024 * 1024, gt=0, description="largest accepted file")
    max_pages: int = Field(default=200, gt=0)
    max_megapixels: float = Field(default=40.0, gt=0, description="largest page, after resampling")
    ocr_timeout_s: float = Field(default=60.0, gt=0, description="tesseract wall time per page")
    dpi: int = Field(default=200, ge=72, le=600, description="rasterization of PDF pages")

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1_000_000)
