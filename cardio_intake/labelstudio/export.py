"""Label Studio import JSON (tasks) from model predictions: one task per page image, with the
model's entities as rectangles (+ transcription), page type and intents as choices, each scored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cardio_intake.labelstudio import config_xml as cx
from cardio_intake.schemas import Prediction

#: (document file bytes) -> upright page images as PNG files written into a folder, in page order
PageImageWriter = Callable[[bytes, Path, str], list[Path]]


def _region_id(seed: str) -> str:
    # stable ids: the same prediction exports the same tasks
    return uuid.uuid5(uuid.NAMESPACE_URL, seed).hex[:10]


def page_task(
    prediction: Prediction, page_number: int, image_ref: str, width: int, height: int
) -> dict[str, Any]:
    """One Label Studio task for one page of a predicted document, with pre-annotations."""
    page = next((p for p in prediction.pages if p.page == page_number), None)
    referral = next((r for r in prediction.referrals if page_number in r.pages), None)
    result: list[dict[str, Any]] = []
    scores: list[float] = []
    if referral is not None:
        for k, ent in enumerate(e for e in referral.entities if e.page == page_number):
            rid = _region_id(f"{prediction.document_id}:{page_number}:{k}")
            x0, y0, x1, y1 = ent.bbox
            # the exported image is the loader's upright page, so the 0-1000 grid maps to percent
            geometry = {"x": x0 / 10, "y": y0 / 10, "width": (x1 - x0) / 10, "height": (y1 - y0) / 10,
                        "rotation": 0}
            common = {"id": rid, "to_name": cx.IMAGE, "original_width": width, "original_height": height,
                      "image_rotation": 0, "score": ent.confidence}
            result.append({**common, "from_name": cx.ENTITY_LABELS, "type": "rectanglelabels",
                           "value": {**geometry, "rectanglelabels": [ent.type]}})
            result.append({**common, "from_name": cx.TRANSCRIPTION, "type": "textarea",
                           "value": {**geometry, "text": [ent.text]}})
            scores.append(ent.confidence)
        if referral.intents:
            result.append({"id": _region_id(f"{prediction.document_id}:{page_number}:intents"),
                           "from_name": cx.INTENTS_CHOICES, "to_name": cx.IMAGE, "type": "choices",
                           "score": min(i.confidence for i in referral.intents),
                           "value": {"choices": [i.label for i in referral.intents]}})
            scores.extend(i.confidence for i in referral.intents)
    if page is not None:
        result.append({"id": _region_id(f"{prediction.document_id}:{page_number}:type"),
                       "from_name": cx.PAGE_TYPE, "to_name": cx.IMAGE, "type": "choices",
                       "score": page.confidence, "value": {"choices": [page.type]}})
        scores.append(page.confidence)
    return {
        "data": {
            "image": image_ref,
            "document": prediction.document,
            "document_id": prediction.document_id,
            "page": page_number,
            "n_pages": len(prediction.pages),
            "width": width,
            "height": height,
        },
        "predictions": [{
            "model_version": prediction.model_version,
            "score": min(scores) if scores else 0.0,
            "result": result,
        }],
    }


def export_tasks(
    predictions: Iterable[Prediction],
    resolve_file: Callable[[Prediction], Path],
    images_dir: Path,
    write_pages: PageImageWriter,
    image_url_prefix: str = "",
) -> list[dict[str, Any]]:
    """Tasks for every page of every prediction. ``write_pages`` renders the document's upright
    pages into ``images_dir``; the task's image is ``image_url_prefix`` + file name (a Label Studio
    local-files URL or a web server path), or the absolute path when no prefix is given."""
    from PIL import Image

    images_dir.mkdir(parents=True, exist_ok=True)
    tasks: list[dict[str, Any]] = []
    for pred in predictions:
        source = resolve_file(pred)
        stem = pred.document_id.removeprefix("sha256:")[:16]
        for number, image_path in enumerate(write_pages(source.read_bytes(), images_dir, stem), start=1):
            with Image.open(image_path) as im:
                width, height = im.size
            ref = f"{image_url_prefix}{image_path.name}" if image_url_prefix else str(image_path.resolve())
            tasks.append(page_task(pred, number, ref, width, height))
    return tasks


def write_tasks(tasks: list[dict[str, Any]], out: Path) -> Path:
    """Write tasks JSON and the matching labelling config XML beside it (``<out>.config.xml``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    config_path = out.with_suffix(".config.xml")
    config_path.write_text(cx.labelling_config(), encoding="utf-8")
    return config_path
