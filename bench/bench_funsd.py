"""FUNSD entity-level F1 of the project's model code beside the published figures (and, with
--ablation, the same encoder text-only), in one run. FUNSD is read from ../shared, never copied.

    .venv/bin/python bench/bench_funsd.py --epochs 16              # ~25-40 min on the 2-core CPU
    .venv/bin/python bench/bench_funsd.py --epochs 16 --ablation   # + text-only (boxes zero), twice the time

Writes bench/results/funsd.json (gitignored).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cardio_intake  # noqa: E402,F401  (runtime environment first)
from evaluation.funsd import FunsdConfig, published_results, run_funsd  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--ablation", action="store_true", help="also train the text-only variant")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "funsd.json")
    args = ap.parse_args()

    rows: dict[str, dict[str, float]] = {}
    variants = [("layout", True), *([("text-only", False)] if args.ablation else [])]
    for name, layout in variants:
        cfg = FunsdConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, use_layout=layout)
        res = run_funsd(cfg, progress=lambda s, d, t, n=name: print(f"\r{n} {s} {d}/{t}", end="", flush=True))
        print()
        rows[f"MiniLM-L6 LayoutLM, {name} (this project)"] = {
            "f1": 100 * res.f1, "precision": 100 * res.precision, "recall": 100 * res.recall,
            "train_minutes": res.train_seconds / 60, "epochs": res.epochs, "threads": res.torch_threads,
            **{f"f1_{t.lower()}": 100 * s.f1 for t, s in res.per_type.items()},
        }
    for other, f1 in published_results().items():
        rows[f"{other} (published)"] = {"f1": f1}
    print(f"\n{'model':48s} {'F1':>6s} {'P':>6s} {'R':>6s} {'train min':>9s}")
    for name, r in rows.items():
        extra = (f" {r['precision']:6.2f} {r['recall']:6.2f} {r['train_minutes']:9.1f}" if "precision" in r else "")
        print(f"{name:48s} {r['f1']:6.2f}{extra}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
