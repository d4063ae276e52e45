"""Which model the model service serves, and how the champion gets into the BentoML model store.

The service declares ``BentoModel("cardio-intake-referral:latest")`` so ``bentoml build`` packs the
model into the bento. :func:`import_champion` copies the MLflow champion
(``models:/cardio-intake-referral@champion``) into the BentoML store with
``bentoml.mlflow.import_model``; ``make serve`` and ``make bento`` run it first (a no-op when the
same registry version is already there). For development and tests, ``CARDIO_MODEL_URI`` (any
MLflow URI or local path) or ``CARDIO_PREDICTOR_FACTORY`` (``module:callable``) take precedence.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from cardio_intake import config
from cardio_intake.document import Document
from cardio_intake.schemas import Prediction

BENTO_MODEL_NAME = "cardio-intake-referral"
#: Folder of the MLflow model inside the BentoML model (``bentoml.mlflow``'s layout).
MLFLOW_MODEL_FOLDER = "mlflow_model"
CHAMPION_URI = f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}"


@runtime_checkable
class Predictor(Protocol):
    """What serving needs from ``cardio_intake.model.load_predictor``."""

    model_version: str

    def predict_document(self, doc: Document, name: str, document_id: str) -> Prediction: ...


def predict_many(predictor: Predictor, docs: list[Document], names: list[str], ids: list[str]) -> list[Prediction]:
    """Predictions for several documents with ONE encoder call over all their pages.

    Uses the predictor's encoder-level batch entry point (``encode_pages`` + ``finish``, see
    ``cardio_intake.model.predictor``); a predictor without it is called once per document.
    """
    encode_pages = getattr(predictor, "encode_pages", None)
    finish = getattr(predictor, "finish", None)
    if not (callable(encode_pages) and callable(finish)):
        return [predictor.predict_document(d, n, i) for d, n, i in zip(docs, names, ids, strict=True)]
    from cardio_intake.model.predictor import document_pages

    per_doc = [document_pages(d) for d in docs]
    logits = encode_pages([p for pages in per_doc for p in pages])
    out: list[Prediction] = []
    start = 0
    for pages, name, doc_id in zip(per_doc, names, ids, strict=True):
        out.append(finish(pages, logits[start : start + len(pages)], name, doc_id))
        start += len(pages)
    return out


def thresholds_of(predictor: Any) -> dict[str, Any]:
    value = getattr(predictor, "thresholds", None)
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        return dict(value.model_dump(mode="json"))
    return dict(value)


def from_factory(spec: str) -> Predictor:
    """``module:callable`` -> the callable's predictor (a site's own model, or a test double)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"CARDIO_PREDICTOR_FACTORY must look like 'module:callable', got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    predictor = factory()
    if not isinstance(predictor, Predictor):
        raise TypeError(f"{spec} returned {type(predictor).__name__}, which has no predict_document/model_version")
    return predictor


def load_from_uri(uri: str, version_label: str | None = None) -> Predictor:
    from cardio_intake.model.predictor import load_predictor

    predictor: Predictor = load_predictor(uri)
    if version_label:
        predictor.model_version = version_label
    return predictor


def version_label(source: str | None) -> str | None:
    """``models:/cardio-intake-referral/7`` -> ``cardio-intake-referral:7`` (the registry version a
    BentoML model was imported from, recorded in its labels)."""
    if not source or not source.startswith("models:/"):
        return None
    name, _, version = source.removeprefix("models:/").partition("/")
    return f"{name}:{version}" if version else None


def import_champion(uri: str = CHAMPION_URI) -> tuple[str, bool]:
    """Copy the MLflow model at ``uri`` into the BentoML store; returns (bento model tag, imported?).

    Idempotent: when the store's latest model came from the same resolved source it is reused (the
    service serves ``:latest``, so an older import of that source is imported again, not reused).
    """
    import bentoml
    import mlflow
    from bentoml.exceptions import NotFound

    mlflow.set_tracking_uri(config.MLFLOW_TRACKING_URI)
    source = uri
    if uri.startswith("models:/") and "@" in uri:
        name, alias = uri.removeprefix("models:/").split("@", 1)
        version = mlflow.MlflowClient().get_model_version_by_alias(name, alias)
        source = f"models:/{name}/{version.version}"
    try:
        latest = bentoml.models.get(f"{BENTO_MODEL_NAME}:latest")
    except NotFound:
        latest = None
    if latest is not None and latest.info.labels.get("source") == source:
        return str(latest.tag), False
    model = bentoml.mlflow.import_model(
        BENTO_MODEL_NAME,
        model_uri=source,
        labels={"source": source, "requested": uri},
        metadata={"registered_model": config.REGISTERED_MODEL_NAME},
    )
    return str(model.tag), True
