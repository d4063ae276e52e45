"""Workflow store benchmark: intake (store + triage with the shipped policies; the model replaced by a
canned prediction), payer responses, scheduling-gate checks, worklist and monitor queries, on SQLite
and PostgreSQL side by side, plus concurrent duplicate intakes.

    .venv/bin/python bench/bench_workflow.py [--n 300] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

The model's own latency is measured by bench/ for serving; this isolates what the store adds per fax.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

import cardio_intake  # noqa: F401  (runtime environment)
from cardio_intake.schemas import (
    Fields,
    IntentPrediction,
    PagePrediction,
    Prediction,
    ReferralPrediction,
    Review,
)
from cardio_intake.store import db
from cardio_intake.store.gate import check_appointment
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import StatusUpdate
from cardio_intake.store.models import AuthorizationRow, OrderRow
from cardio_intake.store.monitor import monitor
from cardio_intake.store.rules_adapter import RulesTriage
from cardio_intake.store.states import AuthStatus
from cardio_intake.store.updates import update_authorization
from cardio_intake.store.worklists import worklist

PAYERS = ["UnitedHealthcare", "Aetna Medicare Advantage", "Medicare", "Blue Cross Blue Shield", "Humana"]
SERVICES = [("consult", "echo_tte"), ("nuclear_stress",), ("echo_tte", "echo_tee"), ("rhythm_monitor",), ("cardiac_mri",)]


def predictor(data: bytes, name: str) -> Prediction:
    i = int(data.split(b":")[1])
    ref = ReferralPrediction(
        pages=[1, 2],
        intents=[IntentPrediction(label=s, confidence=0.9) for s in SERVICES[i % len(SERVICES)]],  # type: ignore[arg-type]
        fields=Fields(patient_name=f"Patient {i}", patient_dob=date(1950, 1, 1), payer=PAYERS[i % len(PAYERS)],
                      member_id=f"M{i:08d}", urgency=("routine", "urgent", "stat")[i % 3],  # type: ignore[arg-type]
                      diagnoses=["chest pain"], icd10=["R07.9"]),
        review=Review(needed=i % 7 == 0),
    )
    return Prediction(document=name, document_id="sha256:x", model_version="bench:1",
                      pages=[PagePrediction(page=p, type="referral_order", confidence=0.9) for p in (1, 2)],
                      referrals=[ref])


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run(kind: str, url: str, schema: str | None, n: int, rules: RulesTriage, work: Path) -> dict[str, str]:
    engine = db.make_engine(url, schema=schema)
    db.upgrade(engine)
    factory = db.session_factory(engine)
    docs = work / kind
    res: dict[str, str] = {}
    with factory() as s:
        lat = [timed(lambda i=i: intake(s, f"fax:{i}".encode(), "f.pdf", None, predictor, rules, documents_dir=docs))
               for i in range(n)]
        res["intake p50 / p95 ms"] = f"{statistics.median(lat):.1f} / {pct(lat, 0.95):.1f}"
        res["intakes / s (1 client)"] = f"{1000 * n / sum(lat):.0f}"
        replay = [timed(lambda i=i: intake(s, f"fax:{i}".encode(), "f.pdf", None, predictor, rules, documents_dir=docs))
                  for i in range(min(n, 100))]
        res["replay (same bytes) p50 ms"] = f"{statistics.median(replay):.1f}"
        auths = list(s.scalars(sa.select(AuthorizationRow.id).where(AuthorizationRow.status == "needed").limit(100)))
        upd = []
        for a in auths:
            upd.append(timed(lambda a=a: update_authorization(s, a, StatusUpdate(AuthStatus.SUBMITTED), triage_fn=rules)))
        res["payer response + re-triage p50 ms"] = f"{statistics.median(upd):.1f}" if upd else "-"
        orders = list(s.scalars(sa.select(OrderRow.id).limit(200)))
        day = date.today() + timedelta(days=14)
        gate = [timed(lambda o=o: check_appointment(s, o, day)) for o in orders]
        res["gate check p50 ms"] = f"{statistics.median(gate):.2f}"
        wl = [timed(lambda: worklist(s, "prior_auth", per_page=50)) for _ in range(10)]
        res["worklist (50 rows) p50 ms"] = f"{statistics.median(wl):.1f}"
        mon = [timed(lambda: monitor(s)) for _ in range(5)]
        res[f"monitor over {n} referrals p50 ms"] = f"{statistics.median(mon):.1f}"

    # 8 threads sending the same 20 new faxes at once: one document and one referral set per fax.
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def client() -> None:
        try:
            with factory() as s2:
                barrier.wait()
                for i in range(n, n + 20):
                    intake(s2, f"fax:{i}".encode(), "f.pdf", None, predictor, rules, documents_dir=docs)
        except BaseException as exc:
            errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        dupes = s.scalar(sa.text("SELECT count(*) - count(DISTINCT sha256) FROM document"))
    res["8 clients x 20 identical faxes"] = (
        f"{(time.perf_counter() - t0):.2f} s, {len(errors)} errors, {dupes} duplicate documents"
    )
    engine.dispose()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="faxes to intake per database")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    rules = RulesTriage.load()
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results["SQLite"] = run("sqlite", f"sqlite:///{work / 'bench.db'}", None, args.n, rules, work)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.pg)
        try:
            with admin.begin() as c:
                c.execute(sa.text(f"CREATE SCHEMA {schema}"))
            results["PostgreSQL"] = run("pg", args.pg, schema, args.n, rules, work)
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL skipped: {type(exc).__name__}")
        finally:
            try:
                with admin.begin() as c:
                    c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            except sa.exc.OperationalError:
                pass
    table = Table(title=f"workflow store, {args.n} faxes (model replaced by a canned prediction; shipped policies)")
    table.add_column("measure")
    for name in results:
        table.add_column(name, justify="right")
    for key in next(iter(results.values())):
        table.add_row(key, *(r.get(key, "-") for r in results.values()))
    Console().print(table)


if __name__ == "__main__":
    main()
