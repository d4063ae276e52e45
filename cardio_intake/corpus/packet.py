"""One referral packet: choose its pages, draw them, derive the gold labels from what was drawn,
degrade the pages like a fax and write the file."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from cardio_intake.corpus import notes
from cardio_intake.corpus.canvas import RENDER_DPI, Canvas, render_pil
from cardio_intake.corpus.fax import FAX_DPI, Degradation, degrade, sample_degradation
from cardio_intake.corpus.fonts import FontSet, pick_fontset
from cardio_intake.corpus.gold import GoldEntity, GoldPacket, GoldPage, GoldReferral, GoldWord
from cardio_intake.corpus.layouts import FAMILIES, Family
from cardio_intake.corpus.layouts.common import Ctx, Labels
from cardio_intake.corpus.other_pages import clinical_note, fax_cover, insurance_card, med_list
from cardio_intake.corpus.record import Referral, Source, make_referral, make_source
from cardio_intake.corpus.results import ecg, echo_report, labs
from cardio_intake.corpus.writers import EXTENSIONS, write_pdf_image, write_pdf_text, write_png, write_tiff_g4
from cardio_intake.document import to_box_1000
from cardio_intake.labels import ENTITY_TO_FIELD, LIST_FIELDS
from cardio_intake.schemas import Fields

MAX_PAGES = 6
MULTI_PATIENT_RATE = 0.12  # of multi-page packets: about 10% of all packets (PNGs are single pages)
FIRST_DAY = date(2025, 1, 6)


@dataclass
class PlannedPage:
    type: str
    referral: int
    draw: Callable[[Ctx], None]
    photo: bool = False


@dataclass
class DrawnPage:
    plan: PlannedPage
    canvas: Canvas


def _choose_format(rng: random.Random, fam: Family) -> str:
    w_text = 0.0 if fam.paper_only else fam.text_pdf_weight
    rest = 1.0 - w_text
    options = [("pdf_text", w_text), ("tiff_g4", rest * 0.5), ("pdf_image", rest * 0.3), ("png", rest * 0.2)]
    x = rng.random()
    for name, w in options:
        x -= w
        if x <= 0:
            return name
    return "tiff_g4"


def _extras(rng: random.Random, ref_idx: int) -> list[PlannedPage]:
    pages: list[PlannedPage] = []
    if rng.random() < 0.5:
        pages.append(PlannedPage("clinical_note", ref_idx, clinical_note))
    if rng.random() < 0.35:
        pages.append(PlannedPage("insurance_card", ref_idx, insurance_card, photo=True))
    if rng.random() < 0.3:
        pages.append(PlannedPage("test_result", ref_idx, rng.choice([ecg, labs, echo_report])))
    if rng.random() < 0.08:
        pages.append(PlannedPage("other", ref_idx, med_list))
    rng.shuffle(pages)
    return pages


def _plan_pages(rng: random.Random, fam: Family, n_refs: int, fmt: str) -> list[PlannedPage]:
    if fmt == "png":
        return [PlannedPage("referral_order", 0, fam.draw)]
    pages: list[PlannedPage] = []
    if rng.random() < 0.75:
        pages.append(PlannedPage("fax_cover", 0, lambda ctx: None))  # drawn once the page count is known
    budget = MAX_PAGES - len(pages)
    per_ref = budget // n_refs
    for r in range(n_refs):
        extras = _extras(rng, r)[: per_ref - 1]
        own = [PlannedPage("referral_order", r, fam.draw), *extras]
        if len(own) > 1 and rng.random() < 0.1:
            own[0], own[1] = own[1], own[0]  # the office note faxed before the order
        pages.extend(own)
    return pages


def _fax_header(c: Canvas, src: Source, when: str, page: int, n_pages: int, font_size: int = 22) -> None:
    """The sending machine's header line; its number is the source's return fax (an entity)."""
    digits = src.fax[2:]
    x = 40.0
    for text, ent in ((when, None), ("FROM:", None), (src.name.upper(), None), (digits, "PROVIDER_FAX"),
                      ("TO:", None), ("18005550142", None), (f"P.{page:03d}/{n_pages:03d}", None)):  # fmt: skip
        b = c.text(x, 18, text, font_size, "regular", entity=ent, value=src.fax if ent else None)
        x = b[2] + font_size * 1.2


def _check_bounds(c: Canvas, what: str) -> None:
    for text, (x0, y0, x1, y1), _ in c.words:
        if x0 < 0 or y0 < 0 or x1 > c.width or y1 > c.height:
            raise ValueError(f"{what}: word {text!r} at {(x0, y0, x1, y1)} falls outside the page")


def _fields_from_entities(spans: list[tuple[str, object]]) -> Fields:
    values: dict[str, object] = {}
    for etype, value in spans:
        if value is None:
            continue
        field = ENTITY_TO_FIELD[etype]
        if field in LIST_FIELDS:
            lst = values.setdefault(field, [])
            assert isinstance(lst, list)
            if value not in lst:
                lst.append(value)
        else:
            values.setdefault(field, value)
    return Fields.model_validate(values)


@dataclass
class ComposedPacket:
    """A packet drawn and labelled, not yet degraded or written."""

    gold: GoldPacket
    canvases: list[Canvas]
    degradations: list[Degradation]
    np_rng: np.random.Generator


def compose_packet(seed: int, index: int, family: str, split: str, multi_patient: bool | None = None) -> ComposedPacket:
    """Draw and label packet ``index`` (deterministic in seed and index). ``multi_patient`` forces
    (True) or forbids (False) a second patient; by default about 10% of all packets have one."""
    rng = random.Random(f"cardio-intake:{seed}:{index}")
    np_rng = np.random.default_rng([seed, index])
    fam = FAMILIES[family]
    fmt = _choose_format(rng, fam)
    if multi_patient and fmt == "png":
        fmt = "tiff_g4"
    resolution = "digital" if fmt == "pdf_text" else ("fine" if fmt == "png" or rng.random() < 0.6 else "standard")
    today = FIRST_DAY + timedelta(days=rng.randint(0, 700))
    src = make_source(rng, fam.source_kind)
    multi = fmt != "png" and rng.random() < MULTI_PATIENT_RATE
    n_refs = 2 if (multi if multi_patient is None else multi_patient) else 1
    n_notes = len(notes.office_notes())
    refs: list[Referral] = [make_referral(rng, src, today, n_notes, fam.style) for _ in range(n_refs)]
    plan = _plan_pages(rng, fam, n_refs, fmt)
    n_pages = len(plan)
    ttf_only = fmt == "pdf_text"
    form_fonts = pick_fontset(rng, rng.choice(fam.fonts), ttf_only=ttf_only)
    other_fonts = pick_fontset(rng, rng.choice(["sans", "serif"]), ttf_only=ttf_only)
    header = fmt in ("tiff_g4", "pdf_image") and rng.random() < 0.85
    when = f"{today.strftime('%b-%d-%Y').upper()} {rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}"

    drawn: list[DrawnPage] = []
    for p_idx, page in enumerate(plan, start=1):
        fonts: FontSet = form_fonts if page.type in ("referral_order", "fax_cover") else other_fonts
        size = rng.choice([26, 28, 30, 32])
        upper = rng.random() < 0.15
        for attempt in range(3):
            c = Canvas(fonts)
            if header:
                _fax_header(c, src, when, p_idx, n_pages)
            ctx = Ctx(c, refs[page.referral], src, rng, Labels(rng, upper=upper), size=size)
            if page.type == "fax_cover":
                fax_cover(ctx, n_pages)
            else:
                page.draw(ctx)
            try:
                _check_bounds(c, f"{family} {page.type}")
                break
            except ValueError:
                # a long referral overflowed this design: the source would use smaller type
                if attempt == 2:
                    raise
                size = int(size * 0.8)
        drawn.append(DrawnPage(page, c))

    # --- gold -------------------------------------------------------------------------------
    gold_pages: list[GoldPage] = []
    degradations: list[Degradation] = []
    for p_idx, d in enumerate(drawn, start=1):
        deg = sample_degradation(np_rng, photo=d.plan.photo) if fmt != "pdf_text" else Degradation()
        degradations.append(deg)
        c = d.canvas
        words = [
            GoldWord(text=t, box_px=tuple(round(v, 1) for v in box), box_1000=to_box_1000(box, c.width, c.height), tag=tag)  # type: ignore[arg-type]
            for t, box, tag in c.words
        ]
        gold_pages.append(
            GoldPage(page=p_idx, type=d.plan.type, width=c.width, height=c.height, dpi=RENDER_DPI,  # type: ignore[arg-type]
                     upside_down=deg.upside_down, skew_deg=deg.skew_deg, words=words)
        )
    referrals: list[GoldReferral] = []
    for r_idx, ref in enumerate(refs):
        pages = [i + 1 for i, d in enumerate(drawn) if d.plan.referral == r_idx]
        spans: list[tuple[str, object]] = []
        entities: list[GoldEntity] = []
        for p in pages:
            c = drawn[p - 1].canvas
            gp = gold_pages[p - 1]
            for span in c.entities:
                ws = [gp.words[i] for i in span.words]
                if not ws:
                    continue
                boxes = [w.box_1000 for w in ws]
                bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
                entities.append(GoldEntity(type=span.type, text=" ".join(w.text for w in ws), page=p, bbox=bbox))
                spans.append((span.type, span.value))
        referrals.append(GoldReferral(pages=pages, intents=ref.intents, fields=_fields_from_entities(spans), entities=entities))  # type: ignore[arg-type]

    doc_id = f"packet-{index:05d}"
    gold = GoldPacket(
        doc_id=doc_id, file=f"files/{doc_id}.{EXTENSIONS[fmt]}", format=fmt, resolution=resolution,  # type: ignore[arg-type]
        family=family, split=split, source=src.name, pages=gold_pages, referrals=referrals,  # type: ignore[arg-type]
    )  # fmt: skip
    return ComposedPacket(gold, [d.canvas for d in drawn], degradations, np_rng)


def write_packet(packet: ComposedPacket, out_dir: Path) -> Path:
    """Degrade the pages like a fax (except text-layer PDFs) and write the packet file."""
    gold = packet.gold
    path = out_dir / gold.file
    if gold.format == "pdf_text":
        write_pdf_text(path, packet.canvases)
        return path
    frames = [
        degrade(render_pil(c), deg, gold.resolution, packet.np_rng)
        for c, deg in zip(packet.canvases, packet.degradations, strict=True)
    ]
    dpi = FAX_DPI[gold.resolution]
    if gold.format == "tiff_g4":
        write_tiff_g4(path, frames, dpi)
    elif gold.format == "pdf_image":
        write_pdf_image(path, frames, dpi)
    else:
        write_png(path, frames[0], dpi)
    return path


def build_packet(seed: int, index: int, family: str, split: str, out_dir: Path) -> GoldPacket:
    """Compose packet ``index`` and write its file under ``out_dir``; returns its gold."""
    packet = compose_packet(seed, index, family, split)
    write_packet(packet, out_dir)
    return packet.gold
