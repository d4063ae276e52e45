"""The QA report: one self-contained HTML file (jinja2, plots inlined as base64 PNG, no external
links, readable offline) plus metrics.json, written to evaluation/reports/<model-version>/."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from cardio_intake.corpus.gold import GoldPacket
from evaluation import plots
from evaluation.aggregate import Metrics
from evaluation.compare import TriageChange
from evaluation.records import DocRecord, EntityRef, FieldResult
from evaluation.sources import SourceScores
from evaluation.thresholds import Check, Thresholds

TEMPLATE_DIR = Path(__file__).with_name("templates")
#: The report's sections, in order; their ids are what tests and QA bookmarks rely on.
#: Headline figures where lower is better (deltas are coloured accordingly).
LOWER_BETTER = frozenset({"intent_ece", "field_ece", "review_flag_error_rate", "page_ms_p95"})
SECTIONS = ("summary", "sources", "intents", "page-types", "entities", "fields", "calibration", "automation",
            "breakdowns", "gallery", "latency", "changes")


class ModelInfo(BaseModel):
    role: str = Field(description="model, champion, baseline or compare")
    uri: str
    version: str
    run_id: str | None = None


class EvaluationReport(BaseModel):
    """Everything metrics.json holds: the figures, the gates, and the per-document records."""

    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    data: str
    split: str
    model: ModelInfo
    metrics: Metrics
    references: list[ModelInfo] = Field(default_factory=list)
    reference_headlines: dict[str, dict[str, float]] = Field(default_factory=dict, description="by role")
    thresholds: Thresholds
    checks: list[Check]
    passed: bool
    compared_with: ModelInfo | None = None
    changes: list[TriageChange] = Field(default_factory=list)
    records: list[DocRecord]
    sources: list[SourceScores] = Field(
        default_factory=list, description="Results per source: each --data/--dataset source's test rows, then 'all'")
    sources_note: str = Field(default="", description="why the per-source figures are missing, when they are")


class GalleryItem(BaseModel):
    doc_id: str
    page: int
    family: str
    format: str
    resolution: str
    score: float
    gold_type: str
    pred_type: str | None
    image_b64: str | None
    field_diffs: list[FieldResult]
    intent_diffs: list[tuple[list[str], list[str]]] = Field(default_factory=list, description="(gold, predicted)")
    missed: list[EntityRef]
    spurious: list[EntityRef]


def report_dir_name(model_version: str) -> str:
    """A file-system-safe folder name for a model version ("cardio-intake-referral:7" -> "cardio-intake-referral-7")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model_version).strip("-") or "unversioned"


def worst_pages(records: Sequence[DocRecord], n: int = 8) -> list[tuple[DocRecord, int, float]]:
    """The pages with the most errors: each missed or spurious entity counts 1, a wrong page type 3,
    and a critical error in the referral the page belongs to 2. Pages without error are never shown."""
    scored: list[tuple[float, str, int, DocRecord]] = []
    for d in records:
        for p in d.pages:
            crit = any(r.critical_error and p.page in r.gold_pages for r in d.referrals)
            s = p.entity_fn + p.entity_fp + 3 * (p.pred_type != p.gold_type) + 2 * crit
            if s > 0:
                scored.append((s, d.doc_id, p.page, d))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [(d, page, s) for s, _, page, d in scored[:n]]


def gallery_items(records: Sequence[DocRecord], golds: Mapping[str, GoldPacket],
                  corpus_dir: Path | Mapping[str, Path] | None, n: int = 8) -> list[GalleryItem]:
    """Thumbnails of the worst pages with gold (green) and predicted (red) entity boxes, and the diffs.
    ``corpus_dir``: one corpus, or each document's (doc_id -> corpus) when several sources have files."""
    from evaluation.pages import GOLD_COLOUR, PRED_COLOUR, draw_boxes, page_image, png_base64, upright

    items = []
    for d, page, score in worst_pages(records, n):
        pr = next(p for p in d.pages if p.page == page)
        image = None
        gold = golds.get(d.doc_id)
        root = corpus_dir.get(d.doc_id) if isinstance(corpus_dir, Mapping) else corpus_dir
        if root is not None and gold is not None and (root / gold.file).exists():
            img = upright(page_image(root / gold.file, page - 1), gold.pages[page - 1])
            draw_boxes(img, [e.bbox for e in d.gold_entities if e.page == page], GOLD_COLOUR, pad=2)
            draw_boxes(img, [e.bbox for e in d.pred_entities if e.page == page], PRED_COLOUR)
            image = png_base64(img)
        refs = [r for r in d.referrals if page in r.gold_pages or page in r.pred_pages]
        items.append(GalleryItem(
            doc_id=d.doc_id, page=page, family=d.family, format=d.format, resolution=d.resolution,
            score=score, gold_type=pr.gold_type, pred_type=pr.pred_type, image_b64=image,
            field_diffs=[f for r in refs for f in r.fields if not f.correct],
            intent_diffs=[(r.gold_intents, r.pred_intents) for r in refs if r.gold_intents != r.pred_intents],
            missed=[e for e in d.gold_entities if e.page == page and not e.matched],
            spurious=[e for e in d.pred_entities if e.page == page and not e.matched],
        ))
    return items


def _figures(report: EvaluationReport) -> dict[str, str]:
    met = report.metrics
    per_page = [d.seconds / max(d.n_pages, 1) * 1000 for d in report.records for _ in range(d.n_pages)]
    fam = met.breakdowns.get("layout family", [])
    return {
        "reliability_intents": plots.reliability(met.calibration_intents, "Intents"),
        "reliability_fields": plots.reliability(met.calibration_fields, "Fields"),
        "automation": plots.automation(met.automation),
        "page_types": plots.heatmap(met.page_types.matrix, met.page_types.labels, met.page_types.columns,
                                    "Page types"),
        "intents": plots.heatmap(met.intents.cooccurrence, met.intents.cooccurrence_rows,
                                 met.intents.cooccurrence_cols, "Intent co-occurrence (gold x predicted)"),
        "latency": plots.latency_hist(per_page),
        "families": plots.group_bars([r.group for r in fam], [r.straight_through for r in fam],
                                     "Straight-through by layout family"),
    }


def render_html(report: EvaluationReport, gallery: Sequence[GalleryItem] = ()) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html", "j2"]))
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    env.filters["num"] = lambda v, d=3: "–" if v is None else f"{v:.{d}f}"
    env.filters["val"] = lambda v: "∅" if v is None else (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
    return env.get_template("report.html.j2").render(
        r=report, m=report.metrics, fig=_figures(report), gallery=list(gallery), sections=SECTIONS,
        lower_better=LOWER_BETTER,
    )


def write_report(report: EvaluationReport, out_dir: Path, gallery: Sequence[GalleryItem] = ()) -> tuple[Path, Path]:
    """Write report.html and metrics.json into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "metrics.json"
    json_path.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    html_path.write_text(render_html(report, gallery), encoding="utf-8")
    return html_path, json_path


def load_report(path: Path) -> EvaluationReport:
    """Read a metrics.json back (the notebook and --compare use it)."""
    return EvaluationReport.model_validate_json(path.read_text(encoding="utf-8"))
