"""bench/bench_model.py's --extra-test: a second corpus's test packets join the test rows under ids of
their own."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from datasets import Dataset, DatasetDict

from tests.bench_scripts import load_bench_script


def _bench() -> ModuleType:
    return load_bench_script("bench_model")


def _rows(ids: list[str]) -> Dataset:
    return Dataset.from_list([{"doc_id": i, "words": [["x"]]} for i in ids])


def _save(path: Path, test_ids: list[str]) -> Path:
    DatasetDict({"train": _rows(["packet-00001"]), "test": _rows(test_ids)}).save_to_disk(str(path))
    return path


def test_extra_test_rows_are_prefixed_with_their_corpus(tmp_path: Path) -> None:
    fresh = _save(tmp_path / "fresh7" / "dataset", ["packet-00016", "packet-00020"])
    other = _save(tmp_path / "other", ["packet-00016"])
    rows = _bench().extra_test_rows([fresh, other])
    assert [r["doc_id"] for r in rows] == ["fresh7/packet-00016", "fresh7/packet-00020", "other/packet-00016"]
    assert rows[0]["words"] == [["x"]]  # the rest of the row is kept
    assert _bench().extra_test_rows([]) == []


def test_only_extra_test_needs_an_extra_test_split(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    monkeypatch.setattr("sys.argv", ["bench_model.py", "--only-extra-test"])
    with pytest.raises(SystemExit) as exc:
        _bench().main()
    assert exc.value.code == 2
    assert "--only-extra-test needs at least one --extra-test" in capsys.readouterr().err


def test_save_predictions_writes_one_readable_jsonl_per_column(tmp_path: Path) -> None:
    from cardio_intake.schemas import Prediction
    from tests.eval_fixtures import gold_packet, prediction_for

    golds = [gold_packet("packet-00001"), gold_packet("packet-00002")]
    preds = {
        "layout + composed v2, 14 epochs": [prediction_for(g) for g in golds],
        "sklearn baseline": [prediction_for(g, field_overrides={"referral_date": None}) for g in golds],
    }
    written = _bench().save_predictions(preds, tmp_path / "preds")
    assert [p.name for p in written] == ["layout-composed-v2-14-epochs.jsonl", "sklearn-baseline.jsonl"]
    for path, column in zip(written, preds.values(), strict=True):
        back = [Prediction.model_validate_json(line) for line in path.read_text().splitlines()]
        assert back == column
    assert back[0].referrals[0].fields.referral_date is None


def test_recalibration_keeps_the_models_own_order_intent_model(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """--recalibrate refits thresholds on validation; the order-line intent model was fitted on the model's own
    training rows (the composed supplement among them) and is refitted from the dataset's train split only where
    the model has none."""
    from types import SimpleNamespace

    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.extraction.order_intents import OrderIntentModel

    calls: list[object] = []
    own = Calibration(order_intents=OrderIntentModel.model_construct())
    predictors = {"with": SimpleNamespace(calibration=own, model_version="a"),
                  "without": SimpleNamespace(calibration=Calibration(), model_version="b")}
    monkeypatch.setattr("cardio_intake.model.predictor.load_predictor", lambda uri: predictors[uri])
    monkeypatch.setattr("cardio_intake.model.predictor.resolve_model_dir", lambda uri: (tmp_path, None))
    monkeypatch.setattr("training.assess.calibrate", lambda p, val, train_rows=None: calls.append(train_rows))
    monkeypatch.setattr("training.assess.score_with_predictions", lambda p, rows, label="": ({"entity_f1": 1.0}, []))
    val, train = [{"doc_id": "v"}], [{"doc_id": "t"}]
    _bench().score_model("with", [], val, train)
    _bench().score_model("without", [], val, train)
    assert calls == [None, train]


def test_an_ensembles_training_time_is_its_members_together(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json
    from types import SimpleNamespace

    from cardio_intake.extraction.calibration import Calibration

    monkeypatch.setattr("cardio_intake.model.predictor.load_predictor",
                        lambda uri: SimpleNamespace(calibration=Calibration(), model_version="e"))
    monkeypatch.setattr("cardio_intake.model.predictor.resolve_model_dir", lambda uri: (tmp_path, None))
    monkeypatch.setattr("training.assess.score_with_predictions", lambda p, rows, label="": ({"entity_f1": 1.0}, []))
    members = [{"path": "a", "training": {"train_seconds": 600.0}}, {"path": "b", "training": {"train_seconds": 1200.0}}]
    (tmp_path / "ensemble.json").write_text(json.dumps({"members": members}))
    assert _bench().score_model("e", [])[0]["train_minutes"] == 30.0
    members[1]["training"] = None  # a member of unknown training time: no figure rather than half of one
    (tmp_path / "ensemble.json").write_text(json.dumps({"members": members}))
    assert "train_minutes" not in _bench().score_model("e", [])[0]
