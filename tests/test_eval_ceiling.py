"""The perfect-model ceiling: real post-processing over a row's own labels."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from eval_fixtures import generated_gold_rows

from cardio_intake.labels import BIO_LABELS
from evaluation.ceiling import (
    ceiling_predictions,
    ceiling_scores,
    critical_errors,
    error_causes,
    gold_raw_output,
)


@pytest.fixture(scope="module")
def gold_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return generated_gold_rows(tmp_path_factory.mktemp("ceiling"), n=6, seed=11)


def test_on_exact_words_every_field_is_read_back(gold_rows: list[dict[str, Any]]) -> None:
    """On the generator's own words (no OCR) the normalizers give back every gold field: the ceiling
    is 1 everywhere, so a lower ceiling after OCR is OCR's doing."""
    m = ceiling_scores(gold_rows)
    assert m["entity_f1"] == pytest.approx(1.0)
    assert m["intent_micro_f1"] == pytest.approx(1.0)
    assert m["referral_split_accuracy"] == pytest.approx(1.0)
    assert m["field_em/mean"] == pytest.approx(1.0)
    assert m["straight_through"] == pytest.approx(1.0)


def test_a_garbled_member_id_lowers_the_ceiling(gold_rows: list[dict[str, Any]]) -> None:
    rows = copy.deepcopy(gold_rows)
    b_member = BIO_LABELS.index("B-MEMBER_ID")
    garbled = 0
    for row in rows:
        for words, tags in zip(row["words"], row["ner_tags"], strict=True):
            for i, tag in enumerate(tags):
                if tag == b_member:
                    words[i] = words[i][:-1] + ("X" if words[i][-1] != "X" else "Y")
                    garbled += 1
    assert garbled
    m = ceiling_scores(rows)
    assert m["entity_f1"] == pytest.approx(1.0)  # the spans are still right...
    assert m["field_em/member_id"] < 1.0 and m["straight_through"] < 1.0  # ...the values are not
    with_member = sum(bool(json.loads(f).get("member_id")) for r in rows for f in r["referral_fields"])
    assert m["field_em/member_id"] <= 1 - with_member / m["referrals"] + 1e-9


def test_gold_raw_output_shapes(gold_rows: list[dict[str, Any]]) -> None:
    row = gold_rows[0]
    raw = gold_raw_output(row)
    assert len(raw.pages) == len(row["words"])
    assert len(raw.intent_logits) == len(raw.referral_pages) == len(row["referral_intents"])
    assert [int(p.tag_logits.argmax(1).sum()) for p in raw.pages] == [sum(t) for t in row["ner_tags"]]


def test_error_causes_tell_the_model_from_ocr(gold_rows: list[dict[str, Any]]) -> None:
    """The ceiling's own predictions have no model errors; a name the model gets wrong where the ceiling
    reads it is the model's; a member ID OCR garbled is OCR's for any model."""
    rows = copy.deepcopy(gold_rows)
    assert not error_causes(ceiling_predictions(rows), rows)
    b_member = BIO_LABELS.index("B-MEMBER_ID")
    row = next(r for r in rows if any(b_member in tags for tags in r["ner_tags"]))
    for words, tags in zip(row["words"], row["ner_tags"], strict=True):
        for i, tag in enumerate(tags):
            if tag == b_member:
                words[i] = words[i][:-1] + ("X" if words[i][-1] != "X" else "Y")
    preds = ceiling_predictions(rows)
    k = rows.index(row)
    preds[k].referrals[0].fields.patient_name = "Nobody, Not Here"
    causes = error_causes(preds, rows)
    assert causes[("patient_name", "model")] == 1
    assert causes[("member_id", "ocr")] >= 1 and causes[("member_id", "model")] == 0
    assert sum(n for (f, cause), n in causes.items() if cause == "model") == 1


def test_an_unmatched_referral_is_wrong_everywhere(gold_rows: list[dict[str, Any]]) -> None:
    row = gold_rows[0]
    pred = ceiling_predictions([row])[0]
    pred.referrals = []
    assert critical_errors(pred, row) == [{"patient_name", "patient_dob", "payer", "member_id", "intents"}] * len(
        row["referral_intents"])
