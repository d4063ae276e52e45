"""Model units: label alignment, sliding windows and their merge, MiniLM weight mapping, heads."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cardio_intake.labels import BIO_LABELS
from cardio_intake.model.alignment import IGNORE_INDEX, align_words, reading_text
from cardio_intake.model.artifacts import load_tokenizer
from cardio_intake.model.spec import EncoderShape, ModelSpec, default_base_model
from cardio_intake.model.weights import LAYOUT_ONLY_KEYS, map_checkpoint_keys
from cardio_intake.model.windows import make_windows, merge_word_logits, window_spans


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return load_tokenizer(default_base_model())


def test_align_words_labels_first_subtoken_and_repeats_boxes(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = ["Patient:", "Gonzalez", "(614)", "555-0134"]
    boxes = [[10, 10, 50, 20], [60, 10, 120, 20], [10, 30, 40, 40], [45, 30, 90, 40]]
    tags = [0, BIO_LABELS.index("B-PATIENT_NAME"), BIO_LABELS.index("B-PATIENT_PHONE"), BIO_LABELS.index("I-PATIENT_PHONE")]
    a = align_words(tokenizer, words, boxes, tags)
    assert len(a.input_ids) == len(a.boxes) == len(a.word_ids) == len(a.labels)
    assert len(a.input_ids) > len(words)  # "(614)" and "555-0134" split into several pieces
    firsts = a.first_token
    assert len(firsts) == len(words)
    for w, pos in enumerate(firsts):
        assert a.labels[pos] == tags[w]
        assert a.word_ids[pos] == w
    # every other position is ignored, and every sub-token carries its word's box
    assert sum(lab != IGNORE_INDEX for lab in a.labels) == len(words)
    for pos, w in enumerate(a.word_ids):
        assert list(a.boxes[pos]) == boxes[w]


def test_align_words_keeps_words_that_tokenize_to_nothing(tokenizer) -> None:  # type: ignore[no-untyped-def]
    a = align_words(tokenizer, ["a", "\x00", "b"], [[0, 0, 1, 1]] * 3, [1, 2, 3])
    assert a.first_token == [0, 1, 2]
    assert a.input_ids[1] == tokenizer.unk_token_id
    assert a.labels == [1, 2, 3]


def test_align_words_reads_a_word_without_the_ocr_marks_before_it(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """"_07/12/1960" (a form's underline) is read as "07/12/1960": the mark would be the first sub-token, the one
    that carries the word's tag. A word of marks alone, and a phone's "(", stay as they are."""
    assert reading_text("_07/12/1960") == "07/12/1960"
    assert reading_text("|(804)") == "(804)"
    assert reading_text("‘High") == "High"
    assert reading_text("(804)") == "(804)"
    assert reading_text("---") == "---"
    marked = align_words(tokenizer, ["DOB", "_07/12/1960"], [[0, 0, 1, 1]] * 2, [0, 1])
    clean = align_words(tokenizer, ["DOB", "07/12/1960"], [[0, 0, 1, 1]] * 2, [0, 1])
    assert marked.input_ids == clean.input_ids
    assert marked.input_ids != align_words(tokenizer, ["DOB", "07/12/1961"], [[0, 0, 1, 1]] * 2).input_ids


def test_align_words_rejects_mismatched_lengths(tokenizer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        align_words(tokenizer, ["a", "b"], [[0, 0, 1, 1]])


@given(n=st.integers(0, 3000), max_len=st.integers(8, 600), data=st.data())
@settings(max_examples=200, deadline=None)
def test_window_spans_cover_every_token_with_overlap(n: int, max_len: int, data: st.DataObject) -> None:
    stride = data.draw(st.integers(0, max_len - 3))
    spans = window_spans(n, max_len, stride)
    covered = set()
    for s, e in spans:
        assert e - s <= max_len - 2
        covered.update(range(s, e))
    assert covered == set(range(n))
    for (s0, e0), (s1, _) in itertools.pairwise(spans):
        assert e0 - s1 == stride  # consecutive windows overlap by exactly `stride`
        assert s1 > s0


def test_long_page_windows_merge_back_every_word(tokenizer) -> None:  # type: ignore[no-untyped-def]
    n_words = 700  # ~1400 sub-tokens: several 128-token windows
    words = [f"word{i}" for i in range(n_words)]
    a = align_words(tokenizer, words, [[0, 0, 10, 10]] * n_words, [0] * n_words)
    windows = make_windows(a, tokenizer.cls_token_id, tokenizer.sep_token_id, max_len=128, stride=32)
    assert len(windows) > 5
    assert all(len(w) <= 128 and w.input_ids[0] == tokenizer.cls_token_id for w in windows)
    # fake logits: each window position predicts its page token index, so the merge is checkable
    logits = []
    for w in windows:
        arr = np.full((len(w), 2), -1.0, dtype=np.float32)
        arr[1:-1, 0] = np.arange(w.start, w.end)
        arr[1:-1, 1] = [min(t - w.start, w.end - 1 - t) for t in range(w.start, w.end)]
        logits.append(arr)
    merged = merge_word_logits(a, windows, logits)
    assert merged.shape == (n_words, 2)
    assert merged[:, 0].tolist() == a.first_token  # every word came back, from its own first sub-token
    # max-context rule: a word near a cut is read from the window where it is most central
    spans = [(w.start, w.end) for w in windows]
    for w_idx, tok in enumerate(a.first_token):
        best = max(min(tok - s, e - 1 - tok) for s, e in spans if s <= tok < e)
        assert merged[w_idx, 1] == best


def test_minilm_checkpoint_maps_onto_layoutlm_with_only_2d_tables_missing() -> None:
    from cardio_intake.model.network import build_model
    from cardio_intake.model.weights import read_checkpoint

    path = default_base_model()
    model, report = build_model(ModelSpec(), path)
    assert report is not None
    assert set(report.missing) == LAYOUT_ONLY_KEYS
    assert report.unexpected == []
    ckpt = read_checkpoint(path)
    assert not any(k.startswith("bert.") for k in ckpt)  # the mapping below is needed for real
    enc = model.encoder.state_dict()
    torch.testing.assert_close(enc["encoder.layer.5.output.dense.weight"], ckpt["encoder.layer.5.output.dense.weight"])
    torch.testing.assert_close(enc["embeddings.word_embeddings.weight"], ckpt["embeddings.word_embeddings.weight"])
    for key in LAYOUT_ONLY_KEYS:  # untrained 2D tables start at zero: the text encoder is intact
        assert torch.count_nonzero(enc[key]) == 0
    assert model.spec.encoder.hidden_size == 384 and model.spec.encoder.num_hidden_layers == 6


def test_sinusoid_layout_tables_are_smooth_small_and_tell_x_from_y() -> None:
    from cardio_intake.model.network import LayoutLMReferralModel

    model = LayoutLMReferralModel(tiny_spec())
    emb = model.encoder.embeddings
    model.sinusoid_layout_embeddings(fraction=0.25)
    x, y = emb.x_position_embeddings.weight, emb.y_position_embeddings.weight
    half = x.shape[1] // 2
    # x in the first half of the dimensions, y in the second: (500, 200) and (200, 500) sum differently
    assert torch.count_nonzero(x[:, half:]) == 0 and torch.count_nonzero(y[:, :half]) == 0
    assert not torch.allclose(x[500] + y[200], x[200] + y[500])
    for table in (emb.h_position_embeddings, emb.w_position_embeddings):
        assert torch.count_nonzero(table.weight) == 0
    # neighbouring coordinates are alike, distant ones are not (a zero or random table has no such order)
    near, far = (x[500] - x[501]).norm(), (x[500] - x[900]).norm()
    assert near < far / 3
    # a quarter of the 1D position rows' size: a small change of the pre-trained input
    target = 0.25 * emb.position_embeddings.weight.norm(dim=1).mean()
    torch.testing.assert_close(x.norm(dim=1).mean(), target)


def test_layout_init_applies_sinusoids_only_to_a_layout_model_with_untrained_tables() -> None:
    from training.config import load_config
    from training.train import build

    root = Path(__file__).resolve().parents[1] / "training" / "configs"
    for use_layout, init, expect_waves in (("true", "sinusoid", True), ("false", "sinusoid", False), ("true", "zero", False)):
        cfg = load_config(root / "tiny.yaml", [f"model.use_layout={use_layout}", f"model.layout_init={init}"])
        model, _ = build(cfg)
        x = model.encoder.embeddings.x_position_embeddings.weight
        assert bool(torch.count_nonzero(x)) is expect_waves, (use_layout, init)


def test_checkpoint_prefixes_and_heads_are_mapped() -> None:
    t = torch.zeros(1)
    mapped, ignored = map_checkpoint_keys(
        {"bert.encoder.layer.0.x": t, "layoutlm.pooler.dense.weight": t, "classifier.weight": t, "embeddings.position_ids": t}
    )
    assert set(mapped) == {"encoder.layer.0.x", "pooler.dense.weight"}
    assert set(ignored) == {"classifier.weight", "embeddings.position_ids"}


def test_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    from cardio_intake.model.network import build_model

    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}')
    with pytest.raises(ValueError, match="not BERT or LayoutLM"):
        build_model(ModelSpec(), tmp_path)


def tiny_spec(**kw: object) -> ModelSpec:
    enc = EncoderShape(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    return ModelSpec(encoder=enc, **kw)  # type: ignore[arg-type]


def test_heads_shapes_and_text_only_ablation_ignores_boxes() -> None:
    from cardio_intake.model.network import LayoutLMReferralModel

    torch.manual_seed(0)
    for use_layout in (True, False):
        model = LayoutLMReferralModel(tiny_spec(use_layout=use_layout)).eval()
        with torch.no_grad():
            for table in ("x", "y", "h", "w"):  # give the 2D tables content, so boxes would matter
                getattr(model.encoder.embeddings, f"{table}_position_embeddings").weight.normal_()
        ids = torch.randint(1000, 2000, (3, 20))
        mask = torch.ones_like(ids)
        box_a = torch.zeros(3, 20, 4, dtype=torch.long)
        box_b = torch.full((3, 20, 4), 500, dtype=torch.long)
        with torch.no_grad():
            out = model(ids, box_a, mask, torch.tensor([0, 0, 1]), 2, [[0], [1]])
            out_b = model(ids, box_b, mask, torch.tensor([0, 0, 1]), 2, [[0], [1]])
        assert out.tag_logits.shape == (3, 20, len(BIO_LABELS))
        assert out.page_type_logits.shape == (2, 6)
        assert out.intent_logits.shape == (2, 13)
        same = torch.allclose(out.tag_logits, out_b.tag_logits)
        assert same is (not use_layout)


def test_keep_layers_loads_only_the_first_layers() -> None:
    from cardio_intake.model.network import build_model
    from cardio_intake.model.weights import read_checkpoint

    model, report = build_model(ModelSpec(), default_base_model(), keep_layers=3)
    assert report is not None and model.spec.encoder.num_hidden_layers == 3
    assert any(k.startswith("encoder.layer.5.") for k in report.ignored)
    ckpt = read_checkpoint(default_base_model())
    torch.testing.assert_close(
        model.encoder.state_dict()["encoder.layer.2.output.dense.weight"], ckpt["encoder.layer.2.output.dense.weight"]
    )
    with pytest.raises(ValueError, match="keep_layers"):
        build_model(ModelSpec(), default_base_model(), keep_layers=9)


def test_token_attention_merges_windows_exactly() -> None:
    """Per-intent attention over two windows, merged, equals one softmax over all their tokens."""
    from cardio_intake.model.network import merge_token_attention

    torch.manual_seed(1)
    scores, states = torch.randn(2, 7, 3), torch.randn(2, 7, 5)  # 2 windows, 7 tokens, 3 intents, hidden 5
    lse = torch.logsumexp(scores, dim=1)
    pooled = torch.einsum("wsk,wsh->wkh", torch.softmax(scores, dim=1), states)
    merged_lse, merged = merge_token_attention(lse, pooled)
    flat_scores, flat_states = scores.reshape(14, 3), states.reshape(14, 5)
    expected = torch.einsum("sk,sh->kh", torch.softmax(flat_scores, dim=0), flat_states)
    torch.testing.assert_close(merged, expected)
    torch.testing.assert_close(merged_lse, torch.logsumexp(flat_scores, dim=0))


def test_token_intent_pooling_same_in_training_and_inference() -> None:
    """The training forward (windows of a batch) and the runtime path (pages encoded apart, merged
    per referral) give the same intent logits, and the logits depend on which pages a referral has."""
    from cardio_intake.model.batching import PageInput
    from cardio_intake.model.network import LayoutLMReferralModel
    from cardio_intake.model.runtime import ReferralEncoder

    torch.manual_seed(0)
    tok = load_tokenizer(default_base_model())
    spec = tiny_spec(intent_pooling="tokens", max_len=16, stride=4)
    model = LayoutLMReferralModel(spec).eval()
    words = [f"word{i} holter echo" for i in range(12)]
    pages = [PageInput(words=words[:9], boxes=[[10 * i, 20, 10 * i + 9, 30] for i in range(9)]),
             PageInput(words=words[3:5], boxes=[[0, 0, 5, 5], [6, 0, 9, 5]])]
    runtime = ReferralEncoder(model, tok, spec)
    logits = runtime.encode_pages(pages)
    both, first = runtime.intent_logits(logits, [[0, 1]])[0], runtime.intent_logits(logits, [[0]])[0]
    assert not np.allclose(both, first)
    from cardio_intake.model.batching import collate_windows

    encoded = [runtime.prepare(p) for p in pages]
    assert len(encoded[0].windows) > 1  # the first page really is windowed
    b = collate_windows(encoded)
    with torch.no_grad():
        out = model(b.input_ids, b.bbox, b.attention_mask, b.window_page, b.n_pages, [[0, 1], [0]])
    np.testing.assert_allclose(out.intent_logits[0].numpy(), both, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.intent_logits[1].numpy(), first, rtol=1e-4, atol=1e-5)


def _tiny_encoder(seed: int, **kw: object):  # type: ignore[no-untyped-def]
    from cardio_intake.model.network import LayoutLMReferralModel
    from cardio_intake.model.runtime import ReferralEncoder

    torch.manual_seed(seed)
    spec = tiny_spec(**{"intent_pooling": "tokens", "max_len": 16, "stride": 4, **kw})
    return ReferralEncoder(LayoutLMReferralModel(spec).eval(), load_tokenizer(default_base_model()), spec)


def test_ensemble_averages_its_members_logits_and_each_members_own_intents() -> None:
    """Tags and page types are the members' mean; a referral's intents are the mean of what each
    member's own head pools from its own page states (not one head over mixed states)."""
    from cardio_intake.model.batching import PageInput
    from cardio_intake.model.runtime import EnsembleEncoder

    pages = [PageInput(words=[f"w{i} echo" for i in range(9)], boxes=[[10 * i, 20, 10 * i + 9, 30] for i in range(9)]),
             PageInput(words=["holter", "monitor"], boxes=[[0, 0, 5, 5], [6, 0, 9, 5]]),
             PageInput(words=[], boxes=[])]
    a, b = _tiny_encoder(0), _tiny_encoder(1)
    ens = EnsembleEncoder([a, b])
    la, lb, le = a.encode_pages(pages), b.encode_pages(pages), ens.encode_pages(pages)
    assert not np.allclose(la[0].tag_logits, lb[0].tag_logits)  # the members really differ
    for pa, pb, pe in zip(la, lb, le, strict=True):
        np.testing.assert_allclose(pe.tag_logits, (pa.tag_logits + pb.tag_logits) / 2, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(pe.page_type_logits, (pa.page_type_logits + pb.page_type_logits) / 2, rtol=1e-5, atol=1e-6)
    split = [[0, 1], [2]]
    expected = [(x + y) / 2 for x, y in zip(a.intent_logits(la, split), b.intent_logits(lb, split), strict=True)]
    got = ens.intent_logits(le, split)
    assert len(got) == 2
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    raw = ens.raw_document(pages)
    assert raw.referral_pages == [[0, 1, 2]] and raw.pages[1].words == ["holter", "monitor"]
    np.testing.assert_allclose(raw.intent_logits[0], ens.intent_logits(le, [[0, 1, 2]])[0], rtol=1e-5, atol=1e-6)


def test_ensemble_refuses_members_of_other_label_sets_or_windows() -> None:
    from cardio_intake.model.runtime import EnsembleEncoder

    with pytest.raises(ValueError, match="at least one"):
        EnsembleEncoder([])
    with pytest.raises(ValueError, match="windowing"):
        EnsembleEncoder([_tiny_encoder(0), _tiny_encoder(1, intents=["consult", "echo_tte"])])


def test_ensemble_model_dir_round_trip_and_refusals(tmp_path: Path) -> None:
    """save_ensemble_dir copies the first member whole and the others' weights under members/; the
    loaded predictor reads with an EnsembleEncoder whose second member has the second's weights."""
    from cardio_intake.model.artifacts import (
        load_model_dir,
        save_ensemble_dir,
        save_model_dir,
        state_dict_equal,
    )
    from cardio_intake.model.predictor import Predictor
    from cardio_intake.model.runtime import EnsembleEncoder, ReferralEncoder

    a, b, other = _tiny_encoder(0), _tiny_encoder(1), _tiny_encoder(2, stride=2)
    dirs = [save_model_dir(tmp_path / name, enc.model, enc.tokenizer) for name, enc in (("a", a), ("b", b), ("o", other))]
    with pytest.raises(ValueError, match="two or more"):
        save_ensemble_dir(tmp_path / "e", dirs[:1])
    with pytest.raises(ValueError, match="spec differs"):
        save_ensemble_dir(tmp_path / "e", [dirs[0], dirs[2]])
    with pytest.raises(FileNotFoundError, match="not a model directory"):
        save_ensemble_dir(tmp_path / "e", [dirs[0], tmp_path])
    out = save_ensemble_dir(tmp_path / "e", dirs[:2])
    assert (out / "members" / "1" / "weights.safetensors").is_file()
    with pytest.raises(ValueError, match="itself an ensemble"):
        save_ensemble_dir(tmp_path / "e2", [out, dirs[1]])
    loaded = load_model_dir(out)
    assert len(loaded.members) == 1
    assert state_dict_equal(loaded.model, a.model) and state_dict_equal(loaded.members[0], b.model)
    predictor = Predictor(loaded)
    assert isinstance(predictor.encoder, EnsembleEncoder)
    assert isinstance(Predictor(load_model_dir(dirs[0])).encoder, ReferralEncoder)
