"""The MLflow pyfunc flavour of the referral model: ``mlflow.pyfunc.load_model(uri).predict(...)``
takes files as ``[{"name": ..., "data_b64": ...}]`` and returns one contract JSON string per file
(or ``{"error", "detail"}`` for a file that cannot be read)."""

from __future__ import annotations

import base64
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from mlflow.pyfunc import PythonModel

#: Distributions the pyfunc needs at load time, pinned to what trained it (explicit, not inferred:
#: MLflow's inference would import the model and guess).
PIP_PACKAGES = ("torch", "transformers", "tokenizers", "safetensors", "mlflow", "numpy", "pydantic",
                "simple-icd-10-cm", "pillow", "pytesseract", "pypdfium2", "pikepdf", "layoutparser")


def pip_requirements() -> list[str]:
    reqs = []
    for name in PIP_PACKAGES:
        try:
            reqs.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            reqs.append(name)
    return reqs


class ReferralPyfunc(PythonModel):
    def load_context(self, context: Any) -> None:
        from cardio_intake.model.artifacts import load_model_dir
        from cardio_intake.model.predictor import Predictor, find_model_dir

        path = find_model_dir(Path(context.artifacts["model_dir"]))
        self.predictor = Predictor(load_model_dir(path), model_version=(context.model_config or {}).get("version", "pyfunc"))

    def predict(self, context: Any, model_input: list[dict[str, str]], params: dict[str, Any] | None = None) -> list[str]:
        from cardio_intake.ingest.errors import IngestError
        from cardio_intake.schemas import ErrorBody, dump_jsonl_line

        out = []
        for item in model_input:
            try:
                pred = self.predictor.predict_bytes(base64.b64decode(item["data_b64"]), item.get("name", "document"))
                out.append(dump_jsonl_line(pred))
            except IngestError as exc:
                out.append(json.dumps(ErrorBody(error=exc.code, detail=str(exc)).model_dump()))
        return out
