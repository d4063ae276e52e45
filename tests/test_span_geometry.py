"""Spans mended from the page's geometry and the payer directory: order lines cut where they wrap,
payer names grown to the directory name the tagger stopped short of."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from cardio_intake.extraction.entities import decode_page, heading_only, no_code, no_id
from cardio_intake.extraction.lines import line_runs, starts_new_line
from cardio_intake.extraction.order_intents import (
    fit_order_intents,
    order_intent_evidence,
    service_order_terms,
)
from cardio_intake.extraction.payer_words import complete_payer
from cardio_intake.labels import BIO_LABELS
from tests.test_viterbi_decoding import probs_for

Box = tuple[int, int, int, int]


def row_boxes(words: Sequence[str], x: int = 100, y: int = 300, height: int = 12) -> list[Box]:
    """One text line of words, left to right, 8 units per letter and a 6-unit gap."""
    boxes = []
    for w in words:
        boxes.append((x, y, x + 8 * len(w), y + height))
        x += 8 * len(w) + 6
    return boxes


def span_tags(etype: str, n: int) -> list[str]:
    return [f"B-{etype}"] + [f"I-{etype}"] * (n - 1)


# --- lines -----------------------------------------------------------------------------------------

def test_a_word_back_at_the_left_and_below_starts_a_line() -> None:
    assert starts_new_line((400, 300, 460, 312), (100, 320, 180, 332))


@pytest.mark.parametrize(
    "box",
    [
        (470, 303, 520, 315),  # raised or lowered on the same line (handwriting, skew)
        (470, 320, 520, 332),  # lower but to the right: the next word of a sloping line
        (100, 302, 180, 314),  # back left but level with it: OCR's reading order within one line
    ],
)
def test_words_of_one_line_do_not_start_a_line(box: Box) -> None:
    assert not starts_new_line((400, 300, 460, 312), box)


def test_line_runs_cut_a_range_at_each_wrap() -> None:
    first, second = ["CONSULT", "-", "EVAL", "&", "TREAT"], ["TREADMILL", "STRESS", "TEST"]
    words = ["Order:", *first, *second]
    boxes = row_boxes(["Order:"], x=20, y=280) + row_boxes(first) + row_boxes(second, y=318)
    assert line_runs(1, 9, words, boxes) == [(1, 6), (6, 9)]
    assert line_runs(1, 6, words, boxes) == [(1, 6)]


def test_a_line_that_goes_on_in_lower_case_is_a_wrapped_sentence_not_a_new_order() -> None:
    words = ["We", "request", "a", "Treadmill", "stress", "test", "Holter", "monitor"]
    boxes = row_boxes(words[:4]) + row_boxes(words[4:6], y=318) + row_boxes(words[6:], y=336)
    assert line_runs(3, 8, words, boxes) == [(3, 6), (6, 8)]


# --- order lines in decode_page ---------------------------------------------------------------------

ORDER_WORDS = ["CONSULT", "-", "EVAL", "&", "TREAT", "TREADMILL", "STRESS", "TEST"]
ORDER_BOXES = row_boxes(ORDER_WORDS[:5]) + row_boxes(ORDER_WORDS[5:], y=318)


def test_a_procedure_span_over_two_lines_becomes_one_span_per_line() -> None:
    probs = probs_for(span_tags("PROCEDURE", 8))
    merged = decode_page(ORDER_WORDS, ORDER_BOXES, probs, 1, decoding="viterbi")
    assert [s.text for s in merged] == ["CONSULT - EVAL & TREAT TREADMILL STRESS TEST"]
    cut = decode_page(ORDER_WORDS, ORDER_BOXES, probs, 1, decoding="viterbi", split_lines=True)
    assert [(s.type, s.text, s.word_indices) for s in cut] == [
        ("PROCEDURE", "CONSULT - EVAL & TREAT", [0, 1, 2, 3, 4]),
        ("PROCEDURE", "TREADMILL STRESS TEST", [5, 6, 7]),
    ]
    assert cut[1].bbox == (ORDER_BOXES[5][0], 318, ORDER_BOXES[7][2], 330)


def test_only_list_items_are_cut() -> None:
    """A name running into the label under it stays one span: the multi-patient split reads names, and a
    cut-off fragment would stand for a patient of its own."""
    words = ["Wright,", "Gloria", "Fecha", "de", "nacimiento"]
    boxes = row_boxes(words[:2]) + row_boxes(words[2:], y=318)
    probs = probs_for(span_tags("PATIENT_NAME", 5))
    assert [s.text for s in decode_page(words, boxes, probs, 1, split_lines=True)] == ["Wright, Gloria Fecha de nacimiento"]


def test_a_diagnosis_over_two_lines_is_kept_whole() -> None:
    words = ["Essential", "(primary)", "hypertension"]
    boxes = row_boxes(words[:2]) + row_boxes(words[2:], y=318)
    (span,) = decode_page(words, boxes, probs_for(span_tags("DIAGNOSIS", 3)), 1, split_lines=True)
    assert span.text == "Essential (primary) hypertension"
    # ...also where the next line starts with a bracket: the letter after it says the line goes on
    boxes = row_boxes(words[:1]) + row_boxes(words[1:], y=318)
    (span,) = decode_page(words, boxes, probs_for(span_tags("DIAGNOSIS", 3)), 1, split_lines=True)
    assert span.text == "Essential (primary) hypertension"


def test_a_diagnosis_list_read_as_one_span_is_one_item_per_line() -> None:
    words = ["ABNORMAL", "ECG", "ATYPICAL", "CHEST", "PAIN"]
    boxes = row_boxes(words[:2]) + row_boxes(words[2:], y=318)
    probs = probs_for(span_tags("DIAGNOSIS", 5))
    assert [s.text for s in decode_page(words, boxes, probs, 1, split_lines=True)] == ["ABNORMAL ECG", "ATYPICAL CHEST PAIN"]
    assert [s.text for s in decode_page(words, boxes, probs, 1)] == ["ABNORMAL ECG ATYPICAL CHEST PAIN"]


def test_a_wrapped_item_the_tagger_cut_at_its_connector_is_joined() -> None:
    first, second = ["Occlusion", "and"], ["stenosis", "of", "bilateral", "carotid", "arteries"]
    words, boxes = first + second, row_boxes(first) + row_boxes(second, y=318)
    probs = probs_for(span_tags("DIAGNOSIS", 2) + span_tags("DIAGNOSIS", 5))
    (span,) = decode_page(words, boxes, probs, 1, split_lines=True)
    assert span.text == "Occlusion and stenosis of bilateral carotid arteries" and span.word_indices == list(range(7))
    assert len(decode_page(words, boxes, probs, 1)) == 2
    # an O word between them: two readings the tagger kept apart on purpose
    gap = [*first, "-", *second]
    gap_probs = probs_for([*span_tags("DIAGNOSIS", 2), "O", *span_tags("DIAGNOSIS", 5)])
    gap_boxes = row_boxes([*first, "-"]) + row_boxes(second, y=318)
    assert [s.text for s in decode_page(gap, gap_boxes, gap_probs, 1, split_lines=True)] == [
        "Occlusion", "stenosis of bilateral carotid arteries"
    ]


def test_the_lists_and_is_no_part_of_its_items() -> None:
    first, second = ["Angina", "pectoris", "and"], ["Essential", "(primary)", "hypertension"]
    words, boxes = first + second, row_boxes(first) + row_boxes(second, y=318)
    probs = probs_for(span_tags("DIAGNOSIS", 3) + span_tags("DIAGNOSIS", 3))
    assert [s.text for s in decode_page(words, boxes, probs, 1, split_lines=True)] == [
        "Angina pectoris", "Essential (primary) hypertension"
    ]
    # a lone "and" tagged as an item stays what the tagger said (another rule may drop it)
    (alone,) = decode_page(["and"], row_boxes(["and"]), probs_for(["B-DIAGNOSIS"]), 1, split_lines=True)
    assert alone.text == "and"


def test_cut_order_lines_let_the_order_reader_see_both_services() -> None:
    reader = fit_order_intents([], service_order_terms())
    assert reader is not None
    probs = probs_for(span_tags("PROCEDURE", 8))

    def evidence(split: bool) -> dict[str, float]:
        spans = decode_page(ORDER_WORDS, ORDER_BOXES, probs, 1, split_lines=split)
        return order_intent_evidence(reader, spans)

    merged, cut = evidence(False), evidence(True)
    assert cut["consult"] >= 0.5 and cut["exercise_stress"] >= 0.5
    assert cut["exercise_stress"] > merged["exercise_stress"]


# --- payer completion ---------------------------------------------------------------------------------

def grown(words: Sequence[str], start: int, end: int, taken: Sequence[int] = (), boxes: Sequence[Box] | None = None) -> str:
    s, e = complete_payer(words, boxes or row_boxes(words), start, end, lambda i: i not in taken)
    return " ".join(words[s:e])


@pytest.mark.parametrize(
    ("words", "start", "end", "expected"),
    [
        (["Ins:", "Cigna", "Health", "ID:"], 1, 2, "Cigna Health"),  # carrier's full name after it
        (["Medicare", "Part", "B"], 0, 2, "Medicare Part B"),
        (["Plan:", "Aetna", "Medicare", "Advantage"], 2, 4, "Aetna Medicare Advantage"),  # carrier before the plan
        (["Medicare", "(CMS)"], 0, 1, "Medicare (CMS)"),
        (["UnitedHealthcare", "Choice", "Plus"], 0, 2, "UnitedHealthcare Choice Plus"),
        (["Devoted", "Heelth"], 0, 1, "Devoted Heelth"),  # one OCR slip from a directory word still counts
    ],
)
def test_a_payer_span_grows_to_the_directory_name_it_is_part_of(
    words: list[str], start: int, end: int, expected: str
) -> None:
    assert grown(words, start, end) == expected


@pytest.mark.parametrize(
    ("words", "start", "end"),
    [
        (["Ins:", "Kaiser", "Permanente"], 1, 3),  # a label before the name is no part of it
        (["is", "Medicare"], 1, 2),
        (["Medicare", "-"], 0, 1),  # a stray dash
        (["UnitedHealthcare", "Medicare", "Advantage", "reserves"], 0, 3),  # boilerplate goes on
        (["Wellcare", "Medicare", "ee"], 0, 2),  # a speck
        (["Geisinger", "Health"], 0, 1),  # a payer the directory does not know is kept as tagged
    ],
)
def test_words_that_make_no_directory_name_are_not_added(words: list[str], start: int, end: int) -> None:
    assert grown(words, start, end) == " ".join(words[start:end])


def test_a_word_of_another_span_or_line_is_not_added() -> None:
    words = ["Cigna", "Health"]
    assert grown(words, 0, 1, taken=[1]) == "Cigna"
    below = row_boxes(["Cigna"]) + row_boxes(["Health"], y=318)
    assert grown(words, 0, 1, boxes=below) == "Cigna"


def test_decode_page_grows_payers_and_keeps_the_tagged_words_confidence() -> None:
    words = ["Insurance:", "Cigna", "Health", "Member", "ID:", "U1234567"]
    tags = ["O", "B-PAYER", "O", "O", "O", "B-MEMBER_ID"]
    probs = probs_for(tags, sure=0.8)
    boxes = row_boxes(words)
    plain = decode_page(words, boxes, probs, 1)
    full = decode_page(words, boxes, probs, 1, complete_payers=True)
    assert [(s.type, s.text) for s in plain] == [("PAYER", "Cigna"), ("MEMBER_ID", "U1234567")]
    assert [(s.type, s.text, s.word_indices) for s in full] == [
        ("PAYER", "Cigna Health", [1, 2]),
        ("MEMBER_ID", "U1234567", [5]),
    ]
    assert full[0].confidence == pytest.approx(plain[0].confidence)
    assert full[0].bbox == (boxes[1][0], boxes[1][1], boxes[2][2], boxes[2][3])


def test_a_payer_takes_a_word_tagged_as_a_value_it_cannot_be() -> None:
    words = ["Medicare", "Part", "B", "8E35J94DD35"]
    tags = ["B-PAYER", "I-PAYER", "B-MEMBER_ID", "B-MEMBER_ID"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, complete_payers=True)
    assert [(s.type, s.text) for s in spans] == [("PAYER", "Medicare Part B"), ("MEMBER_ID", "8E35J94DD35")]
    # a valid member ID is not taken, even where the two would make a directory name
    words = ["Aetna", "W238849102"]
    spans = decode_page(words, row_boxes(words), probs_for(["B-PAYER", "B-MEMBER_ID"]), 1, complete_payers=True)
    assert [(s.type, s.text) for s in spans] == [("PAYER", "Aetna"), ("MEMBER_ID", "W238849102")]


# --- a payer span that runs on into the member ID ------------------------------------------------

@pytest.mark.parametrize("complete", [False, True])
def test_an_id_read_with_the_payer_becomes_a_member_id_reading(complete: bool) -> None:
    words = ["Insurance:", "Texas", "Medicaid", "250685368", "Group"]
    tags = ["O", *span_tags("PAYER", 3), "O"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, complete_payers=complete)
    assert [(s.type, s.text) for s in spans] == [("PAYER", "Texas Medicaid"), ("MEMBER_ID", "250685368")]
    payer, member = spans
    # the tagger read the ID as the payer: as a member ID it is a weak reading, the payer keeps its confidence
    assert member.confidence < 0.1 < 0.8 < payer.confidence


def test_a_plan_number_is_no_id_and_words_after_an_id_stay_the_payers() -> None:
    words = ["BCBS", "Plan", "65", "Aetna", "W123456789", "PPO"]
    tags = [*span_tags("PAYER", 3), *span_tags("PAYER", 3)]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1)
    assert [(s.type, s.text) for s in spans] == [
        ("PAYER", "BCBS Plan 65"), ("PAYER", "Aetna"), ("MEMBER_ID", "W123456789"), ("PAYER", "PPO"),
    ]


# --- a span no valid value of its type takes the likeliest type it is valid as --------------------

def mixed_probs(tags: list[str], second: dict[int, tuple[str, float]]) -> np.ndarray:
    """``probs_for(tags)`` with, for word i in ``second``, that tag given the stated probability (taken from
    the word's own tag)."""
    p = probs_for(tags)
    for i, (tag, prob) in second.items():
        p[i, BIO_LABELS.index(tag)] += prob
        p[i, BIO_LABELS.index(tags[i])] -= prob
    return p


def test_nine_digits_tagged_as_an_npi_become_the_member_id_the_tagger_thought_next() -> None:
    words = ["Ins:", "UHC", "388463760", "NPI", "1245319599"]
    tags = ["O", "B-PAYER", "B-REFERRING_NPI", "O", "B-REFERRING_NPI"]
    probs = mixed_probs(tags, {2: ("B-MEMBER_ID", 0.3), 4: ("B-MEMBER_ID", 0.3)})
    plain = decode_page(words, row_boxes(words), probs, 1)
    assert [(s.type, s.text) for s in plain] == [("PAYER", "UHC"), ("REFERRING_NPI", "388463760"), ("REFERRING_NPI", "1245319599")]
    spans = decode_page(words, row_boxes(words), probs, 1, retype_invalid=True)
    # nine digits are no NPI (ten, Luhn-checked): the member ID, at the tagger's 0.3; a valid NPI stays one
    assert [(s.type, s.text) for s in spans] == [("PAYER", "UHC"), ("MEMBER_ID", "388463760"), ("REFERRING_NPI", "1245319599")]
    assert [s.retyped for s in spans] == [False, True, False]
    assert spans[1].confidence == pytest.approx(probs[2, BIO_LABELS.index("B-MEMBER_ID")] + probs[2, BIO_LABELS.index("I-MEMBER_ID")])


def test_a_phone_number_tagged_as_the_chart_number_becomes_the_phone() -> None:
    """"2167556884" read as the MRN on a new form: ten digits of a North American number are no chart number. A
    chart number of other digits, or one with letters, stays."""
    words = ["Phone", "2167556884", "MRN", "1675627", "Acct", "2167556884X"]
    tags = ["O", "B-MRN", "O", "B-MRN", "O", "B-MRN"]
    probs = mixed_probs(tags, {1: ("B-PATIENT_PHONE", 0.3), 3: ("B-PATIENT_PHONE", 0.3), 5: ("B-PATIENT_PHONE", 0.3)})
    spans = decode_page(words, row_boxes(words), probs, 1, retype_invalid=True)
    assert [(s.type, s.text) for s in spans] == [
        ("PATIENT_PHONE", "2167556884"), ("MRN", "1675627"), ("MRN", "2167556884X")]
    assert [s.retyped for s in spans] == [True, False, False]


def test_no_type_is_taken_that_the_tagger_gave_no_thought_or_that_takes_any_words() -> None:
    words = ["Fax:", "989869165", "Seguro", "miembro"]
    tags = ["O", "B-PROVIDER_FAX", "O", "B-PAYER"]
    # the ID had 0.01 of member ID: under the floor; "miembro" (a payer needs a capital) is likely a diagnosis,
    # which takes any words and so is never a re-typed value
    probs = mixed_probs(tags, {1: ("B-MEMBER_ID", 0.01), 3: ("B-DIAGNOSIS", 0.4)})
    spans = decode_page(words, row_boxes(words), probs, 1, retype_invalid=True)
    assert [(s.type, s.text) for s in spans] == [("PROVIDER_FAX", "989869165"), ("PAYER", "miembro")]


def test_an_mbi_read_mostly_as_letters_is_cut_from_the_payer_too() -> None:
    words = ["INS;", "MEDICARE", "SFT3XKSEAT)", "Plan", "MA-PD"]
    tags = ["O", *span_tags("PAYER", 2), *span_tags("PAYER", 2)]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1)
    assert [(s.type, s.text) for s in spans] == [
        ("PAYER", "MEDICARE"), ("MEMBER_ID", "SFT3XKSEAT)"), ("PAYER", "Plan MA-PD"),
    ]


def test_a_member_ids_two_digit_suffix_the_tagger_doubted_joins_it() -> None:
    words = ["Member", "ID:", "U37650596", "04", "RxBIN:", "610279"]
    tags = ["O", "O", "B-MEMBER_ID", "O", "O", "O"]
    doubted = mixed_probs(tags, {3: ("I-MEMBER_ID", 0.3)})
    spans = decode_page(words, row_boxes(words), doubted, 1)
    assert [(s.type, s.text) for s in spans] == [("MEMBER_ID", "U37650596 04")]
    assert spans[0].confidence < 0.9 * probs_for(tags)[2, BIO_LABELS.index("B-MEMBER_ID")]  # the doubt stays
    # a suffix the tagger saw as nothing, a longer number, or one on the next line stays out
    assert [s.text for s in decode_page(words, row_boxes(words), probs_for(tags), 1)] == ["U37650596"]
    longer = ["ID:", "U37650596", "2024", "RxBIN:"]
    probs = mixed_probs(["O", "B-MEMBER_ID", "O", "O"], {2: ("I-MEMBER_ID", 0.3)})
    assert [s.text for s in decode_page(longer, row_boxes(longer), probs, 1)] == ["U37650596"]
    below = [*row_boxes(words[:3]), (100, 330, 120, 342), *row_boxes(words[4:], y=330)]
    assert [s.text for s in decode_page(words, below, doubted, 1)] == ["U37650596"]


# --- spans that are no value of their type -----------------------------------------------------------

def test_a_label_tagged_as_a_name_payer_or_urgency_is_no_entity() -> None:
    words = ["Fecha", "de", "nacimiento", "Seguro", "médico", "PRE-SERVICE", "Maria", "Lopez", "Aetna", "Routine"]
    tags = [*span_tags("PATIENT_NAME", 3), "O", "B-PAYER", "B-URGENCY", *span_tags("PATIENT_NAME", 2), "B-PAYER",
            "B-URGENCY"]
    probs = probs_for(tags)
    listed = [(s.type, s.text) for s in decode_page(words, row_boxes(words), probs, 1, retype_invalid=True)]
    assert ("PAYER", "médico") in listed and ("URGENCY", "PRE-SERVICE") in listed  # without the rule
    spans = decode_page(words, row_boxes(words), probs, 1, retype_invalid=True, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("PATIENT_NAME", "Maria Lopez"), ("PAYER", "Aetna"), ("URGENCY", "Routine")]


def test_an_id_or_date_damaged_by_ocr_stays_listed() -> None:
    # character-checked types fail on OCR damage, and the span still shows a person where the value is
    words = ["Member", "ID:", "W33916860?", "DOB:", "Ju9,1980", "Dr.", "lvanov"]
    tags = ["O", "O", "B-MEMBER_ID", "O", "B-PATIENT_DOB", "O", "B-REFERRING_PROVIDER"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [
        ("MEMBER_ID", "W33916860?"), ("PATIENT_DOB", "Ju9,1980"), ("REFERRING_PROVIDER", "lvanov"),
    ]


def test_urgent_care_names_a_place_not_an_urgency() -> None:
    words = ["WESTGATE", "ED", "/", "URGENT", "CARE", "Priority:", "URGENT", "-", "within", "72", "hours"]
    tags = ["O", "O", "O", "B-URGENCY", "O", "O", *span_tags("URGENCY", 5)]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["URGENT - within 72 hours"]
    # run together by OCR, or the whole name tagged
    joined = ["RIVERSIDE", "URGENTCARE", "Priority:", "Routine"]
    spans = decode_page(joined, row_boxes(joined), probs_for(["O", "B-URGENCY", "O", "B-URGENCY"]), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["Routine"]
    # "URGENT" closing one line, with "Care plan" starting the next, is the order's urgency
    lines = ["Priority:", "URGENT", "Care", "plan"]
    boxes = [*row_boxes(lines[:2]), *row_boxes(lines[2:], y=330)]
    spans = decode_page(lines, boxes, probs_for(["O", "B-URGENCY", "O", "O"]), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["URGENT"]


@pytest.mark.parametrize("non_tag", ["O", "B-URGENCY"])
def test_a_negation_the_urgency_was_read_without_joins_it(non_tag: str) -> None:
    # OCR parted "Non-urgent" at its hyphen and the tagger took "urgent" alone: the order is routine
    words = ["Priority:", "Non", "urgent", "Date:"]
    spans = decode_page(words, row_boxes(words), probs_for(["O", non_tag, "B-URGENCY", "O"]), 1, drop_non_values=True)
    assert [(s.text, s.word_indices) for s in spans] == [("Non urgent", [1, 2])]
    # a negation ending the line before is no part of it, nor is one another span holds
    lines = ["Is", "not", "URGENT"]
    boxes = [*row_boxes(lines[:2]), *row_boxes(lines[2:], y=330)]
    spans = decode_page(lines, boxes, probs_for(["O", "O", "B-URGENCY"]), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["URGENT"]


def test_an_urgency_cut_short_takes_the_rest_of_its_phrase() -> None:
    def texts(words: list[str], tags: list[str]) -> list[str]:
        return [s.text for s in decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)]

    words = ["Priority:", "Expedite", "-", "within’", "|", "week", "Referring"]
    assert texts(words, ["O", *span_tags("URGENCY", 3), "O", "O", "O"]) == ["Expedite - within’ | week"]
    assert texts(["Routine", "next", "avaliable", "Date:"], [*span_tags("URGENCY", 2), "O", "O"]) == [
        "Routine next avaliable"]
    # a label after it, or a phrase that is whole, takes nothing
    assert texts(["URGENT", "-", "Date:"], [*span_tags("URGENCY", 2), "O"]) == ["URGENT -"]
    assert texts(["Routine", "Referring", "MD"], ["B-URGENCY", "O", "O"]) == ["Routine"]


def test_a_negated_urgency_is_routine_however_ocr_spaced_its_hyphen() -> None:
    from cardio_intake.extraction.normalize import normalize_urgency

    for text in ("Non urgent", "Non- urgent", "Non — urgent", "NON-URGENT", "not urgent"):
        assert normalize_urgency(text).value == "routine", text
    assert normalize_urgency("Urgent - within 72 hours").value == "urgent"


def test_a_heading_over_diagnoses_or_orders_is_no_diagnosis_or_order() -> None:
    words = ["Diagnosis", "(ICD-10)", "and", "Procedure", "(CPT)", "Atrial", "fibrillation", "Referred", "to:",
             "Cardiology", "Cardiology", "consult"]
    tags = ["O", "B-DIAGNOSIS", "I-DIAGNOSIS", "O", "B-DIAGNOSIS", *span_tags("DIAGNOSIS", 2), "O", "O",
            "B-PROCEDURE", *span_tags("PROCEDURE", 2)]
    boxes = [*row_boxes(words[:7]), *row_boxes(words[7:10], y=330), *row_boxes(words[10:], y=360)]
    spans = decode_page(words, boxes, probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("DIAGNOSIS", "Atrial fibrillation"), ("PROCEDURE", "Cardiology consult")]
    # OCR's "1CD-10" is still the code system's name; a bare "ICD" is the device, an order's or a diagnosis's word
    assert heading_only("(1CD-10)") and heading_only("Diagnosis (ICD 10) and") and heading_only("PCP")
    assert not heading_only("ICD") and not heading_only("ICD interrogation")
    # an HMO form's heading, a bilingual form's labels (through accents and OCR slips), a lab test named alone
    assert heading_only("PRE-SERVICE") and heading_only("Diagnóstico") and heading_only("Diagnéstico")
    assert heading_only("solicltado") and heading_only("Troponin")
    # the labels beside them: vital signs, a bilingual form's priority, date, member ID and referring doctor
    assert heading_only("Vitals") and heading_only("Prioritad") and heading_only("de miembro") and heading_only("Médico que")
    assert not heading_only("Abnormal vitals") and not heading_only("Tetralogy of Fallot")
    assert not heading_only("Elevated troponin") and not heading_only("Cardiology consult")
    assert not heading_only("Dhagnonts") and not heading_only("Cardiomyopathy")
    # a bilingual form's "Seguro médico" read as the payer Medica: a label, not the payer printed under it
    words = ["Seguro", "Médico", "Medica"]
    spans = decode_page(words, row_boxes(words), probs_for(["O", "B-PAYER", "B-PAYER"]), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("PAYER", "Medica")]
    # a result line: the test with its result is still no diagnosis; a diagnosis about the result is one
    assert heading_only("Troponin negative x2.") and heading_only("BNP positive")
    assert not heading_only("Negative stress test") and not heading_only("Positive troponin with chest pain")


def test_a_providers_credentials_on_its_line_join_the_name() -> None:
    words = ["Ordering:", "Dr.", "Yuki", "Chen,", "PA-C", "FACC", "NPI", "1245319599"]
    tags = ["O", *span_tags("REFERRING_PROVIDER", 3), "O", "O", "O", "B-REFERRING_NPI"]
    probs = probs_for(tags)
    spans = decode_page(words, row_boxes(words), probs, 1)
    assert [(s.type, s.text) for s in spans] == [
        ("REFERRING_PROVIDER", "Dr. Yuki Chen, PA-C FACC"), ("REFERRING_NPI", "1245319599"),
    ]
    # credentials on the next line, a credential-like surname in lower case, or a patient's name stay as tagged
    below = [*row_boxes(words[:4]), *row_boxes(words[4:], y=330)]
    name_only = decode_page(words, below, probs, 1)[0]
    assert name_only.text == "Dr. Yuki Chen,"
    assert spans[0].confidence == pytest.approx(name_only.confidence)  # the name's, not lowered by the credentials
    lower = ["Referred", "by", "Anh", "Do"]
    assert decode_page(lower, row_boxes(lower), probs_for(["O", "O", "B-REFERRING_PROVIDER", "O"]), 1)[0].text == "Anh"
    patient = ["Patient:", "Rosa", "Lee", "MD"]
    assert decode_page(patient, row_boxes(patient), probs_for(["O", *span_tags("PATIENT_NAME", 2), "O"]), 1)[0].text == "Rosa Lee"


# --- where a name ends ------------------------------------------------------------------------------

def test_no_span_goes_on_upward_into_another_columns_line() -> None:
    """The reading jumps from the name up to the label printed higher to its right: a name keeps its part
    before the jump; another type's parts stay readings of their own."""
    name, label = ["Wright,", "Gloria"], ["Fecha", "de", "nacimiento"]
    words, boxes = name + label, row_boxes(name, y=154) + row_boxes(label, x=371, y=130)
    probs = probs_for(span_tags("PATIENT_NAME", 5))
    assert [s.text for s in decode_page(words, boxes, probs, 1, split_lines=True)] == ["Wright, Gloria"]
    assert [s.text for s in decode_page(words, boxes, probs, 1)] == ["Wright, Gloria Fecha de nacimiento"]
    orders = ["Holter", "Echo", "complete"]
    o_boxes = row_boxes(orders[:1], y=300) + row_boxes(orders[1:], x=400, y=270)
    cut = decode_page(orders, o_boxes, probs_for(span_tags("PROCEDURE", 3)), 1, split_lines=True)
    assert [s.text for s in cut] == ["Holter", "Echo complete"]
    # a name that goes on below, in the next line, is not cut by this rule
    wrapped = ["Maria", "L.", "Gonzalez"]
    w_boxes = row_boxes(wrapped[:2]) + row_boxes(wrapped[2:], y=318)
    (whole,) = decode_page(wrapped, w_boxes, probs_for(span_tags("PATIENT_NAME", 3)), 1, split_lines=True, drop_non_values=True)
    assert whole.text == "Maria L. Gonzalez"


def test_a_name_stops_at_the_label_under_it_and_drops_trailing_specks() -> None:
    words = ["STEVEN", "ROBINSON", "Date", "of", "birth"]
    boxes = row_boxes(words[:2]) + row_boxes(words[2:], y=318)
    probs = probs_for(span_tags("PATIENT_NAME", 5))
    assert [s.text for s in decode_page(words, boxes, probs, 1, drop_non_values=True)] == ["STEVEN ROBINSON"]
    # a cover sheet's check box under "Re: ROSA PEREZ" read as "J"; on the name's own line an initial stays
    words = ["ROSA", "PEREZ", "J"]
    boxes = row_boxes(words[:2]) + row_boxes(words[2:], x=60, y=318)
    probs = probs_for(span_tags("PATIENT_NAME", 3))
    assert [s.text for s in decode_page(words, boxes, probs, 1, drop_non_values=True)] == ["ROSA PEREZ"]
    assert [s.text for s in decode_page(words, row_boxes(words), probs, 1, drop_non_values=True)] == ["ROSA PEREZ J"]

    def one(words: list[str], etype: str = "PATIENT_NAME") -> str:
        (span,) = decode_page(words, row_boxes(words), probs_for(span_tags(etype, len(words))), 1, drop_non_values=True)
        return span.text

    assert one(["Wei", "D.", "Hill", "p08"]) == "Wei D. Hill"  # a speck the normaliser drops
    assert one(["Francesca", "Tanaka", "-"]) == "Francesca Tanaka"
    assert one(["©.", "Rivera", "MD"], "REFERRING_PROVIDER") == "Rivera MD"  # a leading mark
    # what the name as written carries stays: credentials, even OCR-damaged ones, and an initial
    assert one(["Andrew", "Bennett", "D.0,"], "REFERRING_PROVIDER") == "Andrew Bennett D.0,"
    assert one(["Joshua", "Wang,", "MD,", "FACP"], "REFERRING_PROVIDER") == "Joshua Wang, MD, FACP"
    assert one(["Fischer,", "Margaret", "O"]) == "Fischer, Margaret O"


def test_touching_readings_of_one_value_on_a_line_join() -> None:
    """"Ingrid" | "K. Powell": a name the tagger broke in two on its line is one value; list items that touch
    ("Echo" | "Holter" on one line) stay apart, and so do names on two lines."""
    words = ["Ingrid", "K.", "Powell"]
    probs = probs_for(["B-PATIENT_NAME", "B-PATIENT_NAME", "I-PATIENT_NAME"])
    assert [s.text for s in decode_page(words, row_boxes(words), probs, 1, split_lines=True)] == ["Ingrid K. Powell"]
    assert [s.text for s in decode_page(words, row_boxes(words), probs, 1)] == ["Ingrid", "K. Powell"]
    two_lines = row_boxes(words[:1]) + row_boxes(words[1:], y=318)
    assert len(decode_page(words, two_lines, probs, 1, split_lines=True)) == 2
    orders = ["Echo", "Holter"]
    listed = decode_page(orders, row_boxes(orders), probs_for(["B-PROCEDURE", "B-PROCEDURE"]), 1, split_lines=True)
    assert [s.text for s in listed] == ["Echo", "Holter"]
    # a piece that is no name does not join one ("lVirst)": a label's remains)
    junk = ["lVirst)", "CARTER,", "TYRONE"]
    j_probs = probs_for(["B-PATIENT_NAME", "B-PATIENT_NAME", "I-PATIENT_NAME"])
    assert [s.text for s in decode_page(junk, row_boxes(junk), j_probs, 1, split_lines=True)][-1] == "CARTER, TYRONE"
    # other values join only where neither piece is one alone and together they are
    phone = ["216", "576", "5835"]
    p_probs = probs_for(["B-PATIENT_PHONE", "B-PATIENT_PHONE", "I-PATIENT_PHONE"])
    assert [s.text for s in decode_page(phone, row_boxes(phone), p_probs, 1, split_lines=True)] == ["216 576 5835"]
    fax = ["(HMO)", "6027648918"]
    f_spans = decode_page(fax, row_boxes(fax), probs_for(["B-PROVIDER_FAX", "B-PROVIDER_FAX"]), 1, split_lines=True)
    assert "6027648918" in [s.text for s in f_spans]


def one_span_text(words: list[str], etype: str, drop: bool = True) -> str:
    """The text of the one span decoded from ``words`` all tagged ``etype`` (with or without the mending rules)."""
    (span,) = decode_page(words, row_boxes(words), probs_for(span_tags(etype, len(words))), 1, drop_non_values=drop)
    return span.text


def test_a_phone_or_fax_loses_the_wordy_ends_when_its_digits_are_a_number_alone() -> None:
    """"(HMO) 8168371450": the practice name's end a fax header prints before its number is no part of it."""

    def one(words: list[str], etype: str = "PROVIDER_FAX", drop: bool = True) -> str:
        return one_span_text(words, etype, drop)

    assert one(["(HMO)", "8168371450"]) == "8168371450"
    assert one(["(HMO)", "8168371450"], drop=False) == "(HMO) 8168371450"
    assert one(["(602)", "814-0794", "Phone"], "PATIENT_PHONE") == "(602) 814-0794"
    # an area code OCR read as letters stays: the digits left are no number alone
    assert one(["BOA", "469", "4675"], "PATIENT_PHONE") == "BOA 469 4675"


def test_a_diagnosis_takes_the_lower_case_words_the_tagger_left_at_its_end() -> None:
    """"Abnormal result of other cardiovascular function" | "study": up to two lower-case words of four letters or
    more after it on its line; a connector, a capital, a number, the next line or a tagged word stays out."""

    def texts(words: list[str], n: int, boxes: list[Box] | None = None, rest: str = "O") -> list[str]:
        tags = span_tags("DIAGNOSIS", n) + [rest] * (len(words) - n)
        return [s.text for s in decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, drop_non_values=True)]

    assert texts(["Abnormal", "cardiovascular", "function", "study"], 3) == ["Abnormal cardiovascular function study"]
    assert texts(["Pal", "pitations", "nocturnal", "episodes"], 1) == ["Pal pitations nocturnal"]  # two at most
    assert texts(["Chest", "pain", "and", "dyspnea"], 2) == ["Chest pain"]
    assert texts(["Chest", "pain", "Palpitations"], 2) == ["Chest pain"]
    assert texts(["Chest", "pain", "2019"], 2) == ["Chest pain"]
    below = row_boxes(["Chest", "pain"]) + row_boxes(["study"], y=330)
    assert texts(["Chest", "pain", "study"], 2, below) == ["Chest pain"]
    assert texts(["Chest", "pain", "study"], 2, rest="B-PROCEDURE") == ["Chest pain", "study"]


def test_a_date_run_on_into_the_next_box_ends_where_the_date_does() -> None:
    """"01-Dec-1989" | "1-984-970-8398": the tagger ran a date of birth on into the phone after it."""

    def one(words: list[str], etype: str = "PATIENT_DOB", drop: bool = True) -> str:
        return one_span_text(words, etype, drop)

    assert one(["01-Dec-1989", "1-984-970-8398"]) == "01-Dec-1989"
    assert one(["01-Dec-1989", "1-984-970-8398"], drop=False) == "01-Dec-1989 1-984-970-8398"
    assert one(["October", "9,", "1990", "919"]) == "October 9, 1990"
    assert one(["2/16/71", "2-D"]) == "2/16/71"
    assert one(["11/30/2026", "P.001"], "REFERRAL_DATE") == "11/30/2026"
    # a valid date stays whole, and so does a year OCR parted in two
    assert one(["October", "9,", "1990"]) == "October 9, 1990"
    assert one(["04/01/19", "76"]) == "04/01/19 76"
    # nothing of it is a date: nothing to cut at
    assert one(["Sep", "21,", "100,"]) == "Sep 21, 100,"


# --- diagnoses and orders the tagger broke or ran on -------------------------------------------------

def test_a_diagnosis_broken_on_its_line_before_a_lower_case_word_is_one_item() -> None:
    """"Near" | "syncope": the rest of one item on its line starts in lower case, right after it or past the
    connector the tagger left out; two items a line lists each start in capitals."""

    def texts(words: list[str], tags: list[str], boxes: list[Box] | None = None) -> list[str]:
        spans = decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, split_lines=True)
        return [s.text for s in spans]

    assert texts(["Near", "syncope"], ["B-DIAGNOSIS", "B-DIAGNOSIS"]) == ["Near syncope"]
    assert texts(["Essential", "(primary)", "hypertension"], ["B-DIAGNOSIS", "I-DIAGNOSIS", "B-DIAGNOSIS"]) == [
        "Essential (primary) hypertension"]
    assert texts(["Right", "and", "left", "heart", "cath"], ["B-PROCEDURE", "O", *span_tags("PROCEDURE", 3)]) == [
        "Right and left heart cath"]
    # items of a list: capitals, a type change, a word that is no connector between, or the next line
    assert texts(["CAD", "Heart", "murmur"], ["B-DIAGNOSIS", *span_tags("DIAGNOSIS", 2)]) == ["CAD", "Heart murmur"]
    assert texts(["TIA", "and", "Cardiac", "murmur"], ["B-DIAGNOSIS", "O", *span_tags("DIAGNOSIS", 2)]) == [
        "TIA", "Cardiac murmur"]
    assert texts(["Echo", "syncope"], ["B-PROCEDURE", "B-DIAGNOSIS"]) == ["Echo", "syncope"]
    assert texts(["Evaluate", "ped", "treat"], ["B-PROCEDURE", "O", "B-PROCEDURE"]) == ["Evaluate", "treat"]
    words = ["Old", "MI", "cp"]
    two_lines = row_boxes(words[:2]) + row_boxes(words[2:], y=330)
    assert texts(words, ["B-DIAGNOSIS", "I-DIAGNOSIS", "B-DIAGNOSIS"], two_lines) == ["Old MI", "cp"]


def test_an_item_cut_at_its_start_grows_back_to_its_capital() -> None:
    """The tagger dropped a first word OCR garbled: the item grows back over up to two untagged words on its
    line to the one in capitals; a label, a number, a mark, another span or the line before stop it."""

    def texts(words: list[str], tags: list[str], boxes: list[Box] | None = None) -> list[str]:
        spans = decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, split_lines=True, drop_non_values=True)
        return [s.text for s in spans]

    assert texts(["Order:", "Vrendmill", "stress", "echo"], ["O", "O", *span_tags("PROCEDURE", 2)]) == [
        "Vrendmill stress echo"]
    words = ["Dx:", "Lncountey", "for", "preprocedural", "examination"]
    assert texts(words, ["O", "O", "O", *span_tags("DIAGNOSIS", 2)]) == ["Lncountey for preprocedural examination"]
    assert texts(["Rx", "tress", "echo"], ["O", *span_tags("PROCEDURE", 2)]) == ["tress echo"]
    assert texts(["Dx:", "fibrillation"], ["O", "B-DIAGNOSIS"]) == ["fibrillation"]
    assert texts(["I48.91", "-", "fibrillation"], ["B-ICD10", "O", "B-DIAGNOSIS"]) == ["I48.91", "fibrillation"]
    assert texts(["Seen", "for", "the", "valuation"], ["O", "O", "O", "B-PROCEDURE"]) == ["valuation"]  # no capital near
    two_lines = ["Holter", "echo"]
    boxes = [*row_boxes(two_lines[:1]), *row_boxes(two_lines[1:], y=330)]
    assert texts(two_lines, ["O", "B-PROCEDURE"], boxes) == ["echo"]


def test_a_surname_alone_takes_the_given_names_after_it_on_its_line() -> None:
    def texts(words: list[str], tags: list[str], boxes: list[Box] | None = None) -> list[str]:
        spans = decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, drop_non_values=True)
        return [s.text for s in spans if s.type == "PATIENT_NAME"]

    assert texts(["Patient:", "Novak.", "Eugene", "DOB:"], ["O", "B-PATIENT_NAME", "O", "O"]) == ["Novak. Eugene"]
    assert texts(["KING.", "AMA", "A", "F"], ["B-PATIENT_NAME", "O", "O", "O"]) == ["KING. AMA A"]  # two at most
    # a credential, a label, a word in lower case, the next line or a whole name stop it
    assert texts(["Novak,", "MD"], ["B-PATIENT_NAME", "O"]) == ["Novak,"]
    assert texts(["Novak,", "D.O.B."], ["B-PATIENT_NAME", "O"]) == ["Novak,"]
    assert texts(["Novak,", "seen"], ["B-PATIENT_NAME", "O"]) == ["Novak,"]
    assert texts(["Novak,", "Eugene"], ["B-PATIENT_NAME", "O"], [*row_boxes(["Novak,"]), *row_boxes(["Eugene"], y=330)]) == [
        "Novak,"]
    assert texts(["Novak,", "Eugene", "Ray"], [*span_tags("PATIENT_NAME", 2), "O"]) == ["Novak, Eugene"]


def test_labels_at_the_end_of_an_order_or_name_are_no_part_of_it() -> None:
    """"CAD with angina ICD-10", "Cardiology consult -", "Martinez, Juan Fax:": the next field's label, the
    code system or a dash the tagger ran into; one that is nothing else ("OX:") is no order."""

    def texts(words: list[str], etype: str) -> list[str]:
        spans = decode_page(words, row_boxes(words), probs_for(span_tags(etype, len(words))), 1, drop_non_values=True)
        return [s.text for s in spans]

    assert texts(["CAD", "with", "angina", "ICD-10"], "DIAGNOSIS") == ["CAD with angina"]
    assert texts(["heart", "failure", "(CD-10"], "DIAGNOSIS") == ["heart failure"]
    assert texts(["Cardiology", "consult", "-"], "PROCEDURE") == ["Cardiology consult"]
    assert texts(["Timeframe:"], "PROCEDURE") == []
    assert texts(["Martinez,", "Juan", "Fax:"], "REFERRING_PROVIDER") == ["Martinez, Juan"]
    assert texts(["Anthem", "-"], "PAYER") == ["Anthem"]
    assert texts(["Cigna", "facie"], "PAYER") == ["Cigna"]  # a card's garbled line in lower case alone
    assert texts(["Blue", "Cross", "of", "Idaho"], "PAYER") == ["Blue Cross of Idaho"]
    assert texts(["Nguyen", "Wood", "D.O.B."], "PATIENT_NAME") == ["Nguyen Wood"]
    assert texts(["BARNES,", "ANA", "Bitrh"], "PATIENT_NAME") == ["BARNES, ANA"]
    assert texts(["Taylor,", "Tyrone", "eikTH"], "PATIENT_NAME") == ["Taylor, Tyrone"]
    # a middle initial, a name not written last name first, a provider's damaged credential stay
    assert texts(["BARNES,", "ANA", "M"], "PATIENT_NAME") == ["BARNES, ANA M"]
    assert texts(["Olga", "De", "laCruz"], "PATIENT_NAME") == ["Olga De laCruz"]
    assert texts(["TAYLOR,", "WALTER", "Mp."], "REFERRING_PROVIDER") == ["TAYLOR, WALTER Mp."]
    # a credential or a name with its colon stays; so does every word without the rule
    assert texts(["Sandra", "Baker,", "DO:"], "REFERRING_PROVIDER") == ["Sandra Baker, DO:"]
    assert texts(["Hall,", "Andrew:"], "PATIENT_NAME") == ["Hall, Andrew:"]
    assert texts(["Dr.", "Maria", "Lewis:"], "REFERRING_PROVIDER") == ["Dr. Maria Lewis:"]
    kept = decode_page(["Fax:"], row_boxes(["Fax:"]), probs_for(["B-PROCEDURE"]), 1)
    assert [s.text for s in kept] == ["Fax:"]


def test_a_forms_item_number_is_no_value() -> None:
    """"5." before "Date of birth" on a numbered form: one digit is no value of any type; two digits may be
    one (an ICD-10 code's remains, a member ID's suffix)."""
    words = ["5.", "Date", "of", "birth", "6", "03/04/1950", "10"]
    tags = ["B-PATIENT_DOB", "O", "O", "O", "B-MEMBER_ID", "B-PATIENT_DOB", "B-ICD10"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("PATIENT_DOB", "03/04/1950"), ("ICD10", "10")]
    assert len(decode_page(words, row_boxes(words), probs_for(tags), 1)) == 4


def test_a_count_a_prescription_or_a_word_read_as_an_icd10_code_is_none() -> None:
    """"Troponin negative x2.", "Rx": words a result or medication line prints where a code might stand; codes
    OCR damaged past validity stay listed, as the gold lists them."""
    words = ["Troponin", "negative", "x2.", "Rx", "I10", "ROO.2", "Rod"]
    tags = ["O", "B-ICD10", "B-ICD10", "B-ICD10", "B-ICD10", "B-ICD10", "B-ICD10"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["I10", "ROO.2", "Rod"]
    assert len(decode_page(words, row_boxes(words), probs_for(tags), 1)) == 6
    assert no_code("(1CD-10)") and no_code("Lncountey") and no_code("x12")
    assert not no_code("ROGOY") and not no_code("RSS") and not no_code("R00.2") and not no_code("got")


def test_a_forms_word_read_as_a_member_id_or_group_number_is_none() -> None:
    """A bilingual form's "Número de miembro" label read as the member ID; IDs OCR damaged into letters stay."""
    words = ["Numero", "de", "miembro", "W238849102", "Grupo", "XSICOAPNY"]
    tags = ["O", "O", "B-MEMBER_ID", "B-MEMBER_ID", "O", "B-GROUP_NUMBER"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("MEMBER_ID", "W238849102"), ("GROUP_NUMBER", "XSICOAPNY")]
    assert no_id("miembre") and no_id("Member") and not no_id("0QQ653844013") and not no_id("RNTe289425%2")


def test_a_fax_number_cut_at_a_space_ocr_put_inside_it_takes_the_rest_of_the_number() -> None:
    words = ["Fax:", "919", "725", "2021", "Tel:", "(518)", "351-6381", "4", "Fax:", "(602)", "814", "0/94"]
    tags = ["O", "B-PROVIDER_FAX", "I-PROVIDER_FAX", "O", "O", "B-PATIENT_PHONE", "O", "O", "O",
            "B-PROVIDER_FAX", "I-PROVIDER_FAX", "O"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    # a number with a digit OCR lost ("0/94": nine digits in all) is not grown into a wrong one
    assert [(s.type, s.text) for s in spans] == [
        ("PROVIDER_FAX", "919 725 2021"), ("PATIENT_PHONE", "(518) 351-6381"), ("PROVIDER_FAX", "(602) 814")]
    assert [s.text for s in decode_page(words, row_boxes(words), probs_for(tags), 1)] == ["919 725", "(518)", "(602) 814"]


def test_a_bracketed_word_read_as_a_fax_number_is_none() -> None:
    """A fax header's "GROUP (HMO) 3802487475": the plan type is no bracketed area code; a real number stays, and
    an urgency written in brackets is still one."""
    words = ["GROUP", "(HMO)", "3802487475", "(CPT)", "(Urgent)"]
    tags = ["O", "B-PROVIDER_FAX", "B-PROVIDER_FAX", "B-PATIENT_PHONE", "B-URGENCY"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("PROVIDER_FAX", "3802487475"), ("URGENCY", "(Urgent)")]


def test_an_order_takes_the_time_span_after_it_and_a_time_span_alone_is_no_order() -> None:
    """"Holter" | "48h" and "Event monitor" | "30 day" are one order each, whether the tagger left the length
    untagged or read it as an order of its own; "Valid for 90 days" orders nothing."""

    def texts(words: list[str], tags: list[str], boxes: list[Box] | None = None) -> list[str]:
        return [s.text for s in decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, drop_non_values=True)]

    assert texts(["Holter", "48h", "93242"], ["B-PROCEDURE", "O", "B-CPT"]) == ["Holter 48h", "93242"]
    assert texts(["Event", "monitor", "30", "day"], [*span_tags("PROCEDURE", 2), "B-PROCEDURE", "O"]) == ["Event monitor 30 day"]
    assert texts(["Extended", "Holter", "7-15", "days"], [*span_tags("PROCEDURE", 2), "O", "O"]) == ["Extended Holter 7-15 days"]
    assert texts(["Valid", "for", "90", "days"], ["O", "O", *span_tags("PROCEDURE", 2)]) == []
    assert texts(["Holter", "48h", "93242"], ["B-PROCEDURE", "B-CPT", "B-CPT"]) == ["Holter 48h", "93242"]  # no code
    # a number that is no length, a length on the next line, or one tagged as something else stays apart
    assert texts(["Holter", "93242"], ["B-PROCEDURE", "O"]) == ["Holter"]
    below = row_boxes(["Holter"]) + row_boxes(["48h"], y=330)
    assert texts(["Holter", "48h"], ["B-PROCEDURE", "O"], below) == ["Holter"]
    assert texts(["Holter", "48h"], ["B-PROCEDURE", "B-URGENCY"]) == ["Holter"]


def test_an_orders_own_and_takes_the_lower_case_word_after_it() -> None:
    """"Evaluate and" | "teat": the consult's "Evaluate and treat"; a list's "and" before a capital, a tagged word
    or a diagnosis's trailing "and" still leaves the item."""

    def texts(words: list[str], tags: list[str]) -> list[str]:
        return [s.text for s in decode_page(words, row_boxes(words), probs_for(tags), 1, split_lines=True,
                                            drop_non_values=True)]

    assert texts(["Evaluate", "and", "teat", "99204"], [*span_tags("PROCEDURE", 2), "O", "B-CPT"]) == [
        "Evaluate and teat", "99204"]
    assert texts(["Echo", "and", "Holter"], [*span_tags("PROCEDURE", 2), "O"]) == ["Echo"]
    assert texts(["Echo", "and", "stress"], [*span_tags("PROCEDURE", 2), "B-URGENCY"]) == ["Echo"]
    assert texts(["Angina", "and", "unstable"], [*span_tags("DIAGNOSIS", 2), "O"]) == ["Angina"]


def test_a_payer_named_in_a_notice_is_no_payer_entity() -> None:
    """"Aetna reserves the right to review ...": the payer is the notice's subject, not a filled-in field; in a
    letter's "insurance is Aetna PPO with member ID" it is one."""
    notice = ["Aetna", "reserves", "the", "right"]
    letter = ["insurance", "is", "Aetna", "PPO", "with", "member", "ID"]
    assert decode_page(notice, row_boxes(notice), probs_for(["B-PAYER", "O", "O", "O"]), 1, drop_non_values=True) == []
    spans = decode_page(letter, row_boxes(letter), probs_for(["O", "O", *span_tags("PAYER", 2), "O", "O", "O"]), 1,
                        drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("PAYER", "Aetna PPO")]


def test_a_number_under_a_labels_row_takes_the_type_its_column_names() -> None:
    """A bilingual grid form's labels row over bare numbers: the chart number read as a group number takes the
    type of its column's label; a number whose label is on its own line's left, or under a line of values or
    prose, keeps the tagger's type."""
    labels = ["Grupo", "/", "Group", "Expediente", "/", "Chart", "#"]
    label_boxes = [(100, 300, 140, 312), (142, 300, 146, 312), (148, 300, 190, 312),
                   (300, 300, 380, 312), (382, 300, 386, 312), (388, 300, 430, 312), (432, 300, 440, 312)]
    words = [*labels, "5709299", "10839709"]
    boxes = [*label_boxes, (110, 320, 170, 332), (310, 320, 380, 332)]
    tags = ["O"] * 7 + ["B-MEMBER_ID", "B-GROUP_NUMBER"]
    spans = decode_page(words, boxes, probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("GROUP_NUMBER", "5709299"), ("MRN", "10839709")]
    # read as the referring NPI: the column's label still names it
    spans = decode_page(words, boxes, probs_for([*tags[:8], "B-REFERRING_NPI"]), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("GROUP_NUMBER", "5709299"), ("MRN", "10839709")]
    # "Member ID: W123" over "Group #: 456": each value's label is on its own line
    words = ["Member", "ID:", "W238849102", "Group", "#:", "456789"]
    boxes = [*row_boxes(words[:3]), *row_boxes(words[3:], y=320)]
    tags = ["O", "O", "B-MEMBER_ID", "O", "O", "B-GROUP_NUMBER"]
    spans = decode_page(words, boxes, probs_for(tags), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("MEMBER_ID", "W238849102"), ("GROUP_NUMBER", "456789")]
    # a letter's line "... with member" over a chart number
    words = ["insurance", "with", "member", "00818918"]
    boxes = [*row_boxes(words[:3]), (240, 320, 300, 332)]
    spans = decode_page(words, boxes, probs_for(["O", "O", "O", "B-MRN"]), 1, drop_non_values=True)
    assert [(s.type, s.text) for s in spans] == [("MRN", "00818918")]


def test_pieces_the_growth_rules_bring_together_on_a_line_join() -> None:
    """"Abnormal" | "result" (untagged) | "of other cardiovascular function study": the first piece grows over
    "result", and the two are then one diagnosis; two items a line lists, each in capitals, stay apart."""
    words = ["Abnormal", "result", "of", "other", "cardiovascular", "function", "study"]
    tags = ["B-DIAGNOSIS", "O", "I-DIAGNOSIS", "B-DIAGNOSIS", "I-DIAGNOSIS", "I-DIAGNOSIS", "I-DIAGNOSIS"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, split_lines=True, drop_non_values=True)
    assert [s.text for s in spans] == [" ".join(words)]
    words = ["Chest", "pain", "and", "Palpitations"]
    tags = ["B-DIAGNOSIS", "O", "O", "B-DIAGNOSIS"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, split_lines=True, drop_non_values=True)
    assert [s.text for s in spans] == ["Chest pain", "Palpitations"]


def test_a_date_a_time_of_day_follows_is_the_fax_stamp() -> None:
    """"MAY-21-2026 08:20 FROM:" heads a faxed page: neither a birth date nor the referral's date; a date without a
    time after it stays."""
    words = ["MAY-21-2026", "08:20", "FROM:", "Date:", "05/20/2026"]
    tags = ["B-REFERRAL_DATE", "O", "O", "O", "B-REFERRAL_DATE"]
    spans = decode_page(words, row_boxes(words), probs_for(tags), 1, drop_non_values=True)
    assert [s.text for s in spans] == ["05/20/2026"]


def test_a_member_ids_first_piece_takes_the_rest_ocr_parted_from_it() -> None:
    """"W44" | "1898444": OCR read a gap inside the ID as a space and the tagger read two values, the second
    sometimes as a group number; a first piece that is an ID alone stays apart."""

    def spans(words: list[str], tags: list[str]) -> list[tuple[str, str]]:
        return [(s.type, s.text) for s in decode_page(words, row_boxes(words), probs_for(tags), 1, split_lines=True)]

    assert spans(["W44", "1898444"], ["B-MEMBER_ID", "B-MEMBER_ID"]) == [("MEMBER_ID", "W44 1898444")]
    assert spans(["MH51", "139448"], ["B-MEMBER_ID", "B-GROUP_NUMBER"]) == [("MEMBER_ID", "MH51 139448")]
    # an ID then a group number, each a value alone, are two values
    assert spans(["W441898444", "0463289"], ["B-MEMBER_ID", "B-GROUP_NUMBER"]) == [
        ("MEMBER_ID", "W441898444"), ("GROUP_NUMBER", "0463289")]
    # pieces on two lines stay apart
    two_lines = [*row_boxes(["W44"]), *row_boxes(["1898444"], y=330)]
    parted = decode_page(["W44", "1898444"], two_lines, probs_for(["B-MEMBER_ID", "B-MEMBER_ID"]), 1, split_lines=True)
    assert [s.text for s in parted] == ["W44", "1898444"]


def test_a_name_takes_the_middle_initial_that_ends_its_line() -> None:
    def texts(words: list[str], tags: list[str], boxes: list[Box] | None = None) -> list[str]:
        spans = decode_page(words, boxes or row_boxes(words), probs_for(tags), 1, drop_non_values=True)
        return [s.text for s in spans if s.type == "PATIENT_NAME"]

    assert texts(["Williams.", "Minh", "D"], [*span_tags("PATIENT_NAME", 2), "O"]) == ["Williams. Minh D"]
    # OCR's digit for the initial's B; the next word on the next line
    words, tags = ["WILLIAMS,", "GLORIA", "8", "DOB:"], [*span_tags("PATIENT_NAME", 2), "O", "O"]
    boxes = [*row_boxes(words[:3]), *row_boxes(words[3:], y=330)]
    assert texts(words, tags, boxes) == ["WILLIAMS, GLORIA 8"]
    # a letter the line goes on after (a check box, a label's start), or on the next line, is no initial
    assert texts(["Williams,", "Minh", "D", "Fax"], [*span_tags("PATIENT_NAME", 2), "O", "O"]) == ["Williams, Minh"]
    next_line = [*row_boxes(["Williams,", "Minh"]), *row_boxes(["D"], y=330)]
    assert texts(["Williams,", "Minh", "D"], [*span_tags("PATIENT_NAME", 2), "O"], next_line) == ["Williams, Minh"]
    # a name that has its initial already takes no second one (a sex's "F" after "KING. AMA A")
    assert texts(["Novak,", "Eugene", "R", "F"], [*span_tags("PATIENT_NAME", 3), "O"]) == ["Novak, Eugene R"]
    # one word alone is too little to call what follows its initial
    assert texts(["Minh", "D"], ["B-PATIENT_NAME", "O"]) == ["Minh"]
