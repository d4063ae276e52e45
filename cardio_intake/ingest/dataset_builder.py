"""The OCR-aligned training set: generated packets through the loader, gold tags moved onto the
words OCR actually returns, one row per packet with exactly ``dataset_features()``'s columns.

Packets are processed in parallel (one process per worker, each OCRing its packet's pages in turn),
which keeps both cores busy and also runs the alignment in parallel.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.ingest.limits import Limits

SPLITS = ("train", "validation", "test")
RESOLUTIONS = ("fine", "standard", "digital")


@dataclass
class PacketStats:
    doc_id: str
    family: str
    split: str
    resolution: str
    format: str
    pages: int
    entity_words: int
    matched: int
    ocr_words: int
    gold_words: int


@dataclass
class Tally:
    packets: int = 0
    pages: int = 0
    entity_words: int = 0
    matched: int = 0

    def add(self, s: PacketStats) -> None:
        self.packets += 1
        self.pages += s.pages
        self.entity_words += s.entity_words
        self.matched += s.matched

    @property
    def coverage(self) -> float | None:
        return self.matched / self.entity_words if self.entity_words else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "coverage": self.coverage}


@dataclass
class CoverageReport:
    by_family: dict[str, dict[str, Tally]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))
    family_split: dict[str, str] = field(default_factory=dict)
    failed: list[dict[str, str]] = field(default_factory=list)

    def add(self, s: PacketStats) -> None:
        self.family_split[s.family] = s.split
        self.by_family[s.family]["all"].add(s)
        self.by_family[s.family][s.resolution].add(s)

    def by_resolution(self) -> dict[str, Tally]:
        out: dict[str, Tally] = defaultdict(Tally)
        for tallies in self.by_family.values():
            for key, t in tallies.items():
                agg = out[key]
                agg.packets += t.packets
                agg.pages += t.pages
                agg.entity_words += t.entity_words
                agg.matched += t.matched
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_family": {
                fam: {"split": self.family_split.get(fam, ""), **{k: t.as_dict() for k, t in sorted(tallies.items())}}
                for fam, tallies in sorted(self.by_family.items())
            },
            "by_resolution": {k: t.as_dict() for k, t in sorted(self.by_resolution().items())},
            "failed": self.failed,
        }


def packet_row(corpus_dir: Path, packet: GoldPacket, limits: Limits | None = None) -> tuple[dict[str, Any], PacketStats]:
    """Load one packet file (OCR in this process) and align its gold onto the words."""
    from cardio_intake.corpus.features import packet_to_example
    from cardio_intake.ingest.align import align_page
    from cardio_intake.ingest.loader import load_path
    from cardio_intake.labels import BIO_LABELS

    doc = load_path(corpus_dir / packet.file, limits=limits, workers=1)
    if len(doc.pages) != len(packet.pages):
        raise ValueError(f"{packet.doc_id}: the loader read {len(doc.pages)} pages, the gold has {len(packet.pages)}")
    row = packet_to_example(packet)
    words, bboxes, ner_tags = [], [], []
    entity_words = matched = 0
    for page, gold in zip(doc.pages, packet.pages, strict=True):
        al = align_page(page.words, gold.words)
        words.append([w.text for w in page.words])
        bboxes.append([list(w.box_1000) for w in page.words])
        ner_tags.append([BIO_LABELS.index(t) for t in al.tags])
        entity_words += al.gold_entity_words
        matched += al.matched_entity_words
    row.update(words=words, bboxes=bboxes, ner_tags=ner_tags)
    stats = PacketStats(
        doc_id=packet.doc_id,
        family=packet.family,
        split=packet.split,
        resolution=packet.resolution,
        format=packet.format,
        pages=len(doc.pages),
        entity_words=entity_words,
        matched=matched,
        ocr_words=sum(len(p) for p in words),
        gold_words=sum(len(p.words) for p in packet.pages),
    )
    return row, stats


def _work(corpus_dir: str, packet_json: str, limits_json: str) -> tuple[dict[str, Any], PacketStats] | dict[str, str]:
    from cardio_intake.ingest.errors import IngestError

    packet = GoldPacket.model_validate_json(packet_json)
    try:
        return packet_row(Path(corpus_dir), packet, Limits.model_validate_json(limits_json))
    except (IngestError, OSError, ValueError) as exc:
        return {"doc_id": packet.doc_id, "file": packet.file, "error": getattr(exc, "code", type(exc).__name__), "detail": str(exc)}


def build_dataset(
    corpus_dir: Path, out_dir: Path, workers: int = 2, *, limits: Limits | None = None, limit: int | None = None
) -> Any:
    """Build, save (``save_to_disk``) and return the OCR-aligned ``DatasetDict``; writes
    ``coverage.json`` into ``out_dir`` and prints the coverage per layout family."""
    from datasets import Dataset, DatasetDict
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cardio_intake.corpus.features import dataset_features

    corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
    if not (corpus_dir / "labels.jsonl").is_file():
        raise FileNotFoundError(f"{corpus_dir} is not a corpus (no labels.jsonl); run `cardio-intake data generate`")
    packets = list(read_labels(corpus_dir))[:limit]
    limits = limits or Limits()
    report = CoverageReport()
    rows: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in SPLITS}
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    columns = (TextColumn("[bold]OCR + align"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress, ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx) as pool:
        task = progress.add_task("packets", total=len(packets))
        todo = iter(packets)
        pending: set[Future[Any]] = set()
        while True:
            # A bounded queue: rows come back as they finish, memory stays flat on big corpora.
            for packet in todo:
                pending.add(pool.submit(_work, str(corpus_dir), packet.model_dump_json(), limits.model_dump_json()))
                if len(pending) >= 4 * max(1, workers):
                    break
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                result = fut.result()
                if isinstance(result, dict):
                    report.failed.append(result)
                    progress.console.print(f"[red]failed[/] {result['file']}: {result['error']}: {result['detail']}")
                else:
                    row, stats = result
                    rows[stats.split][stats.doc_id] = row
                    report.add(stats)
                progress.advance(task)

    features = dataset_features()
    # Rows sorted by doc_id: the dataset does not depend on which worker finished first.
    # (from_dict with empty columns: from_list([]) would drop the schema of an empty split)
    dsd = DatasetDict(
        {
            s: Dataset.from_dict({c: [rows[s][k][c] for k in sorted(rows[s])] for c in features}, features=features)
            for s in SPLITS
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    from datasets.utils.logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled

    was_enabled = is_progress_bar_enabled()
    disable_progress_bar()  # one "Saving the dataset" bar per split would bury the coverage table
    try:
        # one shard per split, also for an empty one (a corpus of train packets only): 0 shards would not load back
        dsd.save_to_disk(str(out_dir), num_shards={s: 1 for s in SPLITS})
    finally:
        if was_enabled:
            enable_progress_bar()
    summary = report.as_dict()
    summary["corpus"] = str(corpus_dir)
    summary["packets"] = len(packets)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    (out_dir / "coverage.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print_coverage(report)
    return dsd


def print_coverage(report: CoverageReport) -> None:
    from rich.console import Console
    from rich.table import Table

    def pct(t: Tally | None) -> str:
        if t is None or t.coverage is None:
            return "-"
        return f"{100 * t.coverage:.1f}%"

    table = Table(title="Alignment coverage: share of gold entity words matched to OCR words")
    for col in ("family", "split", "packets", "pages", "entity words", "all", *RESOLUTIONS):
        table.add_column(col, justify="left" if col in ("family", "split") else "right")
    for fam, tallies in sorted(report.by_family.items()):
        t = tallies["all"]
        table.add_row(fam, report.family_split.get(fam, ""), str(t.packets), str(t.pages), str(t.entity_words),
                      pct(t), *(pct(tallies.get(r)) for r in RESOLUTIONS))
    totals = report.by_resolution()
    t = totals.get("all", Tally())
    table.add_row("[bold]all", "", str(t.packets), str(t.pages), str(t.entity_words), pct(t),
                  *(pct(totals.get(r)) for r in RESOLUTIONS), end_section=True)
    console = Console(width=max(Console().width, 120))
    console.print(table)
    if report.failed:
        console.print(f"[red]{len(report.failed)} packet(s) could not be read[/]: see coverage.json")
