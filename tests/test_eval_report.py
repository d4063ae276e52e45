"""The QA report: HTML + metrics.json from hand-made gold and scripted predictions, the gates, the
compare view, MLflow logging, and the rendered page in headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from eval_fixtures import ScriptedPredictor, chromium_path, gold_packet, write_corpus
from PIL import Image

from cardio_intake import config
from evaluation.evaluate import evaluate
from evaluation.records import compare_document
from evaluation.report import SECTIONS, load_report, report_dir_name, worst_pages
from evaluation.thresholds import Thresholds, check, load_thresholds


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.fail("chromium is not installed: run `make test-system-deps` (apt-get install chromium)")
    return path


FAMILIES = ["pcp_a", "pcp_b", "hospital_c"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    packets = [gold_packet(f"doc{i:02d}", family=FAMILIES[i % 3], pages=1 + i % 3,
                           fmt="tiff_g4", resolution="fine" if i % 2 else "standard") for i in range(9)]
    packets.append(gold_packet("doc09", family="pcp_a", pages=4, referrals=[[1, 2], [3, 4]]))
    return write_corpus(tmp_path_factory.mktemp("corpus"), packets), packets


MODEL_MISTAKES = {
    "doc01": {"field_overrides": {"member_id": "W000"}, "confidence": 0.55},
    "doc04": {"intents": [("consult", 0.9)], "confidence": 0.7},
    "doc05": {"page_types": ["clinical_note", "referral_order", "referral_order"]},
    "doc07": {"raise": True},
}
CHAMPION_MISTAKES = {"doc02": {"field_overrides": {"payer": "Cigna"}}, "doc04": {}}


@pytest.fixture(scope="module")
def outcome(corpus: tuple[Path, list], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root, packets = corpus
    models = {"m:2": ScriptedPredictor(packets, MODEL_MISTAKES, "m:2"),
              "m:1": ScriptedPredictor(packets, CHAMPION_MISTAKES, "m:1"),
              "base": ScriptedPredictor(packets, {p.doc_id: {"drop_entity": "CPT", "confidence": 0.5}
                                                  for p in packets}, "baseline:1")}
    return evaluate("m:2", root, champion_uri="m:1", baseline_uri="base", out_root=tmp_path_factory.mktemp("reports"),
                    log_mlflow=False, loader=lambda uri: models[uri])


def test_report_files_and_headline(outcome) -> None:  # type: ignore[no-untyped-def]
    assert outcome.html.parent.name == "m-2" and outcome.html.is_file() and outcome.metrics_json.is_file()
    rep = load_report(outcome.metrics_json)
    m = rep.metrics
    assert m.documents == 10 and m.gold_referrals == 11
    # doc01 (member ID), doc04 (intents) and doc07 (failed to load: both referrals... one referral) are critical errors
    assert m.straight_through == pytest.approx(8 / 11)
    assert m.fields["member_id"].exact_match == pytest.approx(9 / 11)
    assert m.page_types.accuracy < 1.0
    assert outcome.failures["model"][0].doc_id == "doc07"
    assert [r.role for r in rep.references] == ["champion", "baseline"]
    assert rep.reference_headlines["baseline"]["entity_micro_f1"] < m.headline["entity_micro_f1"]
    assert {r.group for r in m.breakdowns["layout family"]} == set(FAMILIES)
    assert {r.group for r in m.breakdowns["fax resolution"]} == {"fine", "standard"}
    op = m.automation.operating_point
    assert op is not None and op.error_rate <= 0.01 and op.automated == 8
    assert not rep.passed and any(c.metric == "straight_through" and not c.passed for c in rep.checks)


def test_compare_lists_triage_changes(outcome) -> None:  # type: ignore[no-untyped-def]
    changed = {c.doc_id: c for c in outcome.report.changes}
    assert outcome.report.compared_with.version == "m:1"
    assert set(changed) == {"doc01", "doc02", "doc04", "doc05", "doc07"}
    assert any("intents" in x for x in changed["doc04"].changes)
    assert changed["doc02"].verdict == "better" and changed["doc01"].verdict == "worse"


def test_html_is_self_contained_with_every_section(outcome) -> None:  # type: ignore[no-untyped-def]
    html = outcome.html.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "<script" not in html and "<link" not in html
    assert html.count("data:image/png;base64,") >= 8  # 7 plots and gallery thumbnails
    assert "doc01" in html and "W000" in html  # the gallery shows the member ID diff
    assert "intents: gold consult, echo_tte, predicted consult" in html  # ... and doc04's missed intent


def test_worst_pages_rank_errors() -> None:
    g = gold_packet("x", pages=2)
    from eval_fixtures import prediction_for

    rec = compare_document(g, prediction_for(g, drop_entity="CPT", page_types=["other", "referral_order"]))
    ranked = worst_pages([rec], n=5)
    assert [(p, s) for _, p, s in ranked] == [(1, 3), (2, 1)]
    clean = compare_document(g, prediction_for(g))
    assert worst_pages([clean]) == []


def test_gates(tmp_path: Path) -> None:
    th = Thresholds.model_validate({"gates": {"a": {"min": 0.5}, "b": {"max": 0.1}, "c": {"min": 0.0}}})
    res = {c.metric: c.passed for c in check({"a": 0.5, "b": 0.2}, th)}
    assert res == {"a": True, "b": False, "c": False}  # c is missing: a gate never passes silently
    assert load_thresholds().gates["intent_micro_f1"].min == 0.97
    bad = tmp_path / "t.yaml"
    bad.write_text("gates: {x: {}}\n")
    with pytest.raises(ValueError, match="min or max"):
        load_thresholds(bad)


def test_report_dir_name() -> None:
    assert report_dir_name("cardio-intake-referral:7") == "cardio-intake-referral-7"
    assert report_dir_name("local:/tmp/x y") == "local-tmp-x-y"


def test_logged_to_mlflow_and_read_back(outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    from evaluation.mlflow_io import download_metrics, latest_evaluated_run, log_evaluation

    monkeypatch.setattr(config, "MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", config.MLFLOW_TRACKING_URI)
    mlflow.set_tracking_uri(config.MLFLOW_TRACKING_URI)
    exp = mlflow.create_experiment("eval-test", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=exp) as run:
        pass
    rep = outcome.report
    log_evaluation(run.info.run_id, outcome.html, outcome.metrics_json, rep.metrics.headline, rep.passed)
    assert latest_evaluated_run("eval-test") == run.info.run_id
    back = load_report(download_metrics(run.info.run_id, tmp_path / "dl"))
    assert back.metrics.headline == rep.metrics.headline
    logged = mlflow.get_run(run.info.run_id).data
    assert logged.metrics["eval_straight_through"] == pytest.approx(rep.metrics.straight_through)
    assert logged.tags["evaluation.passed"] == "false"


def test_report_renders_in_headless_chromium(outcome, chromium: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = outcome.html.resolve().as_uri()
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, *flags, "--window-size=1280,2000", f"--screenshot={shot}", url],
                   check=True, timeout=120, capture_output=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (2000, 1280)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # not blank: text, tables and the header band
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], check=True, timeout=120, capture_output=True,
                         text=True).stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert "Operating point at" in dom and "FAIL" in dom
    json.loads(outcome.metrics_json.read_text())  # and the JSON beside it parses
    assert os.path.getsize(outcome.html) < 5_000_000
