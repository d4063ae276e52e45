"""``cardio-intake data generate``: the synthetic labelled referral corpus.

Packets are planned in the parent (family and split per index, from the seed) and drawn in a process
pool; each packet's randomness depends only on (seed, index), so the corpus is identical whatever the
number of workers. See :mod:`cardio_intake.corpus.gold` for the layout on disk.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import shutil
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cardio_intake.corpus.gold import GoldPacket
from cardio_intake.corpus.layouts import DEFAULT_MIX, FAMILIES, TEST_FAMILIES, TRAIN_FAMILIES

GENERATOR_VERSION = "1.1"
VALIDATION_RATE = 0.15


SPLIT_NAMES = ("train", "validation", "test")


def check_families(families: Sequence[str]) -> tuple[str, ...]:
    """The families asked for, known and without repeats; a clear error names the unknown ones."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise ValueError(f"unknown layout families {unknown or '(none given)'}; known: {', '.join(sorted(FAMILIES))}")
    return tuple(dict.fromkeys(families))


def plan_corpus(n: int, seed: int, families: Sequence[str] | None = None) -> list[tuple[int, str, str]]:
    """(index, family, split) per packet. Test-only families go to test; the others are shared by
    train and validation. ``families`` (default: :data:`DEFAULT_MIX`) are the families drawn."""
    rng = random.Random(f"cardio-intake-plan:{seed}")
    names = sorted(check_families(families) if families is not None else DEFAULT_MIX)
    plan = []
    for i in range(n):
        family = names[i % len(names)] if i < len(names) else rng.choice(names)
        if family in TEST_FAMILIES:
            split = "test"
        else:
            split = "validation" if rng.random() < VALIDATION_RATE else "train"
        plan.append((i, family, split))
    return plan


def _build(args: tuple[int, int, str, str, str]) -> str:
    from cardio_intake.corpus.packet import build_packet

    seed, index, family, split, out = args
    return build_packet(seed, index, family, split, Path(out)).model_dump_json()


def _manifest(n: int, seed: int, packets: list[GoldPacket], families: Sequence[str] | None, only_split: str | None) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n": n,
        "mix": sorted(set(families)) if families is not None else None,
        "only_split": only_split,
        "packets": len(packets),
        "test_families": list(TEST_FAMILIES),
        "train_validation_families": list(TRAIN_FAMILIES),
        "families": {
            name: {
                "split": "test" if name in TEST_FAMILIES else "train/validation",
                "description": fam.description,
                "source_kind": fam.source_kind,
            }
            for name, fam in sorted(FAMILIES.items())
        },
        "counts": {
            "split": dict(sorted(Counter(p.split for p in packets).items())),
            "family": dict(sorted(Counter(p.family for p in packets).items())),
            "format": dict(sorted(Counter(p.format for p in packets).items())),
            "resolution": dict(sorted(Counter(p.resolution for p in packets).items())),
            "page_type": dict(sorted(Counter(pg.type for p in packets for pg in p.pages).items())),
            "pages": sum(len(p.pages) for p in packets),
            "multi_patient": sum(len(p.referrals) > 1 for p in packets),
        },
    }


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise FileExistsError(f"{out} exists and is not a corpus (no manifest.json); choose another --out")
    for sub in ("files", "gold"):
        shutil.rmtree(out / sub, ignore_errors=True)
    for name in ("labels.jsonl", "manifest.json"):
        (out / name).unlink(missing_ok=True)
    (out / "files").mkdir(parents=True)
    (out / "gold").mkdir()


def generate_corpus(
    out: Path,
    n: int,
    seed: int,
    progress: bool = True,
    workers: int | None = None,
    families: Sequence[str] | None = None,
    only_split: str | None = None,
) -> Path:
    """Write ``n`` labelled packets to ``out`` (replacing a previous corpus there); returns ``out``.

    ``families`` draws only those layout families (default: :data:`DEFAULT_MIX`); ``only_split`` keeps
    only the packets the plan puts in that split, each the same packet the whole corpus would hold (a
    second seed's test split as more held-out documents; a training-only supplement)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if n < 1:
        raise ValueError("n must be at least 1")
    if only_split is not None and only_split not in SPLIT_NAMES:
        raise ValueError(f"only_split must be one of {', '.join(SPLIT_NAMES)}; got {only_split!r}")
    out = Path(out)
    plan = [p for p in plan_corpus(n, seed, families) if only_split is None or p[2] == only_split]  # checks families
    if not plan:
        raise ValueError(f"the plan of {n} packets puts none in {only_split!r} with these families; draw more or another split")
    _prepare_out(out)
    jobs = [(seed, i, fam, split, str(out)) for i, fam, split in plan]
    n_jobs = len(jobs)
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), n_jobs))
    packets: list[GoldPacket] = []
    with Progress(
        TextColumn("[bold]generating corpus"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not progress
    ) as bar:
        task = bar.add_task("packets", total=n_jobs)
        with (out / "labels.jsonl").open("w", encoding="utf-8") as labels:
            if workers == 1:
                results = map(_build, jobs)
                for line in results:
                    packets.append(_record(out, labels, line))
                    bar.advance(task)
            else:
                ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
                with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                    for line in pool.map(_build, jobs, chunksize=4):
                        packets.append(_record(out, labels, line))
                        bar.advance(task)
    manifest = _manifest(n, seed, packets, families, only_split)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


def _record(out: Path, labels: Any, line: str) -> GoldPacket:
    packet = GoldPacket.model_validate_json(line)
    labels.write(line + "\n")
    (out / "gold" / f"{packet.doc_id}.json").write_text(line + "\n", encoding="utf-8")
    return packet


def corpus_is_current(
    out: Path, n: int, seed: int, families: Sequence[str] | None = None, only_split: str | None = None
) -> bool:
    """True when ``out`` holds a complete corpus of this generator version, seed, size, mix and split."""
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    mix = sorted(set(families)) if families is not None else None
    want = (GENERATOR_VERSION, seed, n, mix, only_split)
    if (manifest.get("generator_version"), manifest.get("seed"), manifest.get("n"), manifest.get("mix"), manifest.get("only_split")) != want:
        return False
    labels = Path(out) / "labels.jsonl"
    if not labels.is_file():
        return False
    with labels.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip()) == manifest.get("packets", n)
