"""Pages -> encoder inputs: align, window, and pad windows into one batch (shared by training,
prediction and serving's adaptive batching)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from cardio_intake.model.alignment import IGNORE_INDEX, AlignedPage, align_words
from cardio_intake.model.segments import BoxLevel, boxes_at_level
from cardio_intake.model.windows import Window, make_windows


@dataclass
class PageInput:
    """One page's words and 0-1000 boxes (and gold tag ids when training)."""

    words: list[str]
    boxes: list[Sequence[int]]
    tags: list[int] | None = None


@dataclass
class EncodedPage:
    aligned: AlignedPage
    windows: list[Window]


@dataclass
class WindowBatch:
    input_ids: torch.Tensor
    bbox: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    window_page: torch.Tensor  # page index (within the batch) of each window
    n_pages: int
    lengths: list[int] = field(default_factory=list)


def encode_page(
    tokenizer: Any, page: PageInput, max_len: int, stride: int, box_level: BoxLevel = "word"
) -> EncodedPage:
    """``page`` as windows; ``box_level`` "segment" gives each word its segment's box (model/segments.py)."""
    aligned = align_words(tokenizer, page.words, boxes_at_level(page.boxes, box_level), page.tags)
    return EncodedPage(aligned, make_windows(aligned, tokenizer.cls_token_id, tokenizer.sep_token_id, max_len, stride))


def collate_windows(pages: Sequence[EncodedPage], pad_id: int = 0) -> WindowBatch:
    """Pad all windows of ``pages`` to the longest one (dynamic padding: short pages stay cheap)."""
    windows = [(p_idx, w) for p_idx, page in enumerate(pages) for w in page.windows]
    longest = max((len(w) for _, w in windows), default=2)
    n = len(windows)
    input_ids = torch.full((n, longest), pad_id, dtype=torch.long)
    bbox = torch.zeros((n, longest, 4), dtype=torch.long)
    mask = torch.zeros((n, longest), dtype=torch.long)
    labels = torch.full((n, longest), IGNORE_INDEX, dtype=torch.long)
    for i, (_, w) in enumerate(windows):
        k = len(w)
        input_ids[i, :k] = torch.tensor(w.input_ids, dtype=torch.long)
        bbox[i, :k] = torch.tensor(w.boxes, dtype=torch.long)
        mask[i, :k] = 1
        labels[i, :k] = torch.tensor(w.labels, dtype=torch.long)
    return WindowBatch(
        input_ids=input_ids,
        bbox=bbox,
        attention_mask=mask,
        labels=labels,
        window_page=torch.tensor([p for p, _ in windows], dtype=torch.long),
        n_pages=len(pages),
        lengths=[len(w) for _, w in windows],
    )
