"""One page as the printed-word fallbacks (``printed_payer``, ``printed_member_id``) read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Edge punctuation a printed word may carry ("Aetna," "(W238849102)").
EDGE_PUNCT = ".,:;()[]"


@dataclass(frozen=True)
class PrintedPage:
    """A page's words, their boxes and calibrated tag probabilities, and what the tagger made of them."""

    words: Sequence[str]
    boxes: Sequence[Sequence[int]]
    probs: np.ndarray  # calibrated tag probabilities, float (n_words, len(BIO_LABELS))
    page: int  # 1-based
    word_types: dict[int, str] = field(default_factory=dict)  # word index -> type of the tagger's span it is in
