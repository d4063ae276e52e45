"""Training step time, fp32 against bf16 autocast, side by side on the same batches.

    .venv/bin/python bench/bench_train_step.py --dataset data/bench7/dataset --steps 40

Builds the config's model once, packs the first ``--steps`` training steps exactly as an epoch of
``training.loop`` does (thinned windows, two per step; no box dropout or token noise, which cost no
matmul time), and runs them (forward, loss, backward, clip, AdamW)
from the same starting weights in each precision, alternating fp32 / bf16 rounds so that a machine's drift
hits both. Prints milliseconds per step, the bf16 / fp32 ratio and the largest loss difference between the two
over the steps. Why: on CPUs with AMX (``lscpu`` lists amx_bf16) bf16 matmuls run faster, and whether the
default's 9-epoch schedule fits the issue's 30-minute budget depends on it. The loop trains in bf16 where the
config's ``train.bf16`` asks for it and the hardware has it natively (``training.loop.use_bf16``); this bench times
both either way.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cardio_intake  # noqa: E402,F401  (runtime environment first)

if TYPE_CHECKING:
    from cardio_intake.model.network import LayoutLMReferralModel
    from training.config import TrainArgs
    from training.loop import Batch


def run_steps(model: LayoutLMReferralModel, batches: list[Batch], args: TrainArgs, bf16: bool) -> tuple[float, list[float]]:
    """Seconds per step and the loss of each step, training a copy of ``model`` on ``batches`` as the loop does."""
    import dataclasses

    import torch

    from training.loop import make_optimizer, optimizer_step

    net = copy.deepcopy(model)
    net.train()
    step_args = dataclasses.replace(args, bf16=bf16)
    opt = make_optimizer(net, step_args)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    out_losses = [optimizer_step(net, b, opt, step_args, i) for i, b in enumerate(batches)]
    return (time.perf_counter() - t0) / len(batches), out_losses


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--config", type=Path, default=ROOT / "training" / "configs" / "default.yaml")
    ap.add_argument("--dataset", type=Path, default=None, help="OCR-aligned DatasetDict (default: the config's)")
    ap.add_argument("--steps", type=int, default=40, help="training steps per round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of each precision, alternated")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    a = ap.parse_args()

    import torch

    from training.config import load_config
    from training.loop import make_batch, pack_steps, thin_windows
    from training.train import build, prepare_data

    overrides = [f"data.dataset_dir={a.dataset}"] if a.dataset else []
    cfg = load_config(a.config, [*overrides, "data.extra_datasets=[]"])
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(cfg.train.seed)
    model, tokenizer = build(cfg)
    if cfg.train.freeze_word_embeddings:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    rng = random.Random(cfg.train.seed)
    docs = [thin_windows(d, cfg.train.empty_window_keep, rng) for d in prepare_data(cfg, tokenizer)["examples"]["train"]]
    steps = pack_steps(docs, cfg.train.max_windows_per_step, rng)[: a.steps]
    batches = [make_batch([docs[j] for j in idx]) for idx in steps]
    print(f"{len(batches)} steps of up to {cfg.train.max_windows_per_step} windows x {cfg.model.max_len} tokens, "
          f"{torch.get_num_threads()} threads, amx_bf16: {'amx_bf16' in Path('/proc/cpuinfo').read_text()}")
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    curves: dict[str, list[float]] = {}
    for _ in range(a.rounds):
        for name in ("fp32", "bf16"):
            sec, curve = run_steps(model, batches, cfg.train, bf16=name == "bf16")
            times[name].append(sec)
            curves[name] = curve
            print(f"  {name}: {sec * 1000:.0f} ms/step")
    fp32, bf16 = statistics.median(times["fp32"]), statistics.median(times["bf16"])
    gap = max(abs(x - y) for x, y in zip(curves["fp32"], curves["bf16"], strict=True))
    print(f"fp32 {fp32 * 1000:.0f} ms/step, bf16 {bf16 * 1000:.0f} ms/step: bf16 / fp32 = {bf16 / fp32:.2f} "
          f"(x{fp32 / bf16:.2f} faster); largest loss difference over {len(batches)} steps {gap:.3f} "
          f"(first step's loss {curves['fp32'][0]:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
