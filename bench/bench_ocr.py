"""OCR throughput and word recall: our loader against layoutparser's TesseractAgent, in one run.

    .venv/bin/python bench/bench_ocr.py [--corpus data/corpus] [--n 16 --seed 11] [--fax-pages 24]

Without --corpus a small corpus is generated (``generate_corpus``) under data/bench/corpus.
Measured on the same decoded fax pages of the corpus:

* ours: ``load_document`` per packet file with the page pool (one tesseract call per upright page,
  OSD only when the first pass looks rotated, deskew), decoding included; then again on one
  process (inline), which also gives its CPU seconds per page;
* baseline: layoutparser's default word path, ``TesseractAgent.detect(img, return_response=True)``
  then ``gather_data(..., WORD)`` (two tesseract calls per page: image_to_string and
  image_to_data), one page after another, decoding excluded;
* text-layer PDFs (EHR e-faxes) through ``load_document``, repeated to at least 100 pages.

Word recall: share of the renderer's gold words that come back with the same text (case and
punctuation folded) and a box overlapping the gold box, per resolution (fine 200 dpi, standard
200x98 dpi). The baseline's boxes are in the stored frame, so its upside-down pages score zero:
that is what orientation detection buys.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import cardio_intake  # noqa: F401  (runtime env first; tesseract gets OMP_THREAD_LIMIT=1)
from cardio_intake import config


def _norm(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def word_recall(ocr: list[tuple[str, tuple[float, float, float, float]]], gold: list[Any]) -> tuple[int, int]:
    """(matched, total) gold words: same normalized text, boxes overlapping (0-1000 grid)."""
    by_text: dict[str, list[tuple[float, float, float, float]]] = {}
    for text, box in ocr:
        by_text.setdefault(_norm(text), []).append(box)
    total = matched = 0
    for g in gold:
        key = _norm(g.text)
        if not key:
            continue
        total += 1
        gx0, gy0, gx1, gy1 = g.box_1000
        for x0, y0, x1, y1 in by_text.get(key, []):
            if min(x1, gx1) - max(x0, gx0) > 0 and min(y1, gy1) - max(y0, gy0) > 0:
                matched += 1
                break
    return matched, total


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (tesseract runs as a child)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _ensure_corpus(args: argparse.Namespace) -> Path:
    if args.corpus:
        return Path(args.corpus)
    from cardio_intake.corpus.generate import generate_corpus

    out = config.DATA_DIR / "bench" / "corpus"
    if not (out / "labels.jsonl").is_file():
        print(f"generating a corpus of {args.n} packets (seed {args.seed}) under {out}", file=sys.stderr)
        generate_corpus(out, n=args.n, seed=args.seed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="corpus directory (default: generate one under data/bench/corpus)")
    parser.add_argument("--n", type=int, default=40, help="packets to generate when no --corpus")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--fax-pages", type=int, default=24, help="fax pages to time (whole packets, at least)")
    parser.add_argument("--workers", type=int, default=2, help="OCR processes for our loader")
    parser.add_argument("--out", default=str(config.DATA_DIR / "bench" / "bench_ocr.json"))
    args = parser.parse_args(argv)

    import numpy as np
    from layoutparser.ocr import TesseractAgent, TesseractFeatureType
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.corpus.gold import read_labels
    from cardio_intake.document import to_box_1000
    from cardio_intake.ingest import Limits, load_document
    from cardio_intake.ingest.pool import get_pool
    from cardio_intake.ingest.raster import iter_raster_pages

    console = Console(width=max(Console().width, 120))
    corpus = _ensure_corpus(args)
    packets = list(read_labels(corpus))
    fax = [p for p in packets if p.format == "tiff_g4"]
    # Alternate fine and standard packets so both resolutions are in the timed set.
    queues = [[p for p in fax if p.resolution == r] for r in ("fine", "standard")]
    chosen, n_pages = [], 0
    while n_pages < args.fax_pages and any(queues):
        for q in queues:
            if q and n_pages < args.fax_pages:
                chosen.append(q.pop(0))
                n_pages += chosen[-1].n_pages
    texts = [p for p in packets if p.format == "pdf_text"]
    if not chosen:
        console.print("[red]the corpus has no fax (tiff_g4) packets of both resolutions[/]")
        return 1
    load_before = os.getloadavg()
    blobs = {p.doc_id: (corpus / p.file).read_bytes() for p in chosen + texts}

    # Warm the pool (spawning workers and importing layoutparser is not per-page cost).
    get_pool(args.workers)
    load_document(blobs[chosen[0].doc_id], workers=args.workers)

    results: dict[str, Any] = {"corpus": str(corpus), "workers": args.workers, "cpus": os.cpu_count()}
    recall: dict[str, dict[str, list[int]]] = {"ours": {}, "baseline": {}}

    def add_recall(path: str, resolution: str, m: int, t: int) -> None:
        acc = recall[path].setdefault(resolution, [0, 0])
        acc[0] += m
        acc[1] += t

    # --- ours ---------------------------------------------------------------------------------
    t0 = time.perf_counter()
    docs = {p.doc_id: load_document(blobs[p.doc_id], workers=args.workers) for p in chosen}
    ours_s = time.perf_counter() - t0
    # The same pages on one process, inline: tesseract runs as our own child, so its CPU time is
    # measurable (CPU seconds per page hardly depend on what else the shared machine is doing).
    c0, t0 = _cpu(), time.perf_counter()
    for p in chosen:
        load_document(blobs[p.doc_id], workers=1)
    ours1_s, ours1_cpu = time.perf_counter() - t0, _cpu() - c0
    rotated = 0
    for p in chosen:
        for page, gold in zip(docs[p.doc_id].pages, p.pages, strict=True):
            rotated += page.rotation_applied != 0
            add_recall("ours", p.resolution, *word_recall([(w.text, w.box_1000) for w in page.words], gold.words))

    # --- layoutparser TesseractAgent, default path, same decoded pages ------------------------
    images = []
    for p in chosen:
        for img_page, gold in zip(iter_raster_pages(blobs[p.doc_id], "tiff", Limits()), p.pages, strict=True):
            images.append((p.resolution, np.asarray(img_page.image), gold))
    agent = TesseractAgent(languages="eng")
    c0, t0 = _cpu(), time.perf_counter()
    layouts = []
    for _, arr, _ in images:
        res = agent.detect(arr, return_response=True)
        layouts.append(agent.gather_data(res, TesseractFeatureType.WORD))
    base_s, base_cpu = time.perf_counter() - t0, _cpu() - c0
    for (resolution, arr, gold), layout in zip(images, layouts, strict=True):
        h, w = arr.shape[:2]
        words = [(str(b.text), to_box_1000(tuple(b.coordinates), w, h)) for b in layout]
        add_recall("baseline", resolution, *word_recall(words, gold.words))

    # --- text-layer PDFs ------------------------------------------------------------------------
    text_pages = text_s = 0.0
    if texts:
        t0 = time.perf_counter()
        while text_pages < 100 or time.perf_counter() - t0 < 2.0:
            for p in texts:
                text_pages += len(load_document(blobs[p.doc_id], workers=args.workers).pages)
        text_s = time.perf_counter() - t0
    load_after = os.getloadavg()

    ours_pps, base_pps, ours1_pps = n_pages / ours_s, n_pages / base_s, n_pages / ours1_s
    results.update(
        fax_pages=n_pages,
        fax_packets=len(chosen),
        pages_rotated=rotated,
        ours_seconds=round(ours_s, 2),
        ours_pages_per_s=round(ours_pps, 3),
        ours_1worker_pages_per_s=round(ours1_pps, 3),
        ours_cpu_s_per_page=round(ours1_cpu / n_pages, 2),
        baseline_seconds=round(base_s, 2),
        baseline_pages_per_s=round(base_pps, 3),
        baseline_cpu_s_per_page=round(base_cpu / n_pages, 2),
        speedup=round(ours_pps / base_pps, 2),
        speedup_1worker=round(ours1_pps / base_pps, 2),
        cpu_ratio=round(base_cpu / ours1_cpu, 2),
        text_pdf_pages=int(text_pages),
        text_pdf_pages_per_s=round(text_pages / text_s, 1) if text_s else None,
        recall={k: {r: round(m / t, 4) if t else None for r, (m, t) in v.items()} for k, v in recall.items()},
        loadavg_before=[round(x, 2) for x in load_before],
        loadavg_after=[round(x, 2) for x in load_after],
    )

    table = Table(title=f"OCR throughput: {n_pages} fax pages from {len(chosen)} packets, {args.workers} workers")
    for col in ("path", "tesseract calls/page", "seconds", "pages/s", "vs baseline", "CPU s/page"):
        table.add_column(col, justify="right" if col != "path" else "left")
    table.add_row(f"ours: load_document, {args.workers} workers (OSD only when needed, deskew)", "1 (+OSD, +1 if rotated)",
                  f"{ours_s:.1f}", f"{ours_pps:.2f}", f"{ours_pps / base_pps:.2f}x", "")
    table.add_row("ours: load_document, 1 process", "1 (+OSD, +1 if rotated)",
                  f"{ours1_s:.1f}", f"{ours1_pps:.2f}", f"{ours1_pps / base_pps:.2f}x", f"{ours1_cpu / n_pages:.2f}")
    table.add_row("layoutparser TesseractAgent default (detect + gather_data)", "2", f"{base_s:.1f}", f"{base_pps:.2f}",
                  "1.00x", f"{base_cpu / n_pages:.2f}")
    if text_s:
        table.add_row(f"text-layer PDFs ({len(texts)} files, repeated)", "0", f"{text_s:.1f}",
                      f"{text_pages / text_s:.1f}", "", "")
    console.print(table)
    rt = Table(title="Word recall against the renderer's gold words (text and place)")
    for col in ("resolution", "ours", "TesseractAgent", "gold words"):
        rt.add_column(col, justify="right" if col != "resolution" else "left")
    for res_name in ("fine", "standard"):
        o, b = recall["ours"].get(res_name), recall["baseline"].get(res_name)
        if o and b:
            rt.add_row(res_name, f"{100 * o[0] / o[1]:.1f}%", f"{100 * b[0] / b[1]:.1f}%", str(o[1]))
    console.print(rt)
    console.print(f"pages turned upright: {rotated}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
                  f"(the machine is shared: figures are noisy)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
