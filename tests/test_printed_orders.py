"""The printed-order fallback: intents from CPT codes and service names on a referral the model lists
nothing for (cardio_intake/extraction/printed_orders.py)."""

from __future__ import annotations

import numpy as np

from cardio_intake.extraction.build import build_prediction
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.entities import Span
from cardio_intake.extraction.order_intents import service_order_terms
from cardio_intake.extraction.printed_orders import (
    MAX_PRINTED_INTENTS,
    fuzzy_term_intents,
    printed_cpt_intents,
    printed_order_intents,
    printed_term_intents,
)
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput

TERMS = service_order_terms()


def words(text: str) -> list[str]:
    """OCR words of a line."""
    return text.split()


def test_a_consultation_is_an_order_only_as_a_named_visit_and_telemetry_is_a_monitor() -> None:
    assert printed_term_intents(words("Rx New patient consultation Dx: Palpitations"), TERMS) == {"consult"}
    assert printed_term_intents(words("Requested: Office consultation"), TERMS) == {"consult"}
    # a cover sheet's "consultation" is the notes sent, not an order
    assert printed_term_intents(words("Please see the attached consultation and notes"), TERMS) == set()
    assert printed_term_intents(words("Echocardiogram complete Mobile cardiac telemetry"), TERMS) == {
        "echo_tte", "rhythm_monitor"}
    assert printed_term_intents(words("30 days of cardiac telemetry"), TERMS) == {"rhythm_monitor"}


def test_a_holter_alone_and_an_exercise_stress_ecg_are_orders() -> None:
    # OCR's "2u HOUR HOLTER" is no "24 hour Holter", and the tagger ran it into the echo line above it
    assert printed_term_intents(words("2D ECHO WITHOUT DOPPLER 2u HOUR HOLTER"), TERMS) == {"echo_tte", "rhythm_monitor"}
    assert printed_term_intents(words("Exercise stress ECG (Bruce)"), TERMS) == {"exercise_stress"}
    # a longer name that holds them is the longer one's: an exercise stress echo is a stress echo
    assert printed_term_intents(words("Exercise stress echo"), TERMS) == {"stress_echo"}


def test_cpt_codes_in_contract_ranges_after_ocr_digit_fixes() -> None:
    # "9328S" is 93288 (S read for 5 in a digit run); "12345" lies in no range; "(93306)," loses its brackets
    assert printed_cpt_intents(["Cardiology", "-", "PPM", "check", "-", "9328S"]) == {"device_check"}
    assert printed_cpt_intents(["(93306),", "12345", "Zip", "37262"]) == {"echo_tte"}
    assert printed_cpt_intents(["no", "codes", "here"]) == set()


def test_a_code_one_ocr_slip_from_one_contract_range_names_that_intent() -> None:
    from cardio_intake.extraction.printed_orders import cpt_code_intent, slipped_cpt_intent

    # a 3 read as 5, 9, 4 or 8; a 5 read as 8
    assert slipped_cpt_intent("95620") == "electrophysiology"  # 93620
    assert slipped_cpt_intent("99224") == "rhythm_monitor"  # 93224
    assert slipped_cpt_intent("94458") == "cardiac_cath"  # 93458
    assert slipped_cpt_intent("93488") == "cardiac_cath"  # 93458
    assert cpt_code_intent("95620") == "electrophysiology"
    # codes of no contract service that no slip brings to one, and codes already in a range, are what they are
    for code in ("99213", "93000", "36415", "93040", "12345"):
        assert slipped_cpt_intent(code) is None
    assert slipped_cpt_intent("99204") is None and cpt_code_intent("99204") == "consult"


def test_service_names_match_whole_words_only() -> None:
    assert printed_term_intents(words("Please arrange a 24 hour Holter"), TERMS) == {"rhythm_monitor"}
    # "TEE" inside "committee" and "ETT" inside "Bennett" are not orders
    assert printed_term_intents(words("reviewed by the committee Dr. Bennett"), TERMS) == set()
    assert printed_term_intents(words("CARDIAC   MRI with gadolinium"), TERMS) == {"cardiac_mri"}
    # a term inside a longer term of another service counts for the longer one only
    assert printed_term_intents(words("Order: CT coronary angiography"), TERMS) == {"cardiac_ct"}
    assert printed_term_intents(words("coronary angiography"), TERMS) == {"cardiac_cath"}


def test_codes_come_before_names_and_an_order_menu_says_nothing() -> None:
    # a code in a range decides, and the history's "echocardiogram" is not read beside it
    assert printed_order_intents(words("prior echocardiogram normal . order 93224"), TERMS) == ["rhythm_monitor"]
    # a code in no range (93000, a resting ECG) is no code: the names are read
    assert printed_order_intents(words("prior echocardiogram normal . CPT 93000"), TERMS) == ["echo_tte"]
    menu = ["99204", "93306", "75574", "93458", "93620"]  # a checkbox sheet prints every service it offers
    assert len(printed_cpt_intents(menu)) > MAX_PRINTED_INTENTS
    assert printed_order_intents(menu, TERMS) == []
    # several intents, in contract order
    assert printed_order_intents(words("Holter monitor and TTE"), TERMS) == ["echo_tte", "rhythm_monitor"]


def test_service_names_are_read_through_ocr_slips_when_none_is_printed_exactly() -> None:
    assert fuzzy_term_intents(words("Rx tress echo . Routine"), TERMS) == {"stress_echo"}
    assert fuzzy_term_intents(words("PACEMAKER INLERROGATION"), TERMS) == {"device_check"}
    # a slipped name inside a longer slipped name counts for the longer one only
    assert fuzzy_term_intents(words("stress echocardiogiam"), TERMS) == {"stress_echo"}
    # short names are exact or nothing ("GNE" is not "GXT"); a word that only looks alike is no order
    assert fuzzy_term_intents(words("REQUEST GNE tots"), TERMS) == set()
    assert fuzzy_term_intents(words("cardiac murmur on exam"), TERMS) == set()
    assert printed_order_intents(words("Rx tress echo"), TERMS) == ["stress_echo"]
    # an exact name decides: the slipped one beside it is not read
    assert printed_order_intents(words("TTE ; slress echo"), TERMS) == ["echo_tte"]


def _silent_page(words: list[str]) -> RawPageOutput:
    """A page the tagger read as all "O" and the intent head is silent on."""
    logits = np.zeros((len(words), len(BIO_LABELS)))
    logits[:, 0] = 8.0
    boxes = [(10 * i, 10, 10 * i + 8, 20) for i in range(len(words))]
    pt = np.zeros(len(PAGE_TYPES))
    pt[PAGE_TYPES.index("referral_order")] = 5.0
    return RawPageOutput(words=words, boxes=boxes, tag_logits=logits, page_type_logits=pt)


def test_build_prediction_falls_back_when_nothing_is_listed_or_no_order_was_read() -> None:
    silent = np.full(len(INTENTS), -6.0)
    raw = RawDocumentOutput(
        pages=[_silent_page(words("Referral : Cardiology - PPM check - 93288 - Emergent"))],
        referral_pages=[[0]], intent_logits=[silent],
    )
    ref = build_prediction(raw, Calibration(), "x.tif", "sha256:1").referrals[0]
    assert [i.label for i in ref.intents] == ["device_check"]
    assert "low_confidence:intent" in ref.review.reasons and "missing:intent" not in ref.review.reasons
    # listed at its listing threshold, so that it passes it as the contract's intents do
    strict = Calibration(intent_thresholds=dict.fromkeys(INTENTS, 0.7))
    assert [i.confidence for i in build_prediction(raw, strict, "x.tif", "sha256:1").referrals[0].intents] == [0.7]
    off = build_prediction(raw, Calibration(printed_order_fallback=False, printed_codes_ordered=False), "x.tif",
                           "sha256:1").referrals[0]
    assert off.intents == [] and "missing:intent" in off.review.reasons
    # the head lists an intent but the tagger read no order: the printed code replaces the head's guess
    head = silent.copy()
    head[INTENTS.index("consult")] = 6.0
    guessed = RawDocumentOutput(pages=raw.pages, referral_pages=[[0]], intent_logits=[head])
    ref = build_prediction(guessed, Calibration(), "x.tif", "sha256:1").referrals[0]
    assert [i.label for i in ref.intents] == ["device_check"] and "low_confidence:intent" in ref.review.reasons
    # the tagger read an order ("office visit"): the head's listing stands, and the printed code the tagger
    # missed adds its order, for a person to confirm; a service name alone adds nothing
    read = _silent_page(words("Referral : office visit - 93288 - Emergent"))
    read.tag_logits[2:4] = 0.0
    read.tag_logits[2, BIO_LABELS.index("B-PROCEDURE")] = 8.0
    read.tag_logits[3, BIO_LABELS.index("I-PROCEDURE")] = 8.0
    raw2 = RawDocumentOutput(pages=[read], referral_pages=[[0]], intent_logits=[head])
    both = build_prediction(raw2, Calibration(), "x.tif", "sha256:1").referrals[0]
    assert [i.label for i in both.intents] == ["consult", "device_check"]
    assert "low_confidence:intent" in both.review.reasons
    no_codes = Calibration(printed_codes_ordered=False)
    assert [i.label for i in build_prediction(raw2, no_codes, "x.tif", "sha256:1").referrals[0].intents] == ["consult"]
    named = _silent_page(words("Referral : office visit - PPM check - Emergent"))
    named.tag_logits[2:4] = read.tag_logits[2:4]
    raw3 = RawDocumentOutput(pages=[named], referral_pages=[[0]], intent_logits=[head])
    assert [i.label for i in build_prediction(raw3, Calibration(), "x.tif", "sha256:1").referrals[0].intents] == ["consult"]


def test_printed_codes_name_their_orders_unless_they_are_a_menu() -> None:
    from cardio_intake.extraction.printed_orders import printed_code_intents

    assert printed_code_intents(["Holter", "94229", "(slip", "of", "93229)", "TTE", "93306."]) == {"rhythm_monitor", "echo_tte"}
    menu = ["93306", "93350", "78452", "93015", "75574"]  # a checkbox sheet prints every service it offers
    assert printed_code_intents(menu) == set()


def test_history_pages_are_not_read() -> None:
    """A clinical note's history ("Holter monitor report") is not an order: the fallback reads every
    page but notes and test results."""
    silent = np.full(len(INTENTS), -6.0)
    note = _silent_page(words("HOLTER MONITOR REPORT : sinus rhythm"))
    note.page_type_logits = np.where(np.arange(len(PAGE_TYPES)) == PAGE_TYPES.index("clinical_note"), 5.0, 0.0)
    order = _silent_page(words("Rx : cardiology consult"))
    both = RawDocumentOutput(pages=[order, note], referral_pages=[[0, 1]], intent_logits=[silent])
    assert [i.label for i in build_prediction(both, Calibration(), "x.tif", "sha256:1").referrals[0].intents] == ["consult"]
    alone = RawDocumentOutput(pages=[note], referral_pages=[[0]], intent_logits=[silent])
    ref = build_prediction(alone, Calibration(), "x.tif", "sha256:1").referrals[0]
    assert ref.intents == [] and "missing:intent" in ref.review.reasons
    # an order page the model typed as an insurance card is not history: it is read
    card = _silent_page(words("RX PPM check within 72 hours"))
    card.page_type_logits = np.where(np.arange(len(PAGE_TYPES)) == PAGE_TYPES.index("insurance_card"), 5.0, 0.0)
    mistyped = RawDocumentOutput(pages=[card], referral_pages=[[0]], intent_logits=[silent])
    assert [i.label for i in build_prediction(mistyped, Calibration(), "x.tif", "sha256:1").referrals[0].intents] == [
        "device_check"
    ]


def test_cpt_evidence_of_an_order_menu_is_none() -> None:
    """Two codes are two orders; a sheet printing five services' codes is a menu, not evidence."""
    from cardio_intake.extraction.build import cpt_intent_evidence

    def spans(codes: list[str]) -> list[Span]:
        return [Span(type="CPT", text=c, page=1, bbox=(0, 0, 1, 1), confidence=0.9, word_indices=[i])
                for i, c in enumerate(codes)]

    assert cpt_intent_evidence(spans(["93306", "93224"])) == {"echo_tte": 0.9, "rhythm_monitor": 0.9}
    assert cpt_intent_evidence(spans(["99204", "93306", "75574", "93458", "93620"])) == {}


def test_cpt_evidence_counts_a_code_under_the_cpt_field_threshold() -> None:
    """A code read at 0.42 is not listed in the CPT field (threshold 0.6) but still says its service,
    as weakly as it was read; an invalid code and a code of no contract range say nothing."""
    from cardio_intake.extraction.build import cpt_intent_evidence, referral_intent_evidence
    from cardio_intake.extraction.entities import spans_to_fields

    def span(text: str, conf: float, etype: str = "CPT") -> Span:
        return Span(type=etype, text=text, page=1, bbox=(0, 0, 1, 1), confidence=conf, word_indices=[0])

    read = [span("75574", 0.42), span("99204", 0.95), span("9X2", 0.9), span("36415", 0.9), span("93306", 0.8, "ICD10")]
    assert spans_to_fields(read, {"cpt": 0.6}).fields.cpt == ["99204", "36415"]
    assert cpt_intent_evidence(read) == {"cardiac_ct": 0.42, "consult": 0.95}
    assert referral_intent_evidence(read, Calibration()).cpt == {"cardiac_ct": 0.42, "consult": 0.95}
