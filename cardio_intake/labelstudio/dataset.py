"""Rows (columns of corpus/features.py) -> an HF DatasetDict saved like the OCR-aligned corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPLITS = ("train", "validation", "test")


def save_rows(rows: list[dict[str, Any]], out_dir: Path) -> Any:
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features

    features = dataset_features()
    dd = DatasetDict({
        split: Dataset.from_list([r for r in rows if r["split"] == split], features=features) for split in SPLITS
    })
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    dd.save_to_disk(str(out_dir))
    return dd
