"""LayoutLMv2-style spatial attention bias (network.SpatialAttentionBias) and its use in the referral model."""

from __future__ import annotations

from pathlib import Path

import torch

from cardio_intake.model.network import LayoutLMReferralModel, SpatialAttentionBias, relative_position_bucket
from cardio_intake.model.spec import EncoderShape, ModelSpec


def tiny_spec(**kw: object) -> ModelSpec:
    enc = EncoderShape(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return ModelSpec(encoder=enc, intent_pooling="tokens", **kw)  # type: ignore[arg-type]


def inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, 2000, (2, 12), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded window
    x0 = torch.randint(0, 900, (2, 12), generator=g)
    y0 = torch.randint(0, 950, (2, 12), generator=g)
    boxes = torch.stack([x0, y0, x0 + 80, y0 + 20], dim=-1)
    return ids, boxes, mask


def test_buckets_keep_the_sign_grow_with_distance_and_stop_at_the_last() -> None:
    d = torch.tensor([-1000, -300, -40, -3, 0, 3, 40, 300, 1000])
    b = relative_position_bucket(d, num_buckets=64, max_distance=256)
    assert b[4] == 0  # no offset
    assert (b[5:] >= 32).all() and (b[:4] < 32).all()  # right / below vs left / above
    right = b[4:].tolist()
    assert right == sorted(right) and len(set(right[:4])) == 4  # farther offsets, later buckets
    assert b[-1] == b[-2] == 63  # beyond max_distance: the last bucket
    assert b[0] == b[1] == 31


def test_bias_is_one_table_lookup_per_pair_and_zero_at_start() -> None:
    bias = SpatialAttentionBias(heads=3, num_buckets=8, max_distance=64)
    boxes = torch.tensor([[[0, 0, 10, 10], [100, 0, 110, 10], [0, 200, 10, 210]]])
    assert torch.count_nonzero(bias(boxes)) == 0
    with torch.no_grad():
        bias.x_bias.weight.copy_(torch.arange(24, dtype=torch.float32).view(8, 3))
    out = bias(boxes)
    assert out.shape == (1, 3, 3, 3)
    # word 0 -> word 1 is 100 to the right: a positive bucket; word 1 -> word 0 the mirrored negative one
    assert out[0, 0, 0, 1] != out[0, 0, 1, 0]
    # the same column (x offset 0), different rows: only the y table, still zero, could tell them apart
    assert out[0, 0, 0, 2] == out[0, 0, 0, 0]


def test_model_reads_as_without_it_until_it_learns_then_boxes_move_it() -> None:
    torch.manual_seed(0)
    plain = LayoutLMReferralModel(tiny_spec()).eval()
    spatial = LayoutLMReferralModel(tiny_spec(spatial_attention=True)).eval()
    missing, unexpected = spatial.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("spatial_bias.") for k in missing) and missing
    ids, boxes, mask = inputs()
    with torch.no_grad():
        a = plain.encode(ids, boxes, mask).tag_logits
        b = spatial.encode(ids, boxes, mask).tag_logits
        assert torch.allclose(a, b, atol=1e-5)  # zero tables: the pre-trained reading, padding still masked
        spatial.spatial_bias.y_bias.weight.normal_(std=2.0)  # type: ignore[union-attr]
        c = spatial.encode(ids, boxes, mask).tag_logits
        assert not torch.allclose(a, c, atol=1e-3)
        # without boxes every offset is zero: one constant bias per head, which the softmax ignores
        zero = torch.zeros_like(boxes)
        assert torch.allclose(plain.encode(ids, zero, mask).tag_logits, spatial.encode(ids, zero, mask).tag_logits, atol=1e-5)


def test_padding_stays_masked_with_the_bias() -> None:
    torch.manual_seed(1)
    model = LayoutLMReferralModel(tiny_spec(spatial_attention=True)).eval()
    with torch.no_grad():
        model.spatial_bias.x_bias.weight.normal_()  # type: ignore[union-attr]
    ids, boxes, mask = inputs(1)
    other = ids.clone()
    other[1, 9:] = 1500  # different padding tokens and boxes must not change the real tokens' states
    other_boxes = boxes.clone()
    other_boxes[1, 9:] = 999
    with torch.no_grad():
        a = model.encode(ids, boxes, mask).tag_logits[1, :9]
        b = model.encode(other, other_boxes, mask).tag_logits[1, :9]
    assert torch.allclose(a, b, atol=1e-5)


def test_bias_trains_at_the_new_rate_and_round_trips_through_the_model_dir(tmp_path: Path) -> None:
    from cardio_intake.model.artifacts import load_model_dir, load_tokenizer, save_model_dir, state_dict_equal
    from cardio_intake.model.spec import default_base_model
    from training.config import TrainArgs
    from training.loop import is_new_param, make_optimizer

    torch.manual_seed(2)
    model = LayoutLMReferralModel(tiny_spec(spatial_attention=True))
    assert is_new_param("spatial_bias.x_bias.weight")
    args = TrainArgs(lr_encoder=1e-5, lr_new=2e-3)
    opt = make_optimizer(model, args)
    rate = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert rate[id(model.spatial_bias.x_bias.weight)] == 2e-3  # type: ignore[union-attr]
    ids, boxes, mask = inputs(2)
    out = model(ids, boxes, mask, torch.tensor([0, 1]), 2, [[0, 1]])
    out.tag_logits.sum().backward()
    assert model.spatial_bias.y_bias.weight.grad is not None  # type: ignore[union-attr]
    assert model.spatial_bias.y_bias.weight.grad.abs().sum() > 0  # type: ignore[union-attr]
    with torch.no_grad():
        model.spatial_bias.x_bias.weight.normal_()  # type: ignore[union-attr]
    saved = save_model_dir(tmp_path / "m", model.eval(), load_tokenizer(default_base_model()))
    loaded = load_model_dir(saved)
    assert loaded.spec.spatial_attention
    assert state_dict_equal(loaded.model, model)
