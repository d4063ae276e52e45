"""Training pieces: config, packing, BIO spans, the champion gate, reproducibility and resume."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import torch
from model_fixtures import write_synthetic_corpus

from cardio_intake.labels import BIO_LABELS
from training.config import DataArgs, TrainArgs, config_from_dict, load_config
from training.gate import decide, gate_score

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"


# --- gate ------------------------------------------------------------------------------------


def test_gate_promotes_first_model_and_only_strictly_better_ones() -> None:
    assert decide("gate_score", 0.5, None).promote
    assert decide("gate_score", 0.91, 0.90).promote
    assert not decide("gate_score", 0.90, 0.90).promote  # a tie keeps the champion
    assert not decide("gate_score", 0.80, 0.90).promote
    assert not decide("gate_score", 0.905, 0.90, min_gain=0.01).promote
    assert not decide("gate_score", math.nan, 0.1).promote
    assert decide("gate_score", 0.1, math.nan).promote  # an unscorable champion is beaten


def test_gate_summary_prints_both_figures() -> None:
    text = decide("gate_score", 0.8123, 0.7001).summary()
    assert "0.8123" in text and "0.7001" in text and "PROMOTE" in text


def test_gate_score_is_the_mean_of_the_three_product_figures() -> None:
    assert gate_score({"intent_micro_f1": 0.9, "entity_f1": 0.6, "straight_through": 0.3}) == pytest.approx(0.6)


# --- config ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "quick", "default"])
def test_shipped_configs_load(name: str) -> None:
    cfg = load_config(CONFIGS / f"{name}.yaml")
    assert cfg.train.epochs >= 1 and cfg.model.stride < cfg.model.max_len - 2


def test_config_rejects_unknown_keys_and_applies_overrides() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        config_from_dict({"train": {"epoch": 3}})
    with pytest.raises(ValueError, match="sections"):
        config_from_dict({"optim": {}})
    cfg = load_config(CONFIGS / "tiny.yaml", ["train.epochs=7", "model.use_layout=false"])
    assert cfg.train.epochs == 7 and cfg.model.use_layout is False


# --- loop pieces ------------------------------------------------------------------------------


def test_bio_spans_exact() -> None:
    from training.loop import bio_spans

    ids = [BIO_LABELS.index(t) for t in ["O", "B-PAYER", "I-PAYER", "B-PAYER", "I-MRN", "O", "B-CPT"]]
    assert bio_spans(ids) == {("PAYER", 1, 3), ("PAYER", 3, 4), ("MRN", 4, 5), ("CPT", 6, 7)}


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from training.train import build, prepare_data

    corpus = write_synthetic_corpus(tmp_path_factory.mktemp("syn") / "corpus", n=12)
    cfg = load_config(CONFIGS / "tiny.yaml")
    cfg.data = DataArgs(source="gold", corpus_dir=str(corpus))
    _, tokenizer = build(cfg)
    return cfg, prepare_data(cfg, tokenizer)


def test_pack_steps_covers_every_document_once_within_budget(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from training.loop import pack_steps

    _, data = tiny_setup
    ex = data["examples"]["train"]
    steps = pack_steps(ex, 4, random.Random(1))
    assert sorted(i for s in steps for i in s) == list(range(len(ex)))
    for s in steps:
        assert len(s) == 1 or sum(ex[i].n_windows for i in s) <= 4


def test_thin_windows_keeps_entity_windows_and_one_per_page(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from training.loop import has_entity, thin_windows

    _, data = tiny_setup
    docs = data["examples"]["train"]
    windows = [w for d in docs for p in d.pages for w in p.windows]
    assert any(has_entity(w) for w in windows) and any(not has_entity(w) for w in windows)
    for d in docs:
        assert thin_windows(d, 1.0, random.Random(0)) is d
        thin = thin_windows(d, 0.0, random.Random(0))
        assert len(thin.pages) == len(d.pages) and thin.referral_pages == d.referral_pages
        for before, after in zip(d.pages, thin.pages, strict=True):
            assert after.windows  # every page keeps a window
            assert [w for w in before.windows if has_entity(w)] == [w for w in after.windows if has_entity(w)] or (
                not any(has_entity(w) for w in before.windows) and after.windows == before.windows[:1]
            )


def test_procedure_token_intents_label_order_words_of_single_intent_referrals(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from cardio_intake.labels import BIO_LABELS, INTENTS
    from cardio_intake.model.alignment import IGNORE_INDEX
    from training.loop import make_batch, procedure_token_intents

    _, data = tiny_setup
    docs = [d for split in data["examples"].values() for d in split]
    b = make_batch(docs)
    target = procedure_token_intents(b)
    assert target.shape == b.labels.shape
    order_tags = {i for i, t in enumerate(BIO_LABELS) if t.endswith(("-PROCEDURE", "-CPT"))}
    single = {}
    for pages, hot in zip(b.referral_pages, b.intents.tolist(), strict=True):
        for p in pages:
            single[p] = hot.index(1.0) if sum(hot) == 1 else None
    n_labelled = 0
    for w in range(b.labels.shape[0]):
        page = int(b.window_page[w])
        for t in range(b.labels.shape[1]):
            want = single[page] if int(b.labels[w, t]) in order_tags and single[page] is not None else IGNORE_INDEX
            assert int(target[w, t]) == want
            n_labelled += want != IGNORE_INDEX
    assert n_labelled > 0  # the tiny corpus has single-intent referrals with procedure words
    assert set(target[target != IGNORE_INDEX].tolist()) <= set(range(len(INTENTS)))


def test_layout_regularizers_zero_boxes_and_slow_the_2d_tables(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from training.loop import drop_layout, make_optimizer
    from training.train import build

    torch.manual_seed(0)
    bbox = torch.randint(1, 1000, (400, 5, 4))
    assert torch.equal(drop_layout(bbox, 0.0), bbox)
    assert not drop_layout(bbox, 1.0).any()
    dropped = drop_layout(bbox, 0.5)
    zeroed = [not dropped[w].any() for w in range(400)]
    assert 150 < sum(zeroed) < 250  # about half the windows, each entirely
    assert all(torch.equal(dropped[w], bbox[w]) for w in range(400) if not zeroed[w])

    cfg, _ = tiny_setup
    model, _ = build(cfg)
    args = TrainArgs(**{**cfg.train.__dict__, "lr_encoder": 1e-4, "lr_new": 1e-3, "lr_layout": 3e-5})
    lr_of = {id(p): g["lr"] for g in make_optimizer(model, args).param_groups for p in g["params"]}
    emb = model.encoder.embeddings
    assert lr_of[id(emb.x_position_embeddings.weight)] == 3e-5
    assert lr_of[id(model.tag_head.weight)] == 1e-3
    assert lr_of[id(emb.word_embeddings.weight)] == 1e-4


def test_layout_shift_moves_each_window_as_a_whole_and_keeps_blank_boxes() -> None:
    from training.loop import shift_layout

    torch.manual_seed(0)
    # boxes well inside the page: no shift of up to 150 at a scale of up to 1.1 reaches an edge
    x0 = torch.randint(200, 700, (300, 6, 1))
    y0 = torch.randint(200, 700, (300, 6, 1))
    bbox = torch.cat([x0, y0, x0 + 50, y0 + 20], -1)
    bbox[:, 0] = 0  # [CLS]
    bbox[:100] = 0  # windows seen without layout
    assert torch.equal(shift_layout(bbox, 0.0), bbox)
    moved = shift_layout(bbox, 150.0)
    assert torch.equal(moved[:100], bbox[:100]) and not moved[:, 0].any()
    assert int(moved[100:, 1:].min()) > 0 and int(moved[100:, 1:].max()) < 1000
    before, after = bbox[100:, 1:].float(), moved[100:, 1:].float()
    # one scale per window: every box's distance from the window's first box grows by the same factor
    for w in range(200):
        d_before = before[w, 1:, 0] - before[w, 0, 0]
        far = d_before.abs() > 100  # rounding to whole thousandths blurs the ratio of short distances
        ratio = (after[w, 1:, 0] - after[w, 0, 0])[far] / d_before[far]
        if len(ratio):
            assert float(ratio.max() - ratio.min()) < 0.03
            assert float(ratio.min()) > 0.88 and float(ratio.max()) < 1.12
    shift = (after[:, 0, :2] - before[:, 0, :2]).abs()
    assert float(shift.max()) > 100  # windows move by up to the offset, not by rounding noise
    assert float(shift.max()) < 150 + 0.1 * 500 + 1


class Crash(Exception):
    pass


def _train(cfg, data, run_dir: Path, epochs: int, resume: bool = False, crash_after: int | None = None, **extra):  # type: ignore[no-untyped-def]
    from training.loop import seed_everything, train_loop
    from training.train import build

    def on_epoch(state, metrics):  # type: ignore[no-untyped-def]
        if crash_after is not None and state.epoch >= crash_after:
            raise Crash  # the process dies after the epoch's checkpoint is written

    seed_everything(cfg.train.seed)
    model, _ = build(cfg)
    patience = extra.pop("patience_override", 99)
    args = TrainArgs(**{**cfg.train.__dict__, "epochs": epochs, "resume": resume, "patience": patience, **extra})
    state = train_loop(model, data["examples"]["train"], data["examples"]["validation"], args, run_dir, on_epoch, all_new=True)
    return model, state


def test_training_is_reproducible_and_resume_continues_exactly(tiny_setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg, data = tiny_setup
    a, state_a = _train(cfg, data, tmp_path / "a", epochs=2)
    b, _ = _train(cfg, data, tmp_path / "b", epochs=2)
    # same seed, same data: identical weights (best.pt of epoch 2 or 1, the same in both runs)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert state_a.epoch == 2 and len(state_a.history) == 2
    assert state_a.history[-1]["train_loss"] < state_a.history[0]["train_loss"] * 1.5
    # a crash after epoch 1, then resume: the same weights as two epochs in one go
    with pytest.raises(Crash):
        _train(cfg, data, tmp_path / "c", epochs=2, crash_after=1)
    _, state_c = _train(cfg, data, tmp_path / "c", epochs=2, resume=True)
    assert state_c.epoch == 2 and len(state_c.history) == 2
    # the training time (training.json's train_seconds) counts the epoch run before the crash too
    assert state_c.elapsed_s == pytest.approx(sum(h["epoch_s"] for h in state_c.history), rel=0.05)
    assert state_c.elapsed_s > state_c.history[-1]["epoch_s"]
    ck_a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)["model"]
    ck_c = torch.load(tmp_path / "c" / "checkpoint.pt", weights_only=False)["model"]
    for k in ck_a:
        assert torch.equal(ck_a[k], ck_c[k]), k


def test_bf16_autocast_trains_padded_windows_to_finite_weights_close_to_fp32(tiny_setup, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # 16 windows a step of unequal length: most rows are padding, whose fp32-min attention mask once gave NaN
    # under autocast (transformers 4); the loop stops on a non-finite loss, so finishing is part of the check
    monkeypatch.setattr("training.loop.cpu_has_native_bf16", lambda cpuinfo=None: True)  # autocast on any CPU
    cfg, data = tiny_setup
    full, state_full = _train(cfg, data, tmp_path / "fp32", epochs=2)
    half, state_half = _train(cfg, data, tmp_path / "bf16", epochs=2, bf16=True)
    assert all(torch.isfinite(v).all() for v in half.state_dict().values() if v.is_floating_point())
    assert state_half.epoch == 2 and state_half.bf16 and not state_full.bf16
    # bf16 matmuls, fp32 weights and optimizer: the same run within bf16's precision, not a different one
    for h, f in zip(state_half.history, state_full.history, strict=True):
        assert h["train_loss"] == pytest.approx(f["train_loss"], rel=0.05)
    assert any(not torch.equal(a, b) for a, b in zip(half.state_dict().values(), full.state_dict().values(), strict=True))


CPUINFO = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nflags\t\t: fpu sse2 avx2 avx512f {extra}\nbugs\t\t: spectre_v1\n"


@pytest.mark.parametrize(("extra", "native"), [("amx_bf16 amx_tile", True), ("avx512_bf16", True), ("avx512bw", False)])
def test_cpu_has_native_bf16_reads_the_flags_line(extra: str, native: bool) -> None:
    from training.loop import cpu_has_native_bf16

    assert cpu_has_native_bf16(CPUINFO.format(extra=extra)) is native
    assert cpu_has_native_bf16("processor\t: 0\n") is False  # no flags line (not x86): no bf16


def test_use_bf16_falls_back_to_fp32_with_a_warning_where_bf16_is_emulated(caplog: pytest.LogCaptureFixture) -> None:
    from training.loop import use_bf16

    cpu = torch.device("cpu")
    assert use_bf16(True, cpu, CPUINFO.format(extra="amx_bf16")) is True
    assert use_bf16(False, cpu, CPUINFO.format(extra="amx_bf16")) is False
    with caplog.at_level("WARNING", logger="training.loop"):
        assert use_bf16(True, cpu, CPUINFO.format(extra="")) is False
    assert "no native bf16" in caplog.text and "fp32" in caplog.text


def test_plan_epochs_fits_the_schedule_to_the_time_budget() -> None:
    from training.loop import plan_epochs

    assert plan_epochs(30, 24.0, 80.0) == 18  # a fast machine trains longer
    assert plan_epochs(30, 24.0, 177.0) == 8  # a slow one plans fewer epochs
    assert plan_epochs(8, 24.0, 10.0) == 8  # never more than asked
    assert plan_epochs(30, None, 500.0) == 30  # no budget: the configured epochs
    assert plan_epochs(30, 0.5, 100.0) == 1  # at least the epoch already run


def test_warmup_linear_follows_a_replanned_horizon() -> None:
    from training.loop import warmup_linear

    horizon = [100]
    f = warmup_linear(lambda: horizon[0], 0.1)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(55) == pytest.approx(0.5)
    horizon[0] = 60  # re-planned after the first epoch: warm-up 6 steps, decay ends at step 60
    assert f(3) == pytest.approx(4 / 6) and f(55) == pytest.approx(5 / 54) and f(60) == 0.0
    assert warmup_linear(100, 0.1)(55) == pytest.approx(0.5)  # a plain number still works


def test_loop_plans_epochs_after_the_first_and_decays_to_zero(tiny_setup, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Four epochs asked, a budget that fits two (as timed after epoch 1): the run stops after two and
    its learning rate has reached zero, the end of the re-planned schedule."""
    import training.loop

    seen = []

    def plan(epochs: int, max_minutes: float | None, first_epoch_s: float) -> int:
        seen.append((epochs, max_minutes, first_epoch_s))
        return 2

    monkeypatch.setattr(training.loop, "plan_epochs", plan)
    cfg, data = tiny_setup
    _, state = _train(cfg, data, tmp_path / "p", epochs=4, max_minutes=30.0, warmup_ratio=0.1)
    assert [s[:2] for s in seen] == [(4, 30.0)] and seen[0][2] > 0
    assert state.epoch == 2 and state.planned_epochs == 2 and not state.stopped
    assert state.history[0]["planned_epochs"] == 2.0
    opt = torch.load(tmp_path / "p" / "checkpoint.pt", weights_only=False)["opt"]
    assert all(g["lr"] == pytest.approx(0.0, abs=1e-12) for g in opt["param_groups"])


@pytest.mark.parametrize(("metric", "best_epoch", "epochs_run"), [("score", 2, 4), ("entity_f1", 4, 4)])
def test_select_metric_picks_the_kept_epoch(tiny_setup, tmp_path: Path, monkeypatch, metric: str, best_epoch: int, epochs_run: int) -> None:  # type: ignore[no-untyped-def]
    """Scripted validation figures: entity F1 keeps rising while the intent head's F1 peaks at epoch 2.
    On 'score' the run keeps epoch 2 (and, patience 2, stops after 4); on 'entity_f1' it keeps epoch 4."""
    import training.loop

    figures = iter([(0.3, 0.3), (0.5, 0.9), (0.6, 0.4), (0.7, 0.4)])

    def scripted(model, examples, args):  # type: ignore[no-untyped-def]
        e, i = next(figures)
        return {"loss": 1.0, "entity_f1": e, "intent_micro_f1": i, "page_type_accuracy": 1.0, "score": (e + i) / 2}

    monkeypatch.setattr(training.loop, "evaluate", scripted)
    cfg, data = tiny_setup
    _, state = _train(cfg, data, tmp_path / metric, epochs=4, select_metric=metric, patience_override=2)
    assert (state.best_epoch, state.epoch) == (best_epoch, epochs_run)
    with pytest.raises(ValueError, match="select_metric"):
        TrainArgs(select_metric="f1")  # type: ignore[arg-type]


def test_o_weight_lowers_the_loss_share_of_o_tokens() -> None:
    from cardio_intake.model.network import MultiTaskOutput
    from training.loop import Batch, losses

    logits = torch.zeros(1, 3, len(BIO_LABELS))
    logits[0, :, 0] = 2.0  # confident "O" everywhere
    labels = torch.tensor([[0, BIO_LABELS.index("B-MRN"), -100]])
    out = MultiTaskOutput(logits, torch.zeros(1, 4), torch.zeros(1, 6), torch.zeros(0, 13))
    b = Batch(torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, 3, 4, dtype=torch.long), torch.ones(1, 3),
              labels, torch.zeros(1, dtype=torch.long), 1, torch.zeros(1, dtype=torch.long), [], torch.zeros(0, 13))
    plain, weighted = losses(out, b)["tag"], losses(out, b, o_weight=0.1)["tag"]
    # the missed entity dominates more when "O" counts less: the weighted mean loss is higher
    assert weighted > plain


def test_resolve_device_prefers_a_visible_gpu_and_refuses_a_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from training.loop import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="auto, cpu, cuda"):
        resolve_device("meta")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)


def test_batch_moves_every_tensor_and_keeps_the_page_lists(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from training.loop import make_batch

    _, data = tiny_setup
    b = make_batch(data["examples"]["train"][:2])
    assert b.to(torch.device("cpu")) is b  # the CPU run pays nothing
    moved = b.to(torch.device("meta"))  # a device without memory: where each tensor went, without a GPU
    tensors = ("input_ids", "bbox", "attention_mask", "labels", "window_page", "page_types", "intents")
    assert all(getattr(moved, k).device.type == "meta" and getattr(moved, k).shape == getattr(b, k).shape for k in tensors)
    assert moved.referral_pages == b.referral_pages and moved.n_pages == b.n_pages
    assert all(getattr(b, k).device.type == "cpu" for k in tensors)  # the original is untouched


def test_o_token_noise_swaps_only_o_words_first_pieces(tiny_setup) -> None:  # type: ignore[no-untyped-def]
    from cardio_intake.model.alignment import IGNORE_INDEX
    from training.loop import FIRST_WORD_PIECE, make_batch, substitute_o_tokens

    _, data = tiny_setup
    b = make_batch(data["examples"]["train"][:3])
    assert torch.equal(substitute_o_tokens(b.input_ids, b.labels, 0.0, 30522), b.input_ids)
    torch.manual_seed(0)
    noisy = substitute_o_tokens(b.input_ids, b.labels, 0.5, 30522)
    changed = noisy != b.input_ids
    # nothing but "O" words' first sub-tokens moves: entity words, continuations, [CLS]/[SEP] and padding stay
    assert not (changed & (b.labels != 0)).any()
    assert bool((b.labels[b.labels == IGNORE_INDEX] == IGNORE_INDEX).all())
    o_words = int((b.labels == 0).sum())
    assert 0.35 * o_words < int(changed.sum()) <= 0.5 * o_words * 1.3  # about half (a draw may equal the word)
    assert int(noisy[changed].min()) >= FIRST_WORD_PIECE


class _RecordingProgress:
    """rich.Progress's calls that the loop makes, checked as they come: the bar never runs past its total."""

    def __init__(self) -> None:
        self.total = 0.0
        self.completed = 0.0
        self.overshoots = 0

    def add_task(self, description: str, total: float, completed: float = 0) -> int:
        self.total, self.completed = total, completed
        return 0

    def update(self, task: int, advance: float = 0, total: float | None = None, description: str = "") -> None:
        self.total = self.total if total is None else total
        self.completed += advance
        self.overshoots += self.completed > self.total


def test_progress_bar_follows_each_epochs_own_step_count_and_ends_full(tiny_setup, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import training.loop
    from training.loop import seed_everything, train_loop
    from training.train import build

    real_pack = training.loop.pack_steps
    calls = []

    def pack_one_more_step_each_epoch(examples, max_windows, rng):  # type: ignore[no-untyped-def]
        # thinning draws each epoch's windows anew, so an epoch's step count differs from the first estimate
        steps = real_pack(examples, max_windows, rng)
        calls.append(len(steps))
        return steps if len(calls) == 1 else [*steps, steps[0]]

    monkeypatch.setattr(training.loop, "pack_steps", pack_one_more_step_each_epoch)
    cfg, data = tiny_setup
    seed_everything(cfg.train.seed)
    model, _ = build(cfg)
    args = TrainArgs(**{**cfg.train.__dict__, "epochs": 3, "patience": 99})
    bar = _RecordingProgress()
    state = train_loop(model, data["examples"]["train"], data["examples"]["validation"], args, tmp_path / "r",
                       progress=bar, all_new=True)
    assert bar.overshoots == 0
    assert bar.completed == bar.total == state.step


def test_package_versions_name_what_is_installed() -> None:
    import platform

    import numpy

    from training.versions import package_versions

    versions = package_versions(("numpy", "no-such-package-here"))
    assert versions == {"python": platform.python_version(), "numpy": numpy.__version__,
                        "no-such-package-here": "not installed"}
