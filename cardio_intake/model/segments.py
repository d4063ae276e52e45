"""Segment-level boxes: every word of a run of words that OCR printed side by side on one line, with no
wide gap between them, takes the run's box instead of its own.

LayoutLMv3 and StructuralLM feed such segment (cell) boxes rather than word boxes: words that share a box
read as one field ("SMITH, JOHN"), and a wide gap (a label and its value in two columns, a form's next
field) starts a new one. Words arrive in the loader's reading order; a run breaks where the next word
starts further left than the last one ended, sits on another line, or leaves a gap wider than
``gap_factor`` times the line's height. The 0-1000 grid scales x by the page's width and y by its height,
so a height is only a rough yardstick for a gap; on a letter page 1.5 heights is two to three characters,
wider than OCR's space between words and narrower than a form's gap between two fields.

Measured against word boxes with the same seed (docs/MODEL_HISTORY.md, twenty-third session): level on every held-out corpus with
streak-free OCR (behind on the 84's entity F1 before it), so the default config keeps word boxes (``model.box_level: word``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

BoxLevel = Literal["word", "segment"]

#: A gap wider than this many line heights starts a new segment.
GAP_FACTOR = 1.5


def segment_runs(boxes: Sequence[Sequence[int]], gap_factor: float = GAP_FACTOR) -> list[list[int]]:
    """Indices of ``boxes`` grouped into runs (see the module's docstring), in order."""
    runs: list[list[int]] = []
    prev: Sequence[int] | None = None
    for i, box in enumerate(boxes):
        x0, y0, _, y1 = box
        if prev is not None:
            _, py0, px1, py1 = prev
            height = max(py1 - py0, y1 - y0, 1)
            same_line = abs((y0 + y1) / 2 - (py0 + py1) / 2) <= height / 2
            gap = x0 - px1
            if same_line and -height <= gap <= gap_factor * height:
                runs[-1].append(i)
                prev = box
                continue
        runs.append([i])
        prev = box
    return runs


def segment_boxes(boxes: Sequence[Sequence[int]], gap_factor: float = GAP_FACTOR) -> list[tuple[int, int, int, int]]:
    """Each word's segment box: the union of the boxes of its run (:func:`segment_runs`)."""
    out: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * len(boxes)
    for run in segment_runs(boxes, gap_factor):
        union = (
            min(boxes[i][0] for i in run),
            min(boxes[i][1] for i in run),
            max(boxes[i][2] for i in run),
            max(boxes[i][3] for i in run),
        )
        for i in run:
            out[i] = union
    return out


def boxes_at_level(boxes: Sequence[Sequence[int]], level: BoxLevel) -> list[Sequence[int]]:
    """``boxes`` as the encoder reads them: each word's own (``word``) or its segment's (``segment``)."""
    if level == "word":
        return list(boxes)
    if level == "segment":
        return list(segment_boxes(boxes))
    raise ValueError(f"unknown box level {level!r}: word or segment")
