"""Word -> sub-token alignment for LayoutLM: every word keeps at least one token, its label on the
first sub-token, its box repeated on every sub-token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Label id that the loss and the metrics ignore (continuation sub-tokens, specials, padding).
IGNORE_INDEX = -100

#: Sub-tokens kept per word. An OCR smear can tokenize into dozens of pieces; its first sub-token
#: carries the prediction, so cutting the tail drops no word and keeps windows sane.
MAX_SUBTOKENS_PER_WORD = 24

#: Marks OCR prints before a word: a form's underline ("_07/12/1960"), a fax rule ("|(804)"), a stray quote
#: or dash. The tokenizer makes such a mark the word's first sub-token, the one that carries its tag, and the
#: tagger read it as "O": on the held-out forms it missed most values that start with one.
LEADING_DEBRIS = "_|‘’“”\"'§—–-.,/{}\\~*^°•:;!`¬"


def reading_text(word: str) -> str:
    """``word`` as the model reads it: without leading OCR debris (:data:`LEADING_DEBRIS`) where a letter or
    digit follows. Only the model's input changes; the word itself (its text in entities and fields) does not."""
    stripped = word.lstrip(LEADING_DEBRIS)
    return stripped if any(ch.isalnum() for ch in stripped) else word


@dataclass
class AlignedPage:
    """One page as a flat sub-token sequence, without [CLS]/[SEP] (windows add them)."""

    input_ids: list[int]
    boxes: list[tuple[int, int, int, int]]
    word_ids: list[int]  # word index of each sub-token
    labels: list[int]  # tag id on each word's first sub-token, IGNORE_INDEX elsewhere
    n_words: int

    @property
    def first_token(self) -> list[int]:
        """Position of each word's first sub-token (one per word, in word order)."""
        firsts: list[int] = []
        for pos, w in enumerate(self.word_ids):
            if w == len(firsts):
                firsts.append(pos)
        return firsts


def _clamp_box(box: Sequence[int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (min(1000, max(0, int(v))) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def align_words(
    tokenizer: Any,
    words: Sequence[str],
    boxes: Sequence[Sequence[int]],
    tags: Sequence[int] | None = None,
    max_subtokens_per_word: int = MAX_SUBTOKENS_PER_WORD,
) -> AlignedPage:
    """Tokenize ``words`` one by one (a batched call into the fast tokenizer) and align labels and boxes.

    A word that tokenizes to nothing (control characters, a lone accent) becomes ``[UNK]`` so that it
    still gets a prediction: no page content is dropped.
    """
    if len(words) != len(boxes) or (tags is not None and len(tags) != len(words)):
        raise ValueError(
            f"words ({len(words)}), boxes ({len(boxes)}) and tags ({len(tags) if tags is not None else '-'}) differ"
        )
    pieces: list[list[int]] = (
        tokenizer([reading_text(w) for w in words], add_special_tokens=False)["input_ids"] if len(words) else []
    )
    input_ids: list[int] = []
    out_boxes: list[tuple[int, int, int, int]] = []
    word_ids: list[int] = []
    labels: list[int] = []
    for i, ids in enumerate(pieces):
        ids = list(ids[:max_subtokens_per_word]) or [tokenizer.unk_token_id]
        box = _clamp_box(boxes[i])
        input_ids.extend(ids)
        out_boxes.extend([box] * len(ids))
        word_ids.extend([i] * len(ids))
        labels.append(int(tags[i]) if tags is not None else IGNORE_INDEX)
        labels.extend([IGNORE_INDEX] * (len(ids) - 1))
    return AlignedPage(input_ids, out_boxes, word_ids, labels, n_words=len(words))
