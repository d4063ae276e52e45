"""Document loading (decode + OCR) in a pool of worker processes.

OCR is CPU-bound and holds the GIL in places; in worker processes it neither blocks the event loop
nor competes with the encoder thread, and concurrent requests use every core. Workers are
started with ``spawn`` (the serving process has torch loaded; forking it is unsafe) and warmed up at
start. A worker killed by the kernel (e.g. memory) breaks the pool: it is rebuilt and the document
tried once more, then reported as unreadable rather than as a server error.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pydantic import BaseModel

from cardio_intake.document import Document
from cardio_intake.schemas import ErrorBody

logger = logging.getLogger("cardio_intake.serving")

#: HTTP status per loader error code; every other loader error is a 422.
STATUS_FOR_CODE: dict[str, int] = {"file_too_large": 413, "unsupported_format": 415}


class LoadFailure(BaseModel):
    status: int
    error: ErrorBody


def document_id(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_in_worker(data: bytes) -> Document | tuple[str, str]:
    """Runs in a worker: the document, or ``(code, message)`` of the loader's typed error.

    Errors travel as plain tuples so nothing depends on exception classes pickling.
    """
    from cardio_intake.ingest import load_document
    from cardio_intake.ingest.errors import IngestError

    try:
        # Pages of one document are read in turn inside this worker; the pool parallelizes across
        # documents (concurrent requests), and a crash in a decoder kills a worker, not the service.
        return load_document(data, workers=1)
    except IngestError as exc:
        return (exc.code, str(exc))


def _warm_up() -> int:
    import layoutparser.elements  # noqa: F401

    import cardio_intake.ingest.loader  # noqa: F401  (PIL, pdfium, tesseract bindings: once per worker)

    return os.getpid()


def failure(code: str, message: str) -> LoadFailure:
    return LoadFailure(status=STATUS_FOR_CODE.get(code, 422), error=ErrorBody(error=code, detail=message))


class OcrPool:
    def __init__(self, workers: int = 0, document_timeout_s: float = 300.0) -> None:
        from cardio_intake.ingest.pool import default_workers

        self.workers = workers or default_workers()
        self.document_timeout_s = document_timeout_s
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))

    def warm_up(self) -> None:
        """Start every worker now so the first requests do not pay the process start."""
        futures = [self._pool.submit(_warm_up) for _ in range(self.workers)]
        for f in futures:
            f.result(timeout=120)

    def _rebuild(self, broken: ProcessPoolExecutor, kill: bool = False) -> None:
        with self._lock:
            if self._pool is broken:
                if kill:  # a hung worker: the executor has no public way to stop a busy one
                    for proc in list(getattr(broken, "_processes", {}).values()):
                        proc.kill()
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    async def load(self, data: bytes) -> Document | LoadFailure:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._pool
            try:
                result = await asyncio.wait_for(
                    loop.run_in_executor(pool, load_in_worker, data), timeout=self.document_timeout_s
                )
            except TimeoutError:
                logger.warning('{"event":"ocr_document_timeout","timeout_s":%s}', self.document_timeout_s)
                self._rebuild(pool, kill=True)
                return failure("ocr_timeout", f"reading the document took longer than {self.document_timeout_s:g} s")
            except BrokenProcessPool:
                logger.warning('{"event":"ocr_pool_broken","attempt":%d}', attempt)
                self._rebuild(pool)
                continue
            except Exception as exc:  # a loader bug, not the client's fault; keep it a 4xx, log the type
                logger.error('{"event":"loader_exception","type":"%s"}', type(exc).__name__)
                return failure("unreadable_document", "the document could not be read")
            if isinstance(result, tuple):
                return failure(*result)
            return result
        return failure("unreadable_document", "reading the document exhausted the worker's resources")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
