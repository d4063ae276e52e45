"""Loopback load test of the served intake API: no 5xx, no lost or duplicated document, latency, pages/s.

    .venv/bin/python bench/load.py                     # 300 requests, 4 clients, the tiny trained model
    .venv/bin/python bench/load.py --requests 60 --model keyword

Starts `bentoml serve` on 127.0.0.1 (a free port; nothing else is contacted) with its own keys,
audit file and SQLite store (tests/reliability_support.py), generates referral faxes with the corpus
generator (multi-page TIFF/PDF, 1-2 patients each), mixes in unreadable files and resends of faxes
already sent (some while the first copy is still being read), and POSTs them all to /intake from
``--clients`` threads. Then it checks the store: every document answered 2xx is stored exactly once,
finished, with the referrals the API answered with; and it scans everything the service wrote for the
faxes' patient names, DOBs, member ids and MRNs and for the API keys.

Models: ``tiny`` trains training/configs/tiny.yaml in a throw-away MLflow registry first (seconds),
``quick`` the quick config (minutes), ``keyword`` is the serving tests' keyword double (no encoder:
the service and OCR alone), anything else is an MLflow model URI.
Figures go to stdout and bench/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import cardio_intake  # noqa: E402,F401  (runtime environment first)


def train(root: Path, config_name: str) -> tuple[str, dict[str, str]]:
    """Train and register a model in a registry under ``root``; returns its URI and the env to serve it."""
    from cardio_intake import config
    from cardio_intake.corpus.generate import generate_corpus
    from training.config import load_config
    from training.train import run

    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    config.MLFLOW_TRACKING_URI = uri
    cwd = os.getcwd()
    os.chdir(root)  # MLflow's default artifact root lands here
    try:
        corpus = generate_corpus(root / "train_corpus", n=8, seed=3, progress=False)
        result = run(load_config(ROOT / "training" / "configs" / f"{config_name}.yaml",
                                 [f"data.corpus_dir={corpus}", f"train.output_dir={root / 'runs'}"]))
    finally:
        os.chdir(cwd)
    if not result.get("version"):
        raise SystemExit("training registered no model version")
    return f"models:/{config.REGISTERED_MODEL_NAME}/{result['version']}", {"MLFLOW_TRACKING_URI": uri}


def build_uploads(root: Path, n_requests: int, bad_fraction: float, dup_fraction: float, seed: int) -> tuple[list[Any], set[str]]:
    """Faxes from the corpus generator, bad files from the hostile corpus, and resends; plus the PHI in them."""
    from cardio_intake.corpus.generate import generate_corpus
    from cardio_intake.corpus.gold import read_labels
    from cardio_intake.testing.hostile import hostile_cases
    from cardio_intake.testing.loadgen import Upload

    rng = random.Random(seed)
    n_bad = round(n_requests * bad_fraction)
    n_dup = round(n_requests * dup_fraction)
    n_faxes = max(1, n_requests - n_bad - n_dup)
    t0 = time.perf_counter()
    corpus = generate_corpus(root / "faxes", n=n_faxes, seed=seed, progress=True)
    print(f"generated {n_faxes} faxes in {time.perf_counter() - t0:.0f} s", flush=True)
    packets = read_labels(corpus)
    faxes = []
    phi: set[str] = set()
    for p in packets:
        data = (corpus / p.file).read_bytes()
        mime = "image/tiff" if p.file.endswith(".tif") else "application/pdf"
        faxes.append(Upload(Path(p.file).name, data, mime))
        for ref in p.referrals:
            f = ref.fields
            phi |= {v for v in (f.patient_name, f.member_id, f.mrn, f.patient_phone) if v}
            if f.patient_dob:
                phi |= {f.patient_dob.isoformat(), f.patient_dob.strftime("%m/%d/%Y")}
    bad_pool = [c for c in hostile_cases(include_large=False) if c.expect == "reject" and c.data and len(c.data) < 2_000_000]
    bad = [Upload(c.filename, c.data, "application/pdf", expect="reject") for c in rng.sample(bad_pool, min(n_bad, len(bad_pool)))]
    while len(bad) < n_bad:
        c = rng.choice(bad_pool)
        bad.append(Upload(c.filename, c.data, "application/pdf", expect="reject"))
    uploads = [*faxes, *bad]
    order = list(range(len(uploads)))
    rng.shuffle(order)
    # Resends: a fax sent again a few positions later, often while its first copy is still being read.
    for _ in range(n_dup):
        pos = rng.randrange(len(order))
        src = order[pos] if uploads[order[pos]].expect == "accept" else rng.randrange(len(faxes))
        uploads.append(uploads[src])
        order.insert(min(len(order), pos + rng.randint(1, 6)), len(uploads) - 1)
    return [uploads[i] for i in order], phi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--bad-fraction", type=float, default=0.15, help="share of unreadable files")
    parser.add_argument("--dup-fraction", type=float, default=0.10, help="share of resends of a fax already sent")
    parser.add_argument("--model", default="tiny", help="tiny, quick, keyword or an MLflow model URI")
    parser.add_argument("--ocr-workers", type=int, default=0, help="OCR processes (0: one per core)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep everything here (default: a temp folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args()

    from reliability_support import ReliabilityService
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.testing import loadgen, phi_scan

    root = args.workdir or Path(tempfile.mkdtemp(prefix="cardio-load-"))
    root.mkdir(parents=True, exist_ok=True)
    model_uri: str | None = None
    extra_env: dict[str, str] = {}
    t0 = time.perf_counter()
    if args.model in ("tiny", "quick"):
        model_uri, extra_env = train(root / "registry", args.model)
        print(f"trained the {args.model} model ({model_uri}) in {time.perf_counter() - t0:.0f} s", flush=True)
    elif args.model != "keyword":
        model_uri = args.model
    uploads, phi = build_uploads(root, args.requests, args.bad_fraction, args.dup_fraction, args.seed)
    svc = ReliabilityService.create(root / "service", model_uri=model_uri, ocr_workers=args.ocr_workers,
                                    extra_env=extra_env)
    t_start = time.perf_counter()
    svc.start()
    print(f"service up on {svc.url} in {time.perf_counter() - t_start:.0f} s; sending {len(uploads)} requests "
          f"from {args.clients} clients", flush=True)
    try:
        done = [0]

        def progress(_: loadgen.Outcome) -> None:
            done[0] += 1
            if done[0] % 25 == 0:
                print(f"  {done[0]}/{len(uploads)}", flush=True)

        report = loadgen.send_all(svc.url, svc.keys.valid, uploads, clients=args.clients, on_outcome=progress)
    finally:
        svc.stop()
    summary = loadgen.summarize(report, uploads)
    check = loadgen.verify_store(svc.database_url, uploads, report.outcomes)
    keys = svc.keys.all()
    scan = phi_scan.scan([svc.root], sorted(phi | set(keys) | {k.split("_", 2)[2] for k in keys}))
    result = {
        "model": args.model if model_uri is None else f"{args.model} ({model_uri})",
        "clients": args.clients,
        "requests": len(uploads),
        "distinct_faxes": len({u.sha256 for u in uploads if u.expect == "accept"}),
        "bad_files": sum(1 for u in uploads if u.expect == "reject"),
        **summary,
        "store": {"accepted_documents": check.accepted_documents, "lost": len(check.lost),
                  "duplicated": len(check.duplicated), "mismatched": len(check.mismatched),
                  "unexpected": len(check.unexpected)},
        "phi_scan": {"files": len(scan.files), "bytes": scan.bytes_scanned, "needles": scan.needles,
                     "hits": len(scan.hits)},
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_at_end": round(os.getloadavg()[0], 2)},
    }
    table = Table("figure", "value", title="bench/load.py")
    for k in ("model", "requests", "distinct_faxes", "bad_files", "status_counts", "server_errors_5xx", "no_response",
              "unexpected_outcome", "latency_ms", "pages_read", "pages_per_s", "requests_per_s", "clients_wall_s",
              "store", "phi_scan"):
        table.add_row(k, json.dumps(result[k]) if isinstance(result[k], dict) else str(result[k]))
    Console().print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    ok = (summary["server_errors_5xx"] == 0 and summary["no_response"] == 0 and summary["unexpected_outcome"] == 0
          and check.ok and not scan.hits)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
