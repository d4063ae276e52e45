"""Corpus generation speed: ``python bench/bench_generate.py [--n 500] [--workers 2]``.

Target (issue 2): 500 packets in under 3 minutes on the 2-core CI machine. Prints the wall time next
to the target, with pages per second and the corpus make-up, in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import cardio_intake  # noqa: F401  (runtime environment first)
from cardio_intake.corpus.generate import generate_corpus

TARGET_S = 180.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="keep the corpus here (default: a temporary folder)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "corpus"
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        generate_corpus(out, n=args.n, seed=args.seed, workers=args.workers)
        wall = time.perf_counter() - t0
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        load1 = os.getloadavg()[0]
        manifest = json.loads((out / "manifest.json").read_text())
        size_mb = sum(f.stat().st_size for f in (out / "files").iterdir()) / 1e6
    counts = manifest["counts"]
    pages = counts["pages"]
    scaled = wall * 500 / args.n
    print(f"{'packets':<22}{args.n}")
    print(f"{'pages':<22}{pages}")
    print(f"{'workers / cpus':<22}{args.workers} / {os.cpu_count()}")
    print(f"{'load avg before/after':<22}{load0:.1f} / {load1:.1f}  (other work on the machine slows this down)")
    print(f"{'wall time':<22}{wall:.1f} s")
    print(f"{'per 500 packets':<22}{scaled:.1f} s   target < {TARGET_S:.0f} s   {'OK' if scaled < TARGET_S else 'OVER'}")
    print(f"{'cpu time (all procs)':<22}{cpu:.1f} s   -> about {cpu / args.workers * 500 / args.n:.0f} s per 500 packets on {args.workers} idle cores")
    print(f"{'pages / s':<22}{pages / wall:.1f}")
    print(f"{'files size':<22}{size_mb:.1f} MB")
    print(f"{'formats':<22}{counts['format']}")
    print(f"{'splits':<22}{counts['split']}")
    print(f"{'multi-patient':<22}{counts['multi_patient']}")


if __name__ == "__main__":
    main()
