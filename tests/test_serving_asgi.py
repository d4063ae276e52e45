"""Serving, ASGI tier: the intake service's real ASGI app (``IntakeService.to_asgi()``: BentoML routes,
the gateway, the mounted /model app, the model service in-process with its OCR process pool and the
real rules) driven by Starlette's TestClient. The model is the keyword test double
(``CARDIO_PREDICTOR_FACTORY``); everything else is what production runs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import serving_support as S
from starlette.testclient import TestClient

from cardio_intake.labels import QUEUES
from cardio_intake.schemas import Prediction, TriageDecision
from serving import audit
from serving.auth import KeyStore
from serving.schemas import PREDICTION_EXAMPLE, TriageResult

MAX_BYTES = 400_000


@dataclass
class Api:
    client: TestClient
    keys: dict[str, str]
    audit_file: Path
    requests: list[str]

    def post(self, path: str, key: str | None = "all", **kw):  # type: ignore[no-untyped-def]
        self.requests.append(path)
        headers = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
        return self.client.post(path, headers=headers, **kw)

    def get(self, path: str, key: str | None = "all"):  # type: ignore[no-untyped-def]
        if path not in ("/healthz", "/readyz", "/livez"):
            self.requests.append(path)
        headers = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
        return self.client.get(path, headers=headers)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from serving.settings import get_settings

    tmp = tmp_path_factory.mktemp("asgi")
    store = KeyStore(tmp / "keys.json")
    keys = {
        "all": store.create("upstream", ["extract", "triage"])[1],
        "triage": store.create("triage-only", ["triage"])[1],
        "metrics": store.create("prometheus", ["metrics"])[1],
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CARDIO_API_KEYS_FILE", str(tmp / "keys.json"))
        mp.setenv("CARDIO_AUDIT_FILE", str(tmp / "audit.jsonl"))
        mp.setenv("CARDIO_PREDICTOR_FACTORY", "serving_support:make_predictor")
        mp.setenv("CARDIO_MAX_REQUEST_BYTES", str(MAX_BYTES))
        mp.setenv("CARDIO_OCR_WORKERS", "2")
        get_settings.cache_clear()
        audit.set_sink(None)
        from serving.service import IntakeService

        with TestClient(IntakeService.to_asgi()) as client:
            yield Api(client, keys, tmp / "audit.jsonl", [])
        get_settings.cache_clear()
        audit.set_sink(None)


def test_probes_are_open_and_everything_else_needs_a_key(api: Api) -> None:
    assert api.get("/healthz", key=None).status_code == 200
    assert api.get("/readyz", key=None).status_code == 200
    for path in ("/extract", "/triage", "/triage_extracted"):
        r = api.post(path, key=None, files={"file": ("a.tif", b"x")})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    for path in ("/model", "/metrics", "/docs.json"):
        assert api.get(path, key=None).status_code == 401
    r = api.client.post("/triage", headers={"Authorization": "Bearer cik_0123456789ab_" + "A" * 43})
    api.requests.append("/triage")
    assert r.status_code == 401 and r.json()["detail"] == "invalid or revoked API key"


def test_scopes_are_enforced(api: Api) -> None:
    r = api.post("/extract", key="triage", files={"file": ("a.tif", S.render_fax("tiff"))})
    assert r.status_code == 403 and "'extract' scope" in r.json()["detail"]
    assert api.get("/metrics", key="all").status_code == 403
    # Past the gateway with the metrics scope (the Prometheus registry itself only exists under
    # `bentoml serve`; the integration tier reads real metrics).
    assert api.get("/metrics", key="metrics").status_code not in (401, 403)


def test_extract_reads_the_fax_and_returns_the_contract_prediction(api: Api) -> None:
    data = S.render_fax("tiff")
    r = api.post("/extract", files={"file": ("fax-0001.tif", data, "image/tiff")})
    assert r.status_code == 200, r.text
    pred = Prediction.model_validate(r.json())
    assert pred.document == "fax-0001.tif"
    assert pred.document_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert pred.model_version == "keyword-test-double:1"
    # The words the OCR pool read reached the model: the double's intent and member id come from them.
    assert [i.label for i in pred.referrals[0].intents] == ["echo_tte"]
    assert pred.referrals[0].fields.member_id == "W238849102"


def test_triage_decides_per_referral_with_the_shipped_policies(api: Api) -> None:
    r = api.post("/triage", files={"file": ("scan.png", S.render_fax("png"))},
                 data={"practice_id": "default", "date": "2026-11-03"})
    assert r.status_code == 200, r.text
    result = TriageResult.model_validate(r.json())
    assert result.as_of.isoformat() == "2026-11-03" and result.practice_id == "default"
    assert result.policy_version.startswith("sha256:")
    assert len(result.triage) == len(result.referrals) == 1
    decision = TriageDecision.model_validate(result.triage[0].model_dump())
    assert decision.route.queue in QUEUES
    assert [o.service for o in decision.orders] == ["echo_tte"]


def test_unknown_practice_is_a_422_before_any_ocr(api: Api) -> None:
    r = api.post("/triage", files={"file": ("a.tif", b"not even a file")}, data={"practice_id": "nowhere"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_practice"
    assert "nowhere" in r.json()["detail"]


@pytest.mark.parametrize("name", sorted(S.BAD_FILES))
def test_unreadable_files_give_typed_4xx(api: Api, name: str) -> None:
    data, code = S.BAD_FILES[name]
    r = api.post("/extract", files={"file": (name, data)})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"] == code and isinstance(r.json()["detail"], str)


def test_request_size_limit(api: Api) -> None:
    r = api.post("/extract", files={"file": ("big.tif", b"\0" * (MAX_BYTES + 1))})
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"


def test_triage_extracted_takes_a_prediction_and_validates_it(api: Api) -> None:
    r = api.post("/triage_extracted", json={"prediction": PREDICTION_EXAMPLE, "date": "2026-11-03"})
    assert r.status_code == 200, r.text
    result = TriageResult.model_validate(r.json())
    assert result.referrals[0].fields.member_id == "W238849102" and len(result.triage) == 1
    broken = {**PREDICTION_EXAMPLE, "referrals": [{**PREDICTION_EXAMPLE["referrals"][0], "pages": "Gonzalez"}]}
    r = api.post("/triage_extracted", json={"prediction": broken})
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert "referrals" in r.json()["detail"] and "Gonzalez" not in r.text  # no input echoed back


def test_model_endpoint(api: Api) -> None:
    r = api.get("/model", key="triage")  # any valid key
    assert r.status_code == 200
    info = r.json()
    assert info["model_version"] == "keyword-test-double:1"
    assert "echo_tte" in info["labels"]["intents"] and "prior_auth" in info["labels"]["queues"]
    assert info["thresholds"]["fields"]["member_id"] == 0.8
    assert info["policy_version"].startswith("sha256:") and "payers.yaml" in info["policy_files"]
    assert info["adaptive_batching"] is True and info["ocr_workers"] == 2


def test_openapi_spec_documents_keys_and_errors(api: Api) -> None:
    r = api.get("/docs.json")
    assert r.status_code == 200
    spec = r.json()
    assert {"/extract", "/triage", "/triage_extracted", "/model"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    triage = spec["paths"]["/triage"]["post"]
    assert triage["security"] == [{"apiKey": []}] and {"401", "403", "413", "415", "422"} <= set(triage["responses"])
    assert spec["paths"]["/healthz"]["get"]["security"] == []


def test_every_request_is_audited_without_phi_or_keys(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Runs last in this module: every request above left exactly one audit record."""
    with caplog.at_level("INFO", logger="cardio_intake.serving"):
        r = api.post("/triage", files={"file": ("gonzalez-maria.tif", S.render_fax("tiff"))})
    assert r.status_code == 200
    records = audit.read_records(api.audit_file)
    assert [rec.endpoint for rec in records] == api.requests
    last = records[-1]
    assert last.key_name == "upstream" and last.status == 200 and last.outcome == "ok"
    assert last.document_id == r.json()["document_id"] and last.queues == [r.json()["triage"][0]["route"]["queue"]]
    assert last.pages == 1
    text = api.audit_file.read_text() + caplog.text
    for phi in ("Gonzalez", "gonzalez", "W238849102", "1952", *api.keys.values()):
        assert phi not in text
    assert '"document_id":"sha256:' in caplog.text  # the structured request log line
