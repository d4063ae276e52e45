"""The training loop (nanoGPT style: plain PyTorch, one screen) and the pieces it calls."""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from cardio_intake.labels import BIO_LABELS
from cardio_intake.model.alignment import IGNORE_INDEX
from cardio_intake.model.batching import EncodedPage, collate_windows
from cardio_intake.model.network import LayoutLMReferralModel, MultiTaskOutput
from cardio_intake.model.windows import Window
from training.config import TrainArgs
from training.data import DocExample

_TWO_D = ("x_position", "y_position", "h_position", "w_position")
# CPU flags of native bf16 matrix units: without one, oneDNN emulates bf16 and autocast runs slower than fp32
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA's generators too


def resolve_device(name: str) -> torch.device:
    """``TrainArgs.device`` as a torch device; asking for a GPU that torch cannot see is an error,
    not a silent (and 50x slower) CPU run."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"train.device={name}: torch sees no CUDA GPU (torch {torch.__version__}); use cpu or auto")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"train.device must be auto, cpu, cuda or cuda:N, not {name!r}")
    return device


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU multiplies bf16 natively (its ``/proc/cpuinfo`` flags list AMX or AVX512-BF16)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:  # not Linux: no way to tell, so no bf16
            return False
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return bool(set(value.split()) & set(NATIVE_BF16_FLAGS))
    return False


def use_bf16(requested: bool, device: torch.device, cpuinfo: str | None = None) -> bool:
    """Whether the loop trains under bf16 autocast: ``train.bf16`` where the hardware runs it natively (a GPU
    that supports it, a CPU with AMX or AVX512-BF16), else fp32 with a warning, since emulated bf16 would only
    make the run slower (measured: ``bench/bench_train_step.py``)."""
    if not requested:
        return False
    native = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_native_bf16(cpuinfo)
    if not native:
        log.warning("train.bf16: this %s has no native bf16 (CPU flags %s); training in fp32",
                    device.type.upper(), " / ".join(NATIVE_BF16_FLAGS))
    return native


def is_new_param(name: str) -> bool:
    """Parameters that start untrained (new heads, LayoutLM's 2D tables, the spatial attention bias): they get
    ``lr_new``."""
    return any(m in name for m in ("tag_head", "page_head", "intent_head", "intent_attention", "intent_queries", "spatial_bias")) or any(
        t in name for t in _TWO_D
    )


def make_optimizer(model: LayoutLMReferralModel, args: TrainArgs, all_new: bool = False) -> torch.optim.AdamW:
    """AdamW with two learning rates; no decay on biases and LayerNorms (BERT recipe)."""
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        lr = args.lr_new if all_new or is_new_param(name) else args.lr_encoder
        if args.lr_layout is not None and not all_new and any(t in name for t in _TWO_D):
            lr = args.lr_layout
        decay = p.ndim > 1 and "LayerNorm" not in name and not any(t in name for t in _TWO_D)
        groups.setdefault((lr, decay), []).append(p)
    return torch.optim.AdamW(
        [{"params": ps, "lr": lr, "weight_decay": args.weight_decay if decay else 0.0} for (lr, decay), ps in groups.items()]
    )


def warmup_linear(total_steps: int | Callable[[], int], warmup_ratio: float) -> Callable[[int], float]:
    """Linear warm-up over ``warmup_ratio`` of the steps, then linear decay to zero at ``total_steps``
    (a number, or a callable read at every step, so that a re-planned run's schedule, warm-up included,
    follows its new length)."""
    horizon = total_steps if callable(total_steps) else lambda: total_steps

    def f(step: int) -> float:
        total = horizon()
        warm = max(1, int(total * warmup_ratio))
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return f


def plan_epochs(epochs: int, max_minutes: float | None, first_epoch_s: float) -> int:
    """How many epochs to schedule once the first one has been timed: ``epochs``, or fewer when they
    would not fit in ``max_minutes``. The learning rate then decays to zero at the end of the epochs
    that fit, instead of being cut off mid-schedule by the time cap (a faster machine trains longer,
    a slower one still finishes its schedule)."""
    if max_minutes is None or first_epoch_s <= 0:
        return epochs
    return max(1, min(epochs, int(max_minutes * 60 // first_epoch_s)))


def has_entity(window: Window) -> bool:
    return any(t not in (IGNORE_INDEX, 0) for t in window.labels)


def thin_windows(doc: DocExample, keep: float, rng: random.Random) -> DocExample:
    """``doc`` with each window that holds no entity word kept with probability ``keep``; a page whose
    windows would all go keeps its first one, so every page still has a representation."""
    if keep >= 1.0:
        return doc
    pages = []
    for page in doc.pages:
        kept = [w for w in page.windows if has_entity(w) or rng.random() < keep]
        pages.append(EncodedPage(page.aligned, kept or page.windows[:1]))
    return dataclasses.replace(doc, pages=pages)


def drop_layout(bbox: torch.Tensor, rate: float) -> torch.Tensor:
    """Zero the boxes of a random ``rate`` share of the windows (torch's RNG: seeded, resumable)."""
    keep = (torch.rand(bbox.shape[0]) >= rate).to(bbox.dtype)
    return bbox * keep.view(-1, 1, 1)


#: Box coordinates are page thousandths (``document.to_box_1000``)
_BOX_MAX = 1000


def shift_layout(bbox: torch.Tensor, max_shift: float) -> torch.Tensor:
    """Each window's boxes moved by one random offset of up to ``max_shift`` per axis and scaled by
    0.9-1.1 about the page centre (torch's CPU RNG: seeded, resumable). All-zero boxes (special tokens,
    padding, a window ``drop_layout`` blanked) stay zero; coordinates stay on the page."""
    if max_shift <= 0:
        return bbox
    n = bbox.shape[0]
    scale = 0.9 + 0.2 * torch.rand(n, 1, 1)
    offset = (torch.rand(n, 1, 2) * 2 - 1) * max_shift  # (dx, dy) per window
    xy = bbox.to(torch.float32).view(n, -1, 2, 2)  # (x0, y0), (x1, y1)
    moved = (xy - _BOX_MAX / 2) * scale.unsqueeze(-1) + _BOX_MAX / 2 + offset.unsqueeze(2)
    moved = moved.round().clamp(0, _BOX_MAX).view_as(bbox).to(bbox.dtype)
    real = bbox.abs().sum(-1, keepdim=True) > 0
    return torch.where(real, moved, bbox)


#: BERT WordPiece ids below this are padding, [unusedN], special tokens and single characters
FIRST_WORD_PIECE = 1996


def substitute_o_tokens(input_ids: torch.Tensor, labels: torch.Tensor, rate: float, vocab_size: int) -> torch.Tensor:
    """``input_ids`` with a random ``rate`` share of the "O" words' first sub-tokens replaced by random
    vocabulary tokens (torch's CPU RNG: seeded, resumable); entity words, continuations and special tokens
    stay. The tagger then cannot learn "a word I do not know is a value", which is what it sees on a
    form whose labels it never met."""
    if rate <= 0:
        return input_ids
    swap = (labels == 0) & (torch.rand(labels.shape) < rate)
    low = min(FIRST_WORD_PIECE, vocab_size - 1)
    random_ids = torch.randint(low, vocab_size, labels.shape)
    return torch.where(swap, random_ids, input_ids)


def pack_steps(examples: Sequence[DocExample], max_windows: int, rng: random.Random) -> list[list[int]]:
    """Shuffle documents, then pack consecutive ones into steps of at most ``max_windows`` windows
    (a document longer than that is a step of its own)."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    steps: list[list[int]] = [[]]
    windows = 0
    for i in order:
        n = examples[i].n_windows
        if steps[-1] and windows + n > max_windows:
            steps.append([])
            windows = 0
        steps[-1].append(i)
        windows += n
    return [s for s in steps if s]


@dataclass
class Batch:
    input_ids: torch.Tensor
    bbox: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    window_page: torch.Tensor
    n_pages: int
    page_types: torch.Tensor
    referral_pages: list[list[int]]
    intents: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        if device.type == "cpu":
            return self
        tensors = ("input_ids", "bbox", "attention_mask", "labels", "window_page", "page_types", "intents")
        return dataclasses.replace(self, **{k: getattr(self, k).to(device, non_blocking=True) for k in tensors})


def make_batch(docs: Sequence[DocExample]) -> Batch:
    pages = [p for d in docs for p in d.pages]
    wb = collate_windows(pages)
    referral_pages: list[list[int]] = []
    intents: list[list[float]] = []
    offset = 0
    for d in docs:
        referral_pages += [[offset + p for p in ref] for ref in d.referral_pages]
        intents += d.intents
        offset += len(d.pages)
    return Batch(
        wb.input_ids, wb.bbox, wb.attention_mask, wb.labels, wb.window_page, wb.n_pages,
        torch.tensor([t for d in docs for t in d.page_types], dtype=torch.long),
        referral_pages,
        torch.tensor(intents, dtype=torch.float32).reshape(-1, len(docs[0].intents[0]) if intents else 0),
    )


def forward(model: LayoutLMReferralModel, b: Batch) -> MultiTaskOutput:
    return model(b.input_ids, b.bbox, b.attention_mask, b.window_page, b.n_pages, b.referral_pages)


def losses(out: MultiTaskOutput, b: Batch, o_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """Per-task losses. ``o_weight`` < 1 down-weights the "O" tag (~90% of words), which shortens
    the early phase where the tagger predicts "O" everywhere."""
    n_tags = out.tag_logits.shape[-1]
    weight = None if o_weight == 1.0 else torch.cat([torch.tensor([o_weight]), torch.ones(n_tags - 1)]).to(b.labels.device)
    parts = {
        "tag": F.cross_entropy(
            out.tag_logits.float().flatten(0, 1), b.labels.flatten(), weight=weight, ignore_index=IGNORE_INDEX
        ),
        "page": F.cross_entropy(out.page_type_logits.float(), b.page_types),
    }
    if b.intents.numel():
        parts["intent"] = F.binary_cross_entropy_with_logits(out.intent_logits.float(), b.intents)
    if out.intent_token_scores is not None:
        target = procedure_token_intents(b)
        if bool((target != IGNORE_INDEX).any()):
            parts["intent_tokens"] = F.cross_entropy(
                out.intent_token_scores.flatten(0, 1), target.flatten(), ignore_index=IGNORE_INDEX
            )
    return parts


_ORDER_TAGS = torch.tensor([i for i, t in enumerate(BIO_LABELS) if t.endswith(("-PROCEDURE", "-CPT"))])


def procedure_token_intents(b: Batch) -> torch.Tensor:
    """Per-token intent targets (n_windows, seq): on the procedure and CPT words of a referral that
    orders exactly one service kind, that intent; elsewhere ignored. One label per referral is all
    the intent head gets otherwise; these words say it thousands of times over."""
    page_intent = torch.full((b.n_pages,), IGNORE_INDEX, dtype=torch.long)
    for pages, multi_hot in zip(b.referral_pages, b.intents.cpu(), strict=True):
        if int(multi_hot.sum()) == 1:
            page_intent[torch.as_tensor(pages, dtype=torch.long)] = int(multi_hot.argmax())
    page_intent = page_intent.to(b.labels.device)
    on_order_word = torch.isin(b.labels, _ORDER_TAGS.to(b.labels.device))
    return torch.where(on_order_word, page_intent[b.window_page].unsqueeze(1).expand_as(b.labels), IGNORE_INDEX)


def total_loss(parts: dict[str, torch.Tensor], args: TrainArgs) -> torch.Tensor:
    w = {"tag": args.loss_tag, "page": args.loss_page, "intent": args.loss_intent, "intent_tokens": args.loss_intent_tokens}
    start = torch.zeros((), device=next(iter(parts.values())).device) if parts else torch.zeros(())
    return sum((w[k] * v for k, v in parts.items()), start)


# --- validation (model-level, no post-processing: fast enough to run every epoch) --------------


def optimizer_step(model: LayoutLMReferralModel, b: Batch, opt: torch.optim.Optimizer, args: TrainArgs, step: int = 0) -> float:
    """One update on batch ``b`` (forward under ``args.bf16`` autocast, loss, backward, clip, optimizer step); returns
    the loss. A non-finite loss stops training rather than writing NaN into the weights."""
    with torch.autocast(b.input_ids.device.type, dtype=torch.bfloat16, enabled=args.bf16):
        out = forward(model, b)
    loss = total_loss(losses(out, b, args.tag_o_weight), args)
    if not torch.isfinite(loss):
        raise FloatingPointError(f"loss is {loss.item()} at step {step}: lower the learning rates or turn bf16 off")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
    opt.step()
    return float(loss.item())


def bio_spans(tags: Sequence[int]) -> set[tuple[str, int, int]]:
    """Exact (type, start, end) spans of a BIO id sequence; an I- without its B- starts a span."""
    spans: set[tuple[str, int, int]] = set()
    cur: tuple[str, int] | None = None
    for i, t in enumerate([*tags, 0]):
        label = BIO_LABELS[t]
        prefix, _, etype = label.partition("-")
        if cur and not (prefix == "I" and etype == cur[0]):
            spans.add((cur[0], cur[1], i))
            cur = None
        if prefix == "B" or (prefix == "I" and cur is None):
            cur = (etype, i)
    return spans


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


@torch.inference_mode()
def evaluate(model: LayoutLMReferralModel, examples: Sequence[DocExample], args: TrainArgs) -> dict[str, float]:
    """Validation loss, entity span F1 (word level), intent micro-F1 at 0.5 on gold referrals,
    page-type accuracy; ``score`` is the mean of span F1 and intent F1 (``TrainArgs.select_metric``
    picks which figure drives early stopping)."""
    model.eval()
    device = next(model.parameters()).device
    tot = {"loss": 0.0}
    ent = [0, 0, 0]
    ints = [0, 0, 0]
    pages_ok = pages_n = 0
    for d in examples:
        b = make_batch([d]).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            out = forward(model, b)
        tot["loss"] += total_loss(losses(out, b), args).item()
        pred = out.tag_logits.argmax(-1)
        for w in range(len(b.labels)):
            mask = b.labels[w] != IGNORE_INDEX
            g, p = bio_spans(b.labels[w][mask].tolist()), bio_spans(pred[w][mask].tolist())
            ent[0] += len(g & p)
            ent[1] += len(p)
            ent[2] += len(g)
        pages_ok += int((out.page_type_logits.argmax(-1) == b.page_types).sum())
        pages_n += len(b.page_types)
        if b.intents.numel():
            pi, gi = out.intent_logits > 0, b.intents > 0.5
            ints[0] += int((pi & gi).sum())
            ints[1] += int(pi.sum())
            ints[2] += int(gi.sum())
    model.train()
    n = max(1, len(examples))
    m = {
        "loss": tot["loss"] / n,
        "entity_f1": _f1(*ent),
        "intent_micro_f1": _f1(*ints),
        "page_type_accuracy": pages_ok / max(1, pages_n),
    }
    m["score"] = (m["entity_f1"] + m["intent_micro_f1"]) / 2
    return m


# --- the loop ----------------------------------------------------------------------------------


@dataclass
class LoopState:
    epoch: int = 0
    step: int = 0
    best_score: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    elapsed_s: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    stopped: str = ""
    planned_epochs: int = 0  # 0 until the first epoch is timed (plan_epochs); then the schedule's length
    bf16: bool = False  # what the loop trained in (train.bf16 on hardware that runs it natively)


def save_checkpoint(path: Path, model: torch.nn.Module, opt: Any, sched: Any, state: LoopState, extra: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state.__dict__,
         "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
         **extra},
        tmp,
    )
    tmp.replace(path)  # atomic: a crash mid-write never leaves a half checkpoint


def load_checkpoint_meta(path: Path) -> dict[str, Any]:
    """The extras saved with a checkpoint (MLflow run id, config), or {} when there is none."""
    if not path.is_file():
        return {}
    ck = torch.load(path, map_location="cpu", weights_only=False)
    return {k: v for k, v in ck.items() if k not in ("model", "opt", "sched", "state", "rng")}


def load_checkpoint(path: Path, model: torch.nn.Module, opt: Any, sched: Any) -> tuple[LoopState, dict[str, Any]]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])
    torch.set_rng_state(ck["rng"]["torch"])
    np.random.set_state(ck["rng"]["numpy"])
    random.setstate(ck["rng"]["python"])
    return LoopState(**ck["state"]), ck


def train_loop(
    model: LayoutLMReferralModel,
    train: Sequence[DocExample],
    val: Sequence[DocExample],
    args: TrainArgs,
    run_dir: Path,
    on_epoch: Callable[[LoopState, dict[str, float]], None] = lambda s, m: None,
    progress: Any = None,
    all_new: bool = False,
    extra_ckpt: dict[str, Any] | None = None,
) -> LoopState:
    """Train with early stopping on the validation ``args.select_metric``; ``run_dir/best.pt`` holds the best weights,
    ``run_dir/checkpoint.pt`` everything needed to resume after the last finished epoch. Trains on ``args.device``
    and returns the model on the CPU (calibration, scoring and serving run there)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(args.device)
    args = dataclasses.replace(args, bf16=use_bf16(args.bf16, device))  # evaluate() reads it too
    model.to(device)
    vocab_size = model.encoder.embeddings.word_embeddings.num_embeddings
    ckpt, best = run_dir / "checkpoint.pt", run_dir / "best.pt"
    def epoch_steps(rng: random.Random) -> tuple[list[DocExample], list[list[int]]]:
        docs = [thin_windows(d, args.empty_window_keep, rng) for d in train]
        return docs, pack_steps(docs, args.max_windows_per_step, rng)

    steps_per_epoch = len(epoch_steps(random.Random(0))[1])
    if args.freeze_word_embeddings:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    opt = make_optimizer(model, args, all_new)
    state = LoopState()

    def epochs() -> int:
        return state.planned_epochs or args.epochs

    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_linear(lambda: steps_per_epoch * epochs(), args.warmup_ratio))
    if args.resume and ckpt.is_file():
        state, _ = load_checkpoint(ckpt, model, opt, sched)  # the closures above read the restored state
    else:
        best.unlink(missing_ok=True)  # a fresh run never ends on an older run's weights
    state.bf16 = args.bf16
    model.train()
    task = progress.add_task("train", total=steps_per_epoch * epochs(), completed=state.step) if progress else None
    while state.epoch < epochs() and not state.stopped:
        t0, rng = time.time(), random.Random(args.seed * 1000 + state.epoch)  # per-epoch order: resumable
        running, i = 0.0, 0
        docs, steps = epoch_steps(rng)
        if progress:
            # each epoch thins its own windows, so its step count differs from the estimate: re-aim the bar
            progress.update(task, total=state.step + len(steps) + steps_per_epoch * (epochs() - state.epoch - 1))
        for i, idx in enumerate(steps):
            if args.max_minutes is not None and (state.elapsed_s + time.time() - t0) / 60 >= args.max_minutes:
                # a safety cap (a run that hits it is no longer bit-reproducible): validate what we have
                state.stopped = f"time budget of {args.max_minutes} min reached in epoch {state.epoch + 1}"
                break
            b = make_batch([docs[j] for j in idx])
            if args.layout_dropout > 0:
                b.bbox = drop_layout(b.bbox, args.layout_dropout)  # before the move: the CPU RNG, as on a CPU run
            if args.layout_shift > 0:
                b.bbox = shift_layout(b.bbox, args.layout_shift)
            if args.o_token_noise > 0:
                b.input_ids = substitute_o_tokens(b.input_ids, b.labels, args.o_token_noise, vocab_size)
            b = b.to(device)
            loss = optimizer_step(model, b, opt, args, state.step)
            sched.step()
            state.step += 1
            running += loss
            if progress:
                progress.update(task, advance=1, description=f"epoch {state.epoch + 1} loss {running / (i + 1):.3f}")
        metrics = {"train_loss": running / max(1, i + 1), **{f"val_{k}": v for k, v in evaluate(model, val, args).items()}}
        state.elapsed_s += time.time() - t0
        metrics["epoch_s"] = time.time() - t0
        state.epoch += 1
        if state.epoch == 1:
            state.planned_epochs = plan_epochs(args.epochs, args.max_minutes, metrics["epoch_s"])
            metrics["planned_epochs"] = float(state.planned_epochs)
            if progress:
                progress.update(task, total=state.step + steps_per_epoch * (state.planned_epochs - 1))
        state.history.append(metrics)
        selected = metrics[f"val_{args.select_metric}"]
        if selected > state.best_score:
            state.best_score, state.best_epoch, state.bad_epochs = selected, state.epoch, 0
            torch.save(model.state_dict(), best)
        else:
            state.bad_epochs += 1
            if state.bad_epochs >= args.patience:
                state.stopped = f"early stop: no validation gain for {args.patience} epochs"
        save_checkpoint(ckpt, model, opt, sched, state, extra_ckpt or {})
        on_epoch(state, metrics)
    if progress:
        progress.update(task, total=state.step)  # done (an early stop or the time cap ends short of the plan)
    if best.is_file():
        model.load_state_dict(torch.load(best, map_location="cpu", weights_only=True))
    model.to("cpu")
    model.eval()
    return state
