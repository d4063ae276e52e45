"""The order-line intent model: fitted on gold PROCEDURE spans, robust to OCR slips, self-labelled
multi-order referrals, and fused into the intents only when validation says it helps."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from cardio_intake.extraction.build import build_prediction
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.extraction.entities import Span
from cardio_intake.extraction.order_intents import (
    fit_order_intents,
    ngram_features,
    order_intent_evidence,
    referral_orders,
    service_order_terms,
)
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput
from cardio_intake.schemas import Fields
from tests.test_extraction_build import intent_logits, make_page, patient_block

TODAY = date(2026, 11, 27)

WORDINGS = {
    "echo_tte": ["Transthoracic echocardiogram", "TTE", "2D echo w/ doppler", "Echocardiogram complete"],
    "consult": ["Cardiology consult", "New patient consultation", "Cardiology evaluation", "Office consultation"],
    "rhythm_monitor": ["Holter monitor 24h", "Zio patch 14 day", "Event monitor 30 day", "48 hour Holter monitor"],
    "nuclear_stress": ["Nuclear stress test", "Lexiscan myocardial perfusion", "SPECT MPI single study", "PET MPI"],
}


def order_row(orders: list[tuple[str, str]], filler: str = "History of palpitations") -> dict[str, Any]:
    """One single-page referral whose order lines are tagged PROCEDURE, with an untagged note line."""
    words: list[str] = []
    tags: list[str] = []
    for text, _ in orders:
        parts = text.split()
        words += ["Order:", *parts]
        tags += ["O", "B-PROCEDURE", *["I-PROCEDURE"] * (len(parts) - 1)]
    words += filler.split()
    tags += ["O"] * len(filler.split())
    intents = sorted({i for _, i in orders}, key=INTENTS.index)
    return {
        "words": [words], "bboxes": [[[0, 0, 10, 10]] * len(words)],
        "ner_tags": [[BIO_LABELS.index(t) for t in tags]], "page_types": [PAGE_TYPES.index("referral_order")],
        "page_referral": [0], "referral_intents": [[INTENTS.index(i) for i in intents]],
        "referral_fields": [Fields().model_dump_json()],
    }


def training_rows() -> list[dict[str, Any]]:
    rows = [order_row([(w, intent)]) for intent, ws in WORDINGS.items() for w in ws for _ in range(2)]
    # multi-order referrals: the same wordings, paired
    rows += [order_row([(WORDINGS["consult"][k], "consult"), (WORDINGS["echo_tte"][k], "echo_tte")]) for k in range(4)]
    return rows


def test_ngram_features_are_normalised_and_share_grams_across_ocr_slips() -> None:
    clean, slip = ngram_features("Transthoracic echocardiogram"), ngram_features("Transthoracic echocardiagram")
    assert sum(v * v for v in clean.values()) == pytest.approx(1.0)
    assert " tr" in clean and "tte" not in clean  # word-bounded, lower-cased
    overlap = sum(clean[g] * slip[g] for g in clean.keys() & slip.keys())
    assert overlap > 0.8
    assert ngram_features("  ,; ") == {}


def test_referral_orders_are_the_gold_procedure_spans_of_each_referral() -> None:
    row = order_row([("Holter monitor 24h", "rhythm_monitor"), ("TTE", "echo_tte")])
    assert referral_orders(row) == [(["Holter monitor 24h", "TTE"], ["echo_tte", "rhythm_monitor"])]
    # two patients on two pages: each referral gets its own page's order lines
    second = order_row([("Cardiology consult", "consult")])
    both = {k: [row[k][0], second[k][0]] for k in ("words", "bboxes", "ner_tags", "page_types")}
    both |= {"page_referral": [0, 1], "referral_intents": row["referral_intents"] + second["referral_intents"],
             "referral_fields": row["referral_fields"] + second["referral_fields"]}
    assert referral_orders(both) == [(["Holter monitor 24h", "TTE"], ["echo_tte", "rhythm_monitor"]),
                                     (["Cardiology consult"], ["consult"])]


def test_fit_reads_unseen_ocr_damage_and_self_labels_multi_order_spans() -> None:
    model = fit_order_intents(training_rows())
    assert model is not None
    assert set(model.labels) == set(WORDINGS)

    def top(text: str) -> str:
        probs = model.probabilities(text)
        return max(probs, key=probs.__getitem__)

    assert top("Transthoracic echocardiagram") == "echo_tte"  # not a training string
    assert top("Holter rnonitor 48h") == "rhythm_monitor"
    assert top("Lexiscan perfusion") == "nuclear_stress"
    # "TTE" was also seen in consult + echo referrals: self-labelling keeps it an echo
    assert model.probabilities("TTE")["echo_tte"] > 0.6
    assert model.probabilities("xq") == {}  # no known n-gram: no opinion
    # the model travels inside calibration.json
    again = Calibration.model_validate_json(Calibration(order_intents=model).model_dump_json()).order_intents
    assert again is not None and again.probabilities("TTE") == pytest.approx(model.probabilities("TTE"))


def test_seed_terms_teach_a_service_the_training_rows_never_order() -> None:
    rows = training_rows()
    unseeded = fit_order_intents(rows)
    assert unseeded is not None and "cardiac_mri" not in unseeded.labels
    seeded = fit_order_intents(rows, {"cardiac_mri": ["cardiac MRI", "CMR", "cardiac magnetic resonance"]})
    assert seeded is not None and "cardiac_mri" in seeded.labels
    probs = seeded.probabilities("Cardiac MRl with contrast")  # OCR read the I as l
    assert max(probs, key=probs.__getitem__) == "cardiac_mri"
    assert seeded.n_spans == unseeded.n_spans + 3


def test_bundled_services_name_order_terms_for_every_intent() -> None:
    terms = service_order_terms()
    assert set(terms) == set(INTENTS)
    assert "TTE" in terms["echo_tte"] and all(terms.values())
    model = fit_order_intents([], terms)  # the policy terms alone make a reader
    assert model is not None and set(model.labels) == set(INTENTS)


def test_fit_needs_two_intents() -> None:
    assert fit_order_intents([order_row([("TTE", "echo_tte")])] * 3) is None
    assert fit_order_intents([order_row([])]) is None
    assert fit_order_intents([], {"echo_tte": ["TTE", "echo"]}) is None


def test_evidence_is_span_confidence_times_probability() -> None:
    model = fit_order_intents(training_rows())
    assert model is not None
    spans = [
        Span(type="PROCEDURE", text="Zio patch 14 day", page=1, bbox=(0, 0, 1, 1), confidence=0.5, word_indices=[0]),
        Span(type="PATIENT_NAME", text="Holter", page=1, bbox=(0, 0, 1, 1), confidence=1.0, word_indices=[1]),
    ]
    evidence = order_intent_evidence(model, spans)
    p = model.probabilities("Zio patch 14 day")["rhythm_monitor"]
    assert evidence["rhythm_monitor"] == pytest.approx(0.5 * p)
    assert max(evidence.values()) == evidence["rhythm_monitor"]  # the name span is not an order line


def test_a_line_that_names_a_service_is_evidence_for_it_at_the_lines_confidence() -> None:
    """"STRESS ECHO W/.ECG MONITORING": the service's term, word for word, whatever the rest of the line says; a term
    inside a longer one counts for the longer one only; lines that name none, and other spans, give nothing."""
    from cardio_intake.extraction.order_intents import named_order_evidence

    terms = {"stress_echo": ["stress echo"], "echo_tte": ["echo", "TTE"], "rhythm_monitor": ["Holter monitor"]}

    def span(text: str, conf: float, etype: str = "PROCEDURE") -> Span:
        return Span(type=etype, text=text, page=1, bbox=(0, 0, 1, 1), confidence=conf, word_indices=[0])

    evidence = named_order_evidence(
        [span("STRESS ECHO W/.ECG MONITORING", 0.79), span("TTE", 0.5), span("Tte", 0.6), span("Holter", 0.9),
         span("Holter monitor", 0.99, "DIAGNOSIS")], terms)
    assert evidence == {"stress_echo": 0.79, "echo_tte": 0.6}


def test_an_order_line_stopped_inside_a_service_name_grows_to_its_end() -> None:
    """"Transesophageal" | "echo": the tagger stopped inside the name; a line that names its service already, or one
    the next words would not make a name of, stays; a tagged word, or the next line, is never taken."""
    from cardio_intake.extraction.order_intents import orders_grown_to_terms

    terms = {"echo_tee": ["transesophageal echo", "TEE"], "echo_tte": ["echo"], "device_check": ["pacemaker interrogation"]}

    def grown(words: list[str], start: int, end: int, boxes: list[tuple[int, int, int, int]] | None = None,
              others: list[Span] | None = None) -> list[str]:
        boxes = boxes or [(100 + 80 * i, 300, 170 + 80 * i, 312) for i in range(len(words))]
        span = Span(type="PROCEDURE", text=" ".join(words[start:end]), page=1, bbox=(0, 0, 1, 1), confidence=0.8,
                    word_indices=list(range(start, end)))
        return [s.text for s in orders_grown_to_terms(words, boxes, [span, *(others or [])], terms)]

    assert grown(["Order:", "Transesophageal", "echo", "93312"], 1, 2) == ["Transesophageal echo"]
    assert grown(["Pacemaker", "device", "interrogation"], 0, 1) == ["Pacemaker"]  # the words make no name
    assert grown(["Pacemaker", "interrogation", "today"], 0, 1) == ["Pacemaker interrogation"]
    assert grown(["TEE", "echo"], 0, 1) == ["TEE"]  # a line that names a service already is whole
    below = [(100, 300, 260, 312), (100, 330, 150, 342)]
    assert grown(["Transesophageal", "echo"], 0, 1, below) == ["Transesophageal"]
    tagged = Span(type="CPT", text="echo", page=1, bbox=(0, 0, 1, 1), confidence=0.9, word_indices=[1])
    assert grown(["Transesophageal", "echo"], 0, 1, others=[tagged])[0] == "Transesophageal"


def test_fit_calibration_fuses_order_lines_when_the_head_misses_them() -> None:
    """Validation: Holter referrals the head never lists (it says consult-ish nothing), consults it
    gets right. The fit turns order-line fusion on; the fused prediction lists rhythm_monitor."""
    from cardio_intake.extraction.fit import fit_calibration

    model = fit_order_intents(training_rows())
    raws, rows = [], []
    for k in range(24):
        monitor = k % 2 == 0
        text, intent = ("Holter monitor 24h", "rhythm_monitor") if monitor else ("Cardiology consult", "consult")
        words = [*patient_block("Robert Chen", "01/02/1960"), ("Order:", "O"),
                 *[(w, ("B-" if i == 0 else "I-") + "PROCEDURE") for i, w in enumerate(text.split())]]
        page = make_page(words)
        logits = intent_logits() if monitor else intent_logits("consult")
        raws.append(RawDocumentOutput(pages=[page], referral_pages=[[0]], intent_logits=[logits]))
        rows.append({
            "words": [page.words], "bboxes": [[list(b) for b in page.boxes]],
            "ner_tags": [[int(i) for i in np.asarray(page.tag_logits).argmax(1)]],
            "page_types": [PAGE_TYPES.index("referral_order")], "page_referral": [0],
            "referral_intents": [[INTENTS.index(intent)]], "referral_fields": [Fields().model_dump_json()],
        })
    without = fit_calibration(raws, rows, today=TODAY)
    assert without.order_intent_fusion is False and without.order_intents is None
    cal = fit_calibration(raws, rows, today=TODAY, order_intents=model)
    assert cal.order_intent_fusion is True
    assert cal.fitted["intent_f1/fusion_orders"] > cal.fitted["intent_f1/fusion_head"]
    fused = build_prediction(raws[0], cal, "d", "sha256:d", today=TODAY).referrals[0]
    assert [i.label for i in fused.intents] == ["rhythm_monitor"]
    # unfused, the head lists nothing (and the printed-order fallback, which reads "Holter monitor" off the
    # page at its listing threshold, is what is left to give it back)
    unfused = cal.model_copy(update={"order_intent_fusion": False, "printed_order_fallback": False})
    plain = build_prediction(raws[0], unfused, "d", "sha256:d", today=TODAY)
    assert plain.referrals[0].intents == []
    printed = build_prediction(raws[0], unfused.model_copy(update={"printed_order_fallback": True}), "d", "sha256:d", today=TODAY)
    assert [i.label for i in printed.referrals[0].intents] == ["rhythm_monitor"]
    assert "low_confidence:intent" in printed.referrals[0].review.reasons
    consult = build_prediction(raws[1], cal, "d", "sha256:d", today=TODAY).referrals[0]
    assert [i.label for i in consult.intents] == ["consult"]
