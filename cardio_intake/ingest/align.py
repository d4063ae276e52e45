"""Transfer the renderer's gold word tags onto OCR words (box overlap plus text similarity).

Both sides are on the upright, unskewed page's 0-1000 grid (the loader turns and deskews; the gold
is drawn upright), so a word's boxes coincide up to OCR's box jitter. OCR splits and merges words,
so each OCR word takes the tag of the gold word that holds most of it and whose text it resembles:
a merged "ID:W238849102" takes the member ID (the larger share), both halves of a split ID take it
too (B on the first, I after). Words that match nothing (fax header lines, speckle) are "O".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from cardio_intake.corpus.gold import GoldWord
from cardio_intake.document import Word

#: Grid units (0-1000) added around every box: OCR boxes are a few pixels off the glyph boxes.
_TOLERANCE = 3.0
#: An OCR word must lie at least this much inside a gold word (after tolerance)...
_MIN_COVER = 0.3
#: ...and share this much text with it (a misread keeps most characters; another word does not),
#: or less text where the boxes coincide (a badly misread word is still that word).
_MIN_TEXT = 0.5
_MIN_TEXT_SAME_BOX = 0.25
_SAME_BOX = 0.6


@dataclass
class PageAlignment:
    tags: list[str]  # one BIO tag per OCR word
    gold_entity_words: int
    matched_entity_words: int


#: Characters tesseract confuses on faxes, folded together before comparing (so "0S/l4" ~ "05/14").
_CONFUSIONS = str.maketrans({"o": "0", "q": "9", "i": "1", "l": "1", "|": "1", "s": "5", "b": "8", "z": "2", "g": "9"})


def _norm(text: str) -> str:
    folded = text.casefold().translate(_CONFUSIONS)
    return "".join(c for c in folded if c.isalnum()) or folded


def text_similarity(ocr: str, gold: str) -> float:
    """Share of the shorter (normalized) string found, in order, in the longer one, discounted
    by the square root of the length ratio: 1.0 for equal text, ~0.9 for a merge that contains the
    gold word, ~0.7 for half of a split word, lower for misreads and unrelated words."""
    a, b = _norm(ocr), _norm(gold)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    short, long = sorted((len(a), len(b)))
    # Discounted by the length ratio so that a stray letter inside a long word is no match.
    return matched / short * (short / long) ** 0.5


def _boxes(items: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    arr = np.asarray(items, dtype=np.float64).reshape(-1, 4)
    arr[:, :2] -= _TOLERANCE
    arr[:, 2:] += _TOLERANCE
    return arr


def align_page(ocr_words: Sequence[Word], gold_words: Sequence[GoldWord]) -> PageAlignment:
    n, m = len(ocr_words), len(gold_words)
    entity_idx = [j for j, g in enumerate(gold_words) if g.tag != "O"]
    if n == 0 or m == 0:
        return PageAlignment(["O"] * n, len(entity_idx), 0)
    o, g = _boxes([w.box_1000 for w in ocr_words]), _boxes([w.box_1000 for w in gold_words])
    ix = np.clip(np.minimum(o[:, None, 2], g[None, :, 2]) - np.maximum(o[:, None, 0], g[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(o[:, None, 3], g[None, :, 3]) - np.maximum(o[:, None, 1], g[None, :, 1]), 0, None)
    inter = ix * iy
    area_o = ((o[:, 2] - o[:, 0]) * (o[:, 3] - o[:, 1]))[:, None]
    area_g = ((g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]))[None, :]
    cover_o = inter / area_o  # share of the OCR word inside the gold word
    cover_g = inter / area_g  # share of the gold word under the OCR word
    iou = inter / (area_o + area_g - inter)

    assigned = [-1] * n
    sims: dict[tuple[int, int], float] = {}
    for i in range(n):
        best, best_score = -1, 0.0
        for j in np.nonzero(cover_o[i] >= _MIN_COVER)[0].tolist():
            sim = text_similarity(ocr_words[i].text, gold_words[j].text)
            sims[(i, j)] = sim
            if sim < (_MIN_TEXT_SAME_BOX if iou[i, j] >= _SAME_BOX else _MIN_TEXT):
                continue
            score = 0.6 * cover_o[i, j] + 0.4 * sim
            if score > best_score:
                best, best_score = j, score
        assigned[i] = best

    tags = ["O"] * n
    first_seen: set[int] = set()
    for i, j in enumerate(assigned):
        if j < 0 or gold_words[j].tag == "O":
            continue
        kind = gold_words[j].tag[2:]
        tags[i] = ("B-" if gold_words[j].tag.startswith("B-") and j not in first_seen else "I-") + kind
        first_seen.add(j)
    tags = repair_bio(tags)

    # A gold entity word counts as matched when an OCR word carrying its entity type was assigned to
    # it, or covers most of it with similar text (the gold word merged into a longer OCR word).
    matched = 0
    for j in entity_idx:
        kind = gold_words[j].tag[2:]
        for i in np.nonzero(cover_g[:, j] > 0)[0].tolist():
            if tags[i][2:] != kind:
                continue
            if assigned[i] == j or (cover_g[i, j] >= 0.5 and sims.get((i, j), 0.0) >= _MIN_TEXT):
                matched += 1
                break
    return PageAlignment(tags, len(entity_idx), matched)


def repair_bio(tags: list[str]) -> list[str]:
    """An entity that starts with I- (its first word was not read) starts with B- instead."""
    out = list(tags)
    prev = "O"
    for i, tag in enumerate(out):
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            out[i] = "B-" + tag[2:]
        prev = out[i]
    return out
