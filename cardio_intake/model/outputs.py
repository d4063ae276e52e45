"""Interface between the encoder (cardio_intake.model) and post-processing (cardio_intake.extraction).

The model turns a loaded ``Document`` into raw logits; post-processing applies calibration
(temperatures), thresholds and normalization to build the contract's ``Prediction``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cardio_intake.document import Box1000


@dataclass
class RawPageOutput:
    """Per page, merged back per word across sliding windows."""

    words: list[str]
    boxes: list[Box1000]
    tag_logits: np.ndarray  # (n_words, len(BIO_LABELS)), first sub-token of each word
    page_type_logits: np.ndarray  # (len(PAGE_TYPES),)


@dataclass
class RawDocumentOutput:
    pages: list[RawPageOutput]
    referral_pages: list[list[int]]  # 0-based page indices per referral (multi-patient split)
    intent_logits: list[np.ndarray]  # per referral, (len(INTENTS),), before sigmoid
    model_version: str = "unregistered"
    extra: dict[str, object] = field(default_factory=dict)
