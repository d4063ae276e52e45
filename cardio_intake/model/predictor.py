"""``load_predictor(uri) -> Predictor``: a registered (or local) model, ready to turn a document into
the contract's ``Prediction``. Used by the predict CLI, serving and evaluation."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cardio_intake import config
from cardio_intake.document import Document
from cardio_intake.extraction.build import build_prediction, split_document
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.model.artifacts import LoadedModel, is_model_dir, load_model_dir
from cardio_intake.model.batching import PageInput
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput
from cardio_intake.model.runtime import EnsembleEncoder, PageEncoder, PageLogits, ReferralEncoder
from cardio_intake.schemas import Prediction

log = logging.getLogger(__name__)

CHAMPION_URI = f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}"


def document_pages(doc: Document) -> list[PageInput]:
    return [PageInput(words=[w.text for w in p.words], boxes=[list(w.box_1000) for w in p.words]) for p in doc.pages]


def document_id_for(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Predictor:
    def __init__(self, loaded: LoadedModel, model_version: str = "unregistered") -> None:
        self.encoder: PageEncoder = ReferralEncoder(loaded.model, loaded.tokenizer, loaded.spec)
        if loaded.members:
            self.encoder = EnsembleEncoder(
                [ReferralEncoder(m, loaded.tokenizer, m.spec) for m in [loaded.model, *loaded.members]]
            )
        self.calibration: Calibration = loaded.calibration
        self.spec = loaded.spec
        self.model_version = model_version

    @property
    def labels(self) -> dict[str, list[str]]:
        return {"tags": self.spec.tag_labels, "page_types": self.spec.page_types, "intents": self.spec.intents}

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return {
            "intents": dict(self.calibration.intent_thresholds),
            "intent_review": dict(self.calibration.intent_review_thresholds),
            "fields": dict(self.calibration.field_thresholds),
        }

    def split(self, pages: Sequence[RawPageOutput]) -> list[list[int]]:
        return split_document(pages, self.calibration)

    # --- batch-friendly pieces (serving batches encode_pages across requests) ------------------

    def encode_pages(self, pages: Sequence[PageInput]) -> list[PageLogits]:
        return self.encoder.encode_pages(pages)

    def finish(self, pages: Sequence[PageInput], logits: Sequence[PageLogits], name: str, document_id: str) -> Prediction:
        raw = self.encoder.assemble(pages, logits, self.split, self.model_version)
        return build_prediction(raw, self.calibration, name, document_id)

    # --- one document ------------------------------------------------------------------------

    def raw_document(self, doc: Document) -> RawDocumentOutput:
        return self.encoder.raw_document(document_pages(doc), self.split, self.model_version)

    def predict_document(self, doc: Document, name: str, document_id: str) -> Prediction:
        return build_prediction(self.raw_document(doc), self.calibration, name, document_id)

    def predict_bytes(self, data: bytes, name: str) -> Prediction:
        """Load (OCR) and predict; raises ``IngestError`` for an unreadable file."""
        from cardio_intake.ingest import load_document

        return self.predict_document(load_document(data), name, document_id_for(data))


# --- loading -----------------------------------------------------------------------------------


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI as set now (a server, or a test's own file), else the embedded sqlite file."""
    return os.environ.get("MLFLOW_TRACKING_URI") or config.MLFLOW_TRACKING_URI


def _version_label(uri: str) -> str:
    """``cardio-intake-referral:7`` for a registry URI (alias or version), else the URI itself."""
    from mlflow import MlflowClient

    if not uri.startswith("models:/"):
        return uri
    ref = uri[len("models:/") :]
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return f"{name}:{MlflowClient().get_model_version_by_alias(name, alias).version}"
    name, _, version = ref.partition("/")
    return f"{name}:{version}" if version else ref


def find_model_dir(root: Path) -> Path:
    """The model directory inside a downloaded MLflow model (or ``root`` itself)."""
    if is_model_dir(root):
        return root
    for spec in sorted(root.rglob("spec.json")):
        if is_model_dir(spec.parent):
            return spec.parent
    raise FileNotFoundError(f"no model directory (spec.json + weights.safetensors) under {root}")


def resolve_model_dir(uri: str | None = None) -> tuple[Path, str]:
    """A local model directory and a version label for ``uri`` (a local folder or an MLflow model
    URI: ``models:/name@alias``, ``models:/name/3``, ``runs:/<id>/model``)."""
    uri = uri or CHAMPION_URI
    local = Path(uri).expanduser()
    if local.exists():
        return find_model_dir(local), f"local:{local.resolve().name}"
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    try:
        version = _version_label(uri)
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # MlflowException and friends: say what to do
        raise LookupError(
            f"cannot load model {uri!r} from {tracking_uri()}: {exc}. "
            "Train one with `python -m training.train --config training/configs/quick.yaml` "
            "or pass --model PATH_OR_URI."
        ) from exc
    return find_model_dir(path), version


def load_predictor(uri: str | None = None) -> Predictor:
    """The champion by default (``models:/cardio-intake-referral@champion``)."""
    path, version = resolve_model_dir(uri)
    log.info("loading model %s from %s", version, path)
    return Predictor(load_model_dir(path), model_version=version)


def predictor_info(p: Predictor) -> dict[str, Any]:
    return {"model_version": p.model_version, "labels": p.labels, "thresholds": p.thresholds}
