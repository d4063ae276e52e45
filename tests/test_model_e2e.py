"""End to end with the tiny config: train -> MLflow run -> registered -> champion gate -> predict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_fixtures import write_synthetic_corpus

from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.document import Document, Page, Word
from cardio_intake.schemas import Prediction

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
pytestmark = pytest.mark.slow


def document_of(packet: GoldPacket) -> Document:
    pages = [
        Page(number=p.page, width=p.width, height=p.height, dpi=p.dpi, source="text_layer",
             words=[Word(text=w.text, box_px=w.box_px, box_1000=w.box_1000, ocr_confidence=1.0) for w in p.words])
        for p in packet.pages
    ]
    return Document(pages=pages, format="pdf")


@pytest.fixture()
def mlflow_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact root (./mlruns) lands in the test's folder
    return tmp_path


def _tiny(corpus: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    from training.config import load_config

    return load_config(
        CONFIGS / "tiny.yaml", [f"data.corpus_dir={corpus}", f"train.output_dir={out}", *extra]
    )


def test_tiny_training_registers_gates_and_predicts(mlflow_home: Path) -> None:
    from mlflow import MlflowClient

    from cardio_intake.model.predictor import load_predictor
    from training.train import run

    corpus = write_synthetic_corpus(mlflow_home / "corpus", n=12)
    first = run(_tiny(corpus, mlflow_home / "runs"))
    assert first["version"] == "1" and first["decision"].promote and first["decision"].champion is None
    client = MlflowClient()
    assert str(client.get_model_version_by_alias("cardio-intake-referral", "champion").version) == "1"
    run_data = client.get_run(first["run_id"]).data
    assert "val/loss" in client.get_metric_history(first["run_id"], "val/loss")[0].key
    assert {"test/intent_micro_f1", "test/entity_f1", "test/straight_through", "train_seconds"} <= set(run_data.metrics)
    assert run_data.tags["dataset.test.fingerprint"] and run_data.params["train.seed"] == "13"
    artifacts = {a.path for a in client.list_artifacts(first["run_id"])}
    assert {"config.yaml", "label_maps.json"} <= artifacts
    # the packages the run's numbers depend on, as installed: two runs that disagree can be told apart
    import torch
    import transformers

    packages = json.loads((Path(first["model_dir"]) / "training.json").read_text())["packages"]
    assert packages["torch"] == torch.__version__ and packages["transformers"] == transformers.__version__

    # the same config again: a tie on the same test split keeps the champion, and both figures print
    second = run(_tiny(corpus, mlflow_home / "runs2"))
    assert second["version"] == "2"
    decision = second["decision"]
    assert decision.champion is not None and not decision.promote
    assert decision.champion == pytest.approx(decision.candidate)
    assert str(client.get_model_version_by_alias("cardio-intake-referral", "champion").version) == "1"

    predictor = load_predictor()  # the champion, from the registry
    assert predictor.model_version == "cardio-intake-referral:1"
    assert predictor.labels["intents"][0] == "consult" and "member_id" in predictor.thresholds["fields"]
    multi = next(p for p in read_labels(corpus) if len(p.referrals) == 2)
    pred = predictor.predict_document(document_of(multi), "multi.pdf", "sha256:" + "0" * 64)
    again = Prediction.model_validate(json.loads(pred.model_dump_json()))
    assert again.document == "multi.pdf" and again.model_version == "cardio-intake-referral:1"
    assert [p.page for p in pred.pages] == list(range(1, len(multi.pages) + 1))
    covered = sorted(p for r in pred.referrals for p in r.pages)
    assert covered == list(range(1, len(multi.pages) + 1))  # every page in exactly one referral
    for ref in pred.referrals:
        assert set(ref.fields.model_dump()) >= {"patient_name", "member_id"}
        assert ref.review.needed == bool(ref.review.reasons)


def test_generated_faxes_train_register_and_predict_cli(mlflow_home: Path) -> None:
    """On the real generator's files: train tiny, then `cardio-intake predict` a fax and a bad file."""
    generate = pytest.importorskip("cardio_intake.corpus.generate")
    from typer.testing import CliRunner

    from cardio_intake.cli import app
    from training.train import run

    corpus = mlflow_home / "gen"
    generate.generate_corpus(corpus, n=6, seed=5)
    result = run(_tiny(corpus, mlflow_home / "runs"))
    assert result["version"] == "1"
    packet = next(iter(read_labels(corpus)))
    bad = mlflow_home / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    out = mlflow_home / "preds.jsonl"
    res = CliRunner().invoke(app, ["predict", str(corpus / packet.file), str(bad), "--output", str(out)])
    assert res.exit_code == 1, res.output
    lines = out.read_text().splitlines()
    assert len(lines) == 1
    pred = Prediction.model_validate_json(lines[0])
    assert pred.document == Path(packet.file).name and pred.document_id.startswith("sha256:")
    assert len(pred.pages) == len(packet.pages)
    assert f"{bad}: " in res.stderr


def test_ensemble_of_two_seeds_recalibrates_logs_and_predicts(mlflow_home: Path) -> None:
    """`python -m training.ensemble`: two tiny seeds -> one model directory (members/1, ensemble.json,
    its own calibration), logged to MLflow; the predictor averages both and still meets the contract."""
    from mlflow import MlflowClient

    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.model.predictor import load_predictor
    from cardio_intake.model.runtime import EnsembleEncoder
    from training.ensemble import main
    from training.train import run

    corpus = write_synthetic_corpus(mlflow_home / "corpus", n=12)
    dirs = [run(_tiny(corpus, mlflow_home / "runs", f"train.seed={s}", f"train.run_name=s{s}",
                      "tracking.register=false"))["model_dir"] for s in (13, 14)]
    out = mlflow_home / "ens"
    assert main(["--config", str(CONFIGS / "tiny.yaml"), "--member", str(dirs[0]), "--out", str(out),
                 f"data.corpus_dir={corpus}"]) == 2  # one member is not an ensemble: a clear error, no traceback
    assert main(["--config", str(CONFIGS / "tiny.yaml"), "--member", str(dirs[0]), "--member", str(dirs[1]),
                 "--out", str(out), f"data.corpus_dir={corpus}"]) == 0
    info = json.loads((out / "ensemble.json").read_text())
    assert [m["path"] for m in info["members"]] == [str(d) for d in dirs] and info["members"][1]["training"]
    assert not (out / "training.json").exists()
    # the calibration was refitted for the average, not kept from the first member
    assert Calibration.load(out / "calibration.json") != Calibration.load(dirs[0] / "calibration.json")
    runs = MlflowClient().search_runs([MlflowClient().get_experiment_by_name("cardio-intake-tiny").experiment_id],
                                      filter_string="tags.`ensemble.members` != ''")
    assert len(runs) == 1 and "test/entity_f1" in runs[0].data.metrics
    predictor = load_predictor(str(out))
    assert isinstance(predictor.encoder, EnsembleEncoder) and len(predictor.encoder.members) == 2
    packet = next(iter(read_labels(corpus)))
    pred = predictor.predict_document(document_of(packet), "p.pdf", "sha256:" + "1" * 64)
    assert [p.page for p in pred.pages] == list(range(1, len(packet.pages) + 1))
