"""Issue 10's evaluation per source: `cardio-intake evaluate` over the synthetic corpus ("main", with
text-layer PDF files, so it is also evaluated end to end) and a saved dataset of labels without files
(like `label import` writes), with a tiny untrained model. Each source's row must equal training's
scoring of that source alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from model_fixtures import write_synthetic_corpus
from typer.testing import CliRunner

from cardio_intake import config
from cardio_intake.cli import app
from cardio_intake.corpus.gold import GoldPacket, read_labels
from evaluation.report import load_report
from evaluation.sources import MAIN_SOURCE, TABLE_METRICS, parse_dataset_spec, resolve_sources

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"


def write_text_pdfs(corpus: Path, packets: list[GoldPacket]) -> None:
    """Each packet's file as a text-layer PDF (its gold words at their places): the loader reads the
    words without OCR, so the end-to-end path stays fast."""
    from reportlab.pdfgen import canvas as rl_canvas

    for packet in packets:
        path = corpus / packet.file
        path.parent.mkdir(parents=True, exist_ok=True)
        first = packet.pages[0]
        scale = 72.0 / first.dpi
        pdf = rl_canvas.Canvas(str(path), pagesize=(first.width * scale, first.height * scale), invariant=1)
        for page in packet.pages:
            for w in page.words:
                x0, y0, _, y1 = w.box_px
                pdf.setFont("Helvetica", max(4.0, (y1 - y0) * scale * 0.8))
                pdf.drawString(x0 * scale, (page.height - y1) * scale, w.text)
            pdf.showPage()
        pdf.save()


@pytest.fixture(scope="module")
def tiny_predictor() -> Any:
    """The tiny config's random encoder, uncalibrated: a real referral model surface in a second."""
    from cardio_intake.extraction.calibration import Calibration
    from cardio_intake.model.artifacts import LoadedModel
    from cardio_intake.model.predictor import Predictor
    from training.config import load_config
    from training.loop import seed_everything
    from training.train import build

    seed_everything(7)
    model, tokenizer = build(load_config(CONFIGS / "tiny.yaml"))
    model.eval()
    return Predictor(LoadedModel(model, tokenizer, model.spec, Calibration()), "tiny:1")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """main: a synthetic corpus with files; practice: a saved dataset of 3 other test documents, no files."""
    from cardio_intake.corpus.features import packet_to_example
    from cardio_intake.labelstudio.dataset import save_rows

    root = tmp_path_factory.mktemp("sources")
    main = write_synthetic_corpus(root / "corpus", n=12, seed=0)
    test_packets = [p for p in read_labels(main) if p.split == "test"]
    write_text_pdfs(main, test_packets)
    other = write_synthetic_corpus(root / "other", n=12, seed=5)
    practice_rows = [{**packet_to_example(p), "doc_id": f"ls-{k}", "split": "test"}
                     for k, p in enumerate(read_labels(other)) if k in (0, 3, 7)]
    practice = root / "imports" / "practice-labels"
    save_rows(practice_rows, practice)  # what `label import` writes
    return {"main": main, "main_rows": [packet_to_example(p) for p in test_packets],
            "practice": practice, "practice_rows": practice_rows, "root": root}


@pytest.fixture(scope="module")
def outcome(sources: dict[str, Any], tiny_predictor: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from evaluation.evaluate import evaluate

    return evaluate("tiny", sources["main"], datasets=[f"practice={sources['practice']}"], champion_uri=None,
                    baseline_uri=None, out_root=tmp_path_factory.mktemp("reports"), log_mlflow=False,
                    loader=lambda uri: tiny_predictor)


def test_each_source_row_equals_scoring_that_source_alone(outcome: Any, sources: dict[str, Any],
                                                          tiny_predictor: Any) -> None:
    from training import assess

    rows = {s.source: s for s in outcome.report.sources}
    assert list(rows) == ["main", "practice", "all"]
    assert [rows[k].documents for k in rows] == [2, 3, 5]
    alone = {"main": assess.score(tiny_predictor, sources["main_rows"]),
             "practice": assess.score(tiny_predictor, sources["practice_rows"]),
             "all": assess.score(tiny_predictor, sources["main_rows"] + sources["practice_rows"])}
    for name, expected in alone.items():
        for key in (*TABLE_METRICS, "referrals", "page_type_accuracy", "gate_score"):
            assert rows[name].metrics[key] == pytest.approx(expected[key]), (name, key)
    # the sources are told apart: their figures differ somewhere (a mixed-up row would show)
    assert any(rows["main"].metrics[k] != rows["practice"].metrics[k] for k in ("referrals", *TABLE_METRICS))


def test_end_to_end_figures_cover_the_sources_with_files(outcome: Any) -> None:
    rep = outcome.report
    by = {s.source: s for s in rep.sources}
    assert by["main"].end_to_end and not by["practice"].end_to_end
    # a corpus folder's rows are its gold words, a saved dataset's its own: the report says which
    assert (by["main"].words, by["practice"].words, by["all"].words) == ("gold", "dataset", "")
    assert "rows only" in by["practice"].note
    assert rep.metrics.documents == 2 and {d.mix_source for d in rep.records} == {"main"}
    assert rep.checks and all(c.metric in rep.metrics.headline for c in rep.checks)  # gates on the overall figures


def test_report_and_metrics_json_carry_the_per_source_rows(outcome: Any) -> None:
    back = load_report(outcome.metrics_json)
    assert back.sources == outcome.report.sources
    raw = json.loads(outcome.metrics_json.read_text())
    assert [s["source"] for s in raw["sources"]] == ["main", "practice", "all"]
    html = outcome.html.read_text(encoding="utf-8")
    section = html[html.index('<section id="sources">'):html.index('<section id="intents">')]
    assert "Results per source" in section
    assert section.count("gold (not OCR)") == 1 and "<td class=\"l\">dataset</td>" in section
    for s in outcome.report.sources:
        cells = f'<td class="l">{s.source}</td><td>{s.documents}</td>'
        assert cells in section
        assert f"{s.metrics['entity_f1']:.3f}" in section and f"{100 * s.metrics['field_em/mean']:.1f}%" in section


def test_dataset_specs() -> None:
    from training.data import MAIN_SOURCE as TRAINING_MAIN

    assert MAIN_SOURCE == TRAINING_MAIN  # the report's source names are training's
    assert parse_dataset_spec("practice=data/x").path == Path("data/x")
    assert [s.name for s in resolve_sources(Path("c"), ["practice=p"])] == ["main", "practice"]
    assert [s.name for s in resolve_sources(None, ["practice=p"])] == ["practice"]
    assert [(s.name, s.path) for s in resolve_sources(None, [])] == [("main", config.CORPUS_DIR)]  # today's default
    for bad, message in [("practice", "expected NAME=PATH"), ("=p", "expected NAME=PATH"), ("x=", "expected NAME=PATH"),
                         ("a b=p", "letters, digits"), ("all=p", "every source together")]:
        with pytest.raises(ValueError, match=message):
            parse_dataset_spec(bad)
    with pytest.raises(ValueError, match="given twice"):
        resolve_sources(Path("c"), ["main=d"])


def test_bad_dataset_spec_is_a_clear_cli_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["evaluate", "--dataset", "practice", "--no-mlflow"])
    assert res.exit_code == 2 and "expected NAME=PATH" in res.output
    res = CliRunner().invoke(app, ["evaluate", "--dataset", f"practice={tmp_path / 'nope'}", "--no-mlflow"])
    assert res.exit_code == 2 and "source 'practice'" in res.output and "does not exist" in res.output


def test_rows_only_sources_alone_are_a_clear_error(sources: dict[str, Any], tiny_predictor: Any, tmp_path: Path) -> None:
    from evaluation.evaluate import evaluate
    from evaluation.runner import DataError

    with pytest.raises(DataError, match="no source has its packet files"):
        evaluate("tiny", None, datasets=[f"practice={sources['practice']}"], champion_uri=None, baseline_uri=None,
                 out_root=tmp_path, log_mlflow=False, loader=lambda uri: tiny_predictor)
