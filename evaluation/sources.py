"""The evaluation's named test sources (``--dataset NAME=PATH``) and their per-source figures.

A model retrained on a mix (``data.extra_datasets`` in the training config) is judged per source:
the synthetic corpus and, say, a practice's imported Label Studio labels. Each source's test rows
are scored the way training scores its test split (``training.assess`` predictions,
``cardio_intake.extraction.scoring.score_predictions``), so a row of the report's "Results per
source" equals training's ``test/<source>/<metric>`` on the same rows. The ``all`` row scores every
source's rows together (not a mean of the rows above it).

A source is a corpus folder (``labels.jsonl``: rows from the generator's exact words, as training's
``data.source: gold``) or a saved dataset (its split's rows, e.g. OCR-aligned or imported labels).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from cardio_intake.schemas import Prediction

#: The main corpus's source name; must equal training.data.MAIN_SOURCE (a test checks), which is
#: not imported here because training.data pulls in torch and the CLI parses specs before loading it.
MAIN_SOURCE = "main"
#: The row that scores every source's rows together.
ALL_SOURCES = "all"
#: Source names end up in metric keys (``eval/<source>/<metric>``) and table headers.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: The figures the report's table shows (keys of score_predictions), also logged to MLflow per source.
TABLE_METRICS = ("intent_micro_f1", "entity_f1", "straight_through", "field_em/mean", "auto_rate", "auto_error")


class SourceSpec(BaseModel):
    name: str
    path: Path


class SourceScores(BaseModel):
    """One row of "Results per source"."""

    source: str
    path: str = Field(default="", description="the source's folder; empty for the 'all' row")
    documents: int
    end_to_end: bool = Field(
        default=False, description="its packet files are also in the report's end-to-end figures (the other sections)")
    note: str = Field(default="", description="why the source is not in the end-to-end figures")
    words: str = Field(
        default="", description="what its rows' words are: 'gold' (a corpus folder: the generator's exact words, not "
                                "OCR), 'dataset' (a saved dataset's words: OCR-aligned or imported labels); '' for 'all'")
    metrics: dict[str, float] = Field(description="score_predictions' figures on the source's rows")


def parse_dataset_spec(spec: str) -> SourceSpec:
    """``NAME=PATH`` -> SourceSpec; a ValueError that says what is wrong otherwise."""
    name, sep, path = spec.partition("=")
    name, path = name.strip(), path.strip()
    hint = "expected NAME=PATH, e.g. --dataset practice=data/practice-labels"
    if not sep or not name or not path:
        raise ValueError(f"--dataset {spec!r}: {hint}")
    if not _NAME.match(name):
        raise ValueError(f"--dataset {spec!r}: source name {name!r} may hold only letters, digits, '_', '-' and '.' "
                         f"(it names the report's row and the MLflow metrics); {hint}")
    if name == ALL_SOURCES:
        raise ValueError(f"--dataset {spec!r}: {ALL_SOURCES!r} is the row of every source together; pick another name")
    return SourceSpec(name=name, path=Path(path))


def resolve_sources(data: Path | None, datasets: Sequence[str | SourceSpec]) -> list[SourceSpec]:
    """The sources to evaluate: ``--data`` as source ``main`` (also when nothing is given: the
    default corpus), then every ``--dataset``. Duplicate names are an error."""
    from cardio_intake import config

    specs = [d if isinstance(d, SourceSpec) else parse_dataset_spec(d) for d in datasets]
    if data is not None or not specs:
        specs.insert(0, SourceSpec(name=MAIN_SOURCE, path=data if data is not None else config.CORPUS_DIR))
    seen: set[str] = set()
    for s in specs:
        if s.name in seen:
            raise ValueError(f"source {s.name!r} is given twice (--data is source {MAIN_SOURCE!r})")
        seen.add(s.name)
    return specs


def row_words(path: Path) -> str:
    """What :func:`source_rows` reads for ``path``: 'gold' words of a corpus folder, or a saved 'dataset'."""
    return "gold" if (path / "labels.jsonl").is_file() else "dataset"


def source_rows(path: Path, split: str = "test", limit: int | None = None) -> list[dict[str, Any]]:
    """The split's dataset rows of a corpus folder (gold words) or a saved dataset."""
    from evaluation.runner import DataError

    if row_words(path) == "gold":
        from cardio_intake.corpus.features import packet_to_example
        from cardio_intake.corpus.gold import read_labels

        rows = [packet_to_example(p) for p in read_labels(path) if p.split == split]
    elif (path / "dataset_dict.json").is_file() or (path / split / "dataset_info.json").is_file():
        from datasets import load_from_disk

        dsd = load_from_disk(str(path))
        if split not in dsd:
            raise DataError(f"{path} has no {split!r} split (has {', '.join(dsd)})")
        rows = [dict(r) for r in dsd[split]]
    else:
        raise DataError(f"{path} is neither a corpus (labels.jsonl) nor a saved dataset (dataset_dict.json); "
                        "generate one with `cardio-intake data generate --out DIR` or import labels with "
                        "`cardio-intake label import`")
    if not rows:
        raise DataError(f"{path}: no documents in the {split!r} split")
    return rows[:limit] if limit else rows


def can_predict_rows(predictor: object) -> bool:
    return hasattr(predictor, "predict_row") or (hasattr(predictor, "encode_pages") and hasattr(predictor, "encoder"))


def predict_rows(predictor: Any, rows: Sequence[Mapping[str, Any]]) -> list[Prediction]:
    """The predictor on dataset rows' words: the referral model through training.assess (the path its
    training figures took), the scikit-learn baseline through its ``predict_row``."""
    if hasattr(predictor, "predict_row"):
        return [predictor.predict_row(r) for r in rows]
    from training import assess  # torch: only when a referral model is scored

    raws, _ = assess.raw_outputs(predictor, rows)
    return assess.predictions(predictor, raws, rows)


def _scores(preds: Sequence[Prediction], rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    from cardio_intake.extraction.scoring import score_predictions
    from training.gate import gate_score

    metrics = score_predictions(preds, rows)
    metrics["gate_score"] = gate_score(metrics)
    return metrics


def score_sources(
    predictor: Any,
    rows_by_source: Mapping[str, Sequence[Mapping[str, Any]]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Per source, then ``all``: the figures of ``score_predictions``. Each source's rows are predicted
    once; ``all`` scores the same predictions together. ``progress(n)``: n rows predicted so far."""
    out: dict[str, dict[str, float]] = {}
    every_pred: list[Prediction] = []
    every_row: list[Mapping[str, Any]] = []
    for name, rows in rows_by_source.items():
        preds = predict_rows(predictor, rows)
        out[name] = _scores(preds, rows)
        every_pred += preds
        every_row += rows
        if progress:
            progress(len(every_row))
    out[ALL_SOURCES] = _scores(every_pred, every_row)
    return out
