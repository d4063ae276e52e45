"""Fields read off the printed words where the tagger found none: the payer (printed_payer), the member ID (printed_member_id) and the date of birth (printed_dob)."""

from __future__ import annotations

import numpy as np

from cardio_intake.extraction.build import build_prediction
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.printed_member_id import printed_member_id_span
from cardio_intake.extraction.printed_page import PrintedPage
from cardio_intake.extraction.printed_payer import page_payer_candidates, printed_payer_span
from cardio_intake.labels import BIO_LABELS, INTENTS
from cardio_intake.model.outputs import RawDocumentOutput
from tests.test_extraction_build import make_page, patient_block


def untagged(*lines: str, types: dict[int, str] | None = None) -> PrintedPage:
    """A page whose lines the tagger read as all "O"."""
    words, boxes = [], []
    for row, line in enumerate(lines):
        for col, word in enumerate(line.split()):
            words.append(word)
            boxes.append((50 + 60 * col, 40 + 30 * row, 100 + 60 * col, 60 + 30 * row))
    probs = np.zeros((len(words), len(BIO_LABELS)))
    probs[:, 0] = 1.0
    return PrintedPage(words, boxes, probs, 1, types or {})


def read(*lines: str) -> str | None:
    span = printed_payer_span([untagged(*lines)])
    return span.text if span else None


def test_the_longest_carrier_name_on_the_page_is_read() -> None:
    assert read("Insurance: Oscar Health Member ID: 12345") == "Oscar Health"
    assert read("Primary ins Highmark BCBS since 2019") == "Highmark BCBS"  # not "Highmark" alone
    assert read("Primary ins Highmark BCBS PPO") == "Highmark BCBS PPO"  # a carrier and its plan
    # OCR-mended words of a several-word name: the span is the words as read, normalized later
    assert read("Ins: Ble Coss Ble Sheld") == "Ble Coss Ble Sheld"  # not with "Ins:", nor without "Ble": whole-name mending takes in both
    assert read("Payer Ghio Nedicaid") == "Ghio Nedicaid"  # "Ohio Medicaid" one slip away as a whole


def test_a_single_word_must_be_spelt_as_the_directory_spells_it() -> None:
    assert read("Past Medical History: hypertension") is None  # "Medical" is not "Medi-Cal"
    assert read("Coverage: Medi-Cal") == "Medi-Cal"
    assert read("Send them the results") is None  # mended, "them" would be "Anthem"
    assert read("Ins: Nedicaid") is None  # one word: no mending
    assert read("patient devoted to her exercise") is None  # a payer's name is a proper noun


def test_plan_names_alone_name_no_payer() -> None:
    assert read("Plan: Choice Plus PPO") is None
    assert read("Plan: UHC Choice Plus") == "UHC Choice Plus"


def test_a_name_is_printed_on_one_line() -> None:
    span = printed_payer_span([untagged("Blue Cross", "Blue Shield of the region")])
    assert span is not None and span.text in ("Blue Cross", "Blue Shield") and len(span.word_indices) == 2


def test_a_persons_name_is_not_a_payer() -> None:
    page = untagged("Patient: Oscar Lee")
    assert [c[3].text for c in page_payer_candidates(page)] == ["Oscar"]
    named = untagged("Patient: Oscar Lee", types={1: "PATIENT_NAME", 2: "PATIENT_NAME"})  # the tagger read "Oscar Lee" as a name
    assert page_payer_candidates(named) == []


def test_ties_go_to_the_words_the_tagger_thought_a_payer() -> None:
    page = untagged("Aetna Cigna")
    page.probs[1, BIO_LABELS.index("B-PAYER")], page.probs[1, 0] = 0.3, 0.7
    span = printed_payer_span([page])
    assert span is not None and span.text == "Cigna" and abs(span.confidence - 0.3) < 1e-9


def _referral(items: list[tuple[str, str]]) -> RawDocumentOutput:
    logits = np.full(len(INTENTS), -6.0)
    logits[INTENTS.index("consult")] = 6.0
    return RawDocumentOutput(pages=[make_page(items)], referral_pages=[[0]], intent_logits=[logits])


def test_a_referral_without_a_payer_span_takes_the_printed_one_and_goes_to_review() -> None:
    items = [*patient_block("Maria Gonzalez", "03/14/1952"), ("Insurance:", "O"), ("Aetna", "O"), ("Medicare", "O"),
             ("Advantage", "O"), ("ID:", "O"), ("W2388491O2", "B-MEMBER_ID")]
    ref = build_prediction(_referral(items), Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.fields.payer == "Aetna Medicare Advantage"
    assert "low_confidence:payer" in ref.review.reasons and "missing:payer" not in ref.review.reasons
    # the member ID is read again in the payer's shape (Aetna "W#########": the O is a 0)
    assert ref.fields.member_id == "W238849102"
    assert any(e.type == "PAYER" and e.text == "Aetna Medicare Advantage" for e in ref.entities)
    off = build_prediction(_referral(items), Calibration(printed_payer_fallback=False), "x.tif", "sha256:1").referrals[0]
    assert off.fields.payer is None and "missing:payer" in off.review.reasons


def test_a_payer_the_tagger_read_is_kept() -> None:
    items = [*patient_block("Maria Gonzalez", "03/14/1952"), ("Plan:", "O"), ("Humana", "B-PAYER"),
             ("Former:", "O"), ("Cigna", "O"), ("Open", "O"), ("Access", "O"), ("Plus", "O")]
    ref = build_prediction(_referral(items), Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.fields.payer == "Humana"


# --- the printed member ID (extraction/printed_member_id.py) ---

AETNA = ("W#########",)


def tagged(line: str, types: dict[int, str] | None = None) -> PrintedPage:
    return untagged(line, types=types)


def test_the_one_word_of_the_payers_shape_is_the_member_id() -> None:
    span = printed_member_id_span([tagged("Member ID: W238849102 Group 0881234")], AETNA)
    assert span is not None and span.text == "W238849102" and span.type == "MEMBER_ID" and span.word_indices == [2]
    # the same ID on two pages is one value; two IDs of the shape tell nothing
    assert printed_member_id_span([tagged("ID W238849102"), tagged("ID: w238849102.")], AETNA) is not None
    assert printed_member_id_span([tagged("W238849102 W238849103")], AETNA) is None
    assert printed_member_id_span([tagged("Member ID: W238849102")], ()) is None  # no shapes: nothing to go by


def test_phone_numbers_dates_and_other_tagged_values_are_not_member_ids() -> None:
    uhc = ("#########", "###########")
    assert printed_member_id_span([tagged("Call 18005550142 today")], uhc) is None  # a phone number
    assert printed_member_id_span([tagged("Chart 305452509")], uhc).text == "305452509"  # type: ignore[union-attr]
    assert printed_member_id_span([tagged("Chart 305452509", {1: "MRN"})], uhc) is None
    # the tagger's usual confusion: the member ID read as the group number
    assert printed_member_id_span([tagged("ID 70541977004", {1: "GROUP_NUMBER"})], uhc).text == "70541977004"  # type: ignore[union-attr]
    assert printed_member_id_span([tagged("Seen 10/10/2025")], ("##/##/####",)) is None  # a date
    # never mended to the shape: "W2388491O2" is no Aetna ID as read
    assert printed_member_id_span([tagged("ID W2388491O2")], AETNA) is None


def test_a_referral_with_its_payer_but_no_member_id_takes_the_printed_one() -> None:
    items = [*patient_block("Maria Gonzalez", "03/14/1952"), ("Insurance:", "O"), ("Aetna", "B-PAYER"),
             ("Member", "O"), ("ID:", "O"), ("W238849102", "O"), ("Fax", "O"), ("(555)", "B-PROVIDER_FAX"),
             ("201-3344", "I-PROVIDER_FAX")]
    ref = build_prediction(_referral(items), Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.fields.payer == "Aetna" and ref.fields.member_id == "W238849102"
    assert "low_confidence:member_id" in ref.review.reasons and "low_confidence:payer" not in ref.review.reasons
    off = build_prediction(_referral(items), Calibration(printed_member_id_fallback=False), "x.tif", "sha256:1")
    assert off.referrals[0].fields.member_id is None and "missing:member_id" in off.referrals[0].review.reasons


def test_a_member_id_of_none_of_the_payers_shapes_gives_way_to_a_printed_one_that_has_one() -> None:
    # the tagger took the chart number for the member ID and left the Molina ID untagged
    items = [*patient_block("Maria Gonzalez", "03/14/1952"), ("Insurance:", "O"), ("Molina", "B-PAYER"),
             ("Healthcare", "I-PAYER"), ("MRN", "O"), ("E1377191", "B-MEMBER_ID"), ("ID", "O"), ("305452509", "O")]
    ref = build_prediction(_referral(items), Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.fields.member_id == "305452509" and "low_confidence:member_id" in ref.review.reasons
    off = build_prediction(_referral(items), Calibration(printed_member_id_fallback=False), "x.tif", "sha256:1")
    assert off.referrals[0].fields.member_id == "E1377191"
    # an ID of the payer's shape stays, whatever else is printed
    shaped = [*items[:-3], ("ID", "O"), ("305452509", "B-MEMBER_ID"), ("Ref", "O"), ("305452510", "O")]
    assert build_prediction(_referral(shaped), Calibration(), "x.tif", "sha256:1").referrals[0].fields.member_id == "305452509"


# --- date of birth -------------------------------------------------------------------------------------

def test_the_date_printed_after_the_patients_name_is_the_date_of_birth() -> None:
    from cardio_intake.extraction.printed_dob import printed_dob_span

    def read_dob(*lines: str, names: tuple[int, ...] = (1, 2), other: dict[int, str] | None = None) -> str | None:
        span = printed_dob_span([untagged(*lines, types={**dict.fromkeys(names, "PATIENT_NAME"), **(other or {})})])
        return span.text if span else None

    assert read_dob("Name SHAH, MARGARET pop 19-Mar-1987 Date June 19, 2026") == "19-Mar-1987"  # the label garbled
    assert read_dob("Name SHAH, MARGARET", "DOB Oct 9, 1968") == "Oct 9, 1968"  # under the name, over words
    # not past two words, nor a date a label names as another, nor a date the tagger read as something else
    assert read_dob("Name SHAH, MARGARET seen at clinic 19-Mar-1987") is None
    assert read_dob("Name SHAH, MARGARET Referral Date: 05/29/2026") is None
    assert read_dob("Name SHAH, MARGARET 19-Mar-1987", other={3: "REFERRAL_DATE"}) is None
    assert read_dob("Name SHAH, MARGARET DOB 19-Mar-1987", names=()) is None  # no name read: nothing to go by
    # two names followed by two different dates tell nothing; the same date twice is one
    two = "Name SHAH, MARGARET DOB 19-Mar-1987 Name SHAH, MARGARET DOB 19-Mar-1978"
    assert read_dob(two, names=(1, 2, 6, 7)) is None
    same = "Name SHAH, MARGARET DOB 19-Mar-1987 Name SHAH, MARGARET DOB 03/19/1987"
    assert read_dob(same, names=(1, 2, 6, 7)) == "19-Mar-1987"


def test_a_referral_without_a_date_of_birth_takes_the_printed_one_and_goes_to_review() -> None:
    items = [("Patient:", "O"), ("Maria", "B-PATIENT_NAME"), ("Gonzalez", "I-PATIENT_NAME"), ("pop", "O"),
             ("03/14/1952", "O"), ("Insurance:", "O"), ("Aetna", "B-PAYER"), ("ID:", "O"), ("W238849102", "B-MEMBER_ID")]
    ref = build_prediction(_referral(items), Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.fields.patient_dob is not None and ref.fields.patient_dob.isoformat() == "1952-03-14"
    assert "low_confidence:patient_dob" in ref.review.reasons
    off = build_prediction(_referral(items), Calibration(printed_dob_fallback=False), "x.tif", "sha256:1")
    assert off.referrals[0].fields.patient_dob is None and "missing:patient_dob" in off.referrals[0].review.reasons
