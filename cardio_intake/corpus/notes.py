"""Clinical language from the mtsamples cardiology subset (../shared/datasets/mtsamples_cardio):
note bodies for clinical-note pages, prior echo / stress reports for test-result pages."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cardio_intake import config

_ASCII = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00bd": "1/2", "\u00b7": "-"})
_HEADER = re.compile(r"^[A-Z][A-Z0-9 /&,()'-]{2,60}:?$")


@dataclass(frozen=True)
class Note:
    note_id: str
    sample_name: str
    description: str
    paragraphs: tuple[tuple[str, bool], ...]  # (text, is_section_header)

    @property
    def is_report(self) -> bool:
        """Echo, stress and Holter reports read as test results rather than office notes."""
        n = self.sample_name.lower()
        return any(k in n for k in ("echo", "stress", "holter", "doppler", "nuclear", "telemetry"))


def split_transcription(text: str) -> tuple[tuple[str, bool], ...]:
    """mtsamples' comma-flattened transcriptions back into section headers and paragraphs."""
    t = text.translate(_ASCII)
    t = re.sub(r",\s*,", "\n", t)
    t = re.sub(r",(?=\s*[A-Z][A-Z0-9 /&()'-]{2,60}:)", "\n", t)
    t = re.sub(r",(?=\s*\d{1,2}\.\s)", "\n", t)
    t = re.sub(r",(?=\s*[A-H]\.\s)", "\n", t)
    t = re.sub(r"([A-Z][A-Z0-9 /&()'-]{2,60}):\s*,?\s*", r"\1:\n", t)
    out: list[tuple[str, bool]] = []
    for line in t.split("\n"):
        line = re.sub(r"\s+", " ", line).strip(" ,")
        if not line:
            continue
        out.append((line, bool(_HEADER.match(line))))
    return tuple(out)


def _csv_path() -> Path:
    if not config.MTSAMPLES_CSV.is_file():
        raise FileNotFoundError(
            f"mtsamples cardiology notes not found at {config.MTSAMPLES_CSV}; set CARDIO_MTSAMPLES_CSV to the "
            "mtsamples_cardio.csv file (cardio_intake/resources/mtsamples_cardio in a checkout)"
        )
    return config.MTSAMPLES_CSV


@lru_cache(maxsize=1)
def load_notes() -> tuple[Note, ...]:
    notes = []
    with _csv_path().open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            paras = split_transcription(row["transcription"])
            if sum(len(p) for p, _ in paras) < 200:
                continue
            notes.append(Note(row["note_id"], row["sample_name"].strip(), row["description"].strip(), paras))
    notes.sort(key=lambda n: int(n.note_id) if n.note_id.isdigit() else 0)
    return tuple(notes)


@lru_cache(maxsize=1)
def office_notes() -> tuple[Note, ...]:
    return tuple(n for n in load_notes() if not n.is_report)


@lru_cache(maxsize=1)
def reports() -> tuple[Note, ...]:
    return tuple(n for n in load_notes() if n.is_report)


def brief(note: Note, max_chars: int = 260) -> str:
    """A sentence or two of history from a note, for letters."""
    for text, is_header in note.paragraphs:
        if not is_header and len(text) > 60:
            cut = text[:max_chars]
            end = cut.rfind(". ")
            return cut[: end + 1] if end > 40 else cut.rsplit(" ", 1)[0] + "."
    return ""
