"""`cardio-intake evaluate`: the model, the current champion and the scikit-learn baseline on the
same test documents; report.html + metrics.json under evaluation/reports/<model-version>/, logged to
the model's MLflow run.

Several named sources (``--data`` is ``main``, ``--dataset NAME=PATH`` the others): the report's
end-to-end figures (files -> loader -> model) cover every source whose packet files are at hand, and
its "Results per source" scores each source's test rows as training does (evaluation.sources)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cardio_intake import config
from cardio_intake.corpus.gold import GoldPacket
from evaluation.aggregate import aggregate
from evaluation.compare import triage_changes
from evaluation.records import DocRecord
from evaluation.report import EvaluationReport, ModelInfo, gallery_items, report_dir_name, write_report
from evaluation.runner import DataError, Failure, Predictor, load_gold, run_models
from evaluation.sources import (
    ALL_SOURCES,
    SourceScores,
    SourceSpec,
    can_predict_rows,
    resolve_sources,
    row_words,
    score_sources,
    source_rows,
)
from evaluation.thresholds import THRESHOLDS_YAML, check, load_thresholds

log = logging.getLogger(__name__)

CHAMPION_URI = f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}"


def default_baseline_uri() -> str | None:
    """The newest registered version of the scikit-learn baseline (training.baseline registers it
    without an alias), or None when none is registered."""
    try:
        from training.baseline import REGISTERED_BASELINE_NAME
    except ImportError:
        return None
    from evaluation.mlflow_io import latest_version

    version = latest_version(REGISTERED_BASELINE_NAME)
    return f"models:/{REGISTERED_BASELINE_NAME}/{version}" if version else None


@dataclass
class Outcome:
    report: EvaluationReport
    html: Path
    metrics_json: Path
    logged_to_run: str | None
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    skipped_references: dict[str, str] = field(default_factory=dict)


def _load(uri: str) -> Predictor:
    """The referral model (``load_predictor``) or, when the URI holds the scikit-learn baseline (a
    pyfunc wrapping ``training.baseline_model``), the baseline's predictor with the same surface."""
    from cardio_intake.model.predictor import load_predictor  # heavy (torch): only when evaluating

    try:
        return load_predictor(uri)
    except FileNotFoundError:  # downloaded, but no referral model inside: maybe the baseline
        from evaluation.mlflow_io import local_model_path, version_label
        from training.baseline_model import MODEL_FILE, load_baseline

        root = local_model_path(uri)
        found = sorted(root.rglob(MODEL_FILE))
        if not found:
            raise
        return load_baseline(found[0].parent, model_version=version_label(uri))


def _end_to_end_gold(
    sources: Sequence[SourceSpec], split: str, limit: int | None
) -> tuple[list[tuple[str, Path, list[GoldPacket]]], dict[str, str]]:
    """The sources whose packet files are at hand (corpus, packets), and why each other one is not."""
    chosen: list[tuple[str, Path, list[GoldPacket]]] = []
    notes: dict[str, str] = {}
    for s in sources:
        try:
            corpus, packets = load_gold(s.path, split, limit)
        except DataError:
            if (s.path / "labels.jsonl").is_file():
                raise  # a corpus that cannot be read is an error, not a rows-only source
            # a dataset with no corpus behind it (imported labels): rows only
            notes[s.name] = "scored on its dataset rows only: no corpus with its packet files (imported labels have none)"
            continue
        missing = [p.file for p in packets if not (corpus / p.file).is_file()]
        if missing:
            notes[s.name] = (f"scored on its dataset rows only: {len(missing)} of {len(packets)} packet files "
                             f"missing under {corpus} (e.g. {missing[0]})")
            continue
        chosen.append((s.name, corpus, packets))
    return chosen, notes


def _per_source(
    model: Predictor, sources: Sequence[SourceSpec], rows: dict[str, list[dict[str, object]]],
    end_to_end: set[str], notes: dict[str, str], progress: Callable[[int], None],
) -> tuple[list[SourceScores], str]:
    """"Results per source" (evaluation.sources), and why it is empty when the model cannot score rows."""
    if not can_predict_rows(model):
        return [], (f"{model.model_version} cannot predict dataset rows (no predict_row or encode_pages): "
                    "no per-source figures")
    scored = score_sources(model, rows, progress)
    out = [SourceScores(source=s.name, path=str(s.path), documents=len(rows[s.name]), end_to_end=s.name in end_to_end,
                        note=notes.get(s.name, ""), words=row_words(s.path), metrics=scored[s.name]) for s in sources]
    out.append(SourceScores(source=ALL_SOURCES, documents=sum(len(r) for r in rows.values()),
                            end_to_end=all(s.name in end_to_end for s in sources), metrics=scored[ALL_SOURCES]))
    return out, ""


def evaluate(
    model_uri: str,
    data: Path | None,
    compare_uri: str | None = None,
    champion_uri: str | None = CHAMPION_URI,
    baseline_uri: str | None = "auto",
    split: str = "test",
    limit: int | None = None,
    out_root: Path = config.REPORTS_DIR,
    thresholds_path: Path = THRESHOLDS_YAML,
    log_mlflow: bool = True,
    gallery_size: int = 8,
    loader: Callable[[str], Predictor] = _load,
    progress: Callable[[int, int], None] | None = None,
    datasets: Sequence[str | SourceSpec] = (),
) -> Outcome:
    """``data`` is source ``main`` (the default corpus when neither it nor ``datasets`` is given);
    ``datasets``: more sources, ``NAME=PATH`` or SourceSpec. Gates judge the end-to-end figures."""
    thresholds = load_thresholds(thresholds_path)
    sources = resolve_sources(data, datasets)
    rows = {s.name: source_rows(s.path, split, limit) for s in sources}
    e2e, notes = _end_to_end_gold(sources, split, limit)
    if not e2e:
        why = "; ".join(f"{name}: {note}" for name, note in notes.items())
        raise DataError(f"no source has its packet files, and the report's end-to-end figures need them ({why}); "
                        "add the corpus, e.g. --data data/corpus")
    model = loader(model_uri)

    # the references: champion and baseline (skipped, with the reason, when they do not exist or are
    # the model itself), and --compare
    refs: list[tuple[str, str, Predictor]] = []
    skipped: dict[str, str] = {}
    wanted = [("champion", champion_uri), ("baseline", default_baseline_uri() if baseline_uri == "auto" else baseline_uri)]
    if compare_uri:
        wanted.append(("compare", compare_uri))
    for role, uri in wanted:
        if not uri:
            skipped[role] = "not configured"
            continue
        try:
            pred = loader(uri)
        except Exception as exc:
            skipped[role] = f"{type(exc).__name__}: {exc}"
            log.warning("%s %s not evaluated: %s", role, uri, exc)
            continue
        if pred.model_version == model.model_version and role != "compare":
            skipped[role] = "is the evaluated model"
            continue
        refs.append((role, uri, pred))

    predictors = [model, *(p for _, _, p in refs)]
    n_rows = sum(len(r) for r in rows.values()) if can_predict_rows(model) else 0
    total, done = sum(len(p) for _, _, p in e2e) + n_rows, 0

    def advance_to(n: int) -> None:  # one bar over every source's files, then the per-source rows
        nonlocal done
        done = n
        if progress:
            progress(done, total)

    def offset(start: int) -> Callable[..., None]:  # a phase's own count -> the bar's
        def to(n: int, _phase_total: int = 0) -> None:
            advance_to(start + n)
        return to

    records: list[list[DocRecord]] = [[] for _ in predictors]
    failures: list[list[Failure]] = [[] for _ in predictors]
    for name, corpus, packets in e2e:
        recs, fails = run_models(predictors, corpus, packets, offset(done))
        for i, (r, f) in enumerate(zip(recs, fails, strict=True)):
            records[i] += [d.model_copy(update={"mix_source": name}) for d in r]
            failures[i] += f
    per_source, sources_note = _per_source(model, sources, rows, {n for n, _, _ in e2e}, notes, offset(done))
    metrics = aggregate(records[0], max_error=thresholds.max_error_for_automation)
    checks = check(metrics.headline, thresholds)
    from evaluation.mlflow_io import run_id_for

    run_id = run_id_for(model_uri, model)
    infos = [ModelInfo(role=role, uri=uri, version=p.model_version, run_id=None) for role, uri, p in refs]
    ref_head = {
        role: aggregate(recs, max_error=thresholds.max_error_for_automation).headline
        for (role, _, _), recs in zip(refs, records[1:], strict=True)
    }
    compared = next((k for k, (role, _, _) in enumerate(refs) if role == "compare"), None)
    if compared is None:
        compared = next((k for k, (role, _, _) in enumerate(refs) if role == "champion"), None)
    report = EvaluationReport(
        data=str(sources[0].path) if len(sources) == 1 else ", ".join(f"{s.name}={s.path}" for s in sources),
        split=split,
        model=ModelInfo(role="model", uri=model_uri, version=model.model_version, run_id=run_id),
        metrics=metrics,
        references=[i for i in infos if i.role != "compare"],
        reference_headlines={k: v for k, v in ref_head.items() if k != "compare"},
        thresholds=thresholds, checks=checks, passed=all(c.passed for c in checks),
        compared_with=infos[compared] if compared is not None else None,
        changes=triage_changes(records[0], records[1 + compared]) if compared is not None else [],
        records=records[0], sources=per_source, sources_note=sources_note,
    )
    golds = {p.doc_id: p for _, _, packets in e2e for p in packets}
    corpora = {p.doc_id: corpus for _, corpus, packets in e2e for p in packets}
    gallery = gallery_items(records[0], golds, corpora, n=gallery_size)
    html, js = write_report(report, out_root / report_dir_name(model.model_version), gallery)
    logged = None
    if log_mlflow and run_id:
        from evaluation.mlflow_io import log_evaluation

        log_evaluation(run_id, html, js, metrics.headline, report.passed,
                       {s.source: {"documents": float(s.documents), **s.metrics} for s in per_source})
        logged = run_id
    names = ["model", *(role for role, _, _ in refs)]
    return Outcome(report, html, js, logged, {n: f for n, f in zip(names, failures, strict=True) if f}, skipped)
