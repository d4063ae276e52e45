"""The intake service: the public API for upstream systems (fax servers, EHR integrations, work-queue
tools). It composes the model service (``bentoml.depends``) with the rules layer.

    bentoml serve serving.service:IntakeService --host 127.0.0.1 --port 3000

Routes: POST /extract, /triage, /triage_extracted (BentoML APIs); GET /model (mounted FastAPI
app, serving/http_app.py); BentoML's /healthz, /livez, /readyz and /metrics; the workflow API when
serving/workflow_app.py exists. The gateway middleware (serving/gateway.py) guards all of them but
the probes: API key and scope, request size, timeout, error shape, audit and PHI-free logs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import bentoml
from pydantic import BeforeValidator, Field
from starlette.responses import JSONResponse

from cardio_intake.labels import ENTITY_TYPES, INTENTS, PAGE_TYPES, QUEUES
from cardio_intake.schemas import Prediction
from serving.gateway import GatewayMiddleware
from serving.http_app import app as http_app
from serving.http_app import workflow_app
from serving.logs import install_phi_guard
from serving.model_service import ReferralModel
from serving.request_context import annotate
from serving.schemas import (
    PREDICTION_EXAMPLE,
    ExtractOutcome,
    LabelSets,
    ModelInfo,
    PredictorInfo,
    TriageResult,
)
from serving.settings import get_settings
from serving.triage_rules import RulesEngine, UnknownPractice
from serving.upload_guard import UploadGuard

install_phi_guard()
SETTINGS = get_settings()
logger = logging.getLogger("cardio_intake.serving")
#: Tries of one extraction when the connection to the model service drops (see ``_model_extract``).
_MODEL_ATTEMPTS = 3

DocumentFile = Annotated[
    Path,
    Field(description="The referral fax or scan: PDF (text layer or scanned), TIFF (multi-page fax), PNG or JPEG. "
          "The format is read from the bytes, not the name or content type."),
]
# Multipart form values arrive JSON-decoded by BentoML ("123" becomes 123): take them back as text.
PracticeId = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) else v),
    Field(min_length=1, max_length=64, description="practice profile whose policies apply", examples=["default"]),
]
AsOf = Annotated[
    dt.date | None,
    Field(description="date to decide for (auth deadlines, approval windows); default: today on the server",
          examples=["2026-11-03"]),
]


def original_name(path: Path) -> str:
    """The uploaded file's name. BentoML saves an upload as ``tmp`` + 8 random characters + the
    client's file name (``tempfile.NamedTemporaryFile(suffix=filename)``); the name is only echoed
    in the response's ``document`` field, never logged (it may name the patient)."""
    name = path.name
    return name[11:] if name.startswith("tmp") and len(name) > 11 else "upload"


def error_response(status: int, error: str, detail: str) -> Any:
    """A 4xx in the contract's shape. Typed ``Any``: BentoML passes a returned ``Response`` through
    unchanged, whatever the API's declared output type."""
    annotate(error=error)
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


@bentoml.service(
    name="cardio_intake",
    workers=1,  # async handlers; the heavy work is in the model service and its OCR pool
    traffic={"timeout": int(SETTINGS.request_timeout_s) + 15},  # backstop behind the gateway's own timeout
)
@bentoml.asgi_app(http_app, path="/")
class IntakeService:
    """Cardiology referral intake: extraction (OCR + layout model) and prior-auth/scheduling triage."""

    model = bentoml.depends(ReferralModel)

    def __init__(self) -> None:
        self.rules = RulesEngine.load()
        self._predictor_info: PredictorInfo | None = None

    # --- building blocks, also for the workflow API (bentoml.get_current_service()) -------------

    async def run_extract(self, data: bytes, name: str) -> ExtractOutcome:
        """File bytes -> prediction or typed loader error; records document id, pages and timings."""
        t0 = time.perf_counter()
        result = await self._model_extract(data, name)
        outcome = result if isinstance(result, ExtractOutcome) else ExtractOutcome.model_validate(result)
        pred = outcome.prediction
        annotate(
            document_id=pred.document_id if pred else None,
            pages=outcome.pages or None,
            timings={"ocr_ms": outcome.ocr_ms, "model_ms": outcome.model_ms,
                     "extract_ms": (time.perf_counter() - t0) * 1000},
        )
        return outcome

    async def _model_extract(self, data: bytes, name: str) -> Any:
        """The model service's ``extract``, tried again when the connection to it drops.

        Under load (bench/load.py, 4 clients) the internal client now and then loses its connection to
        the model service mid-request (aiohttp ``ServerDisconnectedError``, 6 of 300 intakes): the
        request failed with 503/500 although nothing was wrong with the file. Extraction is a pure
        function of the bytes, so running it again is safe."""
        import aiohttp

        for attempt in range(1, _MODEL_ATTEMPTS + 1):
            try:
                return await self.model.to_async.extract(data=data, name=name)
            except aiohttp.ClientConnectionError:
                if attempt == _MODEL_ATTEMPTS:
                    raise
                logger.warning('{"event":"model_service_disconnected","attempt":%d}', attempt)
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def run_triage(self, prediction: Prediction, practice_id: str, as_of: dt.date | None) -> TriageResult:
        """Prediction -> the rules' decision per referral. Raises ``UnknownPractice``."""
        day = as_of or dt.date.today()
        t0 = time.perf_counter()
        decisions = self.rules.decide(prediction, practice_id, day)
        annotate(
            document_id=prediction.document_id,
            queues=[d.route.queue for d in decisions],
            timings={"rules_ms": (time.perf_counter() - t0) * 1000},
        )
        return TriageResult(
            **prediction.model_dump(),
            practice_id=practice_id,
            as_of=day,
            policy_version=self.rules.version,
            triage=decisions,
        )

    async def model_info(self) -> ModelInfo:
        if self._predictor_info is None:
            result = await self.model.to_async.info()
            self._predictor_info = result if isinstance(result, PredictorInfo) else PredictorInfo.model_validate(result)
        return ModelInfo(
            **self._predictor_info.model_dump(),
            labels=LabelSets(intents=list(INTENTS), page_types=list(PAGE_TYPES),
                             entity_types=list(ENTITY_TYPES), queues=list(QUEUES)),
            policy_version=self.rules.version,
            policy_files=self.rules.files,
        )

    async def _prediction_or_error(self, file: Path) -> Prediction | Any:
        outcome = await self.run_extract(file.read_bytes(), original_name(file))
        if outcome.prediction is None:
            err = outcome.error
            return error_response(outcome.status, err.error if err else "unreadable_document",
                                  err.detail if err else "the document could not be read")
        return outcome.prediction

    # --- API ------------------------------------------------------------------------------------

    @bentoml.api(route="/extract")
    async def extract(self, file: DocumentFile) -> Prediction:
        """Read a referral and return the contract's prediction: page types, referrals (one per
        patient) with intents, entities with boxes, normalized fields and the review flag.
        An unreadable file gives 413/415/422 with `{error, detail}`."""
        result = await self._prediction_or_error(file)
        return result  # type: ignore[no-any-return]

    @bentoml.api(route="/triage")
    async def triage(self, file: DocumentFile, practice_id: PracticeId = "default", date: AsOf = None) -> TriageResult:
        """Read a referral and decide, per referral: prior authorization, missing documentation,
        sequencing, scheduling readiness and the work queue. Returns the prediction with a `triage`
        list (one decision per referral)."""
        try:
            self.rules.practice(practice_id)  # fail fast, before OCR and the model
        except UnknownPractice as exc:
            return error_response(422, "unknown_practice", str(exc))  # type: ignore[no-any-return]
        result = await self._prediction_or_error(file)
        if not isinstance(result, Prediction):
            return result  # type: ignore[no-any-return]
        return self.run_triage(result, practice_id, date)

    @bentoml.api(route="/triage_extracted")
    def triage_extracted(
        self,
        prediction: Annotated[Prediction, Field(description="a contract prediction", examples=[PREDICTION_EXAMPLE])],
        practice_id: PracticeId = "default",
        date: AsOf = None,
    ) -> TriageResult:
        """Decide for a prediction that an upstream system already has (no OCR, no model)."""
        try:
            return self.run_triage(prediction, practice_id, date)
        except UnknownPractice as exc:
            return error_response(422, "unknown_practice", str(exc))  # type: ignore[no-any-return]


_service: Any = IntakeService  # a bentoml Service object (mypy sees the decorated class)
_workflow = workflow_app()
if _workflow is not None:
    _service.mount_asgi_app(_workflow, path="/", name="workflow")
_service.add_asgi_middleware(GatewayMiddleware)
# Added second, so it runs inside the gateway (after the key check): rejects the multipart bodies that
# BentoML's parser would answer with a 500 or turn into a download (serving/upload_guard.py).
_service.add_asgi_middleware(UploadGuard)
