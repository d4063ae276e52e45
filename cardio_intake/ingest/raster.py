"""PNG, JPEG and (multi-page) TIFF decoding with limits checked on the declared sizes first.

Every page becomes 8-bit grayscale with square pixels: standard-resolution faxes (204x98 dpi) are
resampled along the coarse axis from the resolution tags, otherwise text would be squashed to half
height and tesseract's recall collapses.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cardio_intake.ingest.errors import (
    CorruptDocument,
    EmptyDocument,
    IngestError,
    PageTooLarge,
    TooManyPages,
)
from cardio_intake.ingest.limits import Limits
from cardio_intake.ingest.pages import PageImage

#: Documents are letter/A4; without usable resolution tags the dpi is estimated from the width.
_ASSUMED_PAGE_WIDTH_IN = 8.5
_DPI_RANGE = (50.0, 1200.0)
#: Fine-resolution faxes are 204x196 dpi: close enough to square that resampling would only blur.
#: Standard resolution (204x98) is twice as coarse vertically and must be resampled.
_SQUARE_TOLERANCE = 1.1


def iter_raster_pages(data: bytes, fmt: str, limits: Limits) -> Iterator[PageImage]:
    """The pages of a PNG, JPEG or TIFF file, decoded one at a time."""
    return open_raster(data, fmt, limits)[1]


def open_raster(data: bytes, fmt: str, limits: Limits) -> tuple[int, Iterator[PageImage]]:
    """Page count and a lazy iterator of decoded pages. All structural checks (page count,
    declared sizes) run here, before any pixel is decoded, so a bomb or a 10,000-frame TIFF fails
    fast; pages are then decoded one by one, so memory holds only the pages being OCR'd."""
    with warnings.catch_warnings():
        # Damaged files make PIL warn ("Corrupt EXIF data", bomb thresholds): the limits and typed
        # errors here are the answer, the warnings would only leak to the caller's logs.
        warnings.simplefilter("ignore")
        img = _open(data, fmt)
        n_frames = _count_frames(img, limits) if fmt == "tiff" else 1
        plans = []
        for idx in range(n_frames):
            _seek(img, idx, fmt)
            plans.append(_plan_frame(img, idx + 1, limits))
    return n_frames, _decode_frames(img, fmt, plans)


def _decode_frames(img: Image.Image, fmt: str, plans: list[tuple[float, float]]) -> Iterator[PageImage]:
    for idx, (xdpi, ydpi) in enumerate(plans):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _seek(img, idx, fmt)
            page = _decode_frame(img, idx + 1, xdpi, ydpi)
        yield page


def _open(data: bytes, fmt: str) -> Image.Image:
    formats = {"tiff": ["TIFF"], "png": ["PNG"], "jpeg": ["JPEG", "MPO"]}[fmt]
    try:
        return Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as exc:
        raise PageTooLarge(f"the image declares more pixels than allowed ({exc})") from exc
    except Exception as exc:  # PIL raises many types (OSError, SyntaxError, struct.error...) on bad bytes
        raise CorruptDocument(f"cannot read the {fmt.upper()} header: {_reason(exc)}") from exc


def _count_frames(img: Image.Image, limits: Limits) -> int:
    """Walk the TIFF directory chain (tags only, no pixels), stopping past the page limit."""
    n = 0
    while True:
        try:
            img.seek(n)
        except EOFError:
            break
        except Exception as exc:
            if n == 0:
                raise CorruptDocument(f"broken TIFF directory: {_reason(exc)}") from exc
            raise CorruptDocument(f"broken TIFF directory after page {n}: {_reason(exc)}") from exc
        n += 1
        if n > limits.max_pages:
            raise TooManyPages(f"the TIFF has more than {limits.max_pages} pages (limit {limits.max_pages})")
    if n == 0:
        raise EmptyDocument("the TIFF contains no images")
    return n


def _seek(img: Image.Image, idx: int, fmt: str) -> None:
    if fmt != "tiff":
        return  # PNG/JPEG: the first (only) image
    try:
        img.seek(idx)
    except Exception as exc:
        raise CorruptDocument(f"cannot read page {idx + 1}: {_reason(exc)}") from exc


def _resolution(img: Image.Image) -> tuple[float, float] | None:
    dpi = img.info.get("dpi")
    if dpi is None and "resolution" in img.info:
        # TIFF without a unit: Pillow reports the raw values; faxes in practice mean inches.
        dpi = img.info["resolution"]
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    lo, hi = _DPI_RANGE
    if not (lo <= x <= hi and lo <= y <= hi):
        return None
    # PNG stores pixels per metre: 200 dpi comes back as 199.9996.
    return round(x, 1), round(y, 1)


def _plan_frame(img: Image.Image, number: int, limits: Limits) -> tuple[float, float]:
    """Check one frame's declared size (and its size after resampling) against the limit."""
    w, h = img.size
    if w <= 0 or h <= 0:
        raise CorruptDocument(f"page {number} declares an empty image ({w}x{h})")
    res = _resolution(img)
    if res is None:
        est = min(max(min(w, h) / _ASSUMED_PAGE_WIDTH_IN, _DPI_RANGE[0]), 600.0)
        res = (est, est)
    xdpi, ydpi = res
    if max(xdpi, ydpi) / min(xdpi, ydpi) <= _SQUARE_TOLERANCE:
        xdpi = ydpi = round((xdpi + ydpi) / 2, 1)
    target = max(xdpi, ydpi)
    out_w, out_h = round(w * target / xdpi), round(h * target / ydpi)
    if w * h > limits.max_pixels or out_w * out_h > limits.max_pixels:
        raise PageTooLarge(
            f"page {number} is {w}x{h} pixels"
            + (f" ({out_w}x{out_h} at square pixels)" if (out_w, out_h) != (w, h) else "")
            + f", over the limit of {limits.max_megapixels:g} megapixels"
        )
    return xdpi, ydpi


def _decode_frame(img: Image.Image, number: int, xdpi: float, ydpi: float) -> PageImage:
    try:
        img.load()
        # Phone scans carry their orientation in EXIF; honour it before our own OSD.
        src = ImageOps.exif_transpose(img) if img.format in ("JPEG", "MPO", "PNG") and _has_exif_rotation(img) else img
        page = to_gray(src)
    except IngestError:
        raise
    except Exception as exc:
        raise CorruptDocument(f"cannot decode page {number}: {_reason(exc)}") from exc
    if xdpi != ydpi:
        target = max(xdpi, ydpi)
        size = (round(page.width * target / xdpi), round(page.height * target / ydpi))
        page = page.resize(size, Image.Resampling.BILINEAR)
    return PageImage(number=number, image=page, dpi=max(xdpi, ydpi))


def _has_exif_rotation(img: Image.Image) -> bool:
    try:
        return img.getexif().get(0x0112, 1) not in (1, None)
    except Exception:
        return False


def to_gray(img: Image.Image) -> Image.Image:
    """8-bit grayscale, transparent areas on white paper, 16-bit/float scaled rather than clipped."""
    mode = img.mode
    if mode == "L":
        return img.copy()
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    if mode.startswith("I") or mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.full_like(arr, 255.0)
        return Image.fromarray(scaled.astype(np.uint8), mode="L")
    return img.convert("L")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "the header is not valid"
    if isinstance(exc, KeyError | IndexError):
        return f"unsupported or damaged structure ({type(exc).__name__})"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
