"""``load_document``: bytes of a fax, scan or PDF to a ``Document`` of upright pages of words."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from cardio_intake.document import Document, Page
from cardio_intake.ingest.errors import FileTooLarge, OcrFailed, OcrTimeout
from cardio_intake.ingest.limits import Limits
from cardio_intake.ingest.ocr import OcrTask, ocr_page
from cardio_intake.ingest.pages import PageImage
from cardio_intake.ingest.pdf import iter_pdf_pages, open_pdf
from cardio_intake.ingest.pool import default_workers, get_pool, kill_pool
from cardio_intake.ingest.raster import open_raster
from cardio_intake.ingest.sniff import sniff_format

#: Extra seconds the parent waits beyond the per-page OCR timeout (worker start-up, queueing)
#: before it declares a worker hung and kills the pool.
_HANG_GRACE_S = 30.0


def load_document(
    data: bytes, *, limits: Limits | None = None, ocr: bool = True, workers: int | None = None
) -> Document:
    """Sniff, validate and read a PDF, TIFF, PNG or JPEG into pages of words with boxes.

    Text-layer PDF pages take their words from the PDF; every other page is oriented, deskewed and
    OCR'd (``ocr=False`` leaves such pages without words). Pages are OCR'd in parallel on
    ``workers`` processes (default: one per core). Raises an ``IngestError`` subclass for any file
    that cannot be read, never a decoder's own exception.
    """
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise FileTooLarge(f"the file is {len(data) / 1e6:.1f} MB (limit {limits.max_bytes / 1e6:.0f} MB)")
    fmt = sniff_format(data)
    n_workers = workers if workers is not None else default_workers()
    if fmt == "pdf":
        pdf = open_pdf(data, limits)
        try:
            pages = _finish_pages(iter_pdf_pages(pdf, limits, ocr=ocr), len(pdf), limits, ocr, n_workers)
        finally:
            pdf.close()
    else:
        n_pages, raster = open_raster(data, fmt, limits)
        pages = _finish_pages(raster, n_pages, limits, ocr, n_workers)
    return Document(pages=pages, format=fmt, sha256=hashlib.sha256(data).hexdigest())


def load_path(
    path: str | Path, *, limits: Limits | None = None, ocr: bool = True, workers: int | None = None
) -> Document:
    """``load_document`` on a file; the size limit is checked before the file is read.
    OSError (missing file, permissions) is raised as is: it is not a bad document."""
    limits = limits or Limits()
    p = Path(path)
    size = p.stat().st_size
    if size > limits.max_bytes:
        raise FileTooLarge(f"the file is {size / 1e6:.1f} MB (limit {limits.max_bytes / 1e6:.0f} MB)")
    return load_document(p.read_bytes(), limits=limits, ocr=ocr, workers=workers)


def _finish_pages(items: Iterable[Page | PageImage], n_pages: int, limits: Limits, ocr: bool, workers: int) -> list[Page]:
    if not ocr:
        return [it if isinstance(it, Page) else _blank(it) for it in items]
    if workers <= 1 or n_pages <= 1:
        return [it if isinstance(it, Page) else ocr_page(OcrTask(it, limits.ocr_timeout_s)) for it in items]
    return _ocr_parallel(iter(items), limits, workers)


def _blank(page: PageImage) -> Page:
    return Page(number=page.number, width=page.image.width, height=page.image.height, dpi=page.dpi, source="none")


def _ocr_parallel(items: Iterator[Page | PageImage], limits: Limits, workers: int) -> list[Page]:
    """OCR image pages on the pool with at most 2 pages per worker in flight (bounded memory);
    text-layer pages pass straight through."""
    pool = get_pool(workers)
    done: dict[int, Page] = {}
    pending: dict[Future[Page], int] = {}
    max_in_flight = 2 * workers
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < max_in_flight:
                item = next(items, None)
                if item is None:
                    exhausted = True
                elif isinstance(item, Page):
                    done[item.number] = item
                else:
                    pending[pool.submit(ocr_page, OcrTask(item, limits.ocr_timeout_s))] = item.number
            if not pending:
                break
            finished, _ = wait(pending, timeout=limits.ocr_timeout_s + _HANG_GRACE_S, return_when=FIRST_COMPLETED)
            if not finished:
                kill_pool()
                raise OcrTimeout(f"OCR of page {min(pending.values())} did not finish in {limits.ocr_timeout_s:g} s")
            for fut in finished:
                number = pending.pop(fut)
                done[number] = fut.result()
    except BrokenProcessPool as exc:
        kill_pool()
        raise OcrFailed(f"an OCR worker died (out of memory or killed): {exc}") from exc
    finally:
        for fut in pending:
            fut.cancel()
    return [done[k] for k in sorted(done)]
