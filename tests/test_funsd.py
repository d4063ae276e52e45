"""FUNSD benchmark plumbing: the reader, the published figures, and a tiny fine-tuning run through the CLI
(the real figure comes from `cardio-intake benchmark funsd`, not from a test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cardio_intake import config
from cardio_intake.cli import app
from evaluation.funsd import FUNSD_LABELS, published_results, read_forms

pytestmark = pytest.mark.skipif(not (config.FUNSD_DIR / "training_data").is_dir(),
                                reason=f"FUNSD not found at {config.FUNSD_DIR} (read from ../shared, never shipped)")


def test_published_figures_come_from_the_readme() -> None:
    pub = published_results()
    assert pub["BERT-base"] == 60.26
    assert pub["LayoutLM-base"] == 78.66  # the paper's figure, not the repo's 79.27
    assert pub["LayoutLMv3-base"] == 90.29


def test_reader_tags_and_boxes() -> None:
    forms = read_forms(config.FUNSD_DIR / "testing_data", limit=5)
    assert len(forms) == 5
    for f in forms:
        assert len(f.words) == len(f.boxes) == len(f.tags) > 0
        assert set(f.tags) <= set(FUNSD_LABELS)
        assert all(0 <= v <= 1000 for b in f.boxes for v in b)
        assert all(b[0] <= b[2] and b[1] <= b[3] for b in f.boxes)
        for prev, tag in zip(["O", *f.tags], f.tags, strict=False):  # I-X only continues X
            if tag.startswith("I-"):
                assert prev[2:] == tag[2:]
    # the first test form's annotation: "other" entities are O, questions and answers are tagged
    ann = json.loads(sorted((config.FUNSD_DIR / "testing_data" / "annotations").glob("*.json"))[0].read_text())
    n_q = sum(1 for e in ann["form"] if e["label"] == "question" and any(w["text"].strip() for w in e["words"]))
    assert forms[0].tags.count("B-QUESTION") == n_q


def test_tiny_benchmark_through_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "funsd.json"
    res = CliRunner().invoke(app, ["benchmark", "funsd", "--tiny", "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "BERT-base (published)" in res.output and "60.26" in res.output
    result = json.loads(out.read_text())
    assert result["train_forms"] == 8 and result["test_forms"] == 4 and result["epochs"] == 2
    assert 0.0 <= result["f1"] <= 1.0 and result["train_seconds"] > 0
    assert result["epoch_losses"][-1] < result["epoch_losses"][0]  # it learns


def test_sinusoid_layout_init_is_smooth_and_keeps_axes_apart() -> None:
    import torch

    from cardio_intake.model.network import build_model
    from cardio_intake.model.spec import ModelSpec
    from evaluation.funsd import sinusoid_layout_init

    model, _ = build_model(ModelSpec(tag_labels=list(FUNSD_LABELS), page_types=["other"], intents=["none"]), None)
    model.reset_layout_embeddings()
    sinusoid_layout_init(model)
    emb = model.encoder.embeddings
    x, y = emb.x_position_embeddings.weight.detach(), emb.y_position_embeddings.weight.detach()
    cos = torch.nn.functional.cosine_similarity
    assert float(x.norm(dim=1).min()) > 0
    assert float(cos(x[100], x[105], dim=0)) > float(cos(x[100], x[700], dim=0)) + 0.3  # near starts alike
    assert abs(float(cos(x[100], y[100], dim=0))) < 0.2  # x and y live in different subspaces
