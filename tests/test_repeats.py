"""A value read in one place is the same entity where the packet prints it again (extraction/repeats.py)."""

from __future__ import annotations

from collections.abc import Sequence

from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.entities import Span, union_box
from cardio_intake.extraction.repeats import one_type_per_value, repeats_tagged

Box = tuple[int, int, int, int]


def line(words: Sequence[str], y: int) -> list[Box]:
    boxes, x = [], 100
    for w in words:
        boxes.append((x, y, x + 8 * len(w), y + 12))
        x += 8 * len(w) + 6
    return boxes


def span(etype: str, words: Sequence[str], boxes: Sequence[Box], idx: Sequence[int], page: int, conf: float) -> Span:
    return Span(type=etype, text=" ".join(words[i] for i in idx), page=page,
                bbox=union_box([boxes[i] for i in idx]), confidence=conf, word_indices=list(idx))


LETTERHEAD = ["Joshua", "Green", "Summit", "Internal", "Medicine"]
ORDER = ["Referring", "provider:", "Joshua", "Green", "NPI", "1234567893", "Patient:", "Wei", "Hill"]


def pages() -> tuple[list[list[str]], list[list[Box]]]:
    words = [LETTERHEAD + ORDER, ["Patient:", "Wei", "Hill", "Joshua", "Green,", "MD"]]
    return words, [line(w, 100) for w in words]


def test_a_provider_read_on_the_order_line_is_tagged_in_the_letterhead_and_on_the_next_page() -> None:
    words, boxes = pages()
    read = span("REFERRING_PROVIDER", words[0], boxes[0], [7, 8], 1, 0.97)
    out = repeats_tagged([[read], []], words, boxes)
    added = [s for s in out[0] if s is not read]
    assert [(s.type, s.text, s.word_indices, s.confidence) for s in added] == [
        ("REFERRING_PROVIDER", "Joshua Green", [0, 1], 0.97)
    ]
    assert added[0].bbox == union_box(boxes[0][:2])
    assert out[0][0] is added[0], "a page's spans stay in reading order"
    # "Joshua Green," with its comma is other words: not carried
    assert out[1] == []


def test_a_reading_cut_short_grows_to_the_whole_value_printed_again() -> None:
    words, boxes = pages()
    read = span("PATIENT_NAME", words[0], boxes[0], [12, 13], 1, 0.9)
    cut = span("PATIENT_NAME", words[1], boxes[1], [2], 2, 0.6)  # "Hill" alone, of "Wei Hill"
    out = repeats_tagged([[read], [cut]], words, boxes)
    assert [(s.type, s.text, s.word_indices, s.confidence) for s in out[1]] == [("PATIENT_NAME", "Wei Hill", [1, 2], 0.9)]
    assert out[0] == [read]


def test_words_another_type_covers_or_a_span_running_past_them_are_not_tagged_again() -> None:
    words, boxes = pages()
    read = span("PATIENT_NAME", words[0], boxes[0], [12, 13], 1, 0.9)
    other_type = span("REFERRING_PROVIDER", words[1], boxes[1], [2], 2, 0.6)
    longer = span("PATIENT_NAME", words[1], boxes[1], [1, 2, 3], 2, 0.6)  # "Wei Hill Joshua"
    assert repeats_tagged([[read], [other_type]], words, boxes)[1] == [other_type]
    assert repeats_tagged([[read], [longer]], words, boxes)[1] == [longer]


def test_short_values_and_unrepeated_types_are_not_carried() -> None:
    words = [["Dr.", "Lee", "Urgent", "Dr.", "Lee", "Urgent"]]
    boxes = [line(words[0], 100)]
    spans = [[span("REFERRING_PROVIDER", words[0], boxes[0], [0, 1], 1, 0.9),  # "Dr. Lee": 5 letters
              span("URGENCY", words[0], boxes[0], [2], 1, 0.9)]]  # a cover sheet's box is printed untagged
    assert repeats_tagged(spans, words, boxes) == spans


def test_the_same_words_read_as_two_kinds_of_value_take_the_surer_type() -> None:
    words, boxes = pages()
    as_patient = span("PATIENT_NAME", words[0], boxes[0], [0, 1], 1, 0.57)
    as_provider = span("REFERRING_PROVIDER", words[0], boxes[0], [7, 8], 1, 0.99)
    out = one_type_per_value([[as_patient, as_provider]], words)
    assert [s.type for s in out[0]] == ["REFERRING_PROVIDER", "REFERRING_PROVIDER"]
    assert out[0][0].confidence == 0.57, "a retyped span keeps its own confidence"


def test_a_number_read_as_member_id_and_as_group_number_keeps_both_readings() -> None:
    words = [["ID", "70541977004", "Group", "70541977004"]]
    boxes = [line(words[0], 100)]
    spans = [[span("MEMBER_ID", words[0], boxes[0], [1], 1, 0.07), span("GROUP_NUMBER", words[0], boxes[0], [3], 1, 0.81)]]
    assert [s.type for s in one_type_per_value(spans, words)[0]] == ["MEMBER_ID", "GROUP_NUMBER"]


def test_two_types_read_the_same_words_are_carried_as_neither_until_one_wins() -> None:
    words = [["70541977004", "70541977004", "70541977004"]]
    boxes = [line(words[0], 100)]
    spans = [[span("MEMBER_ID", words[0], boxes[0], [0], 1, 0.5), span("GROUP_NUMBER", words[0], boxes[0], [1], 1, 0.6)]]
    assert repeats_tagged(spans, words, boxes) == spans


def test_the_calibration_switch_is_on_by_default_and_saved() -> None:
    assert Calibration().tag_repeats
    assert not Calibration.model_validate({**Calibration().model_dump(), "tag_repeats": False}).tag_repeats


def test_document_spans_tag_a_repeat_on_another_page_only_with_the_switch_on() -> None:
    from cardio_intake.extraction.build import document_spans
    from tests.test_extraction_build import make_page

    order = make_page([("Referring:", "O"), ("Joshua", "B-REFERRING_PROVIDER"), ("Green", "I-REFERRING_PROVIDER")])
    note = make_page([("Joshua", "O"), ("Green", "O"), ("progress", "O"), ("note", "O")], page_type="clinical_note")
    on = document_spans([order, note], Calibration())
    off = document_spans([order, note], Calibration(tag_repeats=False))
    assert [(s.type, s.text, s.page) for s in on[1]] == [("REFERRING_PROVIDER", "Joshua Green", 2)]
    assert off[1] == []
    assert on[0] == off[0]
