"""Serving benchmark: single-page faxes through the real HTTP API (`bentoml serve`, gateway, OCR pool,
model service), with adaptive batching ON and OFF side by side in one run.

For each setting a fresh server is started on a free loopback port; after a warm-up, N single-page
requests are sent to POST /extract by 1 and by 4 concurrent clients. Reported per row: latency p50
and p95 (ms, client side) and pages per second (pages / wall time), and the on/off ratios.

    .venv/bin/python bench/bench_serving.py --model models:/cardio-intake-referral@champion

Two inputs: single-page faxes cut from a generated corpus (its packets, page by page, as Group 4
TIFFs: OCR dominates) and single pages of its text-layer PDFs (no OCR: the model dominates, which is
where batching can show). Results also go to bench/results/serving.json.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cardio_intake  # noqa: F401  (runtime environment first)
from cardio_intake import config


def single_pages(corpus: Path, limit: int) -> list[bytes]:
    """Every page of the corpus's packets as its own single-page fax TIFF (first ``limit``)."""
    import pypdfium2
    from PIL import Image, ImageSequence

    from cardio_intake.corpus.gold import read_labels

    pages: list[bytes] = []
    for packet in read_labels(corpus):
        data = (corpus / packet.file).read_bytes()
        if data[:4] == b"%PDF":
            pdf = pypdfium2.PdfDocument(data)
            images = [pdf[i].render(scale=200 / 72).to_pil() for i in range(len(pdf))]
        else:
            images = [frame.copy() for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]
        for img in images:
            buf = io.BytesIO()
            img.convert("L").point(lambda v: 255 if v > 160 else 0).convert("1").save(
                buf, format="TIFF", compression="group4", dpi=(200, 200)
            )
            pages.append(buf.getvalue())
            if len(pages) >= limit:
                return pages
    return pages


def single_text_pdfs(corpus: Path, limit: int) -> list[bytes]:
    """Every page of the corpus's text-layer PDFs as its own PDF: no OCR, so the model dominates."""
    import pikepdf

    from cardio_intake.corpus.gold import read_labels

    pages: list[bytes] = []
    for packet in read_labels(corpus):
        if packet.format != "pdf_text":
            continue
        with pikepdf.open(corpus / packet.file) as src:
            for page in src.pages:
                one = pikepdf.new()
                one.pages.append(page)
                buf = io.BytesIO()
                one.save(buf)
                pages.append(buf.getvalue())
                if len(pages) >= limit:
                    return pages
    return pages


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def run_load(url: str, key: str, pages: list[bytes], concurrency: int) -> dict[str, float]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    failures = 0

    def one(i: int, client: httpx.Client) -> None:
        nonlocal failures
        t0 = time.perf_counter()
        r = client.post(f"{url}/extract", headers=headers, files={"file": (f"page-{i}.tif", pages[i % len(pages)])})
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            failures += 1

    clients = [httpx.Client(timeout=600) for _ in range(concurrency)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda i: one(i, clients[i % concurrency]), range(len(pages))))
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    return {
        "requests": len(pages),
        "failures": failures,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "pages_per_s": round(len(pages) / wall, 3),
    }


def bench(model: str, corpus: Path | None, n_requests: int, concurrencies: list[int], ocr_workers: int) -> dict:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.corpus.generate import generate_corpus
    from serving.auth import KeyStore
    from serving.local_server import LocalServer

    console = Console()
    work = Path(tempfile.mkdtemp(prefix="bench_serving_"))
    if corpus is None:
        corpus = generate_corpus(work / "corpus", n=max(4, n_requests // 2), seed=11, progress=False)
    inputs = {"fax (OCR)": single_pages(corpus, n_requests), "text PDF": single_text_pdfs(corpus, n_requests)}
    inputs = {k: v for k, v in inputs.items() if v}
    console.print(", ".join(f"{len(v)} single-page {k}" for k, v in inputs.items()) + f" from {corpus}; model {model}")
    _, key = KeyStore(work / "keys.json").create("bench", ["extract"])
    results: dict[str, dict[str, dict[str, float]]] = {}
    for batching in (True, False):
        label = "batching on" if batching else "batching off"
        env = {
            "CARDIO_MODEL_URI": model,
            "CARDIO_API_KEYS_FILE": str(work / "keys.json"),
            "CARDIO_AUDIT_FILE": str(work / "audit.jsonl"),
            "CARDIO_ADAPTIVE_BATCHING": "1" if batching else "0",
            "CARDIO_OCR_WORKERS": str(ocr_workers),
        }
        with console.status(f"[bold]{label}: starting the server..."), LocalServer(env, work / f"serve-{batching}.log") as server:
            for pages in inputs.values():
                run_load(server.url, key, pages[:2], 2)  # warm-up: OCR workers, model, batcher
            results[label] = {}
            for kind, pages in inputs.items():
                for c in concurrencies:
                    console.print(f"{label}: {len(pages)} {kind} requests, {c} concurrent client(s)")
                    results[label][f"{kind} c{c}"] = run_load(server.url, key, pages, c)
    table = Table(title=f"POST /extract, single-page faxes ({config.PROJECT_ROOT.name}; OCR workers: {ocr_workers or 'cores'})")
    for col in ("input", "clients", "batching", "p50 ms", "p95 ms", "pages/s", "failures"):
        table.add_column(col, justify="right")
    for kind in inputs:
        for c in concurrencies:
            row = f"{kind} c{c}"
            for label in ("batching on", "batching off"):
                r = results[label][row]
                table.add_row(kind, str(c), label.split()[1], f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}",
                              f"{r['pages_per_s']:.2f}", str(int(r["failures"])))
            on, off = results["batching on"][row], results["batching off"][row]
            table.add_row(kind, str(c), "on/off", f"{on['p50_ms'] / off['p50_ms']:.2f}x",
                          f"{on['p95_ms'] / off['p95_ms']:.2f}x", f"{on['pages_per_s'] / off['pages_per_s']:.2f}x", "")
    console.print(table)
    console.print(f"load average (1, 5, 15 min) at the end: {_load_average()}")
    out = {"model": model, "requests": {k: len(v) for k, v in inputs.items()}, "ocr_workers": ocr_workers,
           "load_average": _load_average(), "results": results}
    dest = config.PROJECT_ROOT / "bench" / "results" / "serving.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2))
    console.print(f"written {dest}")
    return out


def _load_average() -> list[float]:
    """The machine's load while measuring (figures on a shared machine are only as good as this)."""
    import os

    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default=f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}",
                        help="MLflow model URI or local model folder to serve (default: the champion)")
    parser.add_argument("--corpus", type=Path, default=None, help="generated corpus to cut pages from (default: a new one)")
    parser.add_argument("--requests", type=int, default=16, help="requests per concurrency level")
    parser.add_argument("--concurrency", default="1,4", help="comma-separated client counts")
    parser.add_argument("--ocr-workers", type=int, default=0, help="OCR processes (0: one per core)")
    args = parser.parse_args()
    bench(args.model, args.corpus, args.requests, [int(c) for c in args.concurrency.split(",")], args.ocr_workers)


if __name__ == "__main__":
    main()
