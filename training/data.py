"""Training data: the HF DatasetDict (``corpus/features.py`` columns) -> tokenized documents.

``source: ocr`` reads the OCR-aligned dataset the ingest builder saved; ``source: gold`` builds the
same columns from the generator's exact words (``packet_to_example``), generating a corpus first
when asked, so training works before (or without) OCR.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.batching import EncodedPage, PageInput, encode_page
from cardio_intake.model.segments import BoxLevel
from training.config import DataArgs

SPLITS = ("train", "validation", "test")


@dataclass
class DocExample:
    """One packet, tokenized and windowed, with its page and referral targets."""

    doc_id: str
    pages: list[EncodedPage]
    page_types: list[int]
    referral_pages: list[list[int]]  # 0-based page indices per gold referral
    intents: list[list[float]]  # multi-hot per referral

    @property
    def n_windows(self) -> int:
        return sum(len(p.windows) for p in self.pages)


def _ids(values: Sequence[Any], names: Sequence[str]) -> list[int]:
    return [v if isinstance(v, int) else names.index(v) for v in values]


def row_pages(row: Mapping[str, Any], with_tags: bool = False) -> list[PageInput]:
    return [
        PageInput(
            words=list(words),
            boxes=[list(b) for b in boxes],
            tags=_ids(tags, BIO_LABELS) if with_tags else None,
        )
        for words, boxes, tags in zip(row["words"], row["bboxes"], row["ner_tags"], strict=True)
    ]


def row_to_example(
    row: Mapping[str, Any], tokenizer: Any, max_len: int, stride: int, box_level: BoxLevel = "word"
) -> DocExample:
    pages = [encode_page(tokenizer, p, max_len, stride, box_level) for p in row_pages(row, with_tags=True)]
    n_refs = len(row["referral_intents"])
    referral_pages = [[p for p, r in enumerate(row["page_referral"]) if r == k] for k in range(n_refs)]
    intents = [[float(i in set(_ids(ids, INTENTS))) for i in range(len(INTENTS))] for ids in row["referral_intents"]]
    # a referral without pages (should not happen) would make pooling undefined: drop it
    keep = [k for k, pages_k in enumerate(referral_pages) if pages_k]
    return DocExample(
        doc_id=row["doc_id"],
        pages=pages,
        page_types=_ids(row["page_types"], PAGE_TYPES),
        referral_pages=[referral_pages[k] for k in keep],
        intents=[intents[k] for k in keep],
    )


def gold_dataset(corpus_dir: Path) -> Any:
    """DatasetDict from a generated corpus's gold words, split as the corpus says."""
    from datasets import Dataset, DatasetDict

    from cardio_intake.corpus.features import dataset_features, packet_to_example
    from cardio_intake.corpus.gold import read_labels

    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for packet in read_labels(corpus_dir):
        rows[packet.split].append(packet_to_example(packet))
    feats = dataset_features()
    # from_list cannot type an empty split (a small corpus may have no validation packet)
    return DatasetDict({
        s: Dataset.from_list(r, features=feats) if r else Dataset.from_dict({k: [] for k in feats}, features=feats)
        for s, r in rows.items()
    })


class MissingDatasetError(FileNotFoundError):
    """A corpus or dataset the config names is not on disk; the message says how to build it (the training
    CLI prints it as one line and exits 2)."""


def load_dataset_dict(args: DataArgs) -> Any:
    if args.source == "ocr":
        from datasets import load_from_disk

        path = Path(args.dataset_dir)
        if not path.exists():
            raise MissingDatasetError(
                f"no dataset at {path}: run `cardio-intake data generate` then `cardio-intake data build-dataset`, "
                "or set data.source: gold"
            )
        return load_from_disk(str(path))
    corpus = Path(args.corpus_dir)
    if not (corpus / "labels.jsonl").is_file():
        if args.generate_n <= 0:
            raise MissingDatasetError(f"no corpus at {corpus}: run `cardio-intake data generate` or set data.generate_n")
        from cardio_intake.corpus.generate import generate_corpus

        generate_corpus(corpus, n=args.generate_n, seed=args.generate_seed)
    return gold_dataset(corpus)


def split_rows(dsd: Any, split: str, limit: int | None) -> list[dict[str, Any]]:
    if split not in dsd:
        return []
    ds = dsd[split]
    n = len(ds) if limit is None else min(limit, len(ds))
    return [ds[i] for i in range(n)]


def fingerprint(rows: Sequence[Mapping[str, Any]]) -> str:
    """Content hash of a split (words, boxes, labels, referral targets), order-sensitive."""
    h = hashlib.sha256()
    for r in rows:
        h.update(
            json.dumps(
                [r["doc_id"], r["words"], r["bboxes"], r["ner_tags"], r["page_types"], r["page_referral"],
                 r["referral_intents"], r["referral_fields"]],
                sort_keys=True,
            ).encode()
        )
    return h.hexdigest()[:16]


MAIN_SOURCE = "main"
#: The default config's synthetic supplements, by folder name: the corpus seed that draws each (README "The model").
COMPOSED_SEEDS = {"composed": 21, "composed2": 22}


def mix_rows(rows: dict[str, list[dict[str, Any]]], extras: Sequence[Mapping[str, Any]], seed: int) -> dict[str, list[dict[str, Any]]]:
    """Mix extra datasets into the main splits. Every row gets ``mix_source`` (``main`` or the
    extra's name). An extra's train rows are repeated ``int(weight)`` times plus a seeded sample
    of the fractional part, so ``weight: 3`` makes a practice's labels count three times as much as
    their size; validation and test rows are appended once, so figures can be split per source."""
    import random

    from datasets import load_from_disk

    rng = random.Random(seed)
    mixed = {s: [{**r, "mix_source": MAIN_SOURCE} for r in rows.get(s, [])] for s in SPLITS}
    for n, extra in enumerate(extras):
        unknown = set(extra) - {"path", "weight", "name"}
        if "path" not in extra or unknown:
            raise ValueError(f"data.extra_datasets[{n}] needs 'path' (and optional 'weight', 'name'); got {dict(extra)}")
        path = Path(str(extra["path"]))
        if not path.exists():
            folder = path.parent if path.name == "dataset" else path
            draw = COMPOSED_SEEDS.get(folder.name, COMPOSED_SEEDS["composed"])
            corpus = folder / "corpus" if path.name == "dataset" else Path("data/composed/corpus")
            raise MissingDatasetError(
                f"data.extra_datasets[{n}]: no dataset at {path} (a practice's labels: `cardio-intake label import`; "
                "a synthetic supplement such as the default config's composed form: `cardio-intake data generate --n 100 "
                f"--seed {draw} --families composed_form --only-split train --out {corpus}` then "
                f"`cardio-intake data build-dataset --corpus {corpus} --out {path}`; "
                "or train without it: 'data.extra_datasets=[]')")
        weight = float(extra.get("weight", 1.0))
        if weight < 0:
            raise ValueError(f"data.extra_datasets[{n}]: weight must be >= 0, got {weight}")
        name = str(extra.get("name") or path.name)
        dsd = load_from_disk(str(path))
        for split in SPLITS:
            if split not in dsd:
                continue
            extra_rows = [{**dsd[split][i], "mix_source": name} for i in range(len(dsd[split]))]
            if split == "train":
                whole, frac = int(weight), weight - int(weight)
                extra_rows = extra_rows * whole + rng.sample(extra_rows, round(frac * len(extra_rows)))
            mixed[split].extend(extra_rows)
    rng.shuffle(mixed["train"])
    return mixed


def rows_by_source(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r.get("mix_source", MAIN_SOURCE)), []).append(r)
    return groups
