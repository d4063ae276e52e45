"""FUNSD benchmark: the referral model's own code (LayoutLM encoder from MiniLM, windowing, word
alignment, BIO tag head) fine-tuned on FUNSD's training forms and scored on its test forms with
entity-level F1 (BIO over question/answer/header; "other" is O), as the LayoutLM paper reports it.

FUNSD is research-use only: it is read from ../shared at run time (config.FUNSD_DIR), never copied
into the project, and the fine-tuned weights are thrown away after scoring.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from cardio_intake import config
from evaluation.metrics import PRF, sequence_span_prf

FUNSD_TYPES = ("HEADER", "QUESTION", "ANSWER")
FUNSD_LABELS = ("O", *[f"{p}-{t}" for t in FUNSD_TYPES for p in ("B", "I")])


class FunsdForm(BaseModel):
    name: str
    words: list[str]
    boxes: list[tuple[int, int, int, int]] = Field(description="0-1000 grid of the scan")
    tags: list[str]


class FunsdConfig(BaseModel):
    epochs: int = Field(default=16, ge=1, description="passes over the training forms")
    batch_size: int = Field(default=4, ge=1, description="forms per optimizer step")
    lr: float = Field(default=2e-4, gt=0, description="AdamW learning rate of the encoder and head")
    layout_lr_multiplier: float = Field(
        default=1.0, gt=0, description="learning-rate factor of the 2D tables (10 overfits: F1 34 vs 49 at 1)")
    layout_init: Literal["zero", "sinusoid"] = Field(
        default="sinusoid", description="2D tables at the start: zero (the referral model's default) or a smooth "
        "sinusoidal code of the coordinate (nearby coordinates start alike, so rare ones generalize)")
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_len: int = Field(default=512, ge=16, description="encoder window; longer forms slide with stride")
    stride: int = Field(default=128, ge=0)
    seed: int = 13
    max_train_forms: int | None = Field(default=None, description="use the first N training forms (tiny runs)")
    max_test_forms: int | None = None
    base_model: str | None = Field(default=None, description="local BERT/LayoutLM checkpoint; default MiniLM-L6")
    use_layout: bool = Field(default=True, description="False: text-only ablation (every box zero)")


class FunsdResult(BaseModel):
    f1: float
    precision: float
    recall: float
    per_type: dict[str, PRF]
    train_forms: int
    test_forms: int
    epochs: int
    train_seconds: float
    eval_seconds: float
    epoch_losses: list[float]
    torch_threads: int
    config: FunsdConfig
    published: dict[str, float]


def read_forms(split_dir: Path, limit: int | None = None) -> list[FunsdForm]:
    """FUNSD forms of one split (``training_data`` or ``testing_data``), words in annotation order,
    boxes scaled to 0-1000 by the scan's size. Empty words are dropped, as in the usual FUNSD loaders."""
    from PIL import Image

    from cardio_intake.document import to_box_1000

    ann_dir = split_dir / "annotations"
    if not ann_dir.is_dir():
        raise FileNotFoundError(f"no FUNSD annotations in {split_dir} (expected {ann_dir}); set CARDIO_SHARED_DIR")
    forms = []
    for ann in sorted(ann_dir.glob("*.json"))[:limit]:
        with Image.open(split_dir / "images" / f"{ann.stem}.png") as img:
            width, height = img.size
        words: list[str] = []
        boxes: list[tuple[int, int, int, int]] = []
        tags: list[str] = []
        for entity in json.loads(ann.read_text(encoding="utf-8"))["form"]:
            label = str(entity["label"]).upper()
            ews = [w for w in entity["words"] if w["text"].strip()]
            for k, w in enumerate(ews):
                words.append(w["text"])
                boxes.append(to_box_1000(tuple(float(v) for v in w["box"]), width, height))  # type: ignore[arg-type]
                tags.append("O" if label not in FUNSD_TYPES else f"{'B' if k == 0 else 'I'}-{label}")
        forms.append(FunsdForm(name=ann.stem, words=words, boxes=boxes, tags=tags))
    return forms


def published_results(readme: Path | None = None) -> dict[str, float]:
    """The published test-split entity F1 figures listed in the dataset's README ("BERT-base 60.26, ...")."""
    readme = readme or config.FUNSD_DIR / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = text.split("Published", 1)[-1] if "Published" in text else ""
    pairs = re.findall(r"([A-Za-z][\w\[\]\-.]*?-base)\s+(\d{2}\.\d{1,2})", block)
    out: dict[str, float] = {}
    for name, value in pairs:
        out.setdefault(name, float(value))  # first figure wins (LayoutLM-base's paper figure, not the repo's)
    return out


def _encode_forms(tokenizer: object, forms: Sequence[FunsdForm], cfg: FunsdConfig) -> list[object]:
    from cardio_intake.model.batching import PageInput, encode_page

    label_id = {t: i for i, t in enumerate(FUNSD_LABELS)}
    return [
        encode_page(tokenizer, PageInput(f.words, list(f.boxes), [label_id[t] for t in f.tags]), cfg.max_len, cfg.stride)
        for f in forms
    ]


def sinusoid_layout_init(model: Any, scale: float = 0.03, dims: int = 64, seed: int = 0) -> None:
    """Give each 2D table (x, y, h, w) a smooth code of its coordinate: sines and cosines of the
    coordinate at ``dims/2`` frequencies, projected into its own random orthonormal subspace of the
    hidden size (so x and y stay distinguishable) and scaled small beside the word embeddings."""
    import torch

    emb = model.encoder.embeddings
    gen = torch.Generator().manual_seed(seed)
    hidden = emb.x_position_embeddings.weight.shape[1]
    pos = torch.arange(emb.x_position_embeddings.weight.shape[0], dtype=torch.float32).unsqueeze(1)
    freqs = torch.exp(-torch.arange(0, dims, 2, dtype=torch.float32) * (torch.log(torch.tensor(2000.0)) / dims))
    code = torch.cat([torch.sin(pos * freqs), torch.cos(pos * freqs)], dim=1)  # (n_coords, dims)
    with torch.no_grad():
        for table in (emb.x_position_embeddings, emb.y_position_embeddings,
                      emb.h_position_embeddings, emb.w_position_embeddings):
            basis, _ = torch.linalg.qr(torch.randn(hidden, dims, generator=gen))
            table.weight.copy_(scale * code @ basis.T)


def _length_batches(order: list[int], lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Shuffled batches of similar-length forms (dynamic padding then wastes little CPU): shuffle, sort
    within chunks of 8 batches by length, cut into batches, shuffle the batches."""
    random.shuffle(order)
    chunk = batch_size * 8
    batches: list[list[int]] = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda i: lengths[i])
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    random.shuffle(batches)
    return batches


def run_funsd(
    cfg: FunsdConfig,
    funsd_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> FunsdResult:
    """Fine-tune on training_data, score on testing_data. ``progress(stage, done, total)`` is called
    after every step so the CLI can draw a bar."""
    import numpy as np
    import torch
    from torch.nn import functional as F
    from transformers import AutoTokenizer

    from cardio_intake.model.batching import collate_windows
    from cardio_intake.model.network import build_model
    from cardio_intake.model.spec import ModelSpec, default_base_model
    from cardio_intake.model.windows import merge_word_logits

    funsd_dir = funsd_dir or config.FUNSD_DIR
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    base = Path(cfg.base_model) if cfg.base_model else default_base_model()
    train_forms = read_forms(funsd_dir / "training_data", cfg.max_train_forms)
    test_forms = read_forms(funsd_dir / "testing_data", cfg.max_test_forms)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    spec = ModelSpec(tag_labels=list(FUNSD_LABELS), page_types=["other"], intents=["none"],
                     intent_pooling="mean", use_layout=cfg.use_layout, max_len=cfg.max_len, stride=cfg.stride)
    model, _ = build_model(spec, base)
    if cfg.layout_init == "sinusoid":
        sinusoid_layout_init(model, seed=cfg.seed)
    train_enc = _encode_forms(tokenizer, train_forms, cfg)
    test_enc = _encode_forms(tokenizer, test_forms, cfg)

    layout_params = [p for n, p in model.named_parameters() if re.search(r"embeddings\.[xywh]_position", n)]
    layout_ids = {id(p) for p in layout_params}
    no_decay = [p for n, p in model.named_parameters() if id(p) not in layout_ids and ("bias" in n or "LayerNorm" in n)]
    nd_ids = {id(p) for p in no_decay}
    decay = [p for p in model.parameters() if id(p) not in layout_ids and id(p) not in nd_ids]
    opt = torch.optim.AdamW([
        {"params": decay, "weight_decay": cfg.weight_decay, "lr": cfg.lr},
        {"params": no_decay, "weight_decay": 0.0, "lr": cfg.lr},
        {"params": layout_params, "weight_decay": 0.0, "lr": cfg.lr * cfg.layout_lr_multiplier},
    ])
    steps_per_epoch = (len(train_enc) + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, int(total * cfg.warmup_ratio))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))

    order = list(range(len(train_enc)))
    losses: list[float] = []
    step = 0
    t0 = time.perf_counter()
    model.train()
    for _ in range(cfg.epochs):
        epoch_loss, n = 0.0, 0
        for idx in _length_batches(order, [len(e.aligned.input_ids) for e in train_enc], cfg.batch_size):  # type: ignore[attr-defined]
            batch = collate_windows([train_enc[i] for i in idx])  # type: ignore[misc]
            enc = model.encode(batch.input_ids, batch.bbox, batch.attention_mask)
            loss = F.cross_entropy(enc.tag_logits.reshape(-1, len(FUNSD_LABELS)), batch.labels.reshape(-1),
                                   ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            epoch_loss += loss.item()
            n += 1
            step += 1
            if progress:
                progress("train", step, total)
        losses.append(epoch_loss / max(n, 1))
    train_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    model.eval()
    pred_tags: list[list[str]] = []
    with torch.inference_mode():
        for k, page in enumerate(test_enc):
            batch = collate_windows([page])  # type: ignore[list-item]
            logits = model.encode(batch.input_ids, batch.bbox, batch.attention_mask).tag_logits
            per_window = [logits[i, : batch.lengths[i]].numpy() for i in range(len(batch.lengths))]
            words = merge_word_logits(page.aligned, page.windows, per_window)  # type: ignore[attr-defined]
            pred_tags.append([FUNSD_LABELS[i] for i in words.argmax(-1)])
            if progress:
                progress("test", k + 1, len(test_enc))
    eval_seconds = time.perf_counter() - t1
    scores = sequence_span_prf([f.tags for f in test_forms], pred_tags)
    micro = scores.pop("micro")
    return FunsdResult(
        f1=micro.f1, precision=micro.precision, recall=micro.recall, per_type=scores,
        train_forms=len(train_forms), test_forms=len(test_forms), epochs=cfg.epochs,
        train_seconds=train_seconds, eval_seconds=eval_seconds, epoch_losses=losses,
        torch_threads=torch.get_num_threads(), config=cfg, published=published_results(funsd_dir / "README.md"),
    )
