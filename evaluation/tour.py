"""Helpers behind notebooks/01-corpus-tour.ipynb (the notebook stays a thin sequence of calls)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image

from cardio_intake.corpus.gold import GoldPacket, read_labels
from evaluation.pages import GOLD_COLOUR, draw_boxes, page_image, upright


def load_packets(corpus: Path) -> list[GoldPacket]:
    return list(read_labels(corpus))


def overview(packets: list[GoldPacket]) -> Any:
    """One row per packet: split, family, format, resolution, pages, referrals, intents (a DataFrame)."""
    import pandas as pd

    return pd.DataFrame([{
        "doc_id": p.doc_id, "split": p.split, "family": p.family, "format": p.format, "resolution": p.resolution,
        "pages": p.n_pages, "referrals": len(p.referrals),
        "intents": " + ".join(sorted({i for r in p.referrals for i in r.intents})),
        "page types": ", ".join(pg.type for pg in p.pages),
    } for p in packets])


def counts(packets: list[GoldPacket]) -> dict[str, Counter[str]]:
    """How often each intent, page type, entity type, family and format occurs."""
    return {
        "intent": Counter(i for p in packets for r in p.referrals for i in r.intents),
        "page type": Counter(pg.type for p in packets for pg in p.pages),
        "entity type": Counter(e.type for p in packets for r in p.referrals for e in r.entities),
        "family": Counter(p.family for p in packets),
        "format": Counter(p.format for p in packets),
    }


def page_with_gold(corpus: Path, packet: GoldPacket, page: int, width: int = 700) -> Image.Image:
    """Page ``page`` (1-based) of a packet as the fax arrived, turned upright, with the gold entity
    boxes drawn in green: what the renderer labelled, exactly."""
    img = upright(page_image(corpus / packet.file, page - 1), packet.pages[page - 1], width)
    return draw_boxes(img, [e.bbox for r in packet.referrals for e in r.entities if e.page == page], GOLD_COLOUR)


def as_received(corpus: Path, packet: GoldPacket, page: int, width: int = 700) -> Image.Image:
    """The page exactly as stored in the file (upside down, skewed, non-square pixels and all)."""
    img = page_image(corpus / packet.file, page - 1)
    return img.resize((width, round(width * img.height / img.width)))


def entities_table(packet: GoldPacket) -> Any:
    import pandas as pd

    return pd.DataFrame([{"referral": k + 1, "page": e.page, "type": e.type, "text": e.text, "bbox": e.bbox}
                         for k, r in enumerate(packet.referrals) for e in r.entities])


def fields_table(packet: GoldPacket) -> Any:
    import pandas as pd

    return pd.DataFrame([{"referral": k + 1, **r.fields.model_dump(mode="json")} for k, r in enumerate(packet.referrals)]).T
