"""Rows (columns of corpus/features.py) -> an HF DatasetDict saved like the OCR-aligned corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPLITS = ("train", "validation", "test")


def save_rows(rows: list[dict[str, Any]], out_dir: Path) -> Any:
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features

    features = dataset_features()
    by_split = {split: [r for r in rows if r["split"] == split] for split in SPLITS}
    # from_list cannot type an empty split: build it from empty columns instead
    dd = DatasetDict({
        split: Dataset.from_list(r, features=features) if r else Dataset.from_dict({k: [] for k in features}, features=features)
        for split, r in by_split.items()
    })
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # one shard per split, also for an empty one (0 shards would not load back)
    dd.save_to_disk(str(out_dir), num_shards={split: 1 for split in SPLITS})
    return dd
