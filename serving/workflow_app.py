"""The workflow API (issue 8): durable intake, payer responses, referral state, the scheduling gate,
worklists and the monitor, over the store in ``cardio_intake.store``.

Mounted on the intake service by ``serving/http_app.py`` (module-level ``app``); the gateway
middleware in front of it checks keys, sizes and timeouts and writes the audit record, and every route
here also depends on ``require_scope`` so the app is never open when used on its own.

    POST /intake                          file -> stored document, referrals, orders, authorizations
    POST /authorizations/{id}/status      payer response (submitted, pending, approved, denied ...)
    GET  /referrals/{id}                  state, orders, readiness per order with blockers
    POST /referrals/{id}/review           a person checked the extraction (optionally with corrected fields)
    POST /referrals/retriage              re-triage every open referral (after a policy change; admin)
    POST /appointments/check              {order_id, date} -> allowed or blockers
    POST /appointments                    book an order on a date (through the same gate)
    POST /orders/{id}/status              completed / cancelled
    POST /orders/{id}/documentation       documentation items received
    GET  /worklists/{queue}               open referrals, most urgent and soonest due first, paginated
    GET  /monitor                         SLA view; the same numbers as Prometheus gauges on /metrics
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from cardio_intake.schemas import ErrorBody
from cardio_intake.store import db
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.errors import (
    ConcurrentUpdate,
    InvalidOrderChange,
    NotFound,
    NotSchedulable,
    StoreError,
)
from cardio_intake.store.intake import error_code, intake, resume_pending
from cardio_intake.store.lifecycle import AuthorizationError, IllegalTransition, StatusUpdate
from cardio_intake.store.metrics import publish
from cardio_intake.store.monitor import DEFAULT_HORIZON_DAYS, monitor
from cardio_intake.store.ports import PredictorFn, TriageFn
from cardio_intake.store.queries import authorization_view, get_referral, intake_result, order_view
from cardio_intake.store.states import AuthStatus, DocumentStatus, OrderStatus
from cardio_intake.store.updates import (
    mark_reviewed,
    record_documentation,
    retriage_open,
    schedule_order,
    set_order_status,
    update_authorization,
)
from cardio_intake.store.views import (
    AppointmentCheck,
    AuthorizationView,
    Blocker,
    IntakeResult,
    MonitorView,
    OrderView,
    ReferralView,
    WorklistPage,
)
from cardio_intake.store.worklists import MAX_PER_PAGE, UnknownQueue, worklist
from serving.auth import authenticate, register_route_scope
from serving.request_context import Principal, annotate, current

logger = logging.getLogger("cardio_intake.workflow")

# The gateway maps path prefixes to scopes; /orders is this app's own addition.
register_route_scope("/orders", "workflow")



def _require(scope: str) -> Callable[[Request], Principal]:
    """Like ``serving.auth.require_scope`` (same key store, same principal): the gateway's principal
    when it ran, else the request's own ``Authorization`` header; 401 without a valid key, 403
    without the scope. Defined here with ``Request`` importable at module level, which FastAPI needs
    to resolve the annotation under ``from __future__ import annotations``."""

    def dependency(request: Request) -> Principal:
        ctx = current()
        principal = ctx.principal if ctx is not None else None
        if principal is None:
            principal = authenticate(request.headers.get("authorization"))
        if principal is None:
            raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})
        if not principal.allows(scope):
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        return principal

    return dependency


#: The dependencies every route uses (tests override them in ``app.dependency_overrides``).
WORKFLOW_AUTH = _require("workflow")
ADMIN_AUTH = _require("admin")

#: Ids are INTEGER columns (32 bits on PostgreSQL). A larger number names no row, and handed to the
#: database driver it overflows into a 500 (found by API fuzzing), so the API refuses it with a 422.
MAX_ID = 2**31 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

#: Loader error codes that are the client's fault (a 4xx); anything else failing is on our side (503).
_CLIENT_STATUS = {"file_too_large": 413, "unsupported_format": 415}


def _client_error_codes() -> frozenset[str]:
    try:
        from cardio_intake.ingest.errors import ALL_ERRORS

        return frozenset(e.code for e in ALL_ERRORS) | {"ingest_error"}
    except ImportError:  # pragma: no cover - ingest ships with the package
        return frozenset(_CLIENT_STATUS)


# --- runtime ---------------------------------------------------------------------------------


@dataclass
class WorkflowRuntime:
    """What the routes need: sessions, the model and rules as callables, where files go, the clock."""

    factory: sessionmaker[Session]
    predictor_fn: PredictorFn
    triage_fn: TriageFn
    documents_dir: Path
    clock: Clock = utc_now
    publish_metrics: bool = True
    resumed: list[int] = field(default_factory=list)


class ExtractFailed(Exception):
    """The model service could not read the file (carries the loader's code, as IngestError does)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class BentoPredictor:
    """Extraction through the running BentoML intake service (its model service, OCR pool, batching).

    Bound to the service's event loop at start-up, so it can be called from any thread: the request
    worker threads and the background resume/sweep thread alike.
    """

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.service = service
        self.loop = loop

    def __call__(self, data: bytes, name: str) -> Any:
        future = asyncio.run_coroutine_threadsafe(self.service.run_extract(data, name), self.loop)
        outcome = future.result()
        if outcome.prediction is None:
            err = outcome.error
            raise ExtractFailed(err.error if err else "unreadable_document", err.detail if err else "unreadable")
        return outcome.prediction


def _standalone_predictor() -> PredictorFn:
    """Outside BentoML (e.g. ``uvicorn serving.workflow_app:app``): load the model in this process."""
    from cardio_intake.model.predictor import load_predictor
    from serving.settings import get_settings

    predictor = load_predictor(get_settings().model_uri)
    return predictor.predict_bytes  # type: ignore[no-any-return]


def _bento_service() -> Any | None:
    try:
        import bentoml

        return bentoml.get_current_service()
    except Exception:  # not running inside `bentoml serve`
        return None


def default_runtime(loop: asyncio.AbstractEventLoop | None = None) -> WorkflowRuntime:
    """The deployment's runtime: DATABASE_URL (or the SQLite file), the policies, the model.

    Inside the BentoML intake service (``loop``: its event loop) it reuses the service's model service
    and loaded policies; standalone it loads the model in this process.
    """
    from cardio_intake.store.rules_adapter import RulesTriage

    engine = db.make_engine()
    db.ensure_schema(engine)
    service = _bento_service()
    rules = getattr(service, "rules", None)
    triage_fn = RulesTriage(rules.policies) if rules is not None else RulesTriage.load()
    predictor: PredictorFn = (
        BentoPredictor(service, loop) if service is not None and loop is not None else _standalone_predictor()
    )
    return WorkflowRuntime(
        factory=db.session_factory(engine),
        predictor_fn=predictor,
        triage_fn=triage_fn,
        documents_dir=db.DOCUMENTS_DIR,
    )


#: Seconds between background sweeps (expired approvals, stale claims, gauges); 0 turns them off.
SWEEP_INTERVAL_S = float(os.environ.get("CARDIO_WORKFLOW_SWEEP_S", "300"))


def upkeep_once(runtime: WorkflowRuntime, *, at_start: bool) -> None:
    """Resume unfinished documents (at start: every claim; later: claims older than the lease),
    expire ended approvals, publish the gauges."""
    from cardio_intake.store.intake import DEFAULT_LEASE
    from cardio_intake.store.updates import expire_approvals

    with runtime.factory() as session:
        lease = dt.timedelta(0) if at_start else DEFAULT_LEASE
        resumed = resume_pending(session, runtime.predictor_fn, runtime.triage_fn, clock=runtime.clock, lease=lease)
        runtime.resumed.extend(resumed)
        if resumed:
            logger.info("resumed %d interrupted document(s)", len(resumed))
        expire_approvals(session, runtime.triage_fn, clock=runtime.clock)
        if runtime.publish_metrics:
            publish(monitor(session, clock=runtime.clock))


def start_upkeep(runtime: WorkflowRuntime, stop: threading.Event, interval_s: float = SWEEP_INTERVAL_S) -> threading.Thread:
    """A daemon thread: upkeep once at start-up, then every ``interval_s`` until ``stop`` is set."""

    def work() -> None:
        at_start = True
        while True:
            try:
                upkeep_once(runtime, at_start=at_start)
            except Exception as exc:  # logged by type only: a message could quote document content
                logger.error("workflow upkeep failed: %s", type(exc).__name__)
            at_start = False
            if interval_s <= 0 or stop.wait(interval_s):
                return

    thread = threading.Thread(target=work, name="workflow-upkeep", daemon=True)
    thread.start()
    return thread


# --- request and response models -------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthorizationStatusRequest(_Body):
    """A payer response or a step of the office's own (submitted)."""

    status: AuthStatus
    auth_number: str | None = Field(default=None, max_length=64, description="approved: the payer's number")
    valid_from: dt.date | None = Field(default=None, description="approved: first day the approval covers")
    valid_to: dt.date | None = Field(default=None, description="approved: last day the approval covers")
    units: int | None = Field(default=None, ge=1, description="approved: number of units/visits")
    denial_reason: str | None = Field(default=None, max_length=2000, description="denied: the payer's reason")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "submitted"},
                {"status": "approved", "auth_number": "A1B2C3", "valid_from": "2026-11-05",
                 "valid_to": "2027-02-05", "units": 1},
                {"status": "denied", "denial_reason": "no prior conservative therapy documented"},
            ]
        },
    )


class AuthorizationUpdate(_Body):
    authorization: AuthorizationView
    referral: ReferralView


class AppointmentRequest(_Body):
    order_id: int = Field(ge=1, le=MAX_ID)
    date: dt.date

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"order_id": 1, "date": "2026-11-20"}]})


class OrderStatusRequest(_Body):
    status: Literal["completed", "cancelled"]


class DocumentationRequest(_Body):
    received: list[str] = Field(min_length=1, description="requirement names, e.g. office_note_within_60_days")


class ReviewRequest(_Body):
    """What the reviewer checked: contract field name -> the right value (omit what was right)."""

    corrections: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "corrected values of contract fields (patient_name, patient_dob, payer, member_id, cpt, icd10, "
            "referring_provider, referring_npi, urgency, ...) and of intents (the ordered services)"
        ),
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {},
                {"corrections": {"payer": "Aetna Open Access", "member_id": "W123456789", "intents": ["echo_tte"]}},
            ]
        },
    )


class NotSchedulableBody(_Body):
    error: Literal["not_schedulable"] = "not_schedulable"
    detail: str
    blockers: list[Blocker]


class RetriageResult(_Body):
    changed: list[int] = Field(description="ids of the referrals whose decision changed")


# --- the app ---------------------------------------------------------------------------------


def _error(status: int, code: str, detail: str) -> JSONResponse:
    annotate(error=code)
    return JSONResponse(ErrorBody(error=code, detail=detail).model_dump(), status_code=status)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or invalid API key"},
    403: {"model": ErrorBody, "description": "the key lacks the workflow scope"},
}


def get_runtime(request: Request) -> WorkflowRuntime:
    rt: WorkflowRuntime = request.app.state.get_runtime()
    return rt


def get_session(rt: Annotated[WorkflowRuntime, Depends(get_runtime)]) -> Iterator[Session]:
    session = rt.factory()
    try:
        yield session
    finally:
        session.close()


def actor(p: Principal) -> str:
    """Who acted, for the event log: the key's public id (never the key)."""
    return f"key:{p.key_id}"


# Module-level aliases: FastAPI resolves these (string) annotations in the module's namespace.
Rt = Annotated[WorkflowRuntime, Depends(get_runtime)]
Db = Annotated[Session, Depends(get_session)]
Who = Annotated[Principal, Depends(WORKFLOW_AUTH)]
Admin = Annotated[Principal, Depends(ADMIN_AUTH)]


def create_app(
    runtime: WorkflowRuntime | Callable[[], WorkflowRuntime] | None = None,
    *,
    upkeep: bool = True,
) -> FastAPI:
    """The workflow API over ``runtime`` (default: :func:`default_runtime`, built at start-up).

    At start-up (the app's lifespan; BentoML runs it for mounted apps) documents left unfinished by a
    previous process are resumed in the background, then a sweep runs every ``SWEEP_INTERVAL_S``.
    """
    lock = threading.Lock()
    holder: dict[str, WorkflowRuntime] = {}
    stop = threading.Event()

    def build(loop: asyncio.AbstractEventLoop | None) -> WorkflowRuntime:
        with lock:
            if "rt" not in holder:
                if isinstance(runtime, WorkflowRuntime):
                    holder["rt"] = runtime
                elif runtime is not None:
                    holder["rt"] = runtime()
                else:
                    holder["rt"] = default_runtime(loop)
            return holder["rt"]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        rt = await anyio.to_thread.run_sync(build, loop)
        if upkeep:
            start_upkeep(rt, stop)
        try:
            yield
        finally:
            stop.set()

    def get_runtime() -> WorkflowRuntime:
        # Without a lifespan (a client that does not run it) the runtime is built on first use.
        return build(None)

    app = FastAPI(
        title="cardio-intake workflow",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # BentoML serves the one merged spec
        lifespan=lifespan,
    )
    app.state.get_runtime = get_runtime

    @app.exception_handler(StoreError)
    async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return _error(404, exc.code, str(exc))
        if isinstance(exc, NotSchedulable):
            annotate(error=exc.code)
            body = NotSchedulableBody(detail=str(exc), blockers=exc.blockers)
            return JSONResponse(body.model_dump(mode="json"), status_code=409)
        if isinstance(exc, ConcurrentUpdate | InvalidOrderChange):
            return _error(409, exc.code, str(exc))
        return _error(422, exc.code, str(exc))

    @app.exception_handler(AuthorizationError)
    async def _auth_error(_: Request, exc: AuthorizationError) -> JSONResponse:
        return _error(409 if isinstance(exc, IllegalTransition) else 422, exc.code, str(exc))

    # Without the gateway in front (tests, a standalone deployment) errors keep the contract's shape too.
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        response = _error(exc.status_code, codes.get(exc.status_code, "client_error"), str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [
            ".".join(str(p) for p in e.get("loc", ()) if p != "body") + ": " + str(e.get("msg", ""))
            for e in exc.errors()
        ]
        return _error(422, "unprocessable", "; ".join(parts))

    @app.exception_handler(UnknownQueue)
    async def _queue_error(_: Request, exc: UnknownQueue) -> JSONResponse:
        return _error(404, exc.code, str(exc))

    tags: list[str | Enum] = ["Workflow"]

    @app.post(
        "/intake",
        response_model=IntakeResult,
        status_code=201,
        tags=tags,
        summary="Receive a referral fax and track it",
        description=(
            "Stores the file (content-addressed) and commits it before answering, then extracts, triages and "
            "creates the referral(s), orders and authorizations (those needed start as `needed` with their "
            "submit-by date). 201: new; 200: the same bytes were received before (the same referrals, never "
            "a duplicate); 202: the same bytes are being processed by another request (stored; poll the "
            "referral later). An unreadable file: 413/415/422 `{error, detail}` (the document stays on file)."
        ),
        responses={
            200: {"model": IntakeResult, "description": "replay of bytes already received"},
            202: {"model": IntakeResult, "description": "stored, still being processed"},
            413: {"model": ErrorBody},
            415: {"model": ErrorBody},
            422: {"model": ErrorBody},
            503: {"model": ErrorBody, "description": "stored, processing failed on our side; send again"},
            **ERRORS,
        },
    )
    def post_intake(
        rt: Rt,
        session: Db,
        who: Who,
        file: Annotated[UploadFile, File(description="the fax: PDF, TIFF, PNG or JPEG")],
        source_fax: Annotated[str | None, Form(max_length=32, description="sending fax number")] = None,
        practice_id: Annotated[str, Form(min_length=1, max_length=64)] = "default",
    ) -> Any:
        data = file.file.read()
        if not data:
            return _error(422, "empty_document", "the uploaded file is empty")
        doc, created = intake(
            session,
            data,
            file.filename or "upload",
            source_fax,
            rt.predictor_fn,
            rt.triage_fn,
            practice_id=practice_id,
            documents_dir=rt.documents_dir,
            clock=rt.clock,
            actor=actor(who),
        )
        annotate(document_id=f"sha256:{doc.sha256}", pages=doc.pages)
        if doc.status == DocumentStatus.FAILED:
            code, detail = error_code(doc)
            if code in _client_error_codes():
                return _error(_CLIENT_STATUS.get(code, 422), code, detail)
            return _error(
                503, "processing_failed", f"document {doc.id} is stored; processing failed ({code}); send it again"
            )
        result = intake_result(session, doc, created, clock=rt.clock)
        annotate(queues=[r.queue for r in result.referrals])
        status = 201 if created else 200
        if doc.status != DocumentStatus.DONE:
            status = 202
        if rt.publish_metrics:
            publish(monitor(session, clock=rt.clock))
        return JSONResponse(result.model_dump(mode="json"), status_code=status)

    @app.post(
        "/authorizations/{authorization_id}/status",
        response_model=AuthorizationUpdate,
        tags=tags,
        summary="Record a payer response",
        description=(
            "Moves the authorization along its lifecycle (not_required, needed, submitted, pending, approved, "
            "denied, expired). An approval needs auth_number, valid_from and valid_to; a denial a reason. "
            "The referral is re-triaged and the change is in the event log. 409: illegal transition or a "
            "concurrent update; 422: missing data."
        ),
        responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}, **ERRORS},
    )
    def post_authorization_status(
        authorization_id: RowId, body: AuthorizationStatusRequest, rt: Rt, session: Db, who: Who
    ) -> AuthorizationUpdate:
        update = StatusUpdate(
            status=body.status,
            auth_number=body.auth_number,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            units=body.units,
            denial_reason=body.denial_reason,
        )
        auth = update_authorization(
            session, authorization_id, update, triage_fn=rt.triage_fn, clock=rt.clock, actor=actor(who)
        )
        referral = get_referral(session, auth.order.referral_id, clock=rt.clock)
        annotate(queues=[referral.queue])
        return AuthorizationUpdate(authorization=authorization_view(auth), referral=referral)

    @app.get(
        "/referrals/{referral_id}",
        response_model=ReferralView,
        tags=tags,
        summary="A referral's state",
        description="Queue, priority, due time, orders with their authorizations and readiness (blockers) per order.",
        responses={404: {"model": ErrorBody}, **ERRORS},
    )
    def get_referral_route(referral_id: RowId, rt: Rt, session: Db, who: Who) -> ReferralView:
        view = get_referral(session, referral_id, clock=rt.clock)
        annotate(queues=[view.queue])
        return view

    @app.post(
        "/referrals/retriage",
        response_model=RetriageResult,
        tags=tags,
        summary="Re-triage every open referral (after a policy change)",
        responses={**ERRORS, 403: {"model": ErrorBody, "description": "needs the admin scope"}},
    )
    def post_retriage(rt: Rt, session: Db, who: Admin) -> RetriageResult:
        return RetriageResult(
            changed=retriage_open(session, rt.triage_fn, clock=rt.clock, actor=actor(who), cause="policy_change")
        )

    @app.post(
        "/referrals/{referral_id}/review",
        response_model=ReferralView,
        tags=tags,
        summary="Mark the extraction as reviewed by a person",
        description=(
            "Optionally with the reviewer's corrections: they replace the extracted values (each field's "
            "before/after is in the event log), then the referral is re-triaged, creating or updating its "
            "orders and authorizations. 422 `invalid_correction`: an unknown field or a value the contract refuses."
        ),
        responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}, **ERRORS},
    )
    def post_review(
        referral_id: RowId, rt: Rt, session: Db, who: Who, body: ReviewRequest | None = None
    ) -> ReferralView:
        corrections = body.corrections if body is not None else None
        mark_reviewed(
            session, referral_id, triage_fn=rt.triage_fn, corrections=corrections, clock=rt.clock, actor=actor(who)
        )
        return get_referral(session, referral_id, clock=rt.clock)

    @app.post(
        "/appointments/check",
        response_model=AppointmentCheck,
        tags=tags,
        summary="May this order be booked on this date?",
        description=(
            "The scheduling gate: allowed, or every blocker (prior_auth_not_approved, auth_window_not_covering_date, "
            "prerequisite_pending:<service>, documentation_missing:<item>, extraction_review_pending, ...)."
        ),
        responses={404: {"model": ErrorBody}, **ERRORS},
    )
    def post_appointment_check(body: AppointmentRequest, rt: Rt, session: Db, who: Who) -> AppointmentCheck:
        from cardio_intake.store.gate import check_appointment

        return check_appointment(session, body.order_id, body.date, clock=rt.clock)

    @app.post(
        "/appointments",
        response_model=OrderView,
        status_code=201,
        tags=tags,
        summary="Book an order on a date (only when the gate allows it)",
        responses={404: {"model": ErrorBody}, 409: {"model": NotSchedulableBody}, **ERRORS},
    )
    def post_appointment(body: AppointmentRequest, rt: Rt, session: Db, who: Who) -> OrderView:
        order = schedule_order(session, body.order_id, body.date, clock=rt.clock, actor=actor(who))
        return order_view(order, rt.clock().date())

    @app.post(
        "/orders/{order_id}/status",
        response_model=OrderView,
        tags=tags,
        summary="Mark an order completed or cancelled",
        responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}, **ERRORS},
    )
    def post_order_status(order_id: RowId, body: OrderStatusRequest, rt: Rt, session: Db, who: Who) -> OrderView:
        order = set_order_status(
            session, order_id, OrderStatus(body.status), triage_fn=rt.triage_fn, clock=rt.clock, actor=actor(who)
        )
        return order_view(order, rt.clock().date())

    @app.post(
        "/orders/{order_id}/documentation",
        response_model=OrderView,
        tags=tags,
        summary="Record documentation received for an order",
        responses={404: {"model": ErrorBody}, **ERRORS},
    )
    def post_documentation(order_id: RowId, body: DocumentationRequest, rt: Rt, session: Db, who: Who) -> OrderView:
        order = record_documentation(
            session, order_id, body.received, triage_fn=rt.triage_fn, clock=rt.clock, actor=actor(who)
        )
        return order_view(order, rt.clock().date())

    @app.get(
        "/worklists/{queue}",
        response_model=WorklistPage,
        tags=tags,
        summary="A queue's open referrals",
        description="Most urgent first (stat, urgent, routine), then soonest due; paginated.",
        responses={404: {"model": ErrorBody}, **ERRORS},
    )
    def get_worklist(
        queue: str,
        rt: Rt,
        session: Db,
        who: Who,
        page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    ) -> WorklistPage:
        return worklist(session, queue, page=page, per_page=per_page, clock=rt.clock)

    @app.get(
        "/monitor",
        response_model=MonitorView,
        tags=tags,
        summary="What is about to slip",
        description=(
            "Authorizations due to be submitted, pending beyond the payer's decision window, approvals expiring "
            "before the appointment, orders ready to schedule, aging by queue. The same numbers are Prometheus "
            "gauges (cardio_intake_workflow_*) on /metrics."
        ),
        responses=ERRORS,
    )
    def get_monitor(
        rt: Rt,
        session: Db,
        who: Who,
        horizon_days: Annotated[int, Query(ge=0, le=60)] = DEFAULT_HORIZON_DAYS,
    ) -> MonitorView:
        view = monitor(session, clock=rt.clock, horizon_days=horizon_days)
        if rt.publish_metrics:
            publish(view)
        return view

    return app


app = create_app()
