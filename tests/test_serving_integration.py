"""Serving, integration tier: the production path end to end, in real processes.

A tiny model is trained and registered as champion in a throw-away MLflow registry; `cardio-intake
serving import-model` copies it into a throw-away BentoML model store; `bentoml serve` starts the
intake service (model service, OCR pool, gateway) on a free loopback port and loads the model from
the store as a bento would. Generated faxes and bad files are posted, keys are checked, the server
is stopped by its PID, and the audit trail and logs are checked for PHI and keys.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import serving_support as S

from cardio_intake import config
from cardio_intake.corpus.gold import GoldPacket, read_labels
from cardio_intake.schemas import Prediction
from serving import audit
from serving.auth import KeyStore
from serving.schemas import TriageResult

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass
class Registry:
    root: Path
    tracking_uri: str
    corpus: Path
    packets: list[GoldPacket]


@pytest.fixture(scope="session")
def tiny_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The tiny model trained once and registered as champion in a registry of its own."""
    from cardio_intake.corpus.generate import generate_corpus
    from training.config import load_config
    from training.train import run

    root = tmp_path_factory.mktemp("serving_registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setattr(config, "MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)  # MLflow's default artifact root lands here
        corpus = generate_corpus(root / "corpus", n=8, seed=3, progress=False)
        trained = run(load_config(config.PROJECT_ROOT / "training" / "configs" / "tiny.yaml",
                                  [f"data.corpus_dir={corpus}", f"train.output_dir={root / 'runs'}"]))
        assert trained["version"] is not None
    yield Registry(root, uri, corpus, read_labels(corpus))


@pytest.fixture(scope="module")
def server(tiny_registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[S.ServerProcess, dict[str, str], Path]]:
    tmp = tmp_path_factory.mktemp("serve")
    env = {
        "MLFLOW_TRACKING_URI": tiny_registry.tracking_uri,
        "BENTOML_HOME": str(tmp / "bentoml"),
        "CARDIO_API_KEYS_FILE": str(tmp / "keys.json"),
        "CARDIO_AUDIT_FILE": str(tmp / "audit.jsonl"),
        "CARDIO_OCR_WORKERS": "2",
    }
    imported = subprocess.run(
        [sys.executable, "-m", "cardio_intake.cli", "serving", "import-model"],
        cwd=tiny_registry.root, env={**_base_env(), **env}, capture_output=True, text=True, timeout=300,
    )
    assert imported.returncode == 0, imported.stderr
    assert "imported cardio-intake-referral:" in imported.stdout
    store = KeyStore(tmp / "keys.json")
    keys = {
        "all": store.create("upstream", ["extract", "triage"])[1],
        "triage": store.create("triage-only", ["triage"])[1],
        "metrics": store.create("prometheus", ["metrics"])[1],
        "revoked": store.create("old", ["admin"])[1],
    }
    store.revoke("old")
    proc = S.ServerProcess(env, tmp / "server.log")
    proc.start()
    try:
        yield proc, keys, tmp
    finally:
        proc.stop()


def _base_env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(S.REPO), str(S.TESTS_DIR)])}


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_served_end_to_end(server: tuple[S.ServerProcess, dict[str, str], Path], tiny_registry: Registry) -> None:
    proc, keys, tmp = server
    url = proc.url
    sent: list[str] = []

    def post(path: str, key: str | None, **kw):  # type: ignore[no-untyped-def]
        sent.append(path)
        return httpx.post(url + path, headers=_h(keys[key]) if key else {}, timeout=180, **kw)

    # probes are open; everything else needs a valid key with the right scope
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.get(url + "/readyz").status_code == 200
    assert post("/extract", None, files={"file": ("a.tif", b"x")}).status_code == 401
    assert post("/extract", "revoked", files={"file": ("a.tif", b"x")}).status_code == 401
    assert post("/extract", "triage", files={"file": ("a.tif", b"x")}).status_code == 403

    # generated faxes (the corpus's own files) through /triage: the trained model, the rules
    packets = sorted(tiny_registry.packets, key=lambda p: len(p.pages))[:2]
    for packet in packets:
        data = (tiny_registry.corpus / packet.file).read_bytes()
        r = post("/triage", "all", files={"file": (Path(packet.file).name, data)}, data={"practice_id": "default"})
        assert r.status_code == 200, r.text
        result = TriageResult.model_validate(r.json())
        assert result.model_version == "cardio-intake-referral:1"  # the registry version, via the bento model
        assert result.document == Path(packet.file).name and len(result.pages) == len(packet.pages)
        assert len(result.triage) == len(result.referrals) >= 1
    r = post("/extract", "all", files={"file": ("fax.tif", S.render_fax("tiff"))})
    assert r.status_code == 200 and Prediction.model_validate(r.json()).pages[0].page == 1

    # bad files: typed 4xx, never a 5xx, and the server keeps serving
    for name, (data, code) in S.BAD_FILES.items():
        r = post("/extract", "all", files={"file": (name, data)})
        assert 400 <= r.status_code < 500 and r.json()["error"] == code, (name, r.text)

    sent.append("/model")
    info = httpx.get(url + "/model", headers=_h(keys["triage"]), timeout=30).json()
    assert info["model_version"] == "cardio-intake-referral:1" and info["thresholds"]["intents"]
    sent.append("/metrics")
    metrics = httpx.get(url + "/metrics", headers=_h(keys["metrics"]), timeout=30)
    assert metrics.status_code == 200 and "bentoml_service_request" in metrics.text

    rc = proc.stop()
    assert rc is not None and proc.proc is not None and proc.proc.poll() is not None

    records = audit.read_records(tmp / "audit.jsonl")
    assert sorted(r.endpoint for r in records) == sorted(sent)
    assert {r.outcome for r in records} >= {"ok", "unauthorized", "forbidden", "client_error"}
    triaged = [r for r in records if r.endpoint == "/triage" and r.status == 200]
    assert len(triaged) == 2 and all(r.document_id and r.queues and r.key_name == "upstream" for r in triaged)

    # PHI and keys appear in neither the audit trail nor the server's logs
    logs = proc.log_path.read_text(errors="replace") + (tmp / "audit.jsonl").read_text()
    assert '"event":"request"' in logs  # the structured request lines are there
    phi = {"W238849102", "Maria Gonzalez"}
    for packet in packets:
        for ref in packet.referrals:
            f = ref.fields
            phi |= {v for v in (f.patient_name, f.member_id, f.mrn) if v}
            if f.patient_dob:
                phi.add(f.patient_dob.strftime("%m/%d/%Y"))
    leaks = sorted(s for s in phi | set(keys.values()) if s in logs)
    assert not leaks, f"found in logs: {len(leaks)} values"
