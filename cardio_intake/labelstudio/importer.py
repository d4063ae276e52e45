"""Finished Label Studio labels (JSON export) -> the training dataset format.

Each task is one page image. The page is OCR'd with the project's loader, every labelled rectangle
is mapped into the loader's upright frame, and the OCR words whose centres fall inside it get the
region's BIO tag. Tasks of one document (``data.document_id``, else ``data.document``) become one
dataset row; tasks with no finished annotation are skipped and counted.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cardio_intake.document import Document, Page, to_box_1000
from cardio_intake.labels import ENTITY_TYPES, INTENTS, PAGE_TYPES
from cardio_intake.labelstudio import config_xml as cx
from cardio_intake.labelstudio.coords import ls_rect_to_box_px, rotate_box_px, rotated_size

Loader = Callable[[bytes], Document]


class LabelImportError(ValueError):
    """A malformed export; the message names the task."""


@dataclass
class Region:
    label: str
    box_1000: tuple[int, int, int, int]
    text: str = ""


@dataclass
class LabelledPage:
    task_id: str
    document: str
    page: int
    page_type: str
    intents: list[str]
    words: list[str]
    boxes: list[list[int]]
    tags: list[str]
    regions: list[Region]
    matched_regions: int
    source: str = ""


@dataclass
class ImportReport:
    tasks: int = 0
    imported: int = 0
    skipped_unannotated: int = 0
    regions: int = 0
    regions_matched: int = 0
    regions_transcribed: int = 0
    unmatched: list[str] = field(default_factory=list)

    @property
    def region_coverage(self) -> float:
        """Share of labelled regions that OCR words fell inside."""
        return self.regions_matched / self.regions if self.regions else 1.0

    @property
    def regions_kept(self) -> int:
        return self.regions_matched + self.regions_transcribed


def _finished_annotation(task: dict[str, Any]) -> dict[str, Any] | None:
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    # the most recently updated annotation wins (a reviewer's correction overrides the first pass)
    return max(annotations, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))


def parse_regions(task_id: str, result: list[dict[str, Any]], page: Page, image_size: tuple[int, int]
                  ) -> tuple[list[Region], str | None, list[str]]:
    """Regions (in the page's 0-1000 upright frame), page type and intents of one annotation."""
    boxes: dict[str, tuple[str, tuple[float, float, float, float]]] = {}
    texts: dict[str, str] = {}
    page_type: str | None = None
    intents: list[str] = []
    for item in result:
        if not isinstance(item, dict) or "type" not in item or "value" not in item:
            raise LabelImportError(f"task {task_id}: a result item lacks 'type' or 'value': {item!r:.120}")
        kind, value = item["type"], item["value"]
        if kind == "rectanglelabels":
            labels = value.get("rectanglelabels") or []
            if len(labels) != 1 or labels[0] not in ENTITY_TYPES:
                raise LabelImportError(f"task {task_id}: rectangle {item.get('id')} has labels {labels}; "
                                       f"expected one of {', '.join(ENTITY_TYPES)}")
            try:
                width = float(item.get("original_width") or image_size[0])
                height = float(item.get("original_height") or image_size[1])
                box = ls_rect_to_box_px(value, width, height)
            except (KeyError, TypeError, ValueError) as exc:
                raise LabelImportError(f"task {task_id}: rectangle {item.get('id')} has bad geometry: {exc}") from exc
            rotation = int(item.get("image_rotation") or 0)
            # the annotator saw the stored image; the loader turned it upright by rotation_applied
            turn = (page.rotation_applied - rotation) % 360
            box = rotate_box_px(box, width, height, turn)
            up_w, up_h = rotated_size(width, height, turn)
            scale_x, scale_y = page.width / up_w, page.height / up_h
            px = (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)
            boxes[str(item.get("id"))] = (labels[0], px)
        elif kind == "textarea":
            texts[str(item.get("id"))] = " ".join(value.get("text") or [])
        elif kind == "choices":
            choices = value.get("choices") or []
            if item.get("from_name") == cx.PAGE_TYPE:
                bad = [c for c in choices if c not in PAGE_TYPES]
                if bad or len(choices) != 1:
                    raise LabelImportError(f"task {task_id}: page type must be one of {', '.join(PAGE_TYPES)}, got {choices}")
                page_type = choices[0]
            elif item.get("from_name") == cx.INTENTS_CHOICES:
                bad = [c for c in choices if c not in INTENTS]
                if bad:
                    raise LabelImportError(f"task {task_id}: unknown intents {bad}")
                intents = list(choices)
    regions = [
        Region(label, to_box_1000(px, page.width, page.height), texts.get(rid, ""))
        for rid, (label, px) in boxes.items()
    ]
    return regions, page_type, intents


@dataclass
class TaggedPage:
    words: list[str]
    boxes: list[list[int]]
    tags: list[str]
    matched: list[bool]  # per region: OCR words fell inside it
    transcribed: int = 0  # regions kept through their transcription (OCR read nothing inside)


def _transcription_words(region: Region) -> list[tuple[str, list[int]]]:
    """Split a region's transcription into words laid across the region, proportional to length."""
    tokens = region.text.split()
    x0, y0, x1, y1 = region.box_1000
    total = sum(len(t) for t in tokens) + max(len(tokens) - 1, 0)
    out, cursor = [], 0
    for t in tokens:
        a = x0 + (x1 - x0) * cursor // max(total, 1)
        cursor += len(t)
        b = x0 + (x1 - x0) * cursor // max(total, 1)
        cursor += 1
        out.append((t, [a, y0, max(a, b), y1]))
    return out


def tag_words(page: Page, regions: list[Region]) -> TaggedPage:
    """BIO tags for the page's words: a word whose centre lies inside a region takes its label
    (B- on the region's first word in reading order). A region inside which OCR read nothing (a
    faint table cell, say) keeps its entity through the person's transcription: its words are
    inserted in reading order with boxes spread over the region."""
    words = [w.text for w in page.words]
    boxes = [list(w.box_1000) for w in page.words]
    tags = ["O"] * len(words)
    matched: list[bool] = []
    transcribed = 0
    for region in regions:
        x0, y0, x1, y1 = region.box_1000
        inside = [
            i for i, b in enumerate(boxes)
            if x0 <= (b[0] + b[2]) / 2 <= x1 and y0 <= (b[1] + b[3]) / 2 <= y1 and tags[i] == "O"
        ]
        matched.append(bool(inside))
        if not inside and region.text.strip():
            key = ((y0 + y1) / 2, x0)
            at = next((i for i, b in enumerate(boxes) if ((b[1] + b[3]) / 2, b[0]) > key), len(boxes))
            new = _transcription_words(region)
            words[at:at] = [t for t, _ in new]
            boxes[at:at] = [b for _, b in new]
            tags[at:at] = ["O"] * len(new)
            inside = list(range(at, at + len(new)))
            transcribed += 1
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{region.label}"
    return TaggedPage(words, boxes, tags, matched, transcribed)


def _resolve_image(task_id: str, ref: str, images_dir: Path) -> Path:
    # Label Studio rewrites paths ("/data/upload/3/abc-page.png", "/data/local-files/?d=..."): match by name
    name = ref.split("?d=")[-1].rsplit("/", 1)[-1]
    candidates = [images_dir / name, *images_dir.glob(f"*{name.split('-', 1)[-1]}")] if name else []
    for cand in candidates:
        if cand.is_file():
            return cand
    raise LabelImportError(f"task {task_id}: image {ref!r} not found in {images_dir}")


def import_tasks(export: list[dict[str, Any]], images_dir: Path, loader: Loader,
                 progress: Callable[[int], None] | None = None) -> tuple[list[LabelledPage], ImportReport]:
    """Parse, OCR and tag every finished task."""
    if not isinstance(export, list):
        raise LabelImportError("a Label Studio JSON export is a list of tasks")
    report = ImportReport(tasks=len(export))
    pages: list[LabelledPage] = []
    for n, task in enumerate(export):
        task_id = str(task.get("id", f"#{n}")) if isinstance(task, dict) else f"#{n}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise LabelImportError(f"task {task_id}: no 'data' object")
        annotation = _finished_annotation(task)
        if annotation is None:
            report.skipped_unannotated += 1
            continue
        if not isinstance(annotation.get("result"), list):
            raise LabelImportError(f"task {task_id}: annotation has no 'result' list")
        data = task["data"]
        if "image" not in data:
            raise LabelImportError(f"task {task_id}: data has no 'image'")
        image_path = _resolve_image(task_id, str(data["image"]), images_dir)
        document = loader(image_path.read_bytes())
        if len(document.pages) != 1:
            raise LabelImportError(f"task {task_id}: {image_path.name} has {len(document.pages)} pages; one expected")
        page = document.pages[0]
        from PIL import Image

        with Image.open(image_path) as im:
            size = im.size
        regions, page_type, intents = parse_regions(task_id, annotation["result"], page, size)
        tagged = tag_words(page, regions)
        report.regions += len(regions)
        report.regions_matched += sum(tagged.matched)
        report.regions_transcribed += tagged.transcribed
        report.unmatched.extend(
            f"task {task_id}: {r.label} {r.text!r} at {list(r.box_1000)}"
            for r, ok in zip(regions, tagged.matched, strict=True) if not ok
        )
        pages.append(LabelledPage(
            task_id=task_id,
            document=str(data.get("document_id") or data.get("document") or image_path.stem),
            page=int(data.get("page") or 1),
            page_type=page_type or "other",
            intents=intents,
            words=tagged.words,
            boxes=tagged.boxes,
            tags=tagged.tags,
            regions=regions,
            matched_regions=sum(tagged.matched),
            source=str(data.get("source") or ""),
        ))
        report.imported += 1
        if progress:
            progress(n + 1)
    return pages, report


def split_for(document: str, validation: float = 0.1, test: float = 0.1) -> str:
    """Deterministic split by document: the same document always lands in the same split."""
    bucket = int(hashlib.sha256(document.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < test else "validation" if bucket < test + validation else "train"


def pages_to_rows(pages: list[LabelledPage], family: str = "labelstudio") -> list[dict[str, Any]]:
    """Group labelled pages into one dataset row per document (columns of corpus/features.py)."""
    from cardio_intake.labels import BIO_LABELS

    by_doc: dict[str, list[LabelledPage]] = defaultdict(list)
    for p in pages:
        by_doc[p.document].append(p)
    rows = []
    for doc, doc_pages in sorted(by_doc.items()):
        doc_pages.sort(key=lambda p: p.page)
        intents = sorted({i for p in doc_pages for i in p.intents}, key=INTENTS.index)
        rows.append({
            "doc_id": doc,
            "family": doc_pages[0].source or family,
            "split": split_for(doc),
            "format": "labelstudio",
            "resolution": "unknown",
            "source": doc_pages[0].source,
            "n_pages": len(doc_pages),
            "words": [p.words for p in doc_pages],
            "bboxes": [p.boxes for p in doc_pages],
            "ner_tags": [[BIO_LABELS.index(t) for t in p.tags] for p in doc_pages],
            "page_types": [PAGE_TYPES.index(p.page_type) for p in doc_pages],
            "page_referral": [0] * len(doc_pages),
            "referral_intents": [[INTENTS.index(i) for i in intents]],
            "referral_fields": [json.dumps({})],
        })
    return rows


def load_export(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabelImportError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, list):
        raise LabelImportError(f"{path}: a Label Studio JSON export is a list of tasks, got {type(data).__name__}")
    return data
