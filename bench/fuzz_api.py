"""Longer schemathesis run over the whole served API (the suite runs the same with 8 examples).

    .venv/bin/python bench/fuzz_api.py --examples 100

Starts `bentoml serve` on 127.0.0.1 (tests/reliability_support.py: own keys, audit, SQLite store,
the keyword test model), first posts a few faxes through /intake so that referrals, orders and
authorizations exist for the id-taking routes to find, then drives every operation of the served
OpenAPI spec with schema-valid and schema-violating requests, with a valid key and without one.
Checks per response: no 5xx, a documented status code, the documented content type, a body matching
the documented schema (cardio_intake/testing/api_fuzz.py). Prints per-operation counts and every
failure; figures to bench/results/fuzz_api.json. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import cardio_intake  # noqa: E402,F401  (runtime environment first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="hypothesis examples per operation and mode")
    parser.add_argument("--unauthenticated-examples", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz_api.json")
    args = parser.parse_args()

    import httpx
    from reliability_support import FaxFactory, ReliabilityService
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.testing import api_fuzz
    from cardio_intake.testing.patients import make_patients

    svc = ReliabilityService.create(Path(tempfile.mkdtemp(prefix="cardio-fuzz-api-")), ocr_workers=2).start()
    t0 = time.perf_counter()
    try:
        faxes = FaxFactory()
        with httpx.Client(base_url=svc.url, headers={"Authorization": f"Bearer {svc.keys.valid}"}, timeout=120) as c:
            for patient in make_patients(3, seed=5):
                c.post("/intake", files={"file": ("fax.png", faxes.fax(patient), "image/png")}).raise_for_status()
            spec = c.get("/docs.json").json()
        runs = {
            "valid key": api_fuzz.fuzz_api(svc.url, spec, headers={"Authorization": f"Bearer {svc.keys.valid}"},
                                           max_examples=args.examples),
            "no key": api_fuzz.fuzz_api(svc.url, spec, headers={}, max_examples=args.unauthenticated_examples),
        }
    finally:
        svc.stop()
    table = Table("key", "mode", "operation", "requests", "statuses", "failures", title="bench/fuzz_api.py")
    for label, results in runs.items():
        for r in results:
            table.add_row(label, r.mode, f"{r.method} {r.path}", str(r.requests),
                          " ".join(f"{k}:{v}" for k, v in sorted(r.statuses.items())), str(len(r.failures)))
    Console().print(table)
    failures = [f"{label} {r.mode}: {f}" for label, results in runs.items() for r in results for f in r.failures]
    for f in failures:
        print("FAILURE", f)
    result: dict[str, Any] = {label: api_fuzz.summarize(results) for label, results in runs.items()}
    result["examples_per_operation"] = {"valid key": args.examples, "no key": args.unauthenticated_examples}
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    result["failure_list"] = failures
    print(json.dumps({k: v for k, v in result.items() if k != "failure_list"}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
