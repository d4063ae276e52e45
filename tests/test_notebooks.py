"""Both notebooks run top to bottom (nbclient, the venv's ipykernel) on tiny data, and are committed
without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from eval_fixtures import ScriptedPredictor, gold_packet, write_corpus
from nbclient import NotebookClient

from cardio_intake import config

NOTEBOOKS = config.PROJECT_ROOT / "notebooks"


def _run(name: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, cwd: Path) -> tuple[str, int]:
    """Execute a notebook in a fresh kernel with ``env`` set; returns all its text output and the
    number of PNG images it displayed."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    texts = []
    images = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            images += "image/png" in out.get("data", {})
            texts.append(out.get("text", ""))
            texts.append(str(out.get("data", {}).get("text/plain", "")))
            texts.append(str(out.get("data", {}).get("text/html", "")))
    return "\n".join(texts), images


@pytest.mark.parametrize("name", ["01-corpus-tour.ipynb", "02-error-analysis.ipynb"])
def test_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_corpus_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cardio_intake.corpus.generate import generate_corpus

    corpus = tmp_path / "corpus"
    generate_corpus(corpus, n=3, seed=5)
    out, images = _run("01-corpus-tour.ipynb", {"CARDIO_NB_CORPUS": str(corpus)}, monkeypatch, tmp_path)
    assert "3 packets in" in out
    assert images >= 2  # every page of the chosen packet, and one page as received
    assert "referral_order" in out


def test_error_analysis_runs_on_an_mlflow_evaluation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    from evaluation.evaluate import evaluate
    from evaluation.mlflow_io import log_evaluation

    packets = [gold_packet(f"d{i}", family=["clinic_x", "clinic_y"][i % 2], pages=1 + i % 2) for i in range(6)]
    corpus = write_corpus(tmp_path / "corpus", packets)
    model = ScriptedPredictor(packets, {"d1": {"field_overrides": {"payer": "Humana"}},
                                        "d3": {"field_overrides": {"payer": "Humana", "mrn": "1"}}}, "nb:1")
    outcome = evaluate("nb:1", corpus, champion_uri=None, baseline_uri=None, out_root=tmp_path / "reports",
                       log_mlflow=False, loader=lambda uri: model)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setattr(config, "MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("nb", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=exp) as run:
        pass
    log_evaluation(run.info.run_id, outcome.html, outcome.metrics_json, outcome.report.metrics.headline, False)
    out, _ = _run("02-error-analysis.ipynb", {"MLFLOW_TRACKING_URI": uri, "CARDIO_NB_RUN_ID": ""}, monkeypatch, tmp_path)
    assert "nb:1 on" in out and "FAIL" in out
    assert "worst field: payer" in out
    assert "clinic_y" in out and "Humana" in out
