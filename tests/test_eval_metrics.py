"""Evaluation metrics: the pure functions, referral matching, per-document records and aggregation."""

from __future__ import annotations

import math

import pytest
from eval_fixtures import gold_packet, prediction_for

from cardio_intake.labels import INTENTS, PAGE_TYPES
from evaluation import metrics as m
from evaluation.aggregate import aggregate
from evaluation.matching import match_referrals, normalize_field
from evaluation.records import compare_document


def test_prf_counts() -> None:
    r = m.prf(tp=3, n_pred=4, n_gold=6)
    assert (r.precision, r.recall) == (0.75, 0.5)
    assert math.isclose(r.f1, 0.6)
    assert m.prf(0, 0, 0).f1 == 0.0


def test_multilabel_prf_per_label_and_micro() -> None:
    gold = [{"consult", "echo_tte"}, {"echo_tte"}, {"cardiac_ct"}]
    pred = [{"consult"}, {"echo_tte", "cardiac_mri"}, set()]
    out = m.multilabel_prf(gold, pred, INTENTS)
    assert out["consult"].f1 == 1.0
    assert out["echo_tte"].recall == 0.5 and out["echo_tte"].precision == 1.0
    assert out["cardiac_mri"].precision == 0.0 and out["cardiac_mri"].support == 0
    assert out["cardiac_ct"].support == 1 and out["cardiac_ct"].recall == 0.0
    # micro: tp=2 (consult, echo_tte), predicted 3, gold 4
    assert math.isclose(out["micro"].precision, 2 / 3) and math.isclose(out["micro"].recall, 0.5)
    with pytest.raises(ValueError, match="outside"):
        m.multilabel_prf([{"nope"}], [set()], INTENTS)


def test_cooccurrence_confusion_view() -> None:
    rows, cols, mat = m.cooccurrence_confusion([{"echo_tte"}, {"echo_tte"}], [{"echo_tee"}, {"echo_tte"}], INTENTS)
    i_tte, i_tee = INTENTS.index("echo_tte"), INTENTS.index("echo_tee")
    assert mat[i_tte][i_tte] == 1 and mat[i_tte][i_tee] == 1
    assert mat[i_tte][cols.index(m.MISSED)] == 1
    assert mat[rows.index(m.SPURIOUS)][i_tee] == 1
    assert sum(map(sum, mat)) == 4


def test_confusion_matrix_and_accuracy() -> None:
    labels = ["a", "b"]
    assert m.confusion_matrix(["a", "a", "b"], ["a", "b", "b"], labels) == [[1, 1], [0, 1]]
    assert math.isclose(m.accuracy(["a", "a", "b"], ["a", "b", "b"]), 2 / 3)


def test_bio_spans_follow_seqeval() -> None:
    tags = ["B-Q", "I-Q", "O", "I-A", "I-A", "B-A", "B-H", "I-Q"]
    assert m.bio_spans(tags) == [("Q", 0, 2), ("A", 3, 5), ("A", 5, 6), ("H", 6, 7), ("Q", 7, 8)]
    seqeval = pytest.importorskip("seqeval.metrics")
    gold = [["B-Q", "I-Q", "O", "B-A", "I-A", "O", "B-H"], ["B-A", "O", "B-Q", "I-Q"]]
    pred = [["B-Q", "I-Q", "O", "B-A", "O", "O", "B-H"], ["I-A", "O", "B-Q", "B-Q"]]
    ours = m.sequence_span_prf(gold, pred)
    assert math.isclose(ours["micro"].f1, seqeval.f1_score(gold, pred))
    assert math.isclose(ours["micro"].precision, seqeval.precision_score(gold, pred))
    assert math.isclose(ours["Q"].recall, 0.5)


def test_span_prf_is_a_multiset_match() -> None:
    gold = [("CPT", "d1", "93306"), ("CPT", "d1", "93306")]
    assert m.span_prf(gold, [("CPT", "d1", "93306")])["CPT"].recall == 0.5
    assert m.span_prf(gold, gold)["micro"].f1 == 1.0


def test_calibration_bins_and_ece() -> None:
    cal = m.calibration([0.95, 0.95, 0.55, 0.55, 1.0], [True, False, True, True, True], n_bins=10)
    assert cal.n == 5
    assert cal.bins[9].count == 3 and math.isclose(cal.bins[9].accuracy, 2 / 3)
    assert cal.bins[5].count == 2 and cal.bins[5].accuracy == 1.0
    expected = (3 * abs(2 / 3 - (0.95 + 0.95 + 1.0) / 3) + 2 * abs(1.0 - 0.55)) / 5
    assert math.isclose(cal.ece, expected)
    assert m.calibration([0.7] * 10, [True] * 7 + [False] * 3).ece < 1e-9
    with pytest.raises(ValueError):
        m.calibration([1.5], [True])


def test_automation_curve_operating_point() -> None:
    conf = [0.99, 0.98, 0.97, 0.90, 0.80, 0.60]
    err = [False, False, False, True, False, True]
    curve = m.automation_curve(conf, err, max_error=0.01)
    op = curve.operating_point
    assert op is not None and op.threshold == 0.97 and op.automated == 3 and op.error_rate == 0.0
    everything = min(curve.points, key=lambda p: p.threshold)
    assert everything.automated == 6 and math.isclose(everything.error_rate, 2 / 6)
    assert max(curve.points, key=lambda p: p.threshold).automated == 0
    loose = m.automation_curve(conf, err, max_error=0.25)
    assert loose.operating_point is not None and loose.operating_point.automated == 5
    assert m.automation_curve([0.5], [True]).operating_point is None


def test_latency_percentiles() -> None:
    lat = m.latency([1.0, 3.0], [1, 3])
    assert lat.pages == 4 and math.isclose(lat.pages_per_second, 1.0)
    assert math.isclose(lat.page_ms_p50, 1000.0)


def test_match_referrals_by_page_overlap() -> None:
    assert match_referrals([[1, 2], [3, 4]], [[3, 4, 5], [1, 2]]) == [1, 0]
    assert match_referrals([[1, 2], [3]], [[1, 2, 3]]) == [0, None]
    assert match_referrals([[1]], [[2]]) == [None]


def test_normalize_field() -> None:
    assert normalize_field("Aetna  Medicare. ") == normalize_field("aetna medicare")
    assert normalize_field(["I48.91", "I10", "I10"]) == ("i10", "i48.91")
    assert normalize_field([]) is None and normalize_field(None) is None


def test_compare_document_counts_each_kind_of_error() -> None:
    gold = gold_packet("d1", pages=3)
    pred = prediction_for(gold, field_overrides={"member_id": "W999"}, drop_entity="CPT",
                          intents=[("consult", 0.9), ("echo_tte", 0.8), ("cardiac_ct", 0.4)],
                          page_types=["fax_cover", "clinical_note", "referral_order"])
    rec = compare_document(gold, pred, seconds=1.5)
    (ref,) = rec.referrals
    by = {f.field: f for f in ref.fields}
    assert not by["member_id"].correct and by["patient_name"].correct and by["icd10"].correct
    assert ref.critical_error
    assert ref.straight_through_confidence == 0.4
    assert [p.pred_type for p in rec.pages] == ["fax_cover", "clinical_note", "referral_order"]
    assert sum(not e.matched for e in rec.gold_entities) == 1
    assert rec.pages[2].entity_fn == 1 and rec.pages[2].entity_fp == 0


def test_aggregate_end_to_end_on_hand_made_documents() -> None:
    g1, g2, g3 = gold_packet("a", family="f1"), gold_packet("b", family="f2", pages=1), \
        gold_packet("c", family="f2", pages=4, referrals=[[1, 2], [3, 4]])
    preds = [
        prediction_for(g1),  # perfect
        prediction_for(g2, field_overrides={"payer": "Cigna"}, confidence=0.6),  # critical error, low confidence
        prediction_for(g3),  # two referrals, both right
    ]
    preds[2].referrals = preds[2].referrals[:1]  # ... except that the model merged them into one: one missed
    recs = [compare_document(g, p, seconds=0.5) for g, p in zip([g1, g2, g3], preds, strict=True)]
    met = aggregate(recs)
    assert met.documents == 3 and met.pages == 7 and met.gold_referrals == 4
    assert met.missed_referrals == 1 and met.spurious_referrals == 0
    assert math.isclose(met.straight_through, 2 / 4)
    assert math.isclose(met.fields["payer"].exact_match, 2 / 4)
    assert met.intents.per_label["consult"].recall == 0.75 and met.intents.per_label["consult"].precision == 1.0
    assert met.page_types.accuracy == 1.0 and len(met.page_types.matrix) == len(PAGE_TYPES)
    assert met.entities["micro"].recall == 0.75
    fam = {r.group: r for r in met.breakdowns["layout family"]}
    assert fam["f1"].straight_through == 1.0 and fam["f2"].straight_through == 1 / 3
    op = met.automation.operating_point
    # the confident referrals (2 right ones at 0.95) are automated; the 0.6 payer error and the missed one are not
    assert op is not None and op.automated == 2 and op.error_rate == 0.0
    assert math.isclose(met.headline["automation_rate_at_max_error"], 0.5)
    assert met.latency.pages == 7
