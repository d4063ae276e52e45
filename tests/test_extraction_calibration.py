"""Temperature scaling and threshold selection."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_intake.extraction.calibration import (
    Calibration,
    fit_temperature,
    nll,
    sigmoid,
    softmax,
    threshold_for_f1,
    threshold_for_precision,
)


def _overconfident_softmax_set(n: int = 4000, k: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from softmax(z); the 'model' reports 3*z, i.e. three times too sure."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, size=(n, k))
    p = softmax(z)
    y = np.array([rng.choice(k, p=row) for row in p])
    return 3.0 * z, y


def test_temperature_scaling_reduces_nll_softmax() -> None:
    logits, y = _overconfident_softmax_set()
    t = fit_temperature(logits, y)
    assert nll(logits, y, t) < nll(logits, y, 1.0) - 0.1
    assert t == pytest.approx(3.0, rel=0.15)  # recovers the factor the set was built with
    # argmax never changes
    assert (softmax(logits, t).argmax(1) == logits.argmax(1)).all()


def test_temperature_scaling_sigmoid_underconfident() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, size=(3000, 5))
    y = (rng.random(z.shape) < sigmoid(z)).astype(float)
    logits = z / 2.5  # under-confident: T should come out below 1
    t = fit_temperature(logits, y, multilabel=True)
    assert t == pytest.approx(0.4, rel=0.15)
    assert nll(logits, y, t, multilabel=True) < nll(logits, y, 1.0, multilabel=True)


def test_temperature_keeps_one_when_already_calibrated() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(0, 2, size=(4000, 4))
    y = np.array([rng.choice(4, p=row) for row in softmax(z)])
    assert fit_temperature(z, y) == pytest.approx(1.0, abs=0.1)


def test_threshold_for_precision_picks_lowest_passing_cut() -> None:
    scores = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    correct = [True, True, True, True, False, True, False]
    # >=0.8: 4/4; >=0.7: 4/5 = 0.8; >=0.6: 5/6 = 0.83; >=0.5: 5/7
    assert threshold_for_precision(scores, correct, 1.0) == 0.8
    assert threshold_for_precision(scores, correct, 0.8) == 0.6
    assert threshold_for_precision(scores, correct, 0.7) == 0.5
    assert threshold_for_precision([0.9, 0.8], [False, False], 0.5) is None
    assert threshold_for_precision(scores, correct, 1.0, min_support=5) is None


def test_threshold_ties_pass_together() -> None:
    # two items at 0.9, one wrong: no cut can separate them, so 1.0 precision is unreachable there
    assert threshold_for_precision([0.95, 0.9, 0.9], [True, True, False], 1.0) == 0.95


def test_threshold_for_f1_separates_classes() -> None:
    scores = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]
    positive = [True, True, True, False, False, False]
    t = threshold_for_f1(scores, positive)
    assert 0.3 < t <= 0.7
    assert threshold_for_f1([0.4, 0.3], [False, False], default=0.5) == 0.5


def test_calibration_json_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cal = Calibration(tag_temperature=1.7, field_thresholds={"member_id": 0.83})
    loaded = Calibration.load(cal.save(tmp_path / "calibration.json"))
    assert loaded == cal
    assert loaded.intent_thresholds["consult"] == 0.5


def test_field_threshold_drops_non_critical_values_only_where_mostly_wrong() -> None:
    from cardio_intake.extraction.fit import ALWAYS_REVIEW, field_threshold

    # right 7 times in 10, the wrong ones spread over the confidences (a referring provider's OCR slips)
    scores = [0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6]
    correct = [True, False, True, True, False, True, True, False, True, True]
    assert field_threshold(scores, correct, False, 0.98, 0.5) == 0.0  # every value passed: none dropped
    # the old rule (precision 0.9) kept one value: the cut falls between it and the first left out
    assert field_threshold(scores, correct, False, 0.98, 0.9) == pytest.approx((0.99 + 0.98) / 2)
    assert field_threshold(scores, correct, True, 0.98, 0.5) == 0.99  # critical: reviewed below
    # low-confidence values mostly wrong: those are dropped, the sure ones kept
    scores2 = [0.99, 0.97, 0.6, 0.5, 0.4, 0.3]
    correct2 = [True, True, False, False, False, False]
    t2 = field_threshold(scores2, correct2, False, 0.98, 0.5)  # half right down to 0.5
    assert t2 == pytest.approx(0.45)
    assert all((s >= t2) == (s >= 0.5) for s in scores2)  # the same validation values kept as a cut at 0.5
    assert field_threshold([0.9, 0.8], [False, False], True, 0.98, 0.5) == ALWAYS_REVIEW
    assert field_threshold([0.9, 0.8], [False, False], False, 0.98, 0.5) == 0.0


def test_non_critical_field_keeps_values_less_sure_than_any_validation_value() -> None:
    from cardio_intake.extraction.fit import field_threshold

    # every validation NPI right, the least sure at 0.962: a test NPI read at 0.95 is no worse evidence
    scores = [0.999, 0.99, 0.98, 0.962]
    t = field_threshold(scores, [True] * 4, False, 0.98, 0.5)
    assert t < 0.95
    # a critical field still goes to review below the least sure value validation vouched for
    assert field_threshold(scores, [True] * 4, True, 0.98, 0.5) == 0.962
