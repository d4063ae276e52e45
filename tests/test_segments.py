"""Segment-level boxes (cardio_intake/model/segments.py) and their use in encoding."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cardio_intake.model.artifacts import load_tokenizer
from cardio_intake.model.batching import PageInput, encode_page
from cardio_intake.model.segments import boxes_at_level, segment_boxes, segment_runs
from cardio_intake.model.spec import default_base_model


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return load_tokenizer(default_base_model())

# "Patient: SMITH, JOHN        DOB: 01/02/1960" on one line (height 20), then "Reason" on the next
LINE: list[Sequence[int]] = [
    [100, 100, 180, 120],  # Patient:
    [190, 100, 260, 120],  # SMITH,
    [268, 100, 330, 120],  # JOHN   (gap 8: same run)
    [500, 100, 550, 120],  # DOB:   (gap 170 > 1.5 * 20: new run)
    [558, 101, 680, 121],  # 01/02/1960
    [100, 140, 190, 160],  # Reason (next line, starts left)
]


def test_runs_break_at_wide_gaps_and_new_lines() -> None:
    assert segment_runs(LINE) == [[0, 1, 2], [3, 4], [5]]


def test_each_word_takes_its_runs_union_box() -> None:
    boxes = segment_boxes(LINE)
    assert boxes[0] == boxes[1] == boxes[2] == (100, 100, 330, 120)
    assert boxes[3] == boxes[4] == (500, 100, 680, 121)
    assert boxes[5] == (100, 140, 190, 160)


def test_a_word_below_on_the_same_column_starts_a_run() -> None:
    # no horizontal gap but a line lower: a form's stacked label and value are two segments
    assert segment_runs([[100, 100, 200, 120], [205, 130, 300, 150]]) == [[0], [1]]


def test_word_level_is_the_identity_and_unknown_levels_fail() -> None:
    assert boxes_at_level(LINE, "word") == LINE
    assert segment_boxes([]) == []
    with pytest.raises(ValueError, match="box level"):
        boxes_at_level(LINE, "page")  # type: ignore[arg-type]


def test_encode_page_feeds_segment_boxes_to_every_sub_token(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = ["Patient:", "SMITH,", "JOHN", "DOB:", "01/02/1960", "Reason"]
    page = PageInput(words=words, boxes=LINE)
    word_level = encode_page(tokenizer, page, 64, 8)
    seg_level = encode_page(tokenizer, page, 64, 8, "segment")
    assert seg_level.aligned.input_ids == word_level.aligned.input_ids
    first = seg_level.aligned.first_token
    assert seg_level.aligned.boxes[first[1]] == (100, 100, 330, 120)
    assert word_level.aligned.boxes[first[1]] == (190, 100, 260, 120)
    # the window carries them too ([CLS] first)
    assert seg_level.windows[0].boxes[1 + first[4]] == (500, 100, 680, 121)


def test_a_saved_segment_model_reads_segment_boxes_after_loading(tmp_path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    """The box level is part of the spec saved beside the weights, so serving reads as training did."""
    from cardio_intake.model.artifacts import load_model_dir, save_model_dir
    from cardio_intake.model.network import LayoutLMReferralModel
    from cardio_intake.model.predictor import Predictor
    from cardio_intake.model.spec import EncoderShape, ModelSpec

    enc = EncoderShape(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    spec = ModelSpec(encoder=enc, box_level="segment", max_len=64, stride=8)
    out = save_model_dir(tmp_path / "m", LayoutLMReferralModel(spec).eval(), tokenizer)
    from cardio_intake.model.runtime import ReferralEncoder

    encoder = Predictor(load_model_dir(out)).encoder
    assert isinstance(encoder, ReferralEncoder)
    encoded = encoder.prepare(PageInput(words=["Patient:", "SMITH,", "JOHN", "DOB:", "01/02/1960", "Reason"],
                                                  boxes=LINE))
    assert encoded.aligned.boxes[encoded.aligned.first_token[0]] == (100, 100, 330, 120)


def test_training_config_box_level_reaches_the_models_spec() -> None:
    from pathlib import Path

    from training.config import load_config
    from training.train import build

    cfg = load_config(Path("training/configs/tiny.yaml"), ["model.box_level=segment"])
    model, _ = build(cfg)
    assert model.spec.box_level == "segment"
    with pytest.raises(ValueError, match=r"model.box_level='page': one of \['word', 'segment'\]"):
        load_config(Path("training/configs/tiny.yaml"), ["model.box_level=page"])
