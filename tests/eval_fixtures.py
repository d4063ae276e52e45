"""Hand-made gold packets and predictions for the evaluation tests (no model, no corpus generator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cardio_intake.corpus.gold import GoldEntity, GoldPacket, GoldPage, GoldReferral, GoldWord
from cardio_intake.schemas import (
    EntityPrediction,
    Fields,
    IntentPrediction,
    PagePrediction,
    Prediction,
    ReferralPrediction,
    Review,
)

GOLD_FIELDS: dict[str, Any] = {
    "patient_name": "Maria L. Gonzalez", "patient_dob": "1952-03-14", "patient_phone": "+16145550134",
    "mrn": "00483921", "payer": "Aetna Medicare Advantage", "member_id": "W238849102",
    "group_number": "0881234-010", "icd10": ["I48.91"], "diagnoses": ["atrial fibrillation, unspecified"],
    "cpt": ["93306"], "procedures": ["2D echo with doppler"], "referring_provider": "Alan Whitfield",
    "referring_npi": "1245319599", "provider_fax": "+16145550199", "urgency": "urgent",
    "referral_date": "2026-11-02",
}

ENTS = [("PATIENT_NAME", "Maria L. Gonzalez", (100, 100, 300, 120)),
        ("MEMBER_ID", "W238849102", (100, 200, 250, 220)),
        ("CPT", "93306", (100, 300, 160, 320))]


def gold_packet(doc_id: str, *, family: str = "pcp_a", fmt: str = "tiff_g4", resolution: str = "fine",
                pages: int = 2, referrals: list[list[int]] | None = None,
                intents: list[str] | None = None, page_types: list[str] | None = None) -> GoldPacket:
    referrals = referrals or [list(range(1, pages + 1))]
    types = page_types or (["fax_cover"] + ["referral_order"] * (pages - 1) if pages > 1 else ["referral_order"])
    gpages = [
        GoldPage(page=i + 1, type=types[i], width=1700, height=2200, dpi=200,  # type: ignore[arg-type]
                 words=[GoldWord(text="Patient", box_px=(10, 10, 50, 20), box_1000=(6, 5, 29, 9), tag="O")])
        for i in range(pages)
    ]
    grefs = []
    for r_pages in referrals:
        p = r_pages[-1]
        grefs.append(GoldReferral(
            pages=r_pages, intents=intents or ["consult", "echo_tte"],  # type: ignore[arg-type]
            fields=Fields.model_validate(GOLD_FIELDS),
            entities=[GoldEntity(type=t, text=x, page=p, bbox=b) for t, x, b in ENTS],
        ))
    return GoldPacket(doc_id=doc_id, file=f"files/{doc_id}.tif", format=fmt, resolution=resolution,  # type: ignore[arg-type]
                      family=family, split="test", pages=gpages, referrals=grefs)


def prediction_for(gold: GoldPacket, *, field_overrides: dict[str, Any] | None = None,
                   intents: list[tuple[str, float]] | None = None, drop_entity: str | None = None,
                   page_types: list[str] | None = None, confidence: float = 0.95,
                   review: bool = False, model_version: str = "test-model:1") -> Prediction:
    """A prediction that copies the gold packet, then applies the given mistakes."""
    fields = dict(GOLD_FIELDS) | (field_overrides or {})
    refs = []
    for g in gold.referrals:
        ents = [EntityPrediction(type=e.type, text=e.text, page=e.page, bbox=e.bbox, confidence=confidence)  # type: ignore[arg-type]
                for e in g.entities if e.type != drop_entity]
        refs.append(ReferralPrediction(
            pages=g.pages,
            intents=[IntentPrediction(label=lab, confidence=c) for lab, c in  # type: ignore[arg-type]
                     (intents or [(i, confidence) for i in g.intents])],
            entities=ents, fields=Fields.model_validate(fields), review=Review(needed=review),
            field_confidence={k: confidence for k, v in fields.items() if v not in (None, [])},
        ))
    types = page_types or [p.type for p in gold.pages]
    return Prediction(document=gold.file, document_id="sha256:0", model_version=model_version,
                      pages=[PagePrediction(page=i + 1, type=t, confidence=confidence)  # type: ignore[arg-type]
                             for i, t in enumerate(types)],
                      referrals=refs)


def write_corpus(root: Any, packets: list[GoldPacket]) -> Any:
    """A corpus folder (labels.jsonl + one multi-page TIFF per packet) whose pages show the gold
    entities as dark text boxes, so the report's gallery has real pages to draw on."""
    from pathlib import Path

    from PIL import Image, ImageDraw

    root = Path(root)
    (root / "files").mkdir(parents=True, exist_ok=True)
    for packet in packets:
        images = []
        for page in packet.pages:
            img = Image.new("L", (850, 1100), 255)
            draw = ImageDraw.Draw(img)
            draw.text((40, 30), f"FAX {packet.doc_id} page {page.page}", fill=0)
            for ref in packet.referrals:
                for e in ref.entities:
                    if e.page == page.page:
                        x0, y0 = e.bbox[0], e.bbox[1]
                        draw.text((x0 * 0.85, y0 * 1.1), e.text, fill=0)
            images.append(img.convert("1"))
        images[0].save(root / packet.file, save_all=True, append_images=images[1:], compression="group4")
    (root / "labels.jsonl").write_text("".join(p.model_dump_json() + "\n" for p in packets), encoding="utf-8")
    return root


class ScriptedPredictor:
    """A stand-in for the model in harness tests: returns the gold packet back with the mistakes
    scripted per document, so a test knows exactly what the report must find."""

    def __init__(self, packets: list[GoldPacket], mistakes: dict[str, dict[str, Any]], version: str) -> None:
        self.by_file = {p.file: p for p in packets}
        self.mistakes = mistakes
        self.model_version = version

    def predict_bytes(self, data: bytes, name: str) -> Prediction:
        gold = self.by_file[name]
        if self.mistakes.get(gold.doc_id, {}).get("raise"):
            raise ValueError("unreadable")
        return prediction_for(gold, model_version=self.model_version, **self.mistakes.get(gold.doc_id, {}))


def chromium_path() -> str | None:
    """Path of Debian's chromium; `make test` installs it (test-system-deps), and a bare pytest run
    installs it here with apt-get when it runs as root. None when it cannot be had."""
    import os
    import shutil
    import subprocess

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, timeout=900,
                       capture_output=True)
        path = shutil.which("chromium")
    return path


def generated_gold_rows(root: Path, n: int, seed: int) -> list[dict[str, Any]]:
    """Dataset rows of a small generated corpus on its own exact words (every split; no OCR)."""
    from cardio_intake.corpus.generate import generate_corpus
    from training.data import gold_dataset

    generate_corpus(root, n=n, seed=seed, progress=False, workers=1)
    dsd = gold_dataset(root)
    return [dict(r) for split in dsd for r in dsd[split]]
