"""Rich summary of a generated corpus: one packet in detail, and counts per split/family/format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cardio_intake.corpus.gold import GoldPacket, read_labels


def _packet_tables(packet: GoldPacket) -> list[Table]:
    head = Table(title=f"packet {packet.doc_id}", show_header=False)
    head.add_row("file", f"{packet.file} ({packet.format}, {packet.resolution})")
    head.add_row("family / split", f"{packet.family} / {packet.split}")
    head.add_row("source", packet.source)
    head.add_row("referrals", str(len(packet.referrals)))

    pages = Table(title="pages")
    for col in ("page", "type", "referral", "words", "tagged words", "skew", "upside down"):
        pages.add_column(col)
    page_ref = {p: i + 1 for i, r in enumerate(packet.referrals) for p in r.pages}
    for pg in packet.pages:
        tagged = sum(w.tag != "O" for w in pg.words)
        pages.add_row(str(pg.page), pg.type, str(page_ref.get(pg.page, "")), str(len(pg.words)), str(tagged),
                      f"{pg.skew_deg:+.2f}", "yes" if pg.upside_down else "")  # fmt: skip
    tables = [head, pages]
    for i, ref in enumerate(packet.referrals, start=1):
        t = Table(title=f"referral {i}: pages {ref.pages}, intents {', '.join(ref.intents)}")
        t.add_column("field")
        t.add_column("value")
        for name, value in ref.fields.model_dump(mode="json").items():
            shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            t.add_row(name, shown or "[dim]-[/]")
        tables.append(t)
    return tables


def _counts_table(packets: list[GoldPacket], manifest: dict[str, object]) -> Table:
    t = Table(title=f"corpus: {len(packets)} packets, {sum(len(p.pages) for p in packets)} pages")
    t.add_column("by")
    t.add_column("counts")
    for label, counter in (
        ("split", Counter(p.split for p in packets)),
        ("format", Counter(p.format for p in packets)),
        ("resolution", Counter(p.resolution for p in packets)),
        ("page type", Counter(pg.type for p in packets for pg in p.pages)),
        ("family", Counter(p.family for p in packets)),
        ("intent", Counter(i for p in packets for r in p.referrals for i in r.intents)),
    ):
        t.add_row(label, ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    t.add_row("multi-patient", str(sum(len(p.referrals) > 1 for p in packets)))
    test_fams = manifest.get("test_families")
    if isinstance(test_fams, list):
        t.add_row("test-only families", ", ".join(test_fams))
    return t


def print_packet_summary(corpus: Path, doc_id: str | None = None, console: Console | None = None) -> None:
    """Print one packet (``doc_id``, default the first) and the corpus counts."""
    console = console or Console()
    packets = list(read_labels(Path(corpus)))
    if not packets:
        raise ValueError(f"{corpus} holds no packets")
    chosen = packets[0]
    if doc_id is not None:
        matches = [p for p in packets if p.doc_id == doc_id]
        if not matches:
            raise KeyError(f"no packet {doc_id!r} in {corpus}")
        chosen = matches[0]
    try:
        manifest = json.loads((Path(corpus) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    for table in _packet_tables(chosen):
        console.print(table)
    console.print(_counts_table(packets, manifest))
