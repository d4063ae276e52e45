"""Referral-page layout families: the forms different referral sources send.

Each family is a function drawing one referral/order page on a :class:`~.common.Ctx`. A family is a
referral *source's* design, so the split is by family: ``TEST_FAMILIES`` never appear in training or
validation and the test split measures generalization to unseen referral sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cardio_intake.corpus.layouts import composed, ehr, forms, letters, orders
from cardio_intake.corpus.layouts.common import Ctx


@dataclass(frozen=True)
class Family:
    name: str
    draw: Callable[[Ctx], None]
    source_kind: str
    description: str
    fonts: tuple[str, ...] = ("sans", "serif")
    paper_only: bool = False  # handwritten: never an EHR text-layer e-fax
    text_pdf_weight: float = 0.1  # how often this source e-faxes a text-layer PDF
    style: dict[str, float] = field(default_factory=dict)  # probabilities of showing CPT, ICD, optional fields
    in_default_mix: bool = True  # drawn by a plain `data generate`; else only when asked for by name


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("pcp_form_classic", forms.pcp_form_classic, "clinic", "PCP clinic form with labelled sections", style={"cpt": 0.4}),
        Family("pcp_form_grid", forms.pcp_form_grid, "clinic", "PCP form of boxed cells with small captions", style={"cpt": 0.5}),
        Family("handwritten_form", forms.handwritten_form, "clinic", "printed fill-in form completed by hand", paper_only=True, style={"cpt": 0.2, "icd": 0.5}),
        Family("two_column_form", forms.two_column_form, "clinic", "two-column form: patient/insurance left, provider/order right"),
        Family("half_page_form", forms.half_page_form, "clinic", "compact half-sheet referral slip", style={"mrn": 0.3}),
        Family("patient_block_bottom", forms.patient_block_bottom, "clinic", "order details first, patient block at the bottom"),
        Family("ehr_ambulatory_referral", ehr.ehr_ambulatory_referral, "clinic", "EHR printout 'Ambulatory Referral to Cardiology' with tables", fonts=("sans",), text_pdf_weight=0.55, style={"cpt": 0.8, "icd": 0.95, "mrn": 0.95}),
        Family("ehr_order_summary", ehr.ehr_order_summary, "hospital", "EHR text dump with dotted leaders (monospace)", fonts=("mono",), text_pdf_weight=0.45, style={"cpt": 0.7, "icd": 0.9, "mrn": 0.9}),
        Family("letter_freetext", letters.letter_freetext, "clinic", "free-text letter on letterhead", fonts=("serif", "sans"), style={"cpt": 0.15, "icd": 0.4, "urgency": 0.5}),
        Family("memo_brief", letters.memo_brief, "clinic", "short memo with bullet points", style={"cpt": 0.25}),
        Family("hospital_discharge", letters.hospital_discharge, "hospital", "hospital discharge referral / follow-up orders", text_pdf_weight=0.3, style={"mrn": 0.95, "icd": 0.9}),
        Family("checkbox_order_sheet", orders.checkbox_order_sheet, "clinic", "checkbox order sheet: the ticked box carries the intent", style={"cpt": 1.0}),
        Family("order_table", orders.order_table, "clinic", "order table with CPT and ICD-10 columns", text_pdf_weight=0.3, style={"cpt": 1.0, "icd": 1.0}),
        Family("imaging_requisition", orders.imaging_requisition, "clinic", "cardiac imaging requisition with exam checkboxes", style={"cpt": 0.5}),
        Family("rx_pad", orders.rx_pad, "clinic", "handwritten prescription-pad order", paper_only=True, style={"cpt": 0.1, "icd": 0.4, "phone": 0.0, "mrn": 0.0, "group": 0.0}),
        Family("payer_hmo_form", orders.payer_hmo_form, "health_plan", "health-plan specialist referral authorization with numbered boxes", style={"payer": 1.0, "member_id": 1.0}),
        Family("fqhc_bilingual", orders.fqhc_bilingual, "fqhc", "community health center bilingual (Spanish/English) form"),
        Family("ed_followup", letters.ed_followup, "urgent_care", "ED / urgent-care follow-up referral with boxed request", style={"urgency": 0.95}),
        Family("composed_form", composed.composed_form, "clinic", "procedurally composed form: random block order and arrangement, decoy fields",
               fonts=("sans", "serif", "mono"), style={"cpt": 0.5}, in_default_mix=False),
    )
}

#: Families that appear only in the test split (unseen referral sources).
TEST_FAMILIES: tuple[str, ...] = ("rx_pad", "payer_hmo_form", "fqhc_bilingual", "ed_followup")
TRAIN_FAMILIES: tuple[str, ...] = tuple(n for n in FAMILIES if n not in TEST_FAMILIES)
#: What a plain `data generate` draws: every family but those drawn only on request (``composed_form``,
#: kept out so that a seed's corpus, and its test split, stay what they were before it existed).
DEFAULT_MIX: tuple[str, ...] = tuple(n for n, f in FAMILIES.items() if f.in_default_mix)
