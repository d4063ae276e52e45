"""The HF ``datasets`` schema shared by the dataset builders (issue 3, Label Studio import) and training.

One row per packet (document). Pages are nested lists so that document-level intents can be pooled
over pages, and multi-patient packets keep their page -> referral assignment.
"""

from __future__ import annotations

from typing import Any

from cardio_intake.corpus.gold import GoldPacket
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES

STRING_COLUMNS = ("doc_id", "family", "split", "format", "resolution", "source")


def dataset_features() -> Any:
    """``datasets.Features`` of a referral dataset row (imported lazily: datasets is heavy)."""
    from datasets import ClassLabel, Features, Sequence, Value

    return Features(
        {
            **{name: Value("string") for name in STRING_COLUMNS},
            "n_pages": Value("int32"),
            # words[p][w], bboxes[p][w] = [x0, y0, x1, y1] on 0-1000, ner_tags[p][w] = BIO id
            "words": Sequence(Sequence(Value("string"))),
            "bboxes": Sequence(Sequence(Sequence(Value("int32"), length=4))),
            "ner_tags": Sequence(Sequence(ClassLabel(names=list(BIO_LABELS)))),
            "page_types": Sequence(ClassLabel(names=list(PAGE_TYPES))),
            # index (0-based) of the referral each page belongs to
            "page_referral": Sequence(Value("int32")),
            # per referral: intent ids, and the gold Fields as JSON
            "referral_intents": Sequence(Sequence(ClassLabel(names=list(INTENTS)))),
            "referral_fields": Sequence(Value("string")),
        }
    )


def packet_to_example(packet: GoldPacket) -> dict[str, Any]:
    """A dataset row from the renderer's exact gold words (no OCR). The OCR-aligned builder emits
    the same columns with OCR words instead."""
    page_referral = [0] * len(packet.pages)
    for r_idx, ref in enumerate(packet.referrals):
        for p in ref.pages:
            page_referral[p - 1] = r_idx
    return {
        "doc_id": packet.doc_id,
        "family": packet.family,
        "split": packet.split,
        "format": packet.format,
        "resolution": packet.resolution,
        "source": packet.source,
        "n_pages": len(packet.pages),
        "words": [[w.text for w in page.words] for page in packet.pages],
        "bboxes": [[list(w.box_1000) for w in page.words] for page in packet.pages],
        "ner_tags": [[BIO_LABELS.index(w.tag) for w in page.words] for page in packet.pages],
        "page_types": [PAGE_TYPES.index(page.type) for page in packet.pages],
        "page_referral": page_referral,
        "referral_intents": [[INTENTS.index(i) for i in ref.intents] for ref in packet.referrals],
        "referral_fields": [ref.fields.model_dump_json() for ref in packet.referrals],
    }
