"""Sliding windows over a page longer than the encoder's 512 positions, and the merge back per word.

A page's sub-tokens are cut into overlapping windows (``stride`` tokens of overlap, as in the
tokenizers' ``stride`` argument). Every sub-token lies in at least one window. When merging, each
word takes its logits from the window in which its first sub-token has the most context on both
sides (the "max context" rule of BERT's SQuAD code), so words near a cut are read with context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cardio_intake.model.alignment import IGNORE_INDEX, AlignedPage

CLS_BOX = (0, 0, 0, 0)
SEP_BOX = (1000, 1000, 1000, 1000)


@dataclass
class Window:
    """One encoder input: ``[CLS] tokens[start:end] [SEP]``."""

    start: int  # token offset into the page (without specials)
    end: int
    input_ids: list[int]
    boxes: list[tuple[int, int, int, int]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


def window_spans(n_tokens: int, max_len: int = 512, stride: int = 128) -> list[tuple[int, int]]:
    """Token ranges ``[start, end)`` covering ``n_tokens``; consecutive ranges overlap by ``stride``.
    An empty page still gets one (empty) window so that it has a page representation."""
    room = max_len - 2  # [CLS] and [SEP]
    if room < 1 or not 0 <= stride < room:
        raise ValueError(f"need 0 <= stride ({stride}) < max_len - 2 ({room})")
    if n_tokens <= room:
        return [(0, n_tokens)]
    step = room - stride
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + room, n_tokens)
        spans.append((start, end))
        if end == n_tokens:
            return spans
        start += step


def make_windows(
    page: AlignedPage, cls_id: int, sep_id: int, max_len: int = 512, stride: int = 128
) -> list[Window]:
    windows = []
    for start, end in window_spans(len(page.input_ids), max_len, stride):
        windows.append(
            Window(
                start=start,
                end=end,
                input_ids=[cls_id, *page.input_ids[start:end], sep_id],
                boxes=[CLS_BOX, *page.boxes[start:end], SEP_BOX],
                labels=[IGNORE_INDEX, *page.labels[start:end], IGNORE_INDEX],
            )
        )
    return windows


def merge_word_logits(page: AlignedPage, windows: list[Window], window_logits: list[np.ndarray]) -> np.ndarray:
    """Per-word logits ``(n_words, n_labels)`` from per-window token logits ``(len(window), n_labels)``
    (including the [CLS]/[SEP] positions)."""
    if len(windows) != len(window_logits):
        raise ValueError(f"{len(windows)} windows but {len(window_logits)} logit arrays")
    n_labels = window_logits[0].shape[-1] if window_logits else 0
    out = np.zeros((page.n_words, n_labels), dtype=np.float32)
    for w_idx, tok in enumerate(page.first_token):
        best, best_score = -1, -1
        for k, win in enumerate(windows):
            if win.start <= tok < win.end:
                score = min(tok - win.start, win.end - 1 - tok)
                if score > best_score:
                    best, best_score = k, score
        if best < 0:  # cannot happen when windows come from window_spans; guard against misuse
            raise ValueError(f"word {w_idx} (token {tok}) is in no window")
        out[w_idx] = window_logits[best][tok - windows[best].start + 1]  # +1: [CLS]
    return out
