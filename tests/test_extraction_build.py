"""Spans, fields, review reasons, the multi-patient split and the full Prediction."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from cardio_intake.extraction.build import build_prediction, split_document
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.entities import (
    Span,
    decode_page,
    spans_to_fields,
    tag_spans,
    unknown_payers_dropped,
)
from cardio_intake.extraction.review import review_reasons
from cardio_intake.extraction.scoring import score_predictions
from cardio_intake.extraction.split import merge_orderless, split_referrals
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput
from cardio_intake.schemas import Fields, IntentPrediction, Prediction

TODAY = date(2026, 11, 10)


def make_page(items: list[tuple[str, str]], page_type: str = "referral_order", sure: float = 8.0) -> RawPageOutput:
    """A page whose tag logits put ``sure`` on each word's tag; words laid out left to right, 14 to a
    line, and a value is not broken over two lines (a value is printed on one line: ``lines.py``)."""
    words = [w for w, _ in items]
    boxes, row, col = [], 0, 0
    for _, tag in items:
        if col >= 14 and not tag.startswith("I-"):
            row, col = row + 1, 0
        boxes.append((50 + 60 * col, 40 + 30 * row, 100 + 60 * col, 60 + 30 * row))
        col += 1
    logits = np.zeros((len(items), len(BIO_LABELS)))
    for i, (_, tag) in enumerate(items):
        logits[i, BIO_LABELS.index(tag)] = sure
    pt = np.zeros(len(PAGE_TYPES))
    pt[PAGE_TYPES.index(page_type)] = 5.0
    return RawPageOutput(words=words, boxes=boxes, tag_logits=logits, page_type_logits=pt)


def patient_block(name: str, dob: str) -> list[tuple[str, str]]:
    parts = name.split()
    items = [("Patient:", "O")] + [(p, ("B-" if i == 0 else "I-") + "PATIENT_NAME") for i, p in enumerate(parts)]
    return [*items, ("DOB:", "O"), (dob, "B-PATIENT_DOB")]


def referral_page(name: str = "Maria L. Gonzalez", dob: str = "03/14/1952", npi: str = "1245319599") -> RawPageOutput:
    return make_page(
        [
            *patient_block(name, dob),
            ("Insurance:", "O"), ("Aetna", "B-PAYER"), ("Medicare", "I-PAYER"), ("Advantage", "I-PAYER"),
            ("Member", "O"), ("ID:", "O"), ("W238849102", "B-MEMBER_ID"),
            ("Dx:", "O"), ("I48.91", "B-ICD10"), ("I4891", "B-ICD10"),
            ("CPT", "O"), ("93306", "B-CPT"),
            ("Dr.", "B-REFERRING_PROVIDER"), ("Alan", "I-REFERRING_PROVIDER"), ("Whitfield,", "I-REFERRING_PROVIDER"),
            ("MD", "I-REFERRING_PROVIDER"), ("NPI", "O"), (npi, "B-REFERRING_NPI"),
            ("Fax", "O"), ("(614)", "B-PROVIDER_FAX"), ("555-0199", "I-PROVIDER_FAX"),
            ("URGENT", "B-URGENCY"), ("-", "I-URGENCY"), ("within", "I-URGENCY"), ("72", "I-URGENCY"), ("hours", "I-URGENCY"),
        ]
    )


def intent_logits(*labels: str, sure: float = 6.0) -> np.ndarray:
    return np.array([sure if i in labels else -sure for i in INTENTS])


def test_tag_spans_lenient_bio() -> None:
    tags = ["O", "B-PAYER", "I-PAYER", "I-MRN", "O", "I-CPT", "B-CPT", "B-CPT"]
    assert tag_spans(tags) == [("PAYER", 1, 3), ("MRN", 3, 4), ("CPT", 5, 6), ("CPT", 6, 7), ("CPT", 7, 8)]


def test_decode_page_bbox_union_and_confidence() -> None:
    probs = np.full((3, len(BIO_LABELS)), 0.0)
    probs[0, BIO_LABELS.index("O")] = 1.0
    probs[1, BIO_LABELS.index("B-PAYER")] = 0.9
    probs[1, BIO_LABELS.index("I-PAYER")] = 0.05  # B/I mix-up is not doubt about the type
    probs[1, 0] = 0.05
    probs[2, BIO_LABELS.index("I-PAYER")] = 0.6
    probs[2, 0] = 0.4
    boxes = [(0, 0, 10, 10), (100, 200, 150, 220), (160, 195, 300, 230)]
    (span,) = decode_page(["Ins:", "Aetna", "PPO"], boxes, probs, page=2)
    assert (span.type, span.text, span.page, span.bbox) == ("PAYER", "Aetna PPO", 2, (100, 195, 300, 230))
    assert span.confidence == pytest.approx((0.95 + 0.6) / 2)
    (span_min,) = decode_page(["Ins:", "Aetna", "PPO"], boxes, probs, page=2, reduce="min")
    assert span_min.confidence == pytest.approx(0.6)


def _span(etype: str, text: str, conf: float, page: int = 1) -> Span:
    return Span(type=etype, text=text, page=page, bbox=(0, 0, 1, 1), confidence=conf, word_indices=[0])


def test_spans_to_fields_picks_confident_valid_values() -> None:
    spans = [
        _span("PATIENT_DOB", "3/14/52", 0.7),
        _span("PATIENT_DOB", "03/14/1952", 0.6),  # same value as above: one group
        _span("PATIENT_DOB", "04/01/1960", 0.65),
        _span("REFERRING_NPI", "1245319598", 0.99),  # bad check digit
        _span("ICD10", "I4891", 0.9), _span("ICD10", "I48.91", 0.8), _span("ICD10", "I10", 0.85),
        _span("ICD10", "Z99.99", 0.9),
        _span("DIAGNOSIS", "Atrial fibrillation", 0.9), _span("DIAGNOSIS", "atrial fibrillation", 0.9),
        _span("PAYER", "Aetna", 0.3),
        _span("GROUP_NUMBER", "0881234-010", 0.3),
    ]
    fx = spans_to_fields(spans, {"payer": 0.5, "group_number": 0.5}, critical=("payer",), today=TODAY)
    assert fx.fields.patient_dob == date(1952, 3, 14)
    assert fx.fields.referring_npi is None and fx.invalid["referring_npi"] == "bad_check_digit"
    assert fx.fields.icd10 == ["I48.91", "I10"]  # deduped in reading order, invalid code left out
    assert fx.invalid["icd10"] == "not_in_code_set"
    assert fx.fields.diagnoses == ["Atrial fibrillation"]
    assert fx.fields.payer == "Aetna" and fx.low_confidence == ["payer"]  # critical: kept, flagged
    assert fx.fields.group_number is None and "group_number" in fx.dropped  # not critical: dropped


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        # the form's boilerplate names the carrier, the insurance box the plan (OCR slip mended)
        ([("UnitedHealthcare", 1.0), ("UnitedHealthcare Chotce Plus", 0.93)], "UnitedHealthcare Choice Plus"),
        ([("Medicare", 0.99), ("Medicare -", 0.9)], "Medicare"),  # a dash is not a product
        ([("Aetna", 1.0), ("Aetna Medicare Advantage", 0.3)], "Aetna"),  # too unsure to override
        ([("Cigna", 1.0), ("Aetna Medicare Advantage", 0.9)], "Cigna"),  # another carrier: not an extension
    ],
)
def test_payer_prefers_the_plan_over_the_bare_carrier(readings: list[tuple[str, float]], expected: str) -> None:
    fx = spans_to_fields([_span("PAYER", t, c) for t, c in readings], {"payer": 0.99}, critical=("payer",))
    assert fx.fields.payer == expected


def test_a_name_reading_without_a_digit_wins_over_one_with() -> None:
    # OCR read the Z of one page's "MARTINEZ" as a 7; the other page read it clean, less surely
    spans = [_span("PATIENT_NAME", "MARTINE7, OMAR", 0.99), _span("PATIENT_NAME", "MARTINEZ, OMAR", 0.6, page=2)]
    assert spans_to_fields(spans).fields.patient_name == "MARTINEZ, OMAR"
    # with no other reading, the one with the digit is still the name (a person reviews it)
    assert spans_to_fields(spans[:1]).fields.patient_name == "MARTINE7, OMAR"
    provider = [_span("REFERRING_PROVIDER", "Dr. Ra1 Patel", 0.99), _span("REFERRING_PROVIDER", "Dr. Raj Patel", 0.5)]
    assert spans_to_fields(provider).fields.referring_provider == "Raj Patel"  # the title is no part of the name


def test_review_reasons_as_contract_says() -> None:
    cal = Calibration(field_thresholds={"member_id": 0.9}, intent_review_thresholds=dict.fromkeys(INTENTS, 0.8))
    spans = [
        _span("PATIENT_NAME", "Maria Gonzalez", 0.99),
        _span("PATIENT_DOB", "02/30/1952", 0.99),  # not a date
        _span("MEMBER_ID", "W238849102", 0.7),  # below its threshold
        _span("REFERRING_NPI", "1245319598", 0.99),
        _span("CPT", "78452", 0.99),  # nuclear stress ordered, not among the intents
    ]
    fx = spans_to_fields(spans, cal.field_thresholds, cal.critical_fields, TODAY)
    intents = [IntentPrediction(label="echo_tte", confidence=0.75)]
    assert review_reasons(fx, intents, cal) == [
        "invalid:patient_dob",
        "missing:payer",
        "low_confidence:member_id",
        "low_confidence:intent",
        "invalid:referring_npi",
        "inconsistent:cpt",
    ]
    assert review_reasons(fx, [], cal)[3] == "missing:intent"


def test_split_multi_patient_packet() -> None:
    def page_of(name: str | None, dob: str | None) -> list[Span]:
        out = []
        if name:
            out.append(_span("PATIENT_NAME", name, 0.95))
        if dob:
            out.append(_span("PATIENT_DOB", dob, 0.95))
        return out

    pages = [
        [],  # fax cover: stays with the first referral
        page_of("Maria L. Gonzalez", "03/14/1952"),
        page_of("Gonzalez, Maria L", None),  # same person, name order swapped
        page_of("Maria Gonzales", "03/14/1952"),  # OCR typo in the name
        [],  # ECG strip: stays with Maria
        page_of("Robert Chen", "07/04/1948"),
        page_of(None, "07/04/1948"),
        page_of(None, "1/2/1970"),  # a DOB alone that differs: a third patient
    ]
    assert split_referrals(pages) == [[0, 1, 2, 3, 4], [5, 6], [7]]
    assert split_referrals([]) == []
    # low-confidence names do not split
    assert split_referrals([page_of("Maria Gonzalez", None), [_span("PATIENT_NAME", "Bob Chen", 0.3)]]) == [[0, 1]]

    # a shared first name or surname is one patient only while the DOBs do not contradict it
    kim = page_of("Kim, Deborah", "08/19/1962")
    assert split_referrals([kim, page_of("Deborah W. Washington", "8/12/1962")]) == [[0], [1]]
    assert split_referrals([page_of("SHARON MILLER", "06-Dec-1982"), page_of("Olga S. Miller", "Sep 21, 1960")]) == [[0], [1]]
    assert split_referrals([kim, page_of("Deborah Kirn", "08/19/1962")]) == [[0, 1]]  # OCR slip, same DOB
    assert split_referrals([kim, page_of("Deborah Kirn", None)]) == [[0, 1]]  # nothing contradicts
    # ...and while the other words are not other names outright: a family's two referrals, one DOB OCR'd away
    assert split_referrals([page_of("SHARON MILLER", "06-Dec-1982"), page_of("Olga S. Miller", "Sep 21, 100,")]) == [[0], [1]]
    assert split_referrals([page_of("Nguyen, Andrew", "01-31-1965"), page_of("Nyuiyen, Andiew", None)]) == [[0, 1]]
    assert split_referrals([kim, page_of("Kim, Deborah", "08/18/1962")]) == [[0, 1]]  # the whole name: a DOB slip
    # one page's OCR ran the name's words together: the same letters in the same order are the same patient
    assert split_referrals([page_of("LUIS THOMAS", None), page_of("LUISTHOMAS", None)]) == [[0, 1]]
    assert split_referrals([page_of("LUIS THOMAS", None), page_of("THOMASLUIS", None)]) == [[0], [1]]
    # a form label tagged as the name, as sure as the name, is no patient: the name beside it decides, and a
    # DOB slip does not split David Flores in two
    labelled = [_span("PATIENT_NAME", "Fecha de nacimiento", 0.95), *page_of("Flores, David", "Jun 14, 1992")]
    assert split_referrals([labelled, page_of("Flores, David", "Jun 11, 1992")]) == [[0, 1]]


def test_split_document_from_logits() -> None:
    pages = [make_page([("FAX", "O")], "fax_cover"), referral_page(), referral_page("Robert Chen", "07/04/1948")]
    assert split_document(pages) == [[0, 1], [2]]


def test_build_prediction_validates_against_contract() -> None:
    pages = [make_page([("FAX", "O"), ("COVER", "O")], "fax_cover"), referral_page(),
             referral_page("Robert Chen", "07/04/1948", npi="1245319598")]
    raw = RawDocumentOutput(
        pages=pages,
        referral_pages=split_document(pages),
        intent_logits=[intent_logits("echo_tte", "consult"), intent_logits("echo_tte")],
        model_version="cardio-intake-layoutlm:7",
    )
    pred = build_prediction(raw, Calibration(), "packet-0001.tif", "sha256:abc", today=TODAY)
    # round trip through JSON and the contract schema
    again = Prediction.model_validate(json.loads(pred.model_dump_json()))
    assert again == pred
    assert [p.type for p in pred.pages] == ["fax_cover", "referral_order", "referral_order"]
    first, second = pred.referrals
    assert first.pages == [1, 2] and second.pages == [3]
    assert {i.label for i in first.intents} == {"echo_tte", "consult"}
    assert first.intents[0].confidence >= first.intents[1].confidence
    f = first.fields
    assert (f.patient_name, f.patient_dob, f.payer, f.member_id) == (
        "Maria L. Gonzalez", date(1952, 3, 14), "Aetna Medicare Advantage", "W238849102")
    assert (f.referring_provider, f.referring_npi, f.provider_fax, f.urgency) == (
        "Alan Whitfield", "1245319599", "+16145550199", "urgent")
    assert f.icd10 == ["I48.91"] and f.cpt == ["93306"]
    assert first.review.needed is False and first.review.reasons == []
    assert second.review.reasons == ["invalid:referring_npi"] and second.review.needed
    assert all(0 <= e.confidence <= 1 for e in first.entities)
    assert all(e.page == 2 for e in first.entities)


def test_build_prediction_low_confidence_goes_to_review() -> None:
    page = referral_page()
    page.tag_logits = page.tag_logits / 8.0 * 1.2  # barely sure of any tag
    raw = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("echo_tte", sure=0.3)])
    cal = Calibration(
        field_thresholds={"patient_name": 0.9, "patient_dob": 0.9, "payer": 0.9, "member_id": 0.9},
        intent_review_thresholds=dict.fromkeys(INTENTS, 0.9),
    )
    pred = build_prediction(raw, cal, "x.pdf", "sha256:1", today=TODAY)
    ref = pred.referrals[0]
    # sigmoid(0.3) = 0.57: listed (threshold 0.5) but below its review threshold
    assert [i.label for i in ref.intents] == ["echo_tte"]
    assert ref.review.reasons == [
        "low_confidence:patient_name", "low_confidence:patient_dob", "low_confidence:payer",
        "low_confidence:member_id", "low_confidence:intent",
    ]
    assert ref.fields.member_id == "W238849102"  # critical values stay for the reviewer
    # the page prints "93306": with the printed orders off, nothing is listed
    strict = cal.model_copy(update={"intent_thresholds": dict.fromkeys(INTENTS, 0.6), "printed_order_fallback": False,
                                    "printed_codes_ordered": False})
    assert "missing:intent" in build_prediction(raw, strict, "x.pdf", "sha256:1", today=TODAY).referrals[0].review.reasons
    # with the fallback, the page's printed CPT 93306 gives the intent back, still for a person to confirm
    printed = build_prediction(raw, strict.model_copy(update={"printed_order_fallback": True}), "x.pdf", "sha256:1", today=TODAY)
    assert [(i.label, i.confidence) for i in printed.referrals[0].intents] == [("echo_tte", 0.6)]  # its threshold
    assert "low_confidence:intent" in printed.referrals[0].review.reasons


def test_score_predictions_perfect_and_broken() -> None:
    pages = [make_page([("FAX", "O")], "fax_cover"), referral_page()]
    raw = RawDocumentOutput(pages=pages, referral_pages=[[0, 1]], intent_logits=[intent_logits("echo_tte")])
    pred = build_prediction(raw, Calibration(), "a", "sha256:a", today=TODAY)
    fields = pred.referrals[0].fields
    row = {
        "words": [p.words for p in pages],
        "bboxes": [[list(b) for b in p.boxes] for p in pages],
        "ner_tags": [[BIO_LABELS.index(BIO_LABELS[i]) for i in p.tag_logits.argmax(1)] for p in pages],
        "page_types": [PAGE_TYPES.index("fax_cover"), PAGE_TYPES.index("referral_order")],
        "page_referral": [0, 0],
        "referral_intents": [[INTENTS.index("echo_tte")]],
        "referral_fields": [fields.model_dump_json()],
    }
    perfect = score_predictions([pred], [row])
    assert perfect["intent_micro_f1"] == 1.0 and perfect["entity_f1"] == 1.0
    assert perfect["straight_through"] == 1.0 and perfect["field_em/mean"] == 1.0
    wrong = dict(row, referral_intents=[[INTENTS.index("consult")]],
                 referral_fields=[Fields(patient_name="Someone Else").model_dump_json()])
    broken = score_predictions([pred], [wrong])
    assert broken["intent_micro_f1"] == 0.0 and broken["straight_through"] == 0.0
    assert broken["field_em/patient_name"] == 0.0 and broken["entity_f1"] == 1.0


def test_fit_calibration_on_synthetic_validation() -> None:
    from cardio_intake.extraction.fit import fit_calibration

    raws, rows = [], []
    for k in range(24):
        page = referral_page()
        gold_tags = [BIO_LABELS[i] for i in page.tag_logits.argmax(1)]
        fields = build_prediction(
            RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("echo_tte")]),
            Calibration(), "v", "sha256:v", today=TODAY,
        ).referrals[0].fields
        mid = page.words.index("W238849102")
        if k % 3 == 0:
            # an unsure member ID read that is wrong: gold says otherwise
            page.tag_logits[mid] = 0.0
            page.tag_logits[mid, BIO_LABELS.index("B-MEMBER_ID")] = 1.0
            fields = fields.model_copy(update={"member_id": "W999999999"})
            gold_tags[mid] = "O"  # the tagger was wrong there too, so sharpening has a cost
        raws.append(RawDocumentOutput(pages=[page], referral_pages=[[0]],
                                      intent_logits=[intent_logits("echo_tte", sure=12.0)]))
        rows.append({
            "words": [page.words], "bboxes": [[list(b) for b in page.boxes]],
            "ner_tags": [[BIO_LABELS.index(t) for t in gold_tags]],
            "page_types": [PAGE_TYPES.index("referral_order")], "page_referral": [0],
            "referral_intents": [[INTENTS.index("echo_tte")]], "referral_fields": [fields.model_dump_json()],
        })
    cal = fit_calibration(raws, rows, target_precision=0.98, today=TODAY)
    assert cal.fitted["tag_nll_after"] <= cal.fitted["tag_nll_before"]
    assert cal.fitted["intent_nll_after"] <= cal.fitted["intent_nll_before"]
    assert 0.05 < cal.tag_temperature < 20
    # the wrong, unsure member-ID reads go to a person: either the fitted "O" offset drops them (gold
    # says "O" there) or the member-ID threshold sits above them; the right ones pass
    unsure_conf = build_prediction(raws[0], cal, "v", "sha256:v", today=TODAY).referrals[0].field_confidence
    if "member_id" in unsure_conf:
        assert cal.field_thresholds["member_id"] > unsure_conf["member_id"]
    good = build_prediction(raws[1], cal, "v", "sha256:v", today=TODAY).referrals[0]
    assert good.review.needed is False and good.fields.member_id == "W238849102"
    bad = build_prediction(raws[0], cal, "v", "sha256:v", today=TODAY).referrals[0]
    assert bad.review.reasons in (["low_confidence:member_id"], ["missing:member_id"])


def _gold_rows(pages: list[RawPageOutput], gold_tags: list[list[str]], page_referral: list[int]) -> dict:  # type: ignore[type-arg]
    n_refs = max(page_referral) + 1
    return {
        "words": [p.words for p in pages], "bboxes": [[list(b) for b in p.boxes] for p in pages],
        "ner_tags": [[BIO_LABELS.index(t) for t in tags] for tags in gold_tags],
        "page_types": [PAGE_TYPES.index("referral_order")] * len(pages), "page_referral": page_referral,
        "referral_intents": [[INTENTS.index("consult")]] * n_refs,
        "referral_fields": [Fields().model_dump_json()] * n_refs,
    }


def test_o_offset_undoes_an_over_eager_tagger() -> None:
    """A tagger that puts an unsure entity tag on "O" words (what a down-weighted "O" in training
    does) loses precision; the fitted offset raises "O" just enough to drop those and keep the real
    entities, and build_prediction applies it."""
    from cardio_intake.extraction.fit import fit_tag_decoding
    from cardio_intake.extraction.scoring import gold_from_row

    page = referral_page()
    gold_tags = [BIO_LABELS[i] for i in page.tag_logits.argmax(1)]
    noisy = page.tag_logits.copy()
    for i, tag in enumerate(gold_tags):
        if tag == "O":  # "O" at 2, but a wrong entity tag at 3: argmax is wrong
            noisy[i] = 0.0
            noisy[i, 0], noisy[i, BIO_LABELS.index("B-MRN")] = 2.0, 3.0
    page = RawPageOutput(words=page.words, boxes=page.boxes, tag_logits=noisy, page_type_logits=page.page_type_logits)
    raws = [RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("consult")])] * 10
    golds = [gold_from_row(_gold_rows([page], [gold_tags], [0]))] * 10
    _, offset, _ = fit_tag_decoding(raws, golds, Calibration(), TODAY)
    assert 1.0 <= offset < 8.0 - 2.0  # closes the 1-logit gap (ties go to "O"), below the real entities' margin
    listed = build_prediction(raws[0], Calibration(tag_o_offset=offset), "d", "sha256:d", today=TODAY)
    assert "MRN" not in {e.type for e in listed.referrals[0].entities}
    unfitted = build_prediction(raws[0], Calibration(), "d", "sha256:d", today=TODAY)
    assert "MRN" in {e.type for e in unfitted.referrals[0].entities}


def test_split_confidence_fitted_against_spurious_patient_names() -> None:
    """Validation packets are single-patient, but an unsure tagger reads a provider's name as a second
    patient: the fitted confidence is high enough to keep them whole; where the second patient is
    real and sure, the lowest confidence that gets both right is kept."""
    from cardio_intake.extraction.fit import fit_split_confidence
    from cardio_intake.extraction.scoring import gold_from_row

    def page_with_name(name: str, sure: float) -> RawPageOutput:
        return make_page([("Patient:", "O"), *[(w, ("B-" if i == 0 else "I-") + "PATIENT_NAME")
                                                for i, w in enumerate(name.split())]], sure=sure)

    first = page_with_name("Maria Gonzalez", 8.0)
    spurious = page_with_name("Alan Whitfield", 1.0)  # softmax ~0.08 over 33 tags: unsure
    real = page_with_name("Robert Chen", 8.0)
    o_tags = ["O", "B-PATIENT_NAME", "I-PATIENT_NAME"]
    raws = [RawDocumentOutput(pages=[first, spurious], referral_pages=[[0, 1]], intent_logits=[intent_logits()])] * 3
    golds = [gold_from_row(_gold_rows([first, spurious], [o_tags, ["O", "O", "O"]], [0, 0]))] * 3
    raws.append(RawDocumentOutput(pages=[first, real], referral_pages=[[0, 1]], intent_logits=[intent_logits()]))
    golds.append(gold_from_row(_gold_rows([first, real], [o_tags, o_tags], [0, 1])))
    # sure pages split at any threshold; the spurious name (confidence ~0.08) never reaches 0.5
    assert fit_split_confidence(raws, golds, Calibration()) == 0.5
    hot = RawPageOutput(words=spurious.words, boxes=spurious.boxes, tag_logits=spurious.tag_logits * 5.5,
                        page_type_logits=spurious.page_type_logits)  # now ~0.9 sure of the wrong name
    raws[:3] = [RawDocumentOutput(pages=[first, hot], referral_pages=[[0, 1]], intent_logits=[intent_logits()])] * 3
    fitted = fit_split_confidence(raws, golds, Calibration())
    assert fitted > 0.5
    assert split_document([first, hot], Calibration(split_min_confidence=fitted)) == [[0, 1]]
    assert split_document([first, real], Calibration(split_min_confidence=fitted)) == [[0], [1]]


def test_viterbi_decoding_fitted_when_it_mends_fragmented_spans() -> None:
    """A tagger that reads the middle word of a procedure as I-DIAGNOSIS splits it into three wrong
    spans under argmax; the validation fit picks viterbi decoding, and build_prediction then lists
    the one whole procedure."""
    from cardio_intake.extraction.fit import fit_tag_decoding
    from cardio_intake.extraction.scoring import gold_from_row

    words = [("Order:", "O"), ("Transthoracic", "B-PROCEDURE"), ("echocardiogram", "I-PROCEDURE"),
             ("complete", "I-PROCEDURE"), ("today", "O")]
    page = make_page(words, sure=6.0)
    logits = page.tag_logits.copy()
    logits[2, BIO_LABELS.index("I-DIAGNOSIS")] = 6.5  # one word's argmax flips to another type
    page = RawPageOutput(words=page.words, boxes=page.boxes, tag_logits=logits, page_type_logits=page.page_type_logits)
    raws = [RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("consult")])] * 3
    golds = [gold_from_row(_gold_rows([page], [[t for _, t in words]], [0]))] * 3
    decoding, _, quality = fit_tag_decoding(raws, golds, Calibration(), TODAY)
    assert decoding == "viterbi"
    assert quality["tag_quality/viterbi"] > quality["tag_quality/argmax"]
    fixed = build_prediction(raws[0], Calibration(tag_decoding="viterbi"), "d", "sha256:d", today=TODAY)
    texts = [(e.type, e.text) for e in fixed.referrals[0].entities]
    assert texts == [("PROCEDURE", "Transthoracic echocardiogram complete")]
    broken = build_prediction(raws[0], Calibration(), "d", "sha256:d", today=TODAY)
    assert len(broken.referrals[0].entities) == 3


def test_cpt_fusion_fitted_when_the_intent_head_misses_what_the_cpt_says() -> None:
    """Half the validation referrals order an echo (CPT 93306 on the page) and the intent head finds
    it in only a third of them; the others are consults without a code. The head cannot tell a missed
    echo from a consult, the code can: the fit turns CPT fusion on, and the fused prediction lists
    echo_tte from the code while a referral without a code keeps the head's reading."""
    from cardio_intake.extraction.fit import fit_calibration

    echo_page = referral_page()
    consult_page = make_page([*patient_block("Robert Chen", "01/02/1960"), ("Consult", "B-PROCEDURE")])
    raws, rows = [], []
    for k in range(24):
        echo = k % 2 == 0
        page = echo_page if echo else consult_page
        logits = intent_logits("echo_tte") if k % 6 == 0 else intent_logits() if echo else intent_logits("consult")
        raws.append(RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[logits]))
        rows.append({
            "words": [page.words], "bboxes": [[list(b) for b in page.boxes]],
            "ner_tags": [[int(i) for i in page.tag_logits.argmax(1)]],
            "page_types": [PAGE_TYPES.index("referral_order")], "page_referral": [0],
            "referral_intents": [[INTENTS.index("echo_tte" if echo else "consult")]],
            "referral_fields": [Fields().model_dump_json()],
        })
    cal = fit_calibration(raws, rows, today=TODAY)
    assert cal.cpt_intent_fusion is True
    assert cal.fitted["intent_f1/fusion_cpt"] > cal.fitted["intent_f1/fusion_head"]
    assert "intent_f1/fusion_orders" not in cal.fitted  # no order-line model was given
    missed = build_prediction(raws[2], cal, "d", "sha256:d", today=TODAY).referrals[0]
    assert [i.label for i in missed.intents] == ["echo_tte"]
    assert missed.intents[0].confidence > 0.9
    # without fusion (and without the printed orders, which would read the same code) it is missed
    no_fusion = cal.model_copy(update={"cpt_intent_fusion": False, "printed_order_fallback": False,
                                       "printed_codes_ordered": False})
    unfused = build_prediction(raws[2], no_fusion, "d", "sha256:d", today=TODAY)
    assert "echo_tte" not in [i.label for i in unfused.referrals[0].intents]
    consult = build_prediction(raws[1], cal, "d", "sha256:d", today=TODAY).referrals[0]
    assert [i.label for i in consult.intents] == ["consult"]


def test_noisy_or_of_head_and_cpt_evidence() -> None:
    from cardio_intake.extraction.build import IntentEvidence, intent_probabilities

    logits = np.zeros(len(INTENTS))  # 0.5 each
    cal = Calibration(cpt_intent_fusion=True)
    evidence = IntentEvidence(cpt={"echo_tte": 0.8}, orders={"echo_tte": 0.6, "consult": 0.9})
    probs = intent_probabilities(logits, cal, evidence)
    assert probs[INTENTS.index("echo_tte")] == pytest.approx(1 - 0.5 * 0.2)
    assert probs[INTENTS.index("consult")] == pytest.approx(0.5)  # order lines not fused
    both = intent_probabilities(logits, Calibration(cpt_intent_fusion=True, order_intent_fusion=True), evidence)
    assert both[INTENTS.index("echo_tte")] == pytest.approx(1 - 0.5 * 0.2 * 0.4)
    assert both[INTENTS.index("consult")] == pytest.approx(1 - 0.5 * 0.1)
    assert intent_probabilities(logits, Calibration(), evidence)[INTENTS.index("echo_tte")] == pytest.approx(0.5)


def test_read_orders_veto_the_heads_unsupported_intents() -> None:
    from cardio_intake.extraction.build import IntentEvidence, intent_predictions, unsupported_intents

    logits = np.full(len(INTENTS), -6.0)
    logits[INTENTS.index("echo_tte")] = logits[INTENTS.index("rhythm_monitor")] = 3.0  # the head: echo and a monitor
    cal = Calibration(cpt_intent_fusion=True, order_intent_fusion=True)
    read = IntentEvidence(cpt={"echo_tte": 0.99}, orders={"echo_tte": 0.9, "rhythm_monitor": 0.1})
    assert "rhythm_monitor" in unsupported_intents(read) and "echo_tte" not in unsupported_intents(read)
    assert [i.label for i in intent_predictions(logits, cal, read)] == ["echo_tte"]
    # an order line that names the monitor, even unsurely, supports it
    named = IntentEvidence(cpt={"echo_tte": 0.99}, orders={"rhythm_monitor": 0.45})
    assert {i.label for i in intent_predictions(logits, cal, named)} == {"echo_tte", "rhythm_monitor"}
    # a stray line read as an order at 0.35 ("CARDIOLOGY" in a letterhead at 0.44 x P(consult) 0.8) does not
    faint = IntentEvidence(cpt={"echo_tte": 0.99}, orders={"rhythm_monitor": 0.35})
    assert [i.label for i in intent_predictions(logits, cal, faint)] == ["echo_tte"]
    # an order read at 0.7 ("Pacemaker programming" at 0.78 on a new form) is read: the head's monitor beside it goes
    assert [i.label for i in intent_predictions(logits, cal, IntentEvidence(cpt={"echo_tte": 0.7}))] == ["echo_tte"]
    # orders not read (nothing at 0.6): the head's guesses stand
    unread = IntentEvidence(cpt={"echo_tte": 0.5})
    assert unsupported_intents(unread) == set()
    assert {i.label for i in intent_predictions(logits, cal, unread)} == {"echo_tte", "rhythm_monitor"}
    # in a prediction, the dropped guess sends the referral to a person
    page = make_page([*patient_block("Robert Chen", "01/02/1960"), ("93306", "B-CPT")])
    raw = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[logits])
    ref = build_prediction(raw, cal, "d", "sha256:d", today=TODAY).referrals[0]
    assert [i.label for i in ref.intents] == ["echo_tte"] and "low_confidence:intent" in ref.review.reasons
    # a head this sure of an order keeps it: the tagger missed its line
    sure = logits.copy()
    sure[INTENTS.index("rhythm_monitor")] = 6.0
    assert {i.label for i in intent_predictions(sure, cal, read)} == {"echo_tte", "rhythm_monitor"}
    # the veto off, or no evidence at all: as before
    off = cal.model_copy(update={"unsupported_intent_veto": False})
    assert {i.label for i in intent_predictions(logits, off, read)} == {"echo_tte", "rhythm_monitor"}
    assert {i.label for i in intent_predictions(logits, cal, None)} == {"echo_tte", "rhythm_monitor"}


def test_support_selection_picks_the_reading_the_others_resemble() -> None:
    """A name read on three pages with a different OCR slip on two: the most confident reading is a
    garbled one, the readings together back the right one."""
    def name_span(text: str, conf: float, page: int) -> Span:
        return Span(type="PATIENT_NAME", text=text, page=page, bbox=(0, 0, 10, 10), confidence=conf, word_indices=[0])

    spans = [name_span("Kim, Debaralt", 0.97, 1), name_span("Kim, Oeborah", 0.9, 2), name_span("Kim, Deborah", 0.95, 3)]
    assert spans_to_fields(spans).fields.patient_name == "Kim, Debaralt"
    picked = spans_to_fields(spans, selection="support")
    assert picked.fields.patient_name == "Kim, Deborah"
    assert picked.confidence["patient_name"] == pytest.approx(0.95)  # its own readings' confidence
    # one reading only: both ways agree
    assert spans_to_fields(spans[:1], selection="support").fields.patient_name == "Kim, Debaralt"


def test_a_value_read_as_surely_but_more_often_wins() -> None:
    """A slip read once at the fourth decimal above a name read on three pages loses to the three; a clearly
    surer reading still wins alone."""
    spans = [_span("PATIENT_NAME", "Robert M. Romero", c, page=p) for p, c in ((1, 0.996), (2, 0.986), (4, 0.994))]
    slip = _span("PATIENT_NAME", "Robert. Romero", 0.9963, page=3)
    assert spans_to_fields([*spans, slip]).fields.patient_name == "Robert M. Romero"
    sure = _span("PATIENT_NAME", "Robert Romero", 0.999, page=3)
    weak = [_span("PATIENT_NAME", "Robert M. Romero", 0.95, page=p) for p in (1, 2, 4)]
    assert spans_to_fields([*weak, sure]).fields.patient_name == "Robert Romero"


def test_field_selection_fitted_on_validation_fields() -> None:
    from cardio_intake.extraction.fit import fit_field_selection
    from cardio_intake.extraction.scoring import gold_from_row

    readings = [("Kim, Debaralt", 9.0), ("Kim, Oeborah", 7.0), ("Kim, Deborah", 8.0)]
    pages = [make_page([("Patient:", "O"), *[(w, ("B-" if i == 0 else "I-") + "PATIENT_NAME")
                                              for i, w in enumerate(text.split())]], sure=sure)
             for text, sure in readings]
    tags = [["O", "B-PATIENT_NAME", "I-PATIENT_NAME"]] * 3
    row = _gold_rows(pages, tags, [0, 0, 0])
    row["referral_fields"] = [Fields(patient_name="Kim, Deborah").model_dump_json()]
    raws = [RawDocumentOutput(pages=pages, referral_pages=[[0, 1, 2]], intent_logits=[intent_logits("consult")])] * 4
    selection, quality = fit_field_selection(raws, [gold_from_row(row)] * 4, Calibration(), TODAY)
    assert selection == "support"
    assert quality["tag_quality/selection_support"] > quality["tag_quality/selection_confidence"]
    built = build_prediction(raws[0], Calibration(field_selection="support"), "d", "sha256:d", today=TODAY)
    assert built.referrals[0].fields.patient_name == "Kim, Deborah"


def test_field_comparison_ignores_case_and_edge_punctuation_like_the_evaluation_harness() -> None:
    from cardio_intake.extraction.scoring import field_matches
    from evaluation.matching import normalize_field

    assert field_matches("patient_name", "BROWN, GLORIA", "Brown, Gloria")
    assert field_matches("payer", "Aetna  Medicare.", "aetna medicare")
    assert not field_matches("patient_name", "MCCARTHY ANA", "MCCARTHY, ANA")  # inner punctuation counts
    assert not field_matches("member_id", "W33916860?", "W339168607")
    assert not field_matches("group_number", "0881234-010", "0881234010")
    assert field_matches("icd10", ["i48.91", "I10"], ["I10", "I48.91"])
    assert not field_matches("patient_dob", None, "1952-03-14")
    for pred, gold in (("BROWN, GLORIA", "Brown, Gloria"), ("MCCARTHY ANA", "MCCARTHY, ANA")):
        # one definition of "the same value" for the training figures and the QA report
        assert field_matches("patient_name", pred, gold) == (normalize_field(pred) == normalize_field(gold))


def test_two_patients_in_one_referral_go_to_review_however_sure() -> None:
    """A missed patient boundary: one referral holds Gloria Wright's DOB and Tariq Wang's, both read at
    0.997. Whichever is picked, the record would mix two patients: inconsistent:patient_dob. The same
    name written in both orders, or a DOB with an OCR slip, is not a conflict."""
    from cardio_intake.extraction.entities import conflicting_reading

    cal = Calibration()
    spans = [
        _span("PATIENT_NAME", "Wright, Gloria", 0.99), _span("PATIENT_DOB", "19-Apr-1949", 0.997),
        _span("PATIENT_NAME", "Gloria Wright", 0.99, page=2), _span("PATIENT_DOB", "10/20/1987", 0.997, page=3),
        _span("PAYER", "Aetna", 0.99), _span("MEMBER_ID", "W123456789", 0.99),
    ]
    fx = spans_to_fields(spans, today=TODAY)
    assert fx.conflicting == ["patient_dob"]
    reasons = review_reasons(fx, [IntentPrediction(label="consult", confidence=0.99)], cal)
    assert reasons == ["inconsistent:patient_dob"]
    # an unsure second reading (0.3) is not a claim on the field
    unsure = [*spans[:3], _span("PATIENT_DOB", "10/20/1987", 0.3, page=3), *spans[4:]]
    assert spans_to_fields(unsure, today=TODAY).conflicting == []
    assert not conflicting_reading("patient_name", "Gonzalez, Maria L", {"Gonzalez, Maria L": [0.9], "Maria L. Gonzalez": [0.9]}, 0.0)
    assert not conflicting_reading("patient_name", "Kim, Deborah", {"Kim, Deborah": [0.9], "Kim, Oeborah": [0.9]}, 0.0)
    assert conflicting_reading("patient_name", "Wright, Gloria", {"Wright, Gloria": [0.9], "TariqWang": [0.9]}, 0.0)
    # above the field's own threshold only: a reading the field would not accept is no claim either
    assert not conflicting_reading("patient_dob", "1949-04-19", {"1949-04-19": [0.99], "1987-10-20": [0.9]}, 0.95)


def test_readings_run_together_by_ocr_are_the_spaced_value() -> None:
    # the card's reading ran "Yuki W" together and is the most confident; the order's two spaced ones agree
    spans = [_span("PATIENT_NAME", "Jenkins, YukiW", 1.0), _span("PATIENT_NAME", "Jenkins, Yuki W", 0.99),
             _span("PATIENT_NAME", "JENKINS, YUKI W", 0.9), _span("MEMBER_ID", "U3765059604", 0.99),
             _span("MEMBER_ID", "U37650596 04", 0.6)]
    fx = spans_to_fields(spans)
    assert fx.fields.patient_name == "Jenkins, Yuki W"
    assert fx.fields.member_id == "U37650596 04"
    assert fx.confidence["patient_name"] == 1.0  # one value: its readings' confidences pool
    # readings that differ in more than spacing stay apart: the most confident wins as before
    fx = spans_to_fields([_span("PATIENT_NAME", "Jenkins, Yuki", 1.0), _span("PATIENT_NAME", "Jenkins, Yuki W", 0.9)])
    assert fx.fields.patient_name == "Jenkins, Yuki"
    # a payer is written as the directory spells it, whichever reading has more spaces
    payers = [_span("PAYER", "Aetna Medicare Advantage", 0.99), _span("PAYER", "Aetna Medi are Advantage", 0.96)]
    assert spans_to_fields(payers).fields.payer == "Aetna Medicare Advantage"
    assert spans_to_fields(payers[1:]).fields.payer == "Aetna Medi Care Advantage"  # alone, as read and mended


def test_a_payer_of_the_directory_wins_over_a_more_confident_reading_of_none() -> None:
    spans = [_span("PAYER", "BC", 0.74), _span("PAYER", "Devoted Health", 0.49)]
    assert spans_to_fields(spans, known_payers=True).fields.payer == "Devoted Health"
    assert spans_to_fields(spans).fields.payer == "BC"  # off: the most confident reading
    # with no reading in the directory, the readings compete as before
    unknown = [_span("PAYER", "Acme Mutual", 0.74), _span("PAYER", "Zenith Benefit", 0.49)]
    assert spans_to_fields(unknown, known_payers=True).fields.payer == "Acme Mutual"


def test_a_retyped_member_id_counts_only_in_its_payers_shape() -> None:
    def retyped(text: str, conf: float) -> Span:
        return _span("MEMBER_ID", text, conf).model_copy(update={"retyped": True})

    uhc = _span("PAYER", "UnitedHealthcare", 0.99)
    # nine digits (UHC's shape), re-typed from an NPI the tagger doubted: the member ID, for a person to check
    fx = spans_to_fields([uhc, retyped("388463760", 0.39)], {"member_id": 0.9}, ["member_id"])
    assert fx.fields.member_id == "388463760" and "member_id" in fx.low_confidence
    # another number re-typed on a referral that prints no member ID is not one
    fx = spans_to_fields([uhc, retyped("15220-787", 0.23)], {"member_id": 0.9}, ["member_id"])
    assert fx.fields.member_id is None and fx.invalid["member_id"] == "not of the payer's shape"
    # a tagged member ID of another shape stays (unshaped: review), and with no payer shapes a re-typed one does
    assert spans_to_fields([uhc, _span("MEMBER_ID", "15220-787", 0.95)]).fields.member_id == "15220-787"
    assert spans_to_fields([retyped("15220-787", 0.23)]).fields.member_id == "15220-787"


def test_a_urgent_care_letterhead_neither_lists_an_urgency_nor_makes_the_order_urgent() -> None:
    page = make_page([
        ("OAK", "O"), ("RIDGE", "O"), ("URGENT", "B-URGENCY"), ("CARE", "O"),
        *patient_block("Ana Rossi", "03/14/1952"), ("Priority:", "O"), ("Routine", "B-URGENCY"),
    ])
    raw = RawDocumentOutput(pages=[page], intent_logits=[np.zeros(len(INTENTS))], referral_pages=[[0]], model_version="t")
    ref = build_prediction(raw, Calibration(), "a.pdf", "sha256:0", TODAY).referrals[0]
    assert [e.text for e in ref.entities if e.type == "URGENCY"] == ["Routine"]
    assert ref.fields.urgency == "routine"
    # the older behaviour, for a calibration that turns the rule off: the letterhead's "URGENT" is listed
    off = build_prediction(raw, Calibration(drop_non_values=False), "a.pdf", "sha256:0", TODAY).referrals[0]
    assert [e.text for e in off.entities if e.type == "URGENCY"] == ["URGENT", "Routine"]


def test_pages_without_an_order_join_the_referral_before_them() -> None:
    # fax cover, order, and an insurance card whose name OCR garbled ("Peity, Maijotic" for "Perry, Marjorie")
    assert merge_orderless([[0, 1], [2]], [False, True, False]) == [[0, 1, 2]]
    # a leading part without an order joins the first that has one; a part with its own order stands
    assert merge_orderless([[0], [1, 2], [3]], [False, False, True, True]) == [[0, 1, 2], [3]]
    assert merge_orderless([[0], [1], [2]], [True, False, True]) == [[0, 1], [2]]
    # no order page anywhere: nothing tells which part is the referral, so the split stands
    assert merge_orderless([[0], [1]], [False, False]) == [[0], [1]]
    pages = [[_span("PATIENT_NAME", "Perry, Marjorie M", 0.95), _span("PATIENT_DOB", "06/29/1969", 0.95)],
             [_span("PATIENT_NAME", "Peity, Maijotic M", 0.95)]]
    assert split_referrals(pages) == [[0], [1]]
    assert split_referrals(pages, order_pages=[True, False]) == [[0, 1]]


def test_a_note_naming_another_patient_merges_into_the_referral_and_sends_it_to_review() -> None:
    note = make_page([("Progress", "O"), ("note", "O"), *patient_block("Robert Chen", "07/04/1948")], "clinical_note")
    pages = [referral_page(), note]
    assert split_document(pages) == [[0, 1]]
    assert split_document(pages, Calibration(merge_orderless_referrals=False)) == [[0], [1]]
    raw = RawDocumentOutput(pages=pages, intent_logits=[np.zeros(len(INTENTS))], referral_pages=[[0, 1]], model_version="t")
    ref = build_prediction(raw, Calibration(), "a.pdf", "sha256:0", TODAY).referrals[0]
    assert ref.review.needed
    assert {"inconsistent:patient_name", "inconsistent:patient_dob"} & set(ref.review.reasons)


def test_a_referral_with_nothing_listed_takes_its_likeliest_intent_for_review() -> None:
    """Every referral orders something: where the head lists nothing and no order is printed, the likeliest
    intent is listed at its own confidence and a person confirms it; a head that reads nothing guesses nothing."""
    page = make_page([("Patient:", "O"), ("Maria", "B-PATIENT_NAME"), ("Gonzalez", "I-PATIENT_NAME")])
    unsure = np.full(len(INTENTS), -6.0)
    unsure[INTENTS.index("stress_echo")] = -1.0  # 0.27: under every listing threshold
    unsure[INTENTS.index("echo_tee")] = -2.0
    raw = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[unsure])
    guessing = Calibration(top_intent_fallback=True)
    ref = build_prediction(raw, guessing, "a.pdf", "sha256:0", TODAY).referrals[0]
    assert [(i.label, i.confidence) for i in ref.intents] == [("stress_echo", 0.268941)]
    assert ref.review.needed and "low_confidence:intent" in ref.review.reasons
    off = build_prediction(raw, Calibration(), "a.pdf", "sha256:0", TODAY).referrals[0]  # off unless fitted on
    assert off.intents == [] and "missing:intent" in off.review.reasons
    silent = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[np.full(len(INTENTS), -6.0)])
    none = build_prediction(silent, guessing, "a.pdf", "sha256:0", TODAY).referrals[0]
    assert none.intents == [] and "missing:intent" in none.review.reasons
    # a listed intent is not joined by a guess
    listed = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("consult")])
    assert [i.label for i in build_prediction(listed, guessing, "a.pdf", "sha256:0", TODAY).referrals[0].intents] == ["consult"]


def test_the_guess_is_fitted_on_whether_validations_guesses_are_right() -> None:
    from cardio_intake.extraction.fit import fit_top_intent_fallback

    k_echo, k_consult = INTENTS.index("echo_tte"), INTENTS.index("consult")
    probs = np.full((4, len(INTENTS)), 0.01)
    probs[0, k_echo] = probs[1, k_echo] = probs[2, k_consult] = 0.3  # nothing listed: three guesses
    probs[3, k_consult] = 0.9  # listed: no guess
    listed = probs >= 0.5
    y = np.zeros_like(listed)
    y[0, k_echo] = y[1, k_echo] = y[3, k_consult] = True
    y[2, k_echo] = True  # the third guess (consult) is wrong
    assert fit_top_intent_fallback(probs, y, listed) == (True, 2, 3)
    y[1, k_echo], y[1, k_consult] = False, True
    assert fit_top_intent_fallback(probs, y, listed) == (False, 1, 3)
    # no guess to judge by: off
    assert fit_top_intent_fallback(probs[3:], y[3:], listed[3:]) == (False, 0, 0)
    probs[0, k_echo] = 0.01  # under the floor: no guess made
    assert fit_top_intent_fallback(probs[:1], y[:1], listed[:1]) == (False, 0, 0)


def test_a_payer_reading_no_directory_knows_is_no_entity_beside_one_it_knows() -> None:
    """A bilingual form's "Seguro médico" tagged as a payer is a label: beside "Aetna" it is not listed; a
    payer the directory does not know stays where it is the only reading (a person still sees it)."""

    def payer(text: str, conf: float) -> Span:
        return Span(type="PAYER", text=text, page=1, bbox=(0, 0, 1, 1), confidence=conf, word_indices=[0])

    name = Span(type="PATIENT_NAME", text="Maria Gonzalez", page=1, bbox=(0, 0, 1, 1), confidence=0.9, word_indices=[1])
    label, aetna, local = payer("Seguro médico", 0.95), payer("Aetna", 0.6), payer("Geisinger Gold", 0.8)
    assert unknown_payers_dropped([label, name, aetna]) == [name, aetna]
    assert unknown_payers_dropped([local, name]) == [local, name]
    assert unknown_payers_dropped([name]) == [name]
    # and the referral lists only the known payer, which is also its field
    page = make_page([("Seguro", "B-PAYER"), ("médico", "I-PAYER"), (":", "O"), ("Aetna", "B-PAYER")])
    raw = RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[intent_logits("consult")])
    ref = build_prediction(raw, Calibration(), "a.pdf", "sha256:0", TODAY).referrals[0]
    assert [e.text for e in ref.entities if e.type == "PAYER"] == ["Aetna"] and ref.fields.payer == "Aetna"
    off = build_prediction(raw, Calibration(known_payers_first=False), "a.pdf", "sha256:0", TODAY).referrals[0]
    # (the label's lower-case word leaves the span: a payer never ends in one)
    assert [e.text for e in off.entities if e.type == "PAYER"] == ["Seguro", "Aetna"]


def test_orders_and_diagnoses_are_read_on_order_pages_only() -> None:
    from cardio_intake.extraction.build import document_spans

    items = [("REASON", "O"), ("FOR", "O"), ("REFERRAL:", "O"), ("Cardiac", "B-PROCEDURE"), ("evaluation", "I-PROCEDURE"),
             ("Dx:", "O"), ("Syncope", "B-DIAGNOSIS"), ("Patient:", "O"), ("Wei", "B-PATIENT_NAME"), ("Hill", "I-PATIENT_NAME")]
    note, order = make_page(items, page_type="clinical_note"), make_page(items)
    on = document_spans([note, order], Calibration())
    assert [s.type for s in on[0]] == ["PATIENT_NAME"], "a note names orders and diagnoses as history"
    assert [s.type for s in on[1]] == ["PROCEDURE", "DIAGNOSIS", "PATIENT_NAME"]
    off = document_spans([note, order], Calibration(orders_on_order_pages=False))
    assert [s.type for s in off[0]] == ["PROCEDURE", "DIAGNOSIS", "PATIENT_NAME"]
