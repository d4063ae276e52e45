"""Upright page images exactly as the loader saw them, for labelling: the annotator draws on the
same frame the OCR words live in, so a rectangle's percentages are the 0-1000 grid divided by 10."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cardio_intake.document import Document
from cardio_intake.ingest.limits import Limits
from cardio_intake.ingest.orient import deskew, rotate_clockwise


def upright_page_images(data: bytes, document: Document, limits: Limits | None = None) -> list[Image.Image]:
    """One grayscale image per page of ``document`` (the loader's result for ``data``)."""
    limits = limits or Limits()
    raw: list[Image.Image]
    if document.format == "pdf":
        from cardio_intake.ingest.pdf import open_pdf

        pdf = open_pdf(data, limits)
        try:
            # pdfium applies the page's /Rotate, as the loader's text-layer geometry does
            raw = [pdf[i].render(scale=page.dpi / 72.0, grayscale=True).to_pil().convert("L").copy()
                   for i, page in enumerate(document.pages)]
        finally:
            pdf.close()
    else:
        from cardio_intake.ingest.raster import iter_raster_pages

        raw = [p.image for p in iter_raster_pages(data, document.format, limits)]
    images = []
    for image, page in zip(raw, document.pages, strict=True):
        if page.source == "ocr":
            image = deskew(rotate_clockwise(image, page.rotation_applied), page.deskew_angle)
        if image.size != (page.width, page.height):
            image = image.resize((page.width, page.height))
        images.append(image)
    return images


def write_page_images(data: bytes, document: Document, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, image in enumerate(upright_page_images(data, document), start=1):
        path = out_dir / f"{stem}-p{number:03d}.png"
        image.save(path)
        paths.append(path)
    return paths
