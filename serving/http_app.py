"""Plain HTTP routes of the intake service that are not BentoML APIs (BentoML APIs are POST only):
``GET /model``. Mounted on the intake service; the gateway middleware guards it like every route.

The workflow API (issue 8) plugs in beside it: a FastAPI ``app`` in ``serving/workflow_app.py`` is
mounted too when that module exists (see docs/ARCHITECTURE.md, "Serving: plugging in routes").
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from fastapi import FastAPI

from serving.schemas import ModelInfo

app = FastAPI(
    title="cardio-intake",
    # BentoML serves the one OpenAPI spec (/docs.json, merged with these routes) and the docs UI;
    # FastAPI's own /docs and /openapi.json would shadow nothing but are not wanted twice.
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


@app.get(
    "/model",
    response_model=ModelInfo,
    summary="The served model and policies",
    description="Model version, label sets, thresholds and the version of the policy files in use. Any valid API key.",
    tags=["Service APIs"],
)
async def model_info() -> ModelInfo:
    import bentoml

    service: Any = bentoml.get_current_service()
    info: ModelInfo = await service.model_info()
    return info


def workflow_app() -> Any | None:
    """The workflow API's ASGI app, when ``serving/workflow_app.py`` exists (else ``None``)."""
    if importlib.util.find_spec("serving.workflow_app") is None:
        return None
    module = importlib.import_module("serving.workflow_app")
    return getattr(module, "app", None)
