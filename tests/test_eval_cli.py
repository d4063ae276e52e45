"""`cardio-intake evaluate` end to end: a generated corpus, the tiny model trained and registered in a
throw-away MLflow, then the real loader + OCR + model on two test documents, the report on disk and
in the model's MLflow run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cardio_intake import config
from cardio_intake.cli import app

pytestmark = pytest.mark.slow


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["evaluate", "--data", str(tmp_path / "nope"), "--no-mlflow"])
    assert res.exit_code == 2
    assert "does not exist" in res.output and "data generate" in res.output


def test_not_a_corpus_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["evaluate", "--data", str(tmp_path), "--model", str(tmp_path), "--no-mlflow"])
    assert res.exit_code == 2
    assert "neither a corpus" in res.output


def test_evaluate_a_registered_tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    from cardio_intake.corpus.generate import generate_corpus
    from cardio_intake.corpus.gold import read_labels
    from training.config import load_config
    from training.train import run

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(config, "MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact root lands in the test's folder
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, n=8, seed=3)
    assert any(p.split == "test" for p in read_labels(corpus))
    trained = run(load_config(config.PROJECT_ROOT / "training" / "configs" / "tiny.yaml",
                              [f"data.corpus_dir={corpus}", f"train.output_dir={tmp_path / 'runs'}"]))

    # the scikit-learn baseline, registered from the corpus's gold words
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features, packet_to_example
    from training.baseline import run as run_baseline
    from training.baseline_model import BaselineConfig

    rows = [packet_to_example(p) for p in read_labels(corpus)]
    dataset = tmp_path / "dataset"
    DatasetDict({s: Dataset.from_list([r for r in rows if r["split"] == s], features=dataset_features())
                 for s in ("train", "validation", "test")}).save_to_disk(str(dataset))
    run_baseline(dataset, tmp_path / "baseline", uri, BaselineConfig(token_epochs=2), mlflow_log=True, register=True)

    out = tmp_path / "reports"
    res = CliRunner().invoke(app, ["evaluate", "--model", "models:/cardio-intake-referral@champion",
                                   "--data", str(corpus), "--limit", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = Path(res.output.strip().splitlines()[-1])
    assert html == out / "cardio-intake-referral-1" / "report.html" and html.is_file()
    assert "champion not compared: is the evaluated model" in res.output
    metrics = json.loads((html.parent / "metrics.json").read_text())
    assert metrics["metrics"]["documents"] == 2 and metrics["model"]["version"] == "cardio-intake-referral:1"
    assert metrics["model"]["run_id"] == trained["run_id"]
    assert all(r["seconds"] > 0 for r in metrics["records"])
    assert [r["role"] for r in metrics["references"]] == ["baseline"]
    assert metrics["references"][0]["version"] == "cardio-intake-baseline:1"
    assert set(metrics["reference_headlines"]["baseline"]) == set(metrics["metrics"]["headline"])
    assert metrics["metrics"]["latency"]["pages_per_second"] > 0
    # --data alone is source "main" (training's name), scored on its rows beside the "all" row
    assert [(s["source"], s["documents"]) for s in metrics["sources"]] == [("main", 2), ("all", 2)]
    assert metrics["sources"][0]["end_to_end"] and "[main] 2 documents" in res.output
    assert metrics["sources"][0]["words"] == "gold" and "on the corpus's gold words, not OCR" in " ".join(res.output.split())
    client = MlflowClient()
    logged = {a.path for a in client.list_artifacts(trained["run_id"], "evaluation")}
    assert logged == {"evaluation/report.html", "evaluation/metrics.json"}
    run_data = client.get_run(trained["run_id"]).data
    assert run_data.metrics["eval_straight_through"] == pytest.approx(metrics["metrics"]["straight_through"])
    assert run_data.metrics["eval/main/entity_f1"] == pytest.approx(metrics["sources"][0]["metrics"]["entity_f1"])
