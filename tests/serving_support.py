"""Helpers for the serving tests (unit, ASGI and integration tiers) and the serving benchmark.

* ``KeywordPredictor``: a test double with the real predictor's interface (``predict_document`` and
  the encoder-level ``encode_pages``/``finish`` pair). It reads the OCR'd words, so a test can check
  that the words of the posted file reached the model; it records the size of every encoder batch.
* ``render_fax``: a small referral page drawn here (nothing binary committed) as TIFF/PNG/PDF bytes.
* ``ServerProcess``: ``bentoml serve`` on a free loopback port, stopped by its PID.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from cardio_intake.document import Document
from cardio_intake.schemas import (
    Fields,
    IntentPrediction,
    PagePrediction,
    Prediction,
    ReferralPrediction,
    Review,
)
from serving.local_server import LocalServer, free_port

__all__ = ["free_port"]

REPO = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent

# --- a test double for the model --------------------------------------------------------------


@dataclass
class FakePage:
    words: list[str]


class KeywordPredictor:
    """Intents and a few fields from keywords in the OCR'd words (a stand-in for the trained model)."""

    model_version = "keyword-test-double:1"
    thresholds = {"intents": {"echo_tte": 0.5, "cardiac_mri": 0.5}, "fields": {"member_id": 0.8}}

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def encode_pages(self, pages: Sequence[FakePage]) -> list[list[str]]:
        self.batch_sizes.append(len(pages))
        return [[w.lower() for w in p.words] for p in pages]

    def finish(self, pages: Sequence[Any], logits: Sequence[list[str]], name: str, document_id: str) -> Prediction:
        words = [w for page in logits for w in page]
        originals = [w for p in pages for w in p.words]
        intents = []
        if any("echo" in w for w in words):
            intents.append(IntentPrediction(label="echo_tte", confidence=0.93))
        if "mri" in words:
            intents.append(IntentPrediction(label="cardiac_mri", confidence=0.91))
        member = next((w for w in originals if len(w) == 10 and w[0] == "W" and w[1:].isdigit()), None)
        fields = Fields(member_id=member, payer="Aetna Medicare Advantage" if "aetna" in words else None)
        reasons = [] if intents and member else ["missing:patient_name"]
        return Prediction(
            document=name,
            document_id=document_id,
            model_version=self.model_version,
            pages=[PagePrediction(page=i + 1, type="referral_order", confidence=0.9) for i in range(len(pages))],
            referrals=[
                ReferralPrediction(
                    pages=list(range(1, len(pages) + 1)),
                    intents=intents,
                    fields=fields,
                    review=Review(needed=bool(reasons), reasons=reasons),
                )
            ],
        )

    def predict_document(self, doc: Document, name: str, document_id: str) -> Prediction:
        pages = [FakePage([w.text for w in p.words]) for p in doc.pages]
        return self.finish(pages, self.encode_pages(pages), name, document_id)


def make_predictor() -> KeywordPredictor:
    """``CARDIO_PREDICTOR_FACTORY=serving_support:make_predictor``."""
    return KeywordPredictor()


# --- documents --------------------------------------------------------------------------------

REFERRAL_LINES = (
    "REFERRAL TO CARDIOLOGY",
    "Patient: Maria Gonzalez DOB 03/14/1952",
    "Member ID: W238849102 Aetna Medicare",
    "Requested: echocardiogram with doppler",
    "Diagnosis: atrial fibrillation I48.91",
)
_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


def render_page(lines: Sequence[str] = REFERRAL_LINES, size: tuple[int, int] = (1700, 1100)) -> Image.Image:
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font: Any = next((ImageFont.truetype(p, 40) for p in _FONTS if Path(p).is_file()), ImageFont.load_default(size=40))
    for i, line in enumerate(lines):
        draw.text((140, 120 + i * 76), line, font=font, fill=0)
    return img


def render_fax(fmt: str = "tiff", lines: Sequence[str] = REFERRAL_LINES) -> bytes:
    """One referral page as a Group 4 TIFF (fax), PNG or image-only PDF."""
    img = render_page(lines)
    buf = io.BytesIO()
    if fmt == "tiff":
        img.convert("1").save(buf, format="TIFF", compression="group4", dpi=(200, 200))
    elif fmt == "png":
        img.save(buf, format="PNG", dpi=(200, 200))
    elif fmt == "pdf":
        img.convert("RGB").save(buf, format="PDF", resolution=200)
    else:
        raise ValueError(fmt)
    return buf.getvalue()


BAD_FILES: dict[str, tuple[bytes, str]] = {
    # name -> (bytes, expected error code)
    "notes.pdf": (b"<html><body>not a pdf</body></html>", "unsupported_format"),
    "empty.tif": (b"", "empty_document"),
    "truncated.pdf": (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "corrupt_document"),
}

# --- a real server ----------------------------------------------------------------------------



class ServerProcess(LocalServer):
    """The local server with the tests folder importable (for ``serving_support:make_predictor``)."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        super().__init__(env, log_path, port=port, extra_paths=[TESTS_DIR])
