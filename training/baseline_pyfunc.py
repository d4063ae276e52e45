"""MLflow pyfunc wrapper of the baseline, with the referral model's input format
(cardio_intake/model/pyfunc.py): a list of ``{"name": ..., "data_b64": ...}`` files in, one contract
JSON string (or ``{"error", "detail"}`` for an unreadable file) out. An item may instead carry
``"pages"``: JSON ``[{"words": [...], "boxes": [[x0, y0, x1, y1], ...]}]`` already OCR'd on the 0-1000
grid, which skips loading and OCR (evaluation on dataset rows, tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from mlflow.pyfunc import PythonModel

ARTIFACT_KEY = "baseline"
PIP_PACKAGES = ("scikit-learn", "joblib", "scipy", "numpy", "pydantic", "mlflow", "simple-icd-10-cm",
                "pandas", "pillow", "pytesseract", "pypdfium2", "pikepdf")


def pip_requirements() -> list[str]:
    """Explicit, pinned to what trained the model (MLflow's inference would import and guess)."""
    reqs = []
    for name in PIP_PACKAGES:
        try:
            reqs.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            reqs.append(name)
    return reqs


def _records(model_input: Any) -> list[dict[str, Any]]:
    if hasattr(model_input, "to_dict"):  # a pandas DataFrame
        return list(model_input.to_dict(orient="records"))
    return [dict(item) for item in model_input]


class BaselinePyfunc(PythonModel):  # type: ignore[misc]
    def load_context(self, context: Any) -> None:
        from training.baseline_model import load_baseline

        self.predictor = load_baseline(Path(context.artifacts[ARTIFACT_KEY]), model_version="cardio-intake-baseline")

    # The hint is read by MLflow as the input schema (all values are strings).
    def predict(self, context: Any, model_input: list[dict[str, str]], params: dict[str, Any] | None = None) -> list[str]:
        from cardio_intake.ingest.errors import IngestError
        from cardio_intake.schemas import ErrorBody, dump_jsonl_line

        out = []
        for rec in _records(model_input):
            name = str(rec.get("name") or "document")
            try:
                if rec.get("pages") is not None:
                    pages = [(p["words"], p["boxes"]) for p in json.loads(rec["pages"])]
                    doc_id = "sha256:" + hashlib.sha256(rec["pages"].encode("utf-8")).hexdigest()
                    pred = self.predictor.predict_pages(pages, name, doc_id)
                else:
                    pred = self.predictor.predict_bytes(base64.b64decode(rec["data_b64"]), name)
                out.append(dump_jsonl_line(pred))
            except IngestError as exc:
                out.append(json.dumps(ErrorBody(error=exc.code, detail=str(exc)).model_dump()))
        return out
