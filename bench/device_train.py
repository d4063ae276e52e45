"""The training loop on a lent GPU machine, beyond the CPU's 24-minute cap: how far do more epochs
(and more packets) take the default config? Three steps, because that machine has PyTorch and
transformers but no MLflow, HF ``datasets``, OCR or the base weights' package:

    python bench/device_train.py pack --dataset data/bench7/dataset --out .gpu/bundle [--extra DATASET]
    python3 bench/device_train.py train --bundle .gpu/bundle --out $OUT --minutes 6     # on the GPU machine
    python bench/device_train.py unpack --bundle .gpu/bundle --weights DIR --out models/runs/gpu_layout/model

``pack`` tokenizes the train and validation splits with the default config and saves the freshly
built model (MiniLM weights mapped into LayoutLM) in half precision, small enough to travel.
``train`` runs ``training.loop.train_loop`` for each variant in its own process, all on the one
GPU at once, each with the same time budget (the loop plans its epochs into it), and writes every
variant's per-epoch history plus the trained weights of the layout and text-only pair that
validates best. ``unpack`` puts those weights back into a full model directory (the frozen word
embeddings come from the base checkpoint), which ``bench/bench_model.py --recalibrate`` scores
with the full post-processing.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardio_intake.model.weights import LAYOUT_ONLY_KEYS  # noqa: E402

#: Each variant by name: (use_layout, adds the extra packets, TrainArgs overrides).
VARIANTS: dict[str, tuple[bool, bool, dict[str, Any]]] = {
    "layout": (True, False, {}),
    "text": (False, False, {}),
    "layout_extra": (True, True, {}),
    "text_extra": (False, True, {}),
    "layout_noise": (True, False, {"o_token_noise": 0.15}),
    "text_noise": (False, False, {"o_token_noise": 0.15}),
    "layout_extra_noise": (True, True, {"o_token_noise": 0.15}),
}
FROZEN = ("encoder.embeddings.word_embeddings.weight",)
_ZERO_AT_START = frozenset(f"encoder.{k}" for k in LAYOUT_ONLY_KEYS)
EXAMPLES = "examples.pkl.gz"
#: what the GPU machine's image lacks, so the training side must not import them
_ABSENT_THERE = ("datasets", "mlflow", "bentoml", "simple_icd_10_cm")


def pack(dataset: Path, out: Path, extra: Path | None, config: Path) -> None:
    from datasets import load_from_disk
    from safetensors.torch import save_file

    from training.config import load_config
    from training.data import row_to_example, split_rows
    from training.train import build

    cfg = load_config(config, [f"data.dataset_dir={dataset}"])
    model, tokenizer = build(cfg)
    out.mkdir(parents=True, exist_ok=True)
    m = cfg.model

    def examples(path: Path, split: str) -> list[Any]:
        rows = split_rows(load_from_disk(str(path)), split, None)
        return [row_to_example(r, tokenizer, m.max_len, m.stride, m.box_level) for r in rows]

    bundle = {"train": examples(dataset, "train"), "validation": examples(dataset, "validation"),
              "extra_train": examples(extra, "train") if extra else []}
    with gzip.open(out / EXAMPLES, "wb", compresslevel=6) as f:  # token id lists compress ~4x
        pickle.dump(bundle, f)
    # half precision and without the 2D tables (zero at the start, as the model builds them): it must travel
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items() if k not in _ZERO_AT_START}
    save_file(state, str(out / "init.safetensors"))
    (out / "spec.json").write_text(model.spec.model_dump_json(indent=2), encoding="utf-8")
    (out / "train_args.json").write_text(json.dumps(dataclasses.asdict(cfg.train)), encoding="utf-8")
    sizes = {k: len(v) for k, v in bundle.items()}
    print(f"packed {sizes} into {out} ({sum(f.stat().st_size for f in out.iterdir()) / 2**20:.1f} MiB)")


def load_examples(bundle: Path, limit_docs: int | None = None) -> dict[str, list[Any]]:
    with gzip.open(bundle / EXAMPLES, "rb") as f:
        data: dict[str, list[Any]] = pickle.load(f)
    return {k: v[:limit_docs] for k, v in data.items()} if limit_docs else data


def _train_variant(bundle: Path, out: Path, name: str, minutes: float, epochs: int,
                   limit_docs: int | None = None, seed: int | None = None) -> dict[str, Any]:
    import torch
    from safetensors.torch import load_file

    from cardio_intake.model.network import LayoutLMReferralModel
    from cardio_intake.model.spec import ModelSpec
    from training.config import TrainArgs
    from training.loop import seed_everything, train_loop

    use_layout, with_extra, overrides = VARIANTS[name]
    torch.set_num_threads(2)
    data = load_examples(bundle, limit_docs)
    args = TrainArgs(**{**json.loads((bundle / "train_args.json").read_text()), **overrides})
    args = dataclasses.replace(args, seed=args.seed if seed is None else seed, max_minutes=minutes, epochs=epochs, patience=epochs, run_name=name,
                               device="cuda" if torch.cuda.is_available() else "cpu")
    seed_everything(args.seed)
    spec = ModelSpec.model_validate_json((bundle / "spec.json").read_text()).model_copy(update={"use_layout": use_layout})
    model = LayoutLMReferralModel(spec)
    missing, unexpected = model.load_state_dict(
        {k: v.float() for k, v in load_file(str(bundle / "init.safetensors")).items()}, strict=False)
    if set(missing) != _ZERO_AT_START or unexpected:
        raise ValueError(f"init weights: missing {missing}, unexpected {unexpected}")
    train = data["train"] + (data["extra_train"] if with_extra else [])
    t0 = time.time()
    state = train_loop(model, train, data["validation"], args, out / "runs" / name)
    result = {"variant": name, "train_docs": len(train), "train_seconds": time.time() - t0, "epochs": state.epoch,
              "best_epoch": state.best_epoch, "best_val": state.best_score, "stopped": state.stopped,
              "history": state.history, "device": str(args.device),
              "needs_absent_there": [m for m in _ABSENT_THERE if m in sys.modules], "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else ""}
    trained = {k: v.half().contiguous() for k, v in model.state_dict().items() if k not in FROZEN}
    save_parts(trained, out / "runs", name)
    return result


def save_parts(state: dict[str, Any], folder: Path, name: str, max_bytes: int = 15 * 2**20) -> list[Path]:
    """``state`` as ``name.partN.safetensors`` files of at most ``max_bytes`` each (what comes back
    from the GPU machine is limited per file)."""
    from safetensors.torch import save_file

    parts: list[dict[str, Any]] = [{}]
    size = 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if parts[-1] and size + nbytes > max_bytes:
            parts.append({})
            size = 0
        parts[-1][key] = tensor
        size += nbytes
    paths = [folder / f"{name}.part{i}.safetensors" for i in range(len(parts))]
    for part, path in zip(parts, paths, strict=True):
        save_file(part, str(path))
    return paths


def _worker(job: tuple[str, str, str, float, int, int | None, int | None]) -> dict[str, Any]:
    bundle, out, name, minutes, epochs, limit_docs, seed = job
    return _train_variant(Path(bundle), Path(out), name, minutes, epochs, limit_docs, seed)


def train(bundle: Path, out: Path, minutes: float, epochs: int, variants: list[str], limit_docs: int | None = None,
          keep: list[str] | None = None, seed: int | None = None) -> None:
    import multiprocessing as mp
    import shutil

    import torch

    data = load_examples(bundle)
    if not data["extra_train"]:
        variants = [v for v in variants if not VARIANTS[v][1]]
    print(f"training {variants} for up to {minutes} min each on {torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}", flush=True)
    with mp.get_context("spawn").Pool(len(variants)) as pool:
        results = pool.map(_worker, [(str(bundle), str(out), v, minutes, epochs, limit_docs, seed) for v in variants])
    for r in results:
        h = r["history"]
        curve = " ".join(f"{e['val_entity_f1']:.3f}/{e['val_intent_micro_f1']:.3f}" for e in h)
        print(f"{r['variant']}: {r['epochs']} epochs in {r['train_seconds'] / 60:.1f} min, best epoch {r['best_epoch']} "
              f"(val entity F1 {r['best_val']:.3f}); val entity/intent per epoch: {curve}", flush=True)
    # the pair to bring back (two models fit the transfer limit): the data that validates the layout model best
    by_name = {r["variant"]: r for r in results}
    if not keep:
        pick = "_extra" if {"layout", "layout_extra"} <= set(by_name) and \
            by_name["layout_extra"]["best_val"] > by_name["layout"]["best_val"] else ""
        keep = [f"layout{pick}", f"text{pick}"]
    for name in keep:
        for part in (out / "runs").glob(f"{name}.part*.safetensors"):
            shutil.copy(part, out / part.name)
    shutil.rmtree(out / "runs")
    (out / "results.json").write_text(json.dumps(by_name, indent=2), encoding="utf-8")
    needed = sorted({m for r in results for m in r["needs_absent_there"]})
    print(f"kept weights: {', '.join(keep)}; imported of {', '.join(_ABSENT_THERE)}: {needed or 'none'}", flush=True)


def unpack(bundle: Path, weights: list[Path], out: Path, results: Path | None, config: Path) -> None:
    from safetensors.torch import load_file

    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.model.artifacts import save_model_dir
    from cardio_intake.model.spec import ModelSpec
    from training.config import load_config
    from training.train import build

    spec = ModelSpec.model_validate_json((bundle / "spec.json").read_text())
    trained = {k: v.float() for w in weights for k, v in load_file(str(w)).items()}
    name = weights[0].name.split(".")[0]
    use_layout = VARIANTS[name][0]
    cfg = load_config(config, [f"model.use_layout={str(use_layout).lower()}"])
    model, tokenizer = build(cfg)  # the frozen word embeddings, exactly, from the base checkpoint
    missing, unexpected = model.load_state_dict(trained, strict=False)
    if set(missing) != set(FROZEN) or unexpected:
        raise ValueError(f"{[str(w) for w in weights]}: missing {missing}, unexpected {unexpected}")
    assert model.spec.use_layout == use_layout and spec.max_len == model.spec.max_len
    save_model_dir(out, model, tokenizer, Calibration())
    if results and results.is_file():
        info = json.loads(results.read_text())[name]
        (out / "training.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(f"model directory {out} (use_layout={use_layout})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="here: tokenized splits + the initial model, to travel")
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--extra", type=Path, default=None, help="another OCR dataset whose train split the *_extra variants add")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--config", type=Path, default=ROOT / "training/configs/default.yaml")
    t = sub.add_parser("train", help="there: every variant at once on the GPU")
    t.add_argument("--bundle", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--minutes", type=float, default=6.0, help="training budget of each variant")
    t.add_argument("--epochs", type=int, default=60, help="upper bound; the loop fits its plan into --minutes")
    t.add_argument("--variants", nargs="*", default=list(VARIANTS)[:4], choices=list(VARIANTS))
    t.add_argument("--keep", nargs="*", default=None, choices=list(VARIANTS),
                   help="variants whose weights come back (two fit; default: the layout and text pair of the data "
                        "that validates best)")
    t.add_argument("--seed", type=int, default=None, help="another seed than the config's (a second draw)")
    t.add_argument("--limit-docs", type=int, default=None, help="first N documents of each split (a smoke test)")
    u = sub.add_parser("unpack", help="here: returned weights -> a model directory bench_model.py can score")
    u.add_argument("--bundle", type=Path, required=True)
    u.add_argument("--weights", type=Path, nargs="+", required=True, help="one variant's <name>.partN.safetensors")
    u.add_argument("--results", type=Path, default=None, help="results.json from train (training time, history)")
    u.add_argument("--out", type=Path, required=True)
    u.add_argument("--config", type=Path, default=ROOT / "training/configs/default.yaml")
    a = ap.parse_args()
    if a.cmd == "pack":
        pack(a.dataset, a.out, a.extra, a.config)
    elif a.cmd == "train":
        train(a.bundle, a.out, a.minutes, a.epochs, a.variants, a.limit_docs, a.keep, a.seed)
    else:
        unpack(a.bundle, a.weights, a.out, a.results, a.config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
