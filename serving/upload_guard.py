"""Checks the multipart body of the BentoML file routes (/extract, /triage) before BentoML parses it.

BentoML's own parsing turns three kinds of bad request into a 500 (found by the reliability tests,
docs/RELIABILITY.md), and one into an outbound request:

* a body that is not valid multipart (a wrong boundary, a cut-off part): Starlette raises its
  ``HTTPException(400)`` inside BentoML's handler, which answers 500;
* a file name longer than the file system allows: BentoML saves the upload as a temporary file named
  after it, and ``OSError(ENAMETOOLONG)`` answers 500;
* a ``file`` field sent as text instead of a file: BentoML reads the text as a URL and downloads it
  (public addresses are fetched; loopback and private ones are refused with a 500). A PHI service
  must not fetch whatever a client names, so only an uploaded file is accepted.

These become a 400 ``{error, detail}``. Runs inside the gateway (after the API key check, within its
size limit and timeout): the body, at most the gateway's limit, is read once, checked, and replayed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from typing import Any

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

Scope = dict[str, Any]
Message = dict[str, Any]

#: Routes whose ``file`` field BentoML turns into a ``Path`` (a temporary file named after the upload).
FILE_ROUTES: dict[str, str] = {"/extract": "file", "/triage": "file"}
#: BentoML names the temporary file ``tmp`` + 8 characters + the upload's name; most file systems stop at 255 bytes.
MAX_FILENAME_BYTES = 200


class UploadRejected(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


async def check_upload(headers: Headers, body: bytes, field: str) -> None:
    """Raise ``UploadRejected`` unless ``body`` is valid multipart with exactly one uploaded file in ``field``."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(headers, stream()).parse()
    except MultiPartException as exc:
        raise UploadRejected("invalid_multipart", f"the multipart body cannot be read: {exc.message}") from None
    try:
        values = form.getlist(field)
        if not values:
            return  # BentoML answers the missing field itself (400, "Field required")
        if len(values) > 1:
            raise UploadRejected("invalid_upload", f"send one file in the {field!r} field, not {len(values)}")
        value = values[0]
        if not isinstance(value, UploadFile):
            raise UploadRejected(
                "invalid_upload", f"the {field!r} field must be an uploaded file (multipart with a filename), not text"
            )
        name = (value.filename or "").rsplit("/", 1)[-1]
        if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
            raise UploadRejected("invalid_upload", f"the file name is longer than {MAX_FILENAME_BYTES} bytes")
    finally:
        await form.close()


class UploadGuard:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Message], Any]) -> None:
        field = FILE_ROUTES.get(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        headers = Headers(scope=scope) if field is not None else Headers()
        if field is None or not headers.get("content-type", "").startswith("multipart/form-data"):
            await self.app(scope, receive, send)  # other bodies: BentoML answers a clean 400 itself
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left, or the gateway cut an oversized body (it answers 413)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            await check_upload(headers, body, field)
        except UploadRejected as exc:
            payload = json.dumps({"error": exc.error, "detail": exc.detail}).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)
