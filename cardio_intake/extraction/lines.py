"""Text lines from word boxes: where a run of words goes on to the next line.

Why: an order list prints one service per line ("CONSULT - EVAL & TREAT" over "TREADMILL STRESS
TEST"), and on a form the tagger has not seen it often tags two such lines as one PROCEDURE span. The
order-line reader then reads the pair as one order of one service ("consult"), and the second order is
lost. So a procedure span is cut where its words go on to a new line (``entities.decode_page``),
unless the new line goes on in lower case: a list item starts with a capital, a sentence wrapped in a
letter goes on in lower case. In the corpus's gold 5 of 272 procedures run over two lines, 4 of them
in letters ("Treadmill" / "stress test"), which stay whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cardio_intake.document import Box1000

#: Words share a line when their vertical extents overlap by at least this share of the shorter one.
MIN_LINE_OVERLAP = 0.5


def starts_new_line(prev: Sequence[int], box: Sequence[int]) -> bool:
    """``box`` (x0, y0, x1, y1) begins a new line after ``prev``: it starts no further right than ``prev``
    (the reading went back) and the two do not share a line's height. A word raised or lowered on the
    same line (handwriting, skew) still lies to the right of the one before it."""
    overlap = min(prev[3], box[3]) - max(prev[1], box[1])
    shorter = max(1, min(prev[3] - prev[1], box[3] - box[1]))
    return box[0] <= prev[0] and overlap < MIN_LINE_OVERLAP * shorter


def rises_above(prev: Sequence[int], box: Sequence[int]) -> bool:
    """``box`` lies wholly above ``prev``: the reading jumped up to another column's line (a label printed
    to the right of a field and higher), which no name or value goes on in."""
    return box[3] <= prev[1]


def on_one_line(prev: Sequence[int], box: Sequence[int]) -> bool:
    """``box`` goes on ``prev``'s line: the reading neither starts a new line nor jumps up to another column."""
    return not starts_new_line(prev, box) and not rises_above(prev, box)


def first_letter(word: str) -> str:
    """The word's first letter, past any bracket, quote or digit; "" when it has none."""
    return next((c for c in word if c.isalpha()), "")


def goes_on_in_lower_case(word: str) -> bool:
    """The word's first letter is lower case, past any bracket or quote ("(primary) hypertension")."""
    return first_letter(word).islower()


def line_runs(start: int, end: int, words: Sequence[str], boxes: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """``[start, end)`` cut where a word starts a new line, except where that word goes on in lower case (the
    line before wrapped): (start, end-exclusive) per run."""
    runs, run_start = [], start
    for i in range(start + 1, end):
        if starts_new_line(boxes[i - 1], boxes[i]) and not goes_on_in_lower_case(words[i]):
            runs.append((run_start, i))
            run_start = i
    runs.append((run_start, end))
    return runs


def union_box(boxes: Sequence[Sequence[int]]) -> Box1000:
    """The box around ``boxes`` (x0, y0, x1, y1 on the 0-1000 page grid), kept on the grid."""
    arr = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    x0, y0 = int(arr[:, 0].min()), int(arr[:, 1].min())
    x1, y1 = int(arr[:, 2].max()), int(arr[:, 3].max())
    return (max(0, x0), max(0, y0), min(1000, max(x0, x1)), min(1000, max(y0, y1)))
