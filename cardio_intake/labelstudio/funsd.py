"""Import of FUNSD-format annotations (``annotations/*.json`` + ``images/*.png``) into the dataset format.

FUNSD gives words with pixel boxes grouped into labelled entities. An entity whose ``label`` names one
of the contract's entity types (any case) is tagged B-/I- over its words; every other label is O.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cardio_intake.document import to_box_1000
from cardio_intake.labels import BIO_LABELS, ENTITY_TYPES, PAGE_TYPES
from cardio_intake.labelstudio.importer import LabelImportError, split_for


def funsd_page(annotation: dict[str, Any], width: int, height: int, name: str) -> tuple[list[str], list[list[int]], list[str]]:
    words: list[str] = []
    boxes: list[list[int]] = []
    tags: list[str] = []
    if not isinstance(annotation.get("form"), list):
        raise LabelImportError(f"{name}: FUNSD annotation has no 'form' list")
    for entity in annotation["form"]:
        label = str(entity.get("label", "")).upper()
        entity_type = label if label in ENTITY_TYPES else None
        for n, word in enumerate(w for w in entity.get("words", []) if str(w.get("text", "")).strip()):
            box = word.get("box")
            if not (isinstance(box, list) and len(box) == 4):
                raise LabelImportError(f"{name}: entity {entity.get('id')} has a word without a 4-number box")
            words.append(str(word["text"]))
            boxes.append(list(to_box_1000(tuple(float(v) for v in box), width, height)))  # type: ignore[arg-type]
            tags.append(f"{'B' if n == 0 else 'I'}-{entity_type}" if entity_type else "O")
    return words, boxes, tags


def import_funsd(directory: Path) -> list[dict[str, Any]]:
    """One dataset row per FUNSD form (single page, page type ``other``)."""
    from PIL import Image

    ann_dir, img_dir = directory / "annotations", directory / "images"
    if not ann_dir.is_dir():
        raise LabelImportError(f"{directory}: no annotations/ folder (FUNSD layout: annotations/*.json, images/*.png)")
    rows = []
    for ann_path in sorted(ann_dir.glob("*.json")):
        image_path = img_dir / f"{ann_path.stem}.png"
        if not image_path.exists():
            raise LabelImportError(f"{ann_path.name}: image {image_path.name} not found in {img_dir}")
        with Image.open(image_path) as im:
            width, height = im.size
        try:
            annotation = json.loads(ann_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LabelImportError(f"{ann_path.name}: not valid JSON ({exc.msg})") from exc
        words, boxes, tags = funsd_page(annotation, width, height, ann_path.name)
        rows.append({
            "doc_id": ann_path.stem, "family": "funsd", "split": split_for(ann_path.stem),
            "format": "png", "resolution": "unknown", "source": "funsd", "n_pages": 1,
            "words": [words], "bboxes": [boxes], "ner_tags": [[BIO_LABELS.index(t) for t in tags]],
            "page_types": [PAGE_TYPES.index("other")], "page_referral": [0],
            "referral_intents": [[]], "referral_fields": [json.dumps({})],
        })
    return rows
