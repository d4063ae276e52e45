"""Rules layer speed: policy load time, and triage decisions per second on generated referrals
(1-4 services each, payers drawn from every alias on file), side by side in one run.

    .venv/bin/python bench/bench_rules.py --n 2000

Prints the figures; writes bench/results/rules.json (gitignored).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cardio_intake  # noqa: E402,F401  (runtime environment first)
from cardio_intake.labels import INTENTS  # noqa: E402
from cardio_intake.rules import load_policies, triage  # noqa: E402
from cardio_intake.schemas import ReferralPrediction  # noqa: E402


def referrals(n: int, payers: list[str], seed: int) -> list[ReferralPrediction]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        intents = rng.sample(INTENTS, rng.randint(1, 4))
        out.append(
            ReferralPrediction.model_validate(
                {
                    "pages": [1, 2],
                    "intents": [{"label": i, "confidence": 0.9} for i in intents],
                    "fields": {
                        "payer": rng.choice(payers),
                        "cpt": rng.sample(["93306", "93303", "93350", "78452", "93458", "33208", "93880"], 2),
                        "icd10": ["I25.10"],
                        "diagnoses": ["Coronary artery disease"],
                        "urgency": rng.choice(["routine", "urgent", "stat"]),
                        "referral_date": "2026-02-20",
                    },
                    "review": {"needed": rng.random() < 0.1, "reasons": []},
                }
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rules.json")
    args = ap.parse_args()

    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        policies = load_policies()
        loads.append(time.perf_counter() - t0)
    payers = sorted({a for p in policies.payers for a in p.aliases})
    batch = referrals(args.n, payers, args.seed)
    practice = policies.practice("default")
    pages = ["referral_order", "clinical_note", "test_result"]
    t0 = time.perf_counter()
    latencies = []
    n_orders = 0
    for r in batch:
        t1 = time.perf_counter()
        n_orders += len(triage(r, practice, policies, date(2026, 3, 2), page_types=pages).orders)
        latencies.append(time.perf_counter() - t1)
    total = time.perf_counter() - t0
    result = {
        "policy_load_s_median": statistics.median(loads),
        "referrals": args.n,
        "orders": n_orders,
        "referrals_per_s": args.n / total,
        "latency_ms_p50": 1000 * statistics.median(latencies),
        "latency_ms_p99": 1000 * sorted(latencies)[int(0.99 * (len(latencies) - 1))],
        "rules": len(policies.rule_ids()),
        "policy_version": policies.version,
    }
    print(f"{'policy load (median of 5)':32s} {result['policy_load_s_median'] * 1000:8.1f} ms")
    print(f"{'triage throughput':32s} {result['referrals_per_s']:8.0f} referrals/s ({n_orders} orders)")
    print(
        f"{'triage latency p50 / p99':32s} {result['latency_ms_p50']:8.2f} / {result['latency_ms_p99']:.2f} ms"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
