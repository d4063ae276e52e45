"""The production config: what it trains on, and that a missing supplement stops the run before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardio_intake import config
from training.config import load_config
from training.data import mix_rows

DEFAULT = config.PROJECT_ROOT / "training" / "configs" / "default.yaml"


def test_default_config_mixes_in_two_draws_of_the_composed_form_within_the_cpu_budget() -> None:
    cfg = load_config(DEFAULT, [])
    assert [(Path(e["path"]).parts[-2:], e["name"]) for e in cfg.data.extra_datasets] == [
        (("composed", "dataset"), "composed"), (("composed2", "dataset"), "composed2")]
    assert cfg.train.max_minutes is not None and cfg.train.max_minutes <= 30
    # an override replaces the list: training without the supplement is one argument
    assert load_config(DEFAULT, ["data.extra_datasets=[]"]).data.extra_datasets == []


def test_a_missing_composed_dataset_says_how_to_build_it(tmp_path: Path) -> None:
    extras = [{"path": str(tmp_path / "composed" / "dataset"), "name": "composed"}]
    with pytest.raises(FileNotFoundError, match=r"no dataset at .*composed.*data generate.*composed_form.*build-dataset.*extra_datasets=\[\]"):
        mix_rows({"train": [{"doc_id": "a"}]}, extras, seed=0)
    # the second draw is told its own seed and folders
    second = tmp_path / "composed2" / "dataset"
    with pytest.raises(FileNotFoundError) as err:
        mix_rows({"train": [{"doc_id": "a"}]}, [{"path": str(second), "name": "composed2"}], seed=0)
    assert f"--seed 22 --families composed_form --only-split train --out {second.parent / 'corpus'}" in str(err.value)
    assert f"--corpus {second.parent / 'corpus'} --out {second}" in str(err.value)


def test_training_stops_with_one_line_when_the_composed_dataset_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from training.train import main

    missing = tmp_path / "composed" / "dataset"
    rc = main(["--config", str(config.PROJECT_ROOT / "training" / "configs" / "tiny.yaml"),
               f"data.extra_datasets=[{{path: {missing}, name: composed}}]", f"train.output_dir={tmp_path / 'runs'}", f"data.corpus_dir={tmp_path / 'corpus'}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: data.extra_datasets[0]: no dataset at") and str(missing) in err
    assert "Traceback" not in err and not (tmp_path / "runs").exists()


def test_training_without_the_main_dataset_says_how_to_build_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from training.train import main

    rc = main(["--config", str(DEFAULT), f"data.dataset_dir={tmp_path / 'dataset'}", "model.random_init=true",
               "model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2",
               "model.intermediate_size=64", f"train.output_dir={tmp_path / 'runs'}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"error: no dataset at {tmp_path / 'dataset'}") and "data build-dataset" in err
