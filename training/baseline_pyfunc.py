"""MLflow pyfunc wrapper of the baseline: a DataFrame of documents in, contract JSON strings out.

Input columns: ``name`` and either ``pages`` (JSON: ``[{"words": [...], "boxes": [[x0,y0,x1,y1], ...]}]``,
already OCR'd on the 0-1000 grid) or ``content`` (the file's bytes; loaded and OCR'd here).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlflow.pyfunc import PythonModel

ARTIFACT_KEY = "baseline"


class BaselinePyfunc(PythonModel):  # type: ignore[misc]
    def load_context(self, context: Any) -> None:
        from training.baseline_model import load_baseline

        self.predictor = load_baseline(Path(context.artifacts[ARTIFACT_KEY]))

    # model_input (a pandas DataFrame) is left unannotated on purpose: MLflow reads the hint as a
    # schema and warns on anything but list[...]; the columns are described in the module docstring.
    def predict(self, context: Any, model_input, params: dict[str, Any] | None = None) -> list[str]:  # type: ignore[no-untyped-def]
        out = []
        for rec in model_input.to_dict(orient="records"):
            name = str(rec.get("name") or "document")
            if rec.get("pages") is not None:
                pages = [(p["words"], p["boxes"]) for p in json.loads(rec["pages"])]
                doc_id = "sha256:" + hashlib.sha256(rec["pages"].encode("utf-8")).hexdigest()
                pred = self.predictor.predict_pages(pages, name, doc_id)
            else:
                pred = self.predictor.predict_bytes(bytes(rec["content"]), name)
            out.append(pred.model_dump_json())
        return out
