"""Completes BentoML's OpenAPI spec with what the gateway adds: the bearer-key security scheme and
the error responses every protected route can give, all with the contract's ``{error, detail}``."""

from __future__ import annotations

import copy
from typing import Any

from serving.auth import OPEN_PATHS, scope_for_path

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "properties": {
        "error": {"type": "string", "title": "Error", "description": "machine-readable code, e.g. corrupt_document"},
        "detail": {"type": "string", "title": "Detail", "description": "what went wrong, for a person"},
    },
    "required": ["error", "detail"],
}

_GATEWAY_ERRORS: dict[str, tuple[str, dict[str, str]]] = {
    "401": ("Missing, invalid or revoked API key", {"error": "unauthorized", "detail": "invalid or revoked API key"}),
    "403": ("The API key lacks this endpoint's scope", {"error": "forbidden", "detail": "this API key lacks the 'triage' scope"}),
    "413": ("Request body over the size limit", {"error": "request_too_large", "detail": "request body exceeds the limit"}),
    "504": ("Not answered within the request timeout", {"error": "timeout", "detail": "the request took longer than 120 s"}),
}
_FILE_ERRORS: dict[str, tuple[str, dict[str, str]]] = {
    "415": ("The file is not a PDF, TIFF, PNG or JPEG", {"error": "unsupported_format", "detail": "HTML is not a supported document format"}),
    "422": ("The file cannot be read (corrupt, encrypted, too many pages, page too large, OCR timeout)",
            {"error": "corrupt_document", "detail": "the PDF's cross-reference table is damaged"}),
}
_METHODS = ("get", "post", "put", "patch", "delete")
_MALFORMED_EXAMPLE = {"error": "bad_request", "detail": "There was an error parsing the body"}


def _response(description: str, example: dict[str, str]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}, "example": example}},
    }


def augment_spec(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorBody"] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "cik_<key id>_<secret>",
        "description": "Create a key with `cardio-intake keys create --name NAME --scopes triage`.",
    }
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            if path in OPEN_PATHS:
                op["security"] = []
                continue
            op["security"] = [{"apiKey": []}]
            scope = scope_for_path(path)
            note = f"Requires an API key with the `{scope}` scope." if scope else "Requires any valid API key."
            op["description"] = f"{op.get('description') or ''}\n\n{note}".strip()
            responses = op.setdefault("responses", {})
            for code, (desc, example) in _GATEWAY_ERRORS.items():
                responses.setdefault(code, _response(desc, example))
            if path in ("/extract", "/triage"):
                for code, (desc, example) in _FILE_ERRORS.items():
                    responses[code] = _response(desc, example)
            responses.setdefault("422", _response("Invalid input", {"error": "unprocessable", "detail": "practice_id: unknown practice"}))
            # FastAPI documents its own validation body (detail: a list); the apps and the gateway answer
            # every error as ErrorBody, and a body that cannot be parsed at all as a 400 (found by fuzzing).
            for code, response in list(responses.items()):
                if "HTTPValidationError" in str(response):
                    responses[code] = _response(response.get("description") or "Invalid input",
                                                {"error": "unprocessable", "detail": "date: invalid date format"})
            if "requestBody" in op:
                responses.setdefault("400", _response("Malformed request body", _MALFORMED_EXAMPLE))
    spec.setdefault("info", {})["title"] = "cardio-intake"
    return spec
