"""The model service: the champion referral model, loaded once per worker, behind an adaptively
batched encoder API, with document loading (decode + OCR) in a process pool.

Only the intake service calls it (``bentoml.depends``); it is not exposed on the public port.
``extract`` loads a file in the OCR pool, then goes through ``self.to_async.encode``: that call
passes BentoML's adaptive batcher, which merges documents of concurrent requests into one encoder
batch (``CARDIO_ADAPTIVE_BATCHING=0`` turns batching off, for the benchmark's comparison).
"""

from __future__ import annotations

import time
from typing import Any

import bentoml
from bentoml.models import BentoModel

from cardio_intake.schemas import ErrorBody, Prediction
from serving.logs import install_phi_guard
from serving.ocr_pool import LoadFailure, OcrPool, document_id
from serving.predictor import (
    BENTO_MODEL_NAME,
    MLFLOW_MODEL_FOLDER,
    Predictor,
    from_factory,
    load_from_uri,
    predict_many,
    thresholds_of,
    version_label,
)
from serving.schemas import EncodeItem, ExtractOutcome, PredictorInfo
from serving.settings import get_settings

with bentoml.importing():
    import torch  # noqa: F401  (the model's runtime; imported here so a missing wheel fails at start)

SETTINGS = get_settings()
install_phi_guard()


@bentoml.service(
    name="referral_model",
    workers=1,  # one copy of the weights; the encoder uses torch's intra-op threads, OCR the pool
    traffic={"timeout": int(SETTINGS.request_timeout_s) + 30},
)
class ReferralModel:
    # Declared so `bentoml build` packs the model into the bento (see serving/predictor.py). Not
    # declared when a model URI or factory overrides it: `bentoml serve` resolves declared models at
    # start and would refuse to start without one in the store.
    if not (SETTINGS.model_uri or SETTINGS.predictor_factory):
        bento_model = BentoModel(f"{BENTO_MODEL_NAME}:latest")
    to_async: Any  # set by BentoML on the instance: calls through the service (and its batcher)

    def __init__(self) -> None:
        settings = get_settings()
        self.predictor: Predictor = self._load_predictor()
        # A document still being read when its request has timed out only holds a worker: stop it then.
        self.ocr = OcrPool(settings.ocr_workers, document_timeout_s=settings.request_timeout_s)
        self.ocr.warm_up()

    def _load_predictor(self) -> Predictor:
        settings = get_settings()
        if settings.predictor_factory:
            return from_factory(settings.predictor_factory)
        if settings.model_uri:
            return load_from_uri(settings.model_uri)
        stored = self.bento_model
        return load_from_uri(stored.path_of(MLFLOW_MODEL_FOLDER), version_label(stored.info.labels.get("source")))

    @bentoml.api(
        batchable=SETTINGS.adaptive_batching,
        max_batch_size=SETTINGS.max_batch_size,
        max_latency_ms=SETTINGS.max_latency_ms,
    )
    def encode(self, items: list[EncodeItem]) -> list[Prediction]:
        """Loaded documents -> predictions, in one encoder batch."""
        return predict_many(
            self.predictor,
            [i.document for i in items],
            [i.name for i in items],
            [i.document_id for i in items],
        )

    @bentoml.api
    async def extract(self, data: bytes, name: str) -> ExtractOutcome:
        """File bytes -> prediction, or the loader's typed error (as data, not an HTTP error)."""
        doc_id = document_id(data)
        t0 = time.perf_counter()
        loaded = await self.ocr.load(data)
        t1 = time.perf_counter()
        if isinstance(loaded, LoadFailure):
            return ExtractOutcome(status=loaded.status, error=loaded.error, ocr_ms=(t1 - t0) * 1000)
        if not loaded.pages:
            return ExtractOutcome(
                status=422,
                error=ErrorBody(error="empty_document", detail="the document has no pages"),
                ocr_ms=(t1 - t0) * 1000,
            )
        predictions = await self.to_async.encode([EncodeItem(document=loaded, name=name, document_id=doc_id)])
        t2 = time.perf_counter()
        return ExtractOutcome(
            prediction=predictions[0],
            pages=len(loaded.pages),
            ocr_ms=(t1 - t0) * 1000,
            model_ms=(t2 - t1) * 1000,
        )

    @bentoml.api
    def info(self) -> PredictorInfo:
        settings = get_settings()
        return PredictorInfo(
            model_version=self.predictor.model_version,
            thresholds=thresholds_of(self.predictor),
            adaptive_batching=settings.adaptive_batching,
            max_batch_size=settings.max_batch_size,
            ocr_workers=self.ocr.workers,
        )

    @bentoml.on_shutdown
    def _close(self) -> None:
        self.ocr.close()
