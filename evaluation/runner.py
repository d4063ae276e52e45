"""Run models over the corpus's test documents and compare with gold (the I/O half of `evaluate`).

Documents go through the same path as production: the file's bytes, the loader (OCR or text layer),
the model, post-processing. When a predictor can take an already loaded ``Document``
(``predict_document``), each file is loaded once and shared by every model compared, and the load
time is added to each model's time so pages/s stays end to end.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from cardio_intake import config
from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.schemas import Prediction
from evaluation.records import DocRecord, compare_document


class Predictor(Protocol):
    model_version: str

    def predict_bytes(self, data: bytes, name: str) -> Prediction: ...


class DataError(ValueError):
    """The --data argument is not a corpus or dataset that can be evaluated."""


class Failure(BaseModel):
    doc_id: str
    error: str


def _corpus_for_dataset(dataset_dir: Path) -> Path:
    """The corpus a saved dataset was built from: ``corpus_dir`` in the builder's meta file when it
    wrote one, else ``<dataset>/../corpus``, else the default corpus."""
    import json

    for meta in ("build_meta.json", "meta.json", "dataset_meta.json"):
        f = dataset_dir / meta
        if f.is_file():
            value = json.loads(f.read_text(encoding="utf-8")).get("corpus_dir") or json.loads(
                f.read_text(encoding="utf-8")).get("corpus")
            if value and (Path(value) / "labels.jsonl").is_file():
                return Path(value)
    for cand in (dataset_dir.parent / "corpus", config.CORPUS_DIR):
        if (cand / "labels.jsonl").is_file():
            return cand
    raise DataError(f"{dataset_dir} is a dataset, but the corpus it was built from (with the packet files) "
                    "was not found: pass the corpus directory instead")


def load_gold(data: Path, split: str = "test", limit: int | None = None) -> tuple[Path, list[GoldPacket]]:
    """The corpus directory and the gold packets of ``split`` from a corpus directory (labels.jsonl)
    or a saved HF dataset (its split's doc_ids, looked up in the corpus it came from)."""
    if (data / "labels.jsonl").is_file():
        corpus = data
        wanted: set[str] | None = None
    elif (data / "dataset_dict.json").is_file() or (data / split / "dataset_info.json").is_file():
        from datasets import load_from_disk

        ds = load_from_disk(str(data))
        if split not in ds:
            raise DataError(f"{data} has no {split!r} split (has {', '.join(ds)})")
        wanted = set(ds[split]["doc_id"])
        corpus = _corpus_for_dataset(data)
    else:
        raise DataError(f"{data} is neither a corpus (labels.jsonl) nor a saved dataset (dataset_dict.json); "
                        "generate one with `cardio-intake data generate --out DIR`")
    packets = [p for p in read_labels(corpus) if p.split == split and (wanted is None or p.doc_id in wanted)]
    if not packets:
        raise DataError(f"{data}: no documents in the {split!r} split")
    return corpus, packets[:limit] if limit else packets


def _empty_prediction(packet: GoldPacket, version: str) -> Prediction:
    return Prediction(document=packet.file, document_id="", model_version=version, pages=[], referrals=[])


def run_models(
    predictors: Sequence[Predictor],
    corpus: Path,
    packets: Sequence[GoldPacket],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[list[DocRecord]], list[list[Failure]]]:
    """Every predictor on every packet's file; per predictor, its records (a file that failed to load
    or predict counts as an empty prediction, so failures cost accuracy instead of vanishing) and failures."""
    records: list[list[DocRecord]] = [[] for _ in predictors]
    failures: list[list[Failure]] = [[] for _ in predictors]
    share = all(hasattr(p, "predict_document") for p in predictors)
    for k, packet in enumerate(packets):
        data = (corpus / packet.file).read_bytes()
        doc_sha = "sha256:" + hashlib.sha256(data).hexdigest()
        document: Any = None
        load_s = 0.0
        load_error: str | None = None
        if share:
            from cardio_intake.ingest import load_document

            t0 = time.perf_counter()
            try:
                document = load_document(data)
            except Exception as exc:  # the loader's typed errors, or anything it did not foresee
                load_error = f"{type(exc).__name__}: {exc}"
            load_s = time.perf_counter() - t0
        for i, pred in enumerate(predictors):
            t0 = time.perf_counter()
            try:
                if load_error:
                    raise RuntimeError(load_error)
                if share:
                    prediction = pred.predict_document(document, packet.file, doc_sha)  # type: ignore[attr-defined]
                else:
                    prediction = pred.predict_bytes(data, packet.file)
            except Exception as exc:
                failures[i].append(Failure(doc_id=packet.doc_id, error=f"{type(exc).__name__}: {exc}"))
                prediction = _empty_prediction(packet, pred.model_version)
            seconds = time.perf_counter() - t0 + load_s
            records[i].append(compare_document(packet, prediction, seconds=seconds))
        if progress:
            progress(k + 1, len(packets))
    return records, failures
