"""The ASGI middleware in front of every route of the intake service (BentoML APIs, mounted apps,
/metrics, the API docs), except the liveness/readiness probes.

Per request, in order: API key (401 missing/invalid, 403 scope), request size (413), wall-clock
timeout (504), then the route. Every error body leaving the service is made the contract's
``{error, detail}`` (BentoML, Starlette and FastAPI each have their own shape). Afterwards one audit
record and one JSON log line, with ids, sizes, timings and outcomes only.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from serving import audit
from serving.auth import KeyStore, bearer_token, get_store, is_open_path, scope_for_path
from serving.logs import RequestLog, frames_only, log_request
from serving.openapi import augment_spec
from serving.request_context import RequestContext, open_context
from serving.settings import ServingSettings, get_settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]

ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
    504: "timeout",
}
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
logger = logging.getLogger("cardio_intake.serving")
_OPENAPI_PATHS = frozenset({"/docs.json", "/schema.json", "/openapi.json"})


def _summarize(detail: Any) -> str:
    """Validation errors as one line (``loc: msg``); they carry no input values (BentoML and FastAPI
    both drop them, or we do)."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                loc = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body",))
                parts.append(f"{loc}: {item['msg']}" if loc else str(item["msg"]))
            else:
                parts.append(_summarize(item))
        return "; ".join(parts)
    if isinstance(detail, dict):
        return _summarize(detail.get("detail") or detail.get("error") or json.dumps(detail))
    return str(detail)


def normalize_error(status: int, body: bytes, content_type: str) -> dict[str, Any]:
    """Any error body -> ``{"error": code, "detail": text}`` (a body already in that shape keeps its
    other fields, e.g. the ``blockers`` of the workflow API's 409 not_schedulable)."""
    fallback = ERROR_CODES.get(status, "client_error" if status < 500 else "server_error")
    parsed: Any = None
    if "json" in content_type:
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            parsed = None
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        parsed = parsed[0]  # BentoML wraps some 4xx bodies in a one-element list
    if isinstance(parsed, dict):
        error, detail = parsed.get("error"), parsed.get("detail")
        if isinstance(error, str) and _CODE_RE.match(error) and isinstance(detail, str):
            return parsed  # the route's own contract-shaped body: extra fields are documented (schemathesis)
        if isinstance(error, str) and not _CODE_RE.match(error):
            text = error if detail is None else f"{error}: {_summarize(detail)}"
            return {"error": fallback, "detail": text}
        return {"error": error if isinstance(error, str) else fallback, "detail": _summarize(detail or "")}
    text = body.decode("utf-8", "replace").strip() if body else ""
    return {"error": fallback, "detail": text[:500] or fallback.replace("_", " ")}


def _json_response(status: int, error: str, detail: str, extra_headers: list[tuple[bytes, bytes]] | None = None) -> tuple[Message, Message]:
    body = json.dumps({"error": error, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return (
        {"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])},
        {"type": "http.response.body", "body": body},
    )


@dataclass
class _State:
    status: int = 0
    started: bool = False
    too_large: bool = False
    held_start: Message | None = None
    held_body: bytearray = field(default_factory=bytearray)


class GatewayMiddleware:
    def __init__(self, app: Any, store: KeyStore | None = None, settings: ServingSettings | None = None) -> None:
        self.app = app
        self._store = store
        self._settings = settings

    @property
    def settings(self) -> ServingSettings:
        return self._settings or get_settings()

    @property
    def store(self) -> KeyStore:
        return self._store or get_store(self.settings.keys_file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        ctx = RequestContext(method=scope["method"], endpoint=scope["path"])
        arrived, t0 = audit.now(), time.perf_counter()
        state = _State()
        with open_context(ctx):
            try:
                await self._handle(scope, receive, send, ctx, state)
            except Exception as exc:  # a bug below us; answer 500 in the contract's shape, log frames only
                logger.error(
                    "unhandled exception\n%s", frames_only((type(exc), exc, exc.__traceback__))
                )
                state.status = 500
                ctx.error = "internal_error"
                if not state.started:
                    start, body = _json_response(500, "internal_error", "an unexpected error occurred")
                    await send(start)
                    await send(body)
            finally:
                self._finish(ctx, state, arrived, t0)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, ctx: RequestContext, state: _State) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}

        async def reply(status: int, error: str, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
            state.status, state.started, ctx.error = status, True, error
            start, body = _json_response(status, error, detail, extra)
            await send(start)
            await send(body)

        token = bearer_token(headers.get("authorization"))
        principal = await anyio.to_thread.run_sync(self.store.authenticate, token) if token else None
        if principal is None:
            detail = "missing API key: send 'Authorization: Bearer <key>'" if token is None else "invalid or revoked API key"
            await reply(401, "unauthorized", detail, [(b"www-authenticate", b"Bearer")])
            return
        ctx.principal = principal
        needed = scope_for_path(scope["path"])
        if not principal.allows(needed):
            await reply(403, "forbidden", f"this API key lacks the {needed!r} scope")
            return
        limit = self.settings.max_request_bytes
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await reply(413, "request_too_large", f"request body of {int(length)} bytes exceeds the limit of {limit}")
            return

        async def counting_receive() -> Message:
            message: Message = await receive()
            if message.get("type") == "http.request":
                ctx.bytes_in += len(message.get("body", b""))
                if ctx.bytes_in > limit and not state.too_large:
                    state.too_large = True
                    # Tell the route the client left: it stops reading; the reply below becomes 413.
                    return {"type": "http.disconnect"}
            return message

        is_spec = scope["method"] == "GET" and scope["path"] in _OPENAPI_PATHS

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.status = message["status"]
                if state.status >= 400 or state.too_large or is_spec:
                    state.held_start = message  # rewritten once the body is complete
                    return
                state.started = True
                await send(message)
                return
            if message["type"] == "http.response.body" and state.held_start is not None:
                state.held_body += message.get("body", b"")
                if message.get("more_body"):
                    return
                await self._send_rewritten(send, state, ctx, is_spec)
                return
            await send(message)

        try:
            with anyio.fail_after(self.settings.request_timeout_s):
                await self.app(scope, counting_receive, guarded_send)
        except TimeoutError:
            if not state.started:
                await reply(504, "timeout", f"the request took longer than {self.settings.request_timeout_s:g} s")
            return
        except Exception:
            if not state.too_large:  # a route failing on the cut-off body is expected; others are bugs
                raise
        if state.too_large and not state.started:
            await reply(413, "request_too_large", f"request body exceeds the limit of {limit} bytes")

    async def _send_rewritten(self, send: Send, state: _State, ctx: RequestContext, is_spec: bool) -> None:
        start = state.held_start
        assert start is not None
        raw_headers = list(start.get("headers", []))
        content_type = next((v.decode("latin-1") for k, v in raw_headers if k.lower() == b"content-type"), "")
        status = start["status"]
        if state.too_large:
            return  # the caller answers 413
        if is_spec and status < 400:
            body = json.dumps(augment_spec(json.loads(bytes(state.held_body)))).encode()
        else:
            normalized = normalize_error(status, bytes(state.held_body), content_type)
            ctx.error = ctx.error or normalized["error"]
            body = json.dumps(normalized).encode()
            content_type = "application/json"
        kept = [(k, v) for k, v in raw_headers if k.lower() not in (b"content-length", b"content-type")]
        headers = [*kept, (b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
        state.started = True
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _finish(self, ctx: RequestContext, state: _State, arrived: Any, t0: float) -> None:
        duration_ms = round((time.perf_counter() - t0) * 1000, 2)
        status = state.status or 500
        outcome = audit.outcome_for(status)
        principal = ctx.principal
        try:
            self._audit(ctx, arrived, status, outcome, duration_ms)
        except OSError as exc:  # the answer is already sent; a lost audit line must be loud
            logger.error(
                '{"event":"audit_write_failed","request_id":"%s","errno":%s}', ctx.request_id, exc.errno
            )
        log_request(
            RequestLog(
                request_id=ctx.request_id,
                method=ctx.method,
                endpoint=ctx.endpoint,
                status=status,
                outcome=outcome,
                error=ctx.error if status >= 400 else None,
                key_id=principal.key_id if principal else None,
                document_id=ctx.document_id,
                pages=ctx.pages,
                queues=ctx.queues,
                bytes_in=ctx.bytes_in,
                duration_ms=duration_ms,
                timings=ctx.timings,
            )
        )

    @staticmethod
    def _audit(ctx: RequestContext, arrived: Any, status: int, outcome: audit.Outcome, duration_ms: float) -> None:
        principal = ctx.principal
        audit.record(
            audit.AuditRecord(
                time=arrived,
                request_id=ctx.request_id,
                key_id=principal.key_id if principal else None,
                key_name=principal.name if principal else None,
                method=ctx.method,
                endpoint=ctx.endpoint,
                status=status,
                outcome=outcome,
                error=ctx.error if status >= 400 else None,
                document_id=ctx.document_id,
                queues=ctx.queues,
                pages=ctx.pages,
                bytes_in=ctx.bytes_in,
                duration_ms=duration_ms,
            )
        )
