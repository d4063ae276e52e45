"""Serving, unit tier: keys, scopes, the gateway (auth, size, timeout, error shape, audit), the OpenAPI
additions, PHI-safe logging, encoder batching and the keys CLI. No model, no OCR, no server."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
import time
from pathlib import Path

import pytest
from serving_support import FakePage, KeywordPredictor
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cardio_intake.document import Document, Page, Word
from serving import audit
from serving.auth import KeyStore, KeyStoreError, bearer_token, scope_for_path
from serving.gateway import GatewayMiddleware, normalize_error
from serving.logs import install_phi_guard
from serving.ocr_pool import STATUS_FOR_CODE, document_id, failure
from serving.openapi import augment_spec
from serving.predictor import predict_many, version_label
from serving.request_context import Principal, annotate
from serving.settings import ServingSettings

# --- keys --------------------------------------------------------------------------------------


def test_key_is_stored_hashed_with_salt_and_private_mode(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    rec1, key1 = store.create("fax-east", ["triage"])
    rec2, _ = store.create("fax-west", ["triage"])
    text = (tmp_path / "keys.json").read_text()
    secret1 = key1.split("_", 2)[2]
    assert key1.startswith(f"cik_{rec1.key_id}_") and secret1 not in text and key1 not in text
    assert rec1.salt != rec2.salt and rec1.hash != rec2.hash
    assert hashlib.sha256(secret1.encode()).hexdigest() not in text  # not an unsalted hash either
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600


def test_authenticate_right_wrong_malformed_and_revoked(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store = KeyStore(path)
    rec, key = store.create("ehr", ["extract", "triage"])
    principal = store.authenticate(key)
    assert principal == Principal(rec.key_id, "ehr", frozenset({"extract", "triage"}))
    assert store.authenticate(key) == principal  # cached path gives the same answer
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert store.authenticate(wrong) is None
    assert store.authenticate("cik_000000000000_" + "x" * 43) is None  # unknown key id
    for junk in ("", "Bearer", key + " extra", "cik_" + rec.key_id, "x" * 80):
        assert store.authenticate(junk) is None
    # Revoked through ANOTHER store object (the CLI in another process): the running one notices.
    KeyStore(path).revoke("ehr")
    assert store.authenticate(key) is None


def test_key_names_and_scopes_are_validated(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    store.create("a", ["triage"])
    with pytest.raises(KeyStoreError, match="active key named 'a'"):
        store.create("a", ["triage"])
    with pytest.raises(KeyStoreError, match="unknown scope"):
        store.create("b", ["everything"])
    with pytest.raises(KeyStoreError, match="key name"):
        store.create("bad name!", ["triage"])
    with pytest.raises(KeyStoreError, match="no active key"):
        store.revoke("nobody")
    store.revoke("a")
    _, key = store.create("a", ["triage"])  # the name is free again once revoked
    assert store.authenticate(key) is not None


def test_scopes_per_path_and_admin() -> None:
    assert scope_for_path("/extract") == "extract"
    assert scope_for_path("/triage") == "triage"
    assert scope_for_path("/triage_extracted") == "triage"
    assert scope_for_path("/referrals/17") == "workflow"
    assert scope_for_path("/worklists/prior_auth") == "workflow"
    assert scope_for_path("/metrics") == "metrics"
    assert scope_for_path("/model") is None
    assert scope_for_path("/triagex") is None  # prefixes match whole path segments only
    admin = Principal("k", "ops", frozenset({"admin"}))
    triage_only = Principal("k", "fax", frozenset({"triage"}))
    assert admin.allows("metrics") and triage_only.allows("triage") and not triage_only.allows("extract")
    assert triage_only.allows(None)


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_keys_cli_prints_key_once_and_revokes(tmp_path: Path) -> None:
    from cardio_intake.cli import app

    runner = CliRunner()
    keys = tmp_path / "keys.json"
    created = runner.invoke(app, ["keys", "create", "--name", "fax1", "--scopes", "triage,extract", "--keys-file", str(keys)])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert KeyStore(keys).authenticate(key) is not None
    listed = runner.invoke(app, ["keys", "list", "--json", "--keys-file", str(keys)])
    row = json.loads(listed.stdout.strip())
    assert row["name"] == "fax1" and row["scopes"] == ["extract", "triage"]
    assert key not in listed.stdout and "hash" not in row and "salt" not in row
    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--scopes", "root", "--keys-file", str(keys)])
    assert bad.exit_code == 2 and "unknown scope" in bad.stderr
    revoked = runner.invoke(app, ["keys", "revoke", "fax1", "--keys-file", str(keys)])
    assert revoked.exit_code == 0 and KeyStore(keys).authenticate(key) is None


# --- gateway around a tiny app ------------------------------------------------------------------


async def _echo(request: Request) -> JSONResponse:
    body = await request.body()
    annotate(document_id="sha256:abc", queues=["prior_auth"])
    return JSONResponse({"bytes": len(body)})


async def _slow(request: Request) -> JSONResponse:
    import anyio

    await anyio.sleep(5)
    return JSONResponse({})


async def _bentoml_style_error(request: Request) -> JSONResponse:
    return JSONResponse([{"error": "Bad things"}], status_code=400)


async def _plain_404(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Not Found", status_code=404)


@pytest.fixture
def gateway(tmp_path: Path) -> tuple[TestClient, dict[str, str], Path]:
    store = KeyStore(tmp_path / "keys.json")
    keys = {s: store.create(f"k-{s}", [s])[1] for s in ("triage", "extract")}
    audit_file = tmp_path / "audit.jsonl"
    settings = ServingSettings(keys_file=tmp_path / "keys.json", audit_file=audit_file, max_request_bytes=1000,
                               request_timeout_s=0.3)
    inner = Starlette(routes=[
        Route("/triage", _echo, methods=["POST"]),
        Route("/extract", _slow, methods=["POST"]),
        Route("/triage_extracted", _bentoml_style_error, methods=["POST"]),
        Route("/healthz", lambda r: PlainTextResponse("ok")),
        Route("/triage/missing", _plain_404),
    ])
    audit.set_sink(audit.JsonlAuditSink(audit_file))
    client = TestClient(GatewayMiddleware(inner, store=store, settings=settings))
    yield client, keys, audit_file
    audit.set_sink(None)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_gateway_auth_scope_size_timeout_and_error_shape(gateway: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, audit_file = gateway
    assert client.get("/healthz").status_code == 200  # probes are open
    r = client.post("/triage", content=b"x")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/triage", content=b"x", headers=_auth("cik_nope")).status_code == 401
    r = client.post("/triage", content=b"x", headers=_auth(keys["extract"]))
    assert r.status_code == 403 and "'triage' scope" in r.json()["detail"]
    r = client.post("/triage", content=b"x" * 10, headers=_auth(keys["triage"]))
    assert r.status_code == 200 and r.json() == {"bytes": 10}
    r = client.post("/triage", content=b"x" * 1001, headers=_auth(keys["triage"]))
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(5):
            yield b"y" * 400

    r = client.post("/triage", content=chunks(), headers=_auth(keys["triage"]))
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"
    t0 = time.perf_counter()
    r = client.post("/extract", content=b"", headers=_auth(keys["extract"]))
    assert r.status_code == 504 and r.json()["error"] == "timeout" and time.perf_counter() - t0 < 3
    r = client.post("/triage_extracted", json={}, headers=_auth(keys["triage"]))
    assert r.status_code == 400 and set(r.json()) == {"error", "detail"} and r.json()["detail"] == "Bad things"
    r = client.get("/triage/missing", headers=_auth(keys["triage"]))
    assert r.status_code == 404 and r.json() == {"error": "not_found", "detail": "Not Found"}

    records = audit.read_records(audit_file)
    assert [r.status for r in records] == [401, 401, 403, 200, 413, 413, 504, 400, 404]  # not the probe
    ok = records[3]
    assert ok.key_name == "k-triage" and ok.document_id == "sha256:abc" and ok.queues == ["prior_auth"]
    assert ok.outcome == "ok" and ok.bytes_in == 10 and ok.endpoint == "/triage"
    assert records[0].key_id is None and records[0].outcome == "unauthorized"
    assert records[6].outcome == "timeout"
    assert all(k not in audit_file.read_text() for k in keys.values())


@pytest.mark.parametrize(
    ("status", "body", "ctype", "expected"),
    [
        (400, b'{"error":"1 validation error for Input","detail":[{"loc":["date"],"msg":"Input should be a valid date"}]}',
         "application/json", {"error": "bad_request", "detail": "1 validation error for Input: date: Input should be a valid date"}),
        (422, b'{"error":"corrupt_document","detail":"damaged xref"}', "application/json",
         {"error": "corrupt_document", "detail": "damaged xref"}),
        (404, b'{"detail":"referral 9 not found"}', "application/json", {"error": "not_found", "detail": "referral 9 not found"}),
        (500, b'{"error":"An unexpected error has occurred"}', "application/json",
         {"error": "internal_error", "detail": "An unexpected error has occurred"}),
        (405, b"Method Not Allowed", "text/plain", {"error": "method_not_allowed", "detail": "Method Not Allowed"}),
    ],
)
def test_error_bodies_are_normalized(status: int, body: bytes, ctype: str, expected: dict[str, str]) -> None:
    assert normalize_error(status, body, ctype) == expected


def test_openapi_spec_gets_key_scheme_and_error_responses() -> None:
    spec = {"paths": {"/healthz": {"get": {"responses": {}}}, "/extract": {"post": {"responses": {"200": {}}}},
                      "/model": {"get": {"responses": {}}}}}
    out = augment_spec(spec)
    assert out["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert out["paths"]["/healthz"]["get"]["security"] == []
    extract = out["paths"]["/extract"]["post"]
    assert extract["security"] == [{"apiKey": []}] and "`extract` scope" in extract["description"]
    assert {"401", "403", "413", "415", "422", "504"} <= set(extract["responses"])
    assert extract["responses"]["415"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody"
    assert "415" not in out["paths"]["/model"]["get"]["responses"]
    assert spec["paths"]["/extract"]["post"]["responses"] == {"200": {}}  # input untouched


# --- PHI-safe logs, audit, loader errors, names --------------------------------------------------


def test_phi_guard_drops_exception_messages_but_keeps_frames(caplog: pytest.LogCaptureFixture) -> None:
    install_phi_guard()
    log = logging.getLogger("bentoml.test")

    def handler() -> None:
        raise ValueError("patient Maria Gonzalez DOB 03/14/1952")

    with caplog.at_level(logging.ERROR, logger="bentoml.test"):
        try:
            handler()
        except ValueError as exc:
            log.exception("Exception on /triage [POST]")
            log.error("failed: %s", exc)
    text = caplog.text
    assert "Gonzalez" not in text and "1952" not in text
    assert "in handler" in text and "builtins.ValueError" in text and "<ValueError>" in text


def test_audit_sink_appends_lines(tmp_path: Path) -> None:
    sink = audit.JsonlAuditSink(tmp_path / "a" / "audit.jsonl")
    for status in (200, 422):
        sink.write(audit.AuditRecord(time=audit.now(), request_id="r", method="POST", endpoint="/triage", status=status,
                                     outcome=audit.outcome_for(status), duration_ms=1.0))
    records = audit.read_records(tmp_path / "a" / "audit.jsonl")
    assert [r.outcome for r in records] == ["ok", "client_error"]
    assert audit.outcome_for(413) == "too_large" and audit.outcome_for(503) == "server_error"


def test_loader_errors_map_to_4xx() -> None:
    from cardio_intake.ingest.errors import ALL_ERRORS

    for err in ALL_ERRORS:
        f = failure(err.code, "why")
        assert 400 <= f.status < 500 and f.error.error == err.code and f.error.detail == "why"
    assert failure("unsupported_format", "x").status == 415 and STATUS_FOR_CODE["file_too_large"] == 413
    assert document_id(b"abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()


def test_original_upload_name_survives_bentoml_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BentoML stores uploads under a temp name; the service recovers the client's file name."""
    import io

    import bentoml._internal.context as bentoml_context
    from _bentoml_sdk.validators import FileSchema
    from starlette.datastructures import UploadFile

    from serving.service import original_name

    monkeypatch.setattr(bentoml_context, "request_temp_dir", lambda: str(tmp_path))  # outside a request
    path = FileSchema().decode(UploadFile(io.BytesIO(b"data"), filename="packet-0001.tif"))
    assert path.read_bytes() == b"data" and path.parent == tmp_path and path.name != "packet-0001.tif"
    assert original_name(path) == "packet-0001.tif"


def test_version_label_from_registry_source() -> None:
    assert version_label("models:/cardio-intake-referral/7") == "cardio-intake-referral:7"
    assert version_label("/some/path") is None


# --- encoder batching ----------------------------------------------------------------------------


def _doc(words: list[list[str]]) -> Document:
    pages = [
        Page(number=i + 1, width=100, height=100, dpi=200,
             words=[Word(text=w, box_px=(0, 0, 1, 1), box_1000=(0, 0, 10, 10), ocr_confidence=1.0) for w in ws])
        for i, ws in enumerate(words)
    ]
    return Document(pages=pages)


def test_predict_many_runs_one_encoder_call_for_all_documents() -> None:
    predictor = KeywordPredictor()
    docs = [_doc([["echo", "W238849102"]]), _doc([["mri"], ["notes"]]), _doc([["nothing"]])]
    preds = predict_many(predictor, docs, ["a.tif", "b.tif", "c.tif"], ["sha256:1", "sha256:2", "sha256:3"])
    assert predictor.batch_sizes == [4]  # 1 + 2 + 1 pages, one call
    assert [p.document for p in preds] == ["a.tif", "b.tif", "c.tif"]
    assert [p.document_id for p in preds] == ["sha256:1", "sha256:2", "sha256:3"]
    assert [[i.label for i in p.referrals[0].intents] for p in preds] == [["echo_tte"], ["cardiac_mri"], []]
    assert [len(p.pages) for p in preds] == [1, 2, 1]
    assert preds[0].referrals[0].fields.member_id == "W238849102"


def test_predict_many_falls_back_to_one_call_per_document() -> None:
    class DocumentOnly:
        model_version = "x"

        def __init__(self) -> None:
            self.inner = KeywordPredictor()
            self.calls = 0

        def predict_document(self, doc: Document, name: str, document_id: str):  # type: ignore[no-untyped-def]
            self.calls += 1
            return self.inner.predict_document(doc, name, document_id)

    p = DocumentOnly()
    preds = predict_many(p, [_doc([["echo"]]), _doc([["mri"]])], ["a", "b"], ["sha256:1", "sha256:2"])  # type: ignore[arg-type]
    assert p.calls == 2 and [q.document for q in preds] == ["a", "b"]
    assert isinstance(FakePage(["x"]).words, list)


def test_bentofile_builds_offline_and_packs_only_what_serving_needs() -> None:
    import tomllib

    import yaml

    from cardio_intake import config

    bento = yaml.safe_load((config.PROJECT_ROOT / "bentofile.yaml").read_text())
    module, _, attr = bento["service"].partition(":")
    import importlib

    assert hasattr(importlib.import_module(module), attr)
    assert bento["python"]["lock_packages"] is False
    assert {"tests/", "notebooks/", "data/"} <= set(bento["exclude"])
    assert "cardio_intake/policies/*.yaml" in bento["include"]
    # the bento pins the same torch and mlflow as the project
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for pin in ("torch==", "mlflow=="):
        assert [p for p in project if p.startswith(pin)] == [p for p in bento["python"]["packages"] if p.startswith(pin)]
