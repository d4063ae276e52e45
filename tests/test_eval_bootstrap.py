"""Paired bootstrap of two models' test figures: the interval brackets the observed difference and
excludes zero only where the models really differ."""

from __future__ import annotations

from typing import Any

import pytest
from eval_fixtures import generated_gold_rows

from cardio_intake.extraction.build import build_prediction
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.schemas import Prediction
from evaluation.bootstrap import paired_bootstrap
from evaluation.ceiling import gold_raw_output


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return generated_gold_rows(tmp_path_factory.mktemp("bootstrap"), n=8, seed=5)


@pytest.fixture(scope="module")
def perfect(rows: list[dict[str, Any]]) -> list[Prediction]:
    cal = Calibration(field_selection="support")
    return [build_prediction(gold_raw_output(r), cal, str(r["doc_id"]), "test") for r in rows]


def _without_intents(preds: list[Prediction], every: int) -> list[Prediction]:
    """Every ``every``-th document's referrals lose their intents; the rest are unchanged."""
    out = []
    for i, p in enumerate(preds):
        if i % every == 0:
            refs = [r.model_copy(update={"intents": []}) for r in p.referrals]
            p = p.model_copy(update={"referrals": refs})
        out.append(p)
    return out


def test_a_model_against_itself_differs_by_nothing(rows: list[dict[str, Any]], perfect: list[Prediction]) -> None:
    diff = paired_bootstrap(perfect, perfect, rows, n_resamples=50)
    for d in diff.values():
        assert d.observed == d.low == d.high == 0.0
        assert not d.clear


def test_a_clearly_worse_model_gives_an_interval_that_excludes_zero(
    rows: list[dict[str, Any]], perfect: list[Prediction]
) -> None:
    worse = _without_intents(perfect, every=1)
    diff = paired_bootstrap(perfect, worse, rows, n_resamples=200)
    assert diff["intent_micro_f1"].observed == pytest.approx(1.0)
    assert diff["intent_micro_f1"].clear and diff["straight_through"].clear
    assert diff["straight_through"].low > 0
    # the entities are the same in both: no difference, and none claimed
    assert diff["entity_f1"].observed == 0.0 and not diff["entity_f1"].clear
    flipped = paired_bootstrap(worse, perfect, rows, n_resamples=200)
    assert flipped["intent_micro_f1"].observed == pytest.approx(-1.0) and flipped["intent_micro_f1"].high < 0


def test_the_interval_brackets_the_observed_difference_and_is_seeded(
    rows: list[dict[str, Any]], perfect: list[Prediction]
) -> None:
    partly = _without_intents(perfect, every=3)
    a = paired_bootstrap(perfect, partly, rows, n_resamples=300, seed=1)
    b = paired_bootstrap(perfect, partly, rows, n_resamples=300, seed=1)
    assert a == b
    d = a["straight_through"]
    assert 0 < d.observed < 1 and d.low <= d.observed <= d.high
    assert d.high > d.low  # a few documents decide it: resampling spreads it


def test_mismatched_inputs_are_refused(rows: list[dict[str, Any]], perfect: list[Prediction]) -> None:
    with pytest.raises(ValueError, match="predictions for"):
        paired_bootstrap(perfect[:-1], perfect, rows)
