"""The OCR pool's failure paths: a worker that dies or hangs ends in a typed error, and the next
document gets a fresh pool."""

from __future__ import annotations

import os
import time

import ingest_docs as D
import pytest

import cardio_intake.ingest.loader as loader
from cardio_intake.document import Page
from cardio_intake.ingest import Limits, OcrFailed, OcrTimeout, load_document
from cardio_intake.ingest.ocr import OcrTask


def _die(task: OcrTask) -> Page:
    os._exit(3)  # what the OOM killer does to a worker


def _hang(task: OcrTask) -> Page:
    time.sleep(60)  # a tesseract that ignores its own timeout
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def two_pages() -> bytes:
    img, _ = D.render_page(size=(800, 500), font_px=20)
    return D.g4_tiff([img, img])


def test_dead_worker_is_a_typed_error_and_the_pool_recovers(two_pages: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "ocr_page", _die)
    with pytest.raises(OcrFailed, match="worker died"):
        load_document(two_pages, workers=2)
    monkeypatch.undo()
    doc = load_document(two_pages, workers=2)
    assert [p.number for p in doc.pages] == [1, 2]


def test_hung_worker_is_killed_and_reported_as_timeout(two_pages: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "ocr_page", _hang)
    monkeypatch.setattr(loader, "_HANG_GRACE_S", 1.0)
    start = time.perf_counter()
    with pytest.raises(OcrTimeout, match="page 1"):
        load_document(two_pages, limits=Limits(ocr_timeout_s=1.0), workers=2)
    assert time.perf_counter() - start < 20
    monkeypatch.undo()
    assert len(load_document(two_pages, workers=2).pages) == 2
