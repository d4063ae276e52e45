"""The hostile corpus through the CLI and the HTTP API, one row per case (the figures behind the tests).

    .venv/bin/python bench/hostile.py

Every case of cardio_intake/testing/hostile.py (48, the 5,000-page PDF and the 51 MB file included):
``cardio-intake ocr FILE`` under a 1 GiB address-space cap and a 60 s limit (exit status, error code,
seconds, peak RSS), then POST /extract and POST /intake with a valid key against `bentoml serve` on
127.0.0.1 (status, error code, seconds). A row fails when the outcome breaks the rules in
cardio_intake/testing/hostile_run.py. Figures to stdout and bench/results/hostile.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import cardio_intake  # noqa: E402,F401  (runtime environment first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "hostile.json")
    args = parser.parse_args()

    from reliability_support import ReliabilityService
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.testing import hostile_run
    from cardio_intake.testing.hostile import hostile_cases

    cases = hostile_cases(include_large=True)
    work = Path(tempfile.mkdtemp(prefix="cardio-hostile-"))
    cli = str(Path(sys.executable).with_name("cardio-intake"))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        cli_out = list(pool.map(lambda c: hostile_run.run_cli_case(
            c, work / "cli", cli=cli, timeout_s=args.time_limit, memory_mb=args.memory_mb), cases))
    cli_s = time.perf_counter() - t0
    svc = ReliabilityService.create(work / "service", ocr_workers=2).start()
    try:
        with svc.client(timeout=args.time_limit + 30) as client:
            http_out = {path: [hostile_run.post_case(client, path, c, time_limit_s=args.time_limit) for c in cases]
                        for path in ("/extract", "/intake")}
            fax_ok = client.post("/extract", files={"file": ("ok.png", _good_fax(), "image/png")}).status_code
    finally:
        svc.stop()
    table = Table("case", "expect", "cli exit", "cli code", "cli s", "cli MB", "/extract", "/intake", "ok",
                  title="bench/hostile.py")
    rows = []
    for i, case in enumerate(cases):
        c, e, n = cli_out[i], http_out["/extract"][i], http_out["/intake"][i]
        ok = c.ok and e.ok and n.ok
        rows.append({"case": case.name, "expect": case.expect, "bytes": len(case.data),
                     "cli": {"exit": c.status, "code": c.code, "seconds": c.seconds, "max_rss_mb": c.max_rss_mb, "problem": c.problem},
                     "extract": {"status": e.status, "code": e.code, "seconds": e.seconds, "problem": e.problem},
                     "intake": {"status": n.status, "code": n.code, "seconds": n.seconds, "problem": n.problem}})
        table.add_row(case.name, case.expect, str(c.status), str(c.code), f"{c.seconds:.1f}", f"{c.max_rss_mb:.0f}",
                      f"{e.status} {e.code or ''}", f"{n.status} {n.code or ''}", "yes" if ok else "NO")
    Console().print(table)
    all_out = cli_out + http_out["/extract"] + http_out["/intake"]
    summary = {
        "cases": len(cases),
        "runs": len(all_out),
        "failures": hostile_run.failures(all_out),
        "cli_max_seconds": max(o.seconds for o in cli_out),
        "cli_max_rss_mb": max(o.max_rss_mb or 0 for o in cli_out),
        "cli_memory_cap_mb": args.memory_mb,
        "http_max_seconds": max(o.seconds for o in all_out if o.channel != "cli"),
        "http_5xx": sum(1 for o in all_out if o.status is not None and o.channel != "cli" and o.status >= 500),
        "good_fax_after_barrage": fax_ok,
        "cli_wall_s": round(cli_s, 1),
    }
    print(json.dumps(summary, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "cases": rows}, indent=2) + "\n", encoding="utf-8")
    raise SystemExit(1 if summary["failures"] or fax_ok != 200 else 0)


def _good_fax() -> bytes:
    from serving_support import render_fax

    return render_fax("png")


if __name__ == "__main__":
    main()
