"""Issue 10 round trip: export tasks from a model's predictions, label them with the gold of
generated packets (as Label Studio would export them), import through OCR, train tiny, evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from labelstudio_support import finished_export
from model_fixtures import write_synthetic_corpus
from typer.testing import CliRunner

from cardio_intake.cli import app
from cardio_intake.corpus.gold import GoldPacket, read_labels

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
pytestmark = pytest.mark.slow

# OCR'd packets of three formats and resolutions plus a text-layer PDF (seed 21's plan)
PACKETS = ("packet-00000", "packet-00002", "packet-00003", "packet-00004")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ls_roundtrip")


@pytest.fixture(scope="module")
def packets(workspace: Path) -> dict[str, GoldPacket]:
    from cardio_intake.corpus.generate import generate_corpus

    corpus = generate_corpus(workspace / "corpus", n=6, seed=21, progress=False)
    return {Path(p.file).name: p for p in read_labels(corpus) if p.doc_id in PACKETS}


@pytest.fixture(scope="module")
def tiny_model(workspace: Path) -> str:
    import os

    from training.config import load_config
    from training.train import run

    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{workspace / 'mlflow.db'}"
    corpus = write_synthetic_corpus(workspace / "syn", n=12)
    result = run(load_config(CONFIGS / "tiny.yaml", [f"data.corpus_dir={corpus}", f"train.output_dir={workspace / 'runs'}"]))
    return f"models:/cardio-intake-referral/{result['version']}"


def test_round_trip_keeps_every_labelled_entity(workspace: Path, packets: dict[str, GoldPacket], tiny_model: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    runner = CliRunner()
    files = [str(workspace / "corpus" / p.file) for p in packets.values()]
    preds = workspace / "preds.jsonl"
    r = runner.invoke(app, ["predict", *files, "--model", tiny_model, "--output", str(preds)])
    assert r.exit_code == 0, r.output

    tasks_path = workspace / "tasks.json"
    r = runner.invoke(app, ["label", "export", str(preds), "--files", str(workspace / "corpus" / "files"),
                            "--out", str(tasks_path)])
    assert r.exit_code == 0, r.output
    tasks = json.loads(tasks_path.read_text())
    assert len(tasks) == sum(len(p.pages) for p in packets.values())
    assert tasks_path.with_suffix(".config.xml").read_text().startswith("<View>")
    # pre-annotations carry the model's scores
    assert all(0.0 <= t["predictions"][0]["score"] <= 1.0 for t in tasks)

    export = finished_export(tasks, packets)
    export.append({"id": 999, "data": tasks[0]["data"], "annotations": []})  # unlabelled: skipped and counted
    export_path = workspace / "export.json"
    export_path.write_text(json.dumps(export))
    dataset_dir = workspace / "imported"
    r = runner.invoke(app, ["label", "import", str(export_path), "--images", str(workspace / "tasks-images"),
                            "--out", str(dataset_dir)])
    assert r.exit_code == 0, r.output
    assert "1 without annotations skipped" in r.output
    assert ", 0 lost" in r.output

    from datasets import load_from_disk

    from cardio_intake.labels import BIO_LABELS, INTENTS

    dsd = load_from_disk(str(dataset_dir))
    rows = {row["doc_id"]: row for split in dsd.values() for row in split}
    packet_of = {t["data"]["document_id"]: packets[t["data"]["document"]] for t in tasks}
    assert set(rows) == set(packet_of)
    for doc_id, row in rows.items():
        gold = packet_of[doc_id]
        assert row["n_pages"] == len(gold.pages)
        for page_no, page in enumerate(gold.pages):
            begins = [BIO_LABELS[t] for t in row["ner_tags"][page_no] if BIO_LABELS[t].startswith("B-")]
            for ent in (e for r in gold.referrals for e in r.entities if e.page == page.page):
                assert f"B-{ent.type}" in begins, (gold.doc_id, page.page, ent.type, ent.text)
            n_gold = sum(1 for r in gold.referrals for e in r.entities if e.page == page.page)
            assert len(begins) >= n_gold
        assert sorted(row["referral_intents"][0]) == sorted(INTENTS.index(i) for i in gold.referrals[0].intents)


def test_imported_labels_mix_into_training_and_score_per_source(workspace: Path, packets: dict[str, GoldPacket]) -> None:
    """Retrain tiny on the synthetic corpus plus the imported labels (weighted), scored per source."""
    from datasets import Dataset, DatasetDict, load_from_disk
    from mlflow import MlflowClient

    from training.config import load_config
    from training.train import run

    dataset_dir = workspace / "imported"
    if not dataset_dir.exists():
        pytest.skip("round trip did not run")
    imported = load_from_disk(str(dataset_dir))
    rows = [row for split in imported.values() for row in split]
    # four documents: give each split at least one, as a practice's larger import would
    splits = {"train": rows[:2], "validation": rows[2:3], "test": rows[3:]}
    resplit = workspace / "resplit"
    DatasetDict({s: Dataset.from_list(r, features=imported["train"].features) for s, r in splits.items()}).save_to_disk(str(resplit))
    result = run(load_config(CONFIGS / "tiny.yaml", [
        f"data.corpus_dir={workspace / 'syn'}", f"train.output_dir={workspace / 'runs2'}",
        f"data.extra_datasets=[{{path: '{resplit}', weight: 2.0, name: practice}}]",
        "train.run_name=tiny-mixed", "tracking.promote=false"]))
    assert set(result["test_by_source"]) == {"main", "practice"}
    assert result["test_by_source"]["practice"]["documents"] == 1
    metrics = MlflowClient().get_run(result["run_id"]).data.metrics
    assert {"test/practice/entity_f1", "test/main/entity_f1", "test/entity_f1"} <= set(metrics)


def test_mix_rows_weights_train_and_keeps_eval_rows(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features
    from training.data import mix_rows

    feats = dataset_features()
    row = {"doc_id": "x", "family": "f", "split": "train", "format": "png", "resolution": "fine", "source": "",
           "n_pages": 1, "words": [["a"]], "bboxes": [[[0, 0, 1, 1]]], "ner_tags": [[0]], "page_types": [0],
           "page_referral": [0], "referral_intents": [[0]], "referral_fields": ["{}"]}
    DatasetDict({
        "train": Dataset.from_list([{**row, "doc_id": f"t{i}"} for i in range(4)], features=feats),
        "validation": Dataset.from_list([{**row, "doc_id": "v"}], features=feats),
        "test": Dataset.from_list([{**row, "doc_id": "e"}], features=feats),
    }).save_to_disk(str(tmp_path / "extra"))
    main = {"train": [{**row, "doc_id": "m"}], "validation": [], "test": [{**row, "doc_id": "mt"}]}
    mixed = mix_rows(main, [{"path": str(tmp_path / "extra"), "weight": 2.5, "name": "practice"}], seed=1)
    sources = [r["mix_source"] for r in mixed["train"]]
    assert sources.count("practice") == 10 and sources.count("main") == 1  # 4 x 2 + round(0.5 x 4)
    assert [r["mix_source"] for r in mixed["test"]] == ["main", "practice"]
    with pytest.raises(ValueError, match="needs 'path'"):
        mix_rows(main, [{"weight": 1}], seed=1)
    with pytest.raises(FileNotFoundError, match="label import"):
        mix_rows(main, [{"path": str(tmp_path / "nowhere")}], seed=1)
