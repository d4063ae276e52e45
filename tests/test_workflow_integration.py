"""The workflow API inside the real BentoML intake service (`bentoml serve`, loopback, stopped by PID):
intake through the model service, idempotent replay, a 4xx for a bad file, keys, the monitor's
gauges on /metrics and the routes in the merged OpenAPI spec. The model is the serving tests'
keyword double (CARDIO_PREDICTOR_FACTORY), so no trained model is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving_support import ServerProcess, render_fax

from serving.auth import KeyStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    import os
    import subprocess
    import sys

    d = tmp_path_factory.mktemp("workflow_server")
    bentoml_home = d / "bentoml"
    # The service declares a BentoML model; with a predictor factory it is never read, but it must exist.
    subprocess.run(
        [sys.executable, "-c", "import bentoml\nfrom serving.predictor import BENTO_MODEL_NAME\n"
         "with bentoml.models.create(BENTO_MODEL_NAME) as m: open(m.path_of('placeholder'), 'w').write('x')"],
        env={**os.environ, "BENTOML_HOME": str(bentoml_home)}, check=True, capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    _, key = KeyStore(d / "keys.json").create("backoffice", ["workflow", "metrics"])
    env = {
        "BENTOML_HOME": str(bentoml_home),
        "CARDIO_PREDICTOR_FACTORY": "serving_support:make_predictor",
        "CARDIO_API_KEYS_FILE": str(d / "keys.json"),
        "CARDIO_AUDIT_FILE": str(d / "audit.jsonl"),
        "CARDIO_DATA_DIR": str(d / "data"),
        "DATABASE_URL": f"sqlite:///{d / 'workflow.db'}",
        "CARDIO_OCR_WORKERS": "1",
    }
    with ServerProcess(env, d / "server.log") as srv:
        yield srv, key


def test_workflow_api_in_the_bentoml_service(server: tuple[ServerProcess, str]) -> None:
    srv, key = server
    auth = {"Authorization": f"Bearer {key}"}
    fax = render_fax("png")
    with httpx.Client(base_url=srv.url, headers=auth, timeout=120) as c:
        r = c.post("/intake", files={"file": ("referral.png", fax, "image/png")})
        assert r.status_code == 201, srv.log_tail()
        body = r.json()
        assert body["document"]["status"] == "done" and body["document"]["pages"] == 1
        (referral,) = body["referrals"]
        r = c.post("/intake", files={"file": ("again.png", fax, "image/png")})
        assert r.status_code == 200 and r.json()["referrals"][0]["id"] == referral["id"]
        r = c.post("/intake", files={"file": ("x.pdf", b"MZ\x90\x00 not a fax", "application/pdf")})
        assert r.status_code == 415 and r.json()["error"] == "unsupported_format"
        assert c.get(f"/referrals/{referral['id']}").json()["queue"] == referral["queue"]
        assert c.get("/monitor").status_code == 200
        metrics = c.get("/metrics").text
        assert f'cardio_intake_workflow_queue_open{{queue="{referral["queue"]}"}} 1.0' in metrics
        assert 'cardio_intake_workflow_documents{status="failed"} 1.0' in metrics
        paths = set(c.get("/docs.json").json()["paths"])
        assert {"/intake", "/authorizations/{authorization_id}/status", "/appointments/check", "/monitor"} <= paths
    assert httpx.get(f"{srv.url}/worklists/prior_auth").status_code == 401
