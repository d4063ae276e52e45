"""The scikit-learn baseline on a tiny hand-built dataset: it learns, its predictions are contract
Predictions through the shared post-processing, and it logs and registers a loadable pyfunc."""

from __future__ import annotations

import base64
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cardio_intake.extraction.normalize import npi_check_digit_ok
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.schemas import Fields, Prediction
from training.baseline_model import BaselineConfig, page_token_features, word_shape

FIRST = ["Maria", "Robert", "Linda", "James", "Aisha", "Wei", "Carlos", "Emily", "Noah", "Priya"]
LAST = ["Gonzalez", "Chen", "Okafor", "Smith", "Patel", "Nguyen", "Brown", "Kowalski", "Haddad", "Reyes"]
PAYERS = [["Aetna", "Medicare"], ["UnitedHealthcare"], ["Blue", "Cross", "PPO"], ["Humana", "Gold"], ["Medicaid"]]
ORDERS = {"echo_tte": ("93306", ["TTE"]), "consult": ("99204", ["Cardiology", "consult"]),
          "nuclear_stress": ("78452", ["SPECT", "MPI"]), "rhythm_monitor": ("93224", ["Holter", "48h"])}


def _npi(rng: random.Random) -> str:
    while True:
        npi = "1" + "".join(rng.choice("0123456789") for _ in range(9))
        if npi_check_digit_ok(npi):
            return npi


def _row(k: int, split: str, rng: random.Random) -> dict[str, Any]:
    """A cover page and a referral page; the referral page's layout varies a little."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    month, day, year = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1935, 1990)
    dob = f"{month:02d}/{day:02d}/{year}"
    payer = rng.choice(PAYERS)
    member = rng.choice("WXH") + "".join(rng.choice("0123456789") for _ in range(9))
    intents = rng.sample(sorted(ORDERS), rng.choice([1, 1, 2]))
    npi = _npi(rng)
    items: list[tuple[str, str]] = []

    def add(words: list[str], etype: str | None) -> None:
        for i, w in enumerate(words):
            items.append((w, "O" if etype is None else ("B-" if i == 0 else "I-") + etype))

    def patient() -> None:
        add(["Patient", "Name:"], None)
        add([first, last], "PATIENT_NAME")

    def birth() -> None:
        add([rng.choice(["DOB:", "Birth:"])], None)
        add([dob], "PATIENT_DOB")

    def insurance() -> None:
        add(["Insurance:"], None)
        add(payer, "PAYER")

    def member_id() -> None:
        add([rng.choice(["Member", "Subscriber"]), "ID:"], None)
        add([member], "MEMBER_ID")

    blocks = [patient, birth, insurance, member_id]
    if k % 2:
        blocks.reverse()
    for block in blocks:
        block()
    add(["Referring", "Dr.:"], None)
    add(["Dr.", rng.choice(FIRST), rng.choice(LAST)], "REFERRING_PROVIDER")
    add(["NPI:"], None)
    add([npi], "REFERRING_NPI")
    for intent in intents:
        cpt, words = ORDERS[intent]
        add(["Order:"], None)
        add(words, "PROCEDURE")
        add(["CPT"], None)
        add([cpt], "CPT")
    add(["Please", "schedule", "at", "your", "earliest", "convenience."], None)
    words = [w for w, _ in items]
    boxes, row, col = [], 0, 0
    for _, tag in items:  # 12 words to a line; a value is not broken over two lines
        if col >= 12 and not tag.startswith("I-"):
            row, col = row + 1, 0
        boxes.append([60 + 70 * col, 80 + 40 * row, 120 + 70 * col, 100 + 40 * row])
        col += 1
    cover = ["FAX", "COVER", "SHEET", "To:", "Cardiology", "Pages:", "2", "Confidential"]
    cover_boxes = [[100 + 90 * i, 50, 180 + 90 * i, 70] for i in range(len(cover))]
    fields = Fields(
        patient_name=f"{first} {last}", patient_dob=date(year, month, day), payer=" ".join(payer),
        member_id=member, referring_npi=npi, cpt=[ORDERS[i][0] for i in intents],
    )
    return {
        "doc_id": f"doc-{split}-{k}", "family": "f1", "split": split, "format": "png", "resolution": "fine",
        "source": "test", "n_pages": 2, "words": [cover, words], "bboxes": [cover_boxes, boxes],
        "ner_tags": [[0] * len(cover), [BIO_LABELS.index(t) for _, t in items]],
        "page_types": [PAGE_TYPES.index("fax_cover"), PAGE_TYPES.index("referral_order")],
        "page_referral": [0, 0],
        "referral_intents": [[INTENTS.index(i) for i in intents]],
        "referral_fields": [fields.model_dump_json()],
    }


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features

    rng = random.Random(0)
    splits = {s: [_row(k, s, rng) for k in range(n)] for s, n in (("train", 40), ("validation", 12), ("test", 12))}
    dd = DatasetDict({s: Dataset.from_list(rows, features=dataset_features()) for s, rows in splits.items()})
    out = tmp_path_factory.mktemp("ds") / "dataset"
    dd.save_to_disk(str(out))
    return out


def test_word_shape_and_layout_features() -> None:
    assert word_shape("03/14/1952") == "d/d/d"
    assert word_shape("W238849102") == "Xd"
    words = ["Member", "ID:", "W1", "Name"]
    boxes = [[10, 10, 60, 20], [70, 10, 90, 20], [100, 10, 200, 20], [100, 40, 150, 50]]
    feats = page_token_features(words, boxes)
    assert feats[2]["left=id:"] == 1.0 and feats[2]["label2=member_id:"] == 1.0
    assert feats[3]["up=w1"] == 1.0  # the word above in the same column
    assert "left=<none>" in feats[0] and "up=<none>" in feats[0]


def test_baseline_trains_logs_and_predicts(tiny_dataset: Path, tmp_path: Path) -> None:
    import mlflow

    from training.baseline import REGISTERED_BASELINE_NAME, run
    from training.baseline_model import load_baseline, row_pages

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = tmp_path / "baseline"
    metrics = run(tiny_dataset, out, uri, BaselineConfig(token_epochs=10), mlflow_log=True, register=True)
    # the fields in this tiny set are easy: a linear model must get most of them
    assert metrics["test/entity_f1"] > 0.8
    assert metrics["test/intent_micro_f1"] > 0.6
    assert metrics["test/page_type_accuracy"] == 1.0
    assert metrics["calibration/tag_nll_after"] <= metrics["calibration/tag_nll_before"]

    predictor = load_baseline(out)
    from datasets import load_from_disk

    row = dict(load_from_disk(str(tiny_dataset))["test"][0])
    pred = predictor.predict_pages(row_pages(row), "doc.png", "sha256:x")
    Prediction.model_validate(json.loads(pred.model_dump_json()))
    assert len(pred.referrals) == 1 and pred.referrals[0].pages == [1, 2]

    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    (version,) = client.search_model_versions(f"name='{REGISTERED_BASELINE_NAME}'")
    run_data = client.get_run(str(version.run_id)).data
    assert run_data.tags["dataset_fingerprint"] == run_data.params["dataset_fingerprint"]
    from training.data import fingerprint

    test_rows = [dict(r) for r in load_from_disk(str(tiny_dataset))["test"]]
    assert run_data.tags["dataset.test.fingerprint"] == fingerprint(test_rows)  # as the model's runs tag it
    assert float(run_data.metrics["test/entity_f1"]) == pytest.approx(metrics["test/entity_f1"])
    pyfunc = mlflow.pyfunc.load_model(f"models:/{REGISTERED_BASELINE_NAME}/{version.version}")
    pages = json.dumps([{"words": w, "boxes": b} for w, b in row_pages(row)])
    not_a_file = base64.b64encode(b"this is not a fax").decode()
    out_json, error_json = pyfunc.predict([{"name": "doc.png", "pages": pages}, {"name": "x.bin", "data_b64": not_a_file}])
    assert Prediction.model_validate_json(out_json).referrals[0].fields == pred.referrals[0].fields
    assert set(json.loads(error_json)) == {"error", "detail"}
