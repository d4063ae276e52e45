"""The serving step of ``make demo``: the champion behind the real API, called like an upstream system.

Imports the champion into the BentoML model store, starts ``bentoml serve`` on a free loopback port,
creates an API key (in the demo's own key file), POSTs a few generated faxes to /triage, prints the
decisions, and stops the server by its PID.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from cardio_intake import config

DEMO_DIR = config.DATA_DIR / "demo" / "serving"


def run_serving_demo(corpus: Path, n: int = 3, console: Console | None = None, workdir: Path = DEMO_DIR) -> list[dict]:  # type: ignore[type-arg]
    from cardio_intake.corpus.gold import read_labels
    from serving.auth import KeyStore
    from serving.local_server import LocalServer
    from serving.predictor import import_champion

    console = console or Console()
    workdir.mkdir(parents=True, exist_ok=True)
    tag, imported = import_champion()
    console.print(f"[green]serving[/] model {tag} {'imported into' if imported else 'already in'} the BentoML store")

    keys_file = workdir / "api_keys.json"
    record, key = KeyStore(keys_file).create(f"demo-{int(time.time())}", ["triage"])
    env = {
        "CARDIO_API_KEYS_FILE": str(keys_file),
        "CARDIO_AUDIT_FILE": str(workdir / "audit.jsonl"),
    }
    server = LocalServer(env, log_path=workdir / "serve.log")
    with console.status(f"[bold]starting bentoml serve on {server.url} (model service, OCR pool)..."):
        server.start()
    console.print(f"[green]serving[/] {server.url} up (pid {server.proc.pid if server.proc else '?'}); "
                  f"API key {record.key_id} created (scope: triage)")
    results: list[dict] = []  # type: ignore[type-arg]
    try:
        packets = sorted(read_labels(corpus), key=lambda p: (p.split != "test", len(p.pages), p.doc_id))[:n]
        table = Table(title="POST /triage (Authorization: Bearer cik_…)")
        for col in ("file", "ms", "queue", "priority", "orders (prior auth, schedulable)", "blocked by"):
            table.add_column(col, overflow="fold")
        headers = {"Authorization": f"Bearer {key}"}
        unauthenticated = httpx.post(f"{server.url}/triage", files={"file": ("x.tif", b"x")}, timeout=30)
        for packet in packets:
            name = Path(packet.file).name
            t0 = time.perf_counter()
            r = httpx.post(f"{server.url}/triage", headers=headers, timeout=300,
                           files={"file": (name, (corpus / packet.file).read_bytes())}, data={"practice_id": "default"})
            ms = f"{(time.perf_counter() - t0) * 1000:.0f}"
            body = r.json()
            results.append(body)
            if r.status_code != 200:
                table.add_row(name, ms, f"HTTP {r.status_code}", "-", body.get("error", "?"), body.get("detail", ""))
                continue
            for k, decision in enumerate(body["triage"]):
                orders = "; ".join(
                    f"{o['service']} ({_pa(o['prior_auth']['required'])}, {'yes' if o['schedulable'] else 'no'})"
                    for o in decision["orders"]
                ) or "-"
                blocked = sorted({b.split(":")[0] for o in decision["orders"] for b in o["blocked_by"]})
                table.add_row(name if k == 0 else f"  referral {k + 1}", ms if k == 0 else "",
                              decision["route"]["queue"], decision["route"]["priority"], orders, ", ".join(blocked) or "-")
        console.print(table)
        console.print(f"without a key: HTTP {unauthenticated.status_code} {unauthenticated.json()['error']}")
    finally:
        rc = server.stop()
        KeyStore(keys_file).revoke(record.name)
    console.print(f"[green]serving[/] server stopped (exit {rc}); key revoked; "
                  f"audit trail: {workdir / 'audit.jsonl'}, log: {workdir / 'serve.log'}")
    return results


def _pa(required: bool | None) -> str:
    return {True: "PA required", False: "no PA", None: "PA unknown"}[required]
