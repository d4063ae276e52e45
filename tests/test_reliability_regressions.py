"""Regression tests for bugs the reliability work (issue 9) found: API fuzzing, hostile inputs, load and
the loader fuzzer. Each test names how the bug was found; all run in-process and fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from store_fixtures import T0, FakePredictor, FakeRules

from cardio_intake.ingest.errors import UnsupportedFormat
from cardio_intake.store import db
from cardio_intake.store.clock import FixedClock
from cardio_intake.store.intake import intake
from serving.request_context import Principal


def test_resending_a_rejected_file_fails_again_instead_of_hanging_in_processing(
    session: Session, clock: FixedClock, documents_dir: Path
) -> None:
    """Found by schemathesis on POST /intake: the second upload of an unreadable file answered 202 with
    the document stuck in ``processing`` (and a third one waited 60 s for it). The retry's failure was
    written to a stale in-memory row that already said ``failed``, so nothing reached the database."""
    predictor, rules = FakePredictor(), FakeRules()
    predictor.fail_with = UnsupportedFormat("not a PDF, TIFF, PNG or JPEG")
    for attempt in (1, 2, 3):
        doc, created = intake(session, b"<html>", "x.pdf", None, predictor, rules,
                              documents_dir=documents_dir, clock=clock, wait_s=0.5)
        assert created is (attempt == 1)
        assert (doc.status, doc.attempts) == ("failed", attempt)
        assert doc.error is not None and doc.error.startswith("unsupported_format:")
    assert predictor.calls == 3  # every resend was tried again (a failure is not cached), none waited


@pytest.fixture
def workflow_client(tmp_path: Path) -> Iterator[TestClient]:
    """The workflow API alone (fake model and rules, SQLite), auth overridden as in test_workflow_api."""
    from serving.workflow_app import WORKFLOW_AUTH, WorkflowRuntime, create_app

    engine = db.make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    db.upgrade(engine)
    runtime = WorkflowRuntime(factory=db.session_factory(engine), predictor_fn=FakePredictor(), triage_fn=FakeRules(),
                              documents_dir=tmp_path / "documents", clock=FixedClock(T0), publish_metrics=False)
    app = create_app(runtime, upkeep=False)
    app.dependency_overrides[WORKFLOW_AUTH] = lambda: Principal("k0", "tester", frozenset({"workflow"}))
    with TestClient(app) as client:
        yield client
    engine.dispose()


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/authorizations/{big}/status", {"status": "submitted"}),
    ("GET", "/referrals/{big}", None),
    ("POST", "/referrals/{big}/review", None),
    ("POST", "/orders/{big}/status", {"status": "completed"}),
    ("POST", "/orders/{big}/documentation", {"received": ["office_note_within_60_days"]}),
    ("POST", "/appointments/check", {"order_id": "{big}", "date": "2026-11-20"}),
    ("POST", "/appointments", {"order_id": "{big}", "date": "2026-11-20"}),
    ("GET", "/worklists/prior_auth?page={big}", None),
])
def test_ids_beyond_the_database_integer_are_a_422_not_a_500(
    workflow_client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """Found by schemathesis: an id past 2**63 (e.g. /authorizations/1688919359944754135564288/status)
    overflowed in the SQLite driver and answered 500."""
    big = 1688919359944754135564288
    if body is not None:
        body = {k: (big if v == "{big}" else v) for k, v in body.items()}
    r = workflow_client.request(method, path.format(big=big), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "unprocessable"
    # The largest id the columns hold is still an ordinary lookup (404: no such row), not an error.
    top = 2**31 - 1
    if body is not None and "order_id" in body:
        body["order_id"] = top
    r = workflow_client.request(method, path.format(big=top), json=body)
    assert r.status_code in (200, 404), r.text


def test_openapi_error_responses_are_what_the_gateway_answers() -> None:
    """Found by schemathesis (response_schema_conformance, status_code_conformance): the merged spec
    kept FastAPI's ``HTTPValidationError`` (detail: a list) for the workflow routes' 422, which answer
    ``{error, detail: str}``, and did not document the 400 of a body that cannot be parsed."""
    from serving.openapi import augment_spec
    from serving.service import IntakeService

    service: Any = IntakeService
    spec = augment_spec(service.openapi_spec.asdict())
    operations = [(path, m, op) for path, item in spec["paths"].items() for m, op in item.items() if isinstance(op, dict)]
    assert any(path == "/intake" for path, _, _ in operations)  # the workflow routes are in the spec
    for path, method, op in operations:
        for code, response in op.get("responses", {}).items():
            assert "HTTPValidationError" not in str(response), (method, path, code)
            if str(code).startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                for alternative in schema.get("anyOf", [schema]):
                    name = alternative["$ref"].rsplit("/", 1)[-1]
                    component = spec["components"]["schemas"][name]
                    assert {"error", "detail"} <= set(component["properties"]), (method, path, code, name)
        if "requestBody" in op:
            assert "400" in {str(c) for c in op["responses"]}, (method, path)


def _guarded_client() -> tuple[TestClient, list[bytes]]:
    """UploadGuard in front of an app that records the body it received and answers 200."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from serving.upload_guard import UploadGuard

    seen: list[bytes] = []

    async def endpoint(request: Request) -> JSONResponse:
        seen.append(await request.body())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/extract", endpoint, methods=["POST"]), Route("/intake", endpoint, methods=["POST"])])
    return TestClient(UploadGuard(app)), seen  # type: ignore[arg-type]


@pytest.mark.parametrize(("case", "error"), [
    ("wrong_boundary", "invalid_multipart"),
    ("filename_250_bytes", "invalid_upload"),
    ("file_as_url_text", "invalid_upload"),
    ("two_files", "invalid_upload"),
])
def test_upload_guard_turns_bentoml_500s_into_400s(case: str, error: str) -> None:
    """Found by the hostile HTTP tests: BentoML answered 500 for a broken multipart body and for a file
    name over 255 bytes, and read a ``file`` form field sent as text as a URL to download."""
    client, seen = _guarded_client()
    if case == "wrong_boundary":
        r = client.post("/extract", content=b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
                        headers={"Content-Type": "multipart/form-data; boundary=yyy"})
    elif case == "filename_250_bytes":
        r = client.post("/extract", files={"file": ("a" * 246 + ".pdf", b"%PDF-1.4", "application/pdf")})
    elif case == "file_as_url_text":
        r = client.post("/extract", data={"file": "http://example.com/fax.pdf"}, files={"other": ("x", b"x")})
    else:
        r = client.post("/extract", files=[("file", ("a.pdf", b"%PDF-1.4")), ("file", ("b.pdf", b"%PDF-1.4"))])
    assert r.status_code == 400 and r.json()["error"] == error and r.json()["detail"]
    assert seen == []  # never reached BentoML's parser


def test_upload_guard_passes_good_uploads_and_other_routes_through_unchanged() -> None:
    client, seen = _guarded_client()
    with client:  # runs the lifespan through the guard too
        r = client.post("/extract", files={"file": ("fax.pdf", b"%PDF-1.4 fax", "application/pdf")}, data={"x": "1"})
        assert r.status_code == 200 and b"%PDF-1.4 fax" in seen[-1] and b'name="x"' in seen[-1]
        r = client.post("/intake", data={"file": "text is /intake's own business"})  # not a BentoML file route
        assert r.status_code == 200 and len(seen) == 2
        r = client.post("/extract", json={"file": "x"})  # not multipart: BentoML answers these itself
        assert r.status_code == 200 and len(seen) == 3


def test_cli_error_is_the_only_line_on_stderr_when_libtiff_complains(tmp_path: Path) -> None:
    """Found by the hostile-input tests: a bit-flipped fax made libtiff print
    ``TIFFFetchStripThing: IO error during reading of "StripOffsets"`` on stderr before our error line."""
    import sys

    from cardio_intake.testing.hostile import hostile_cases
    from cardio_intake.testing.hostile_run import run_cli_case

    (case,) = [c for c in hostile_cases(include_large=False) if c.name == "tiff_bitflip_1"]
    cli = str(Path(sys.executable).with_name("cardio-intake"))
    outcome = run_cli_case(case, tmp_path, cli=cli, timeout_s=120, memory_mb=1024)
    assert outcome.ok, outcome.problem
    assert (outcome.status, outcome.code) == (1, "corrupt_document")



def test_the_gateway_keeps_the_blockers_of_a_409_not_schedulable(workflow_client: TestClient) -> None:
    """Found by schemathesis once the store held orders: through the gateway, POST /appointments answered
    409 ``{error, detail}`` without the ``blockers`` the spec documents (NotSchedulableBody) and the
    scheduler needs: the gateway's error normalization rebuilt every error body from two fields."""
    from serving.gateway import normalize_error

    r = workflow_client.post("/intake", files={"file": ("fax.pdf", b"%PDF-1.4 fax", "application/pdf")})
    assert r.status_code == 201, r.text
    order = next(o for o in r.json()["referrals"][0]["orders"] if o["readiness"]["blockers"])
    r = workflow_client.post("/appointments", json={"order_id": order["id"], "date": "2026-11-20"})
    assert r.status_code == 409 and r.json()["blockers"]
    assert normalize_error(409, r.content, r.headers["content-type"]) == r.json()


def test_a_dropped_connection_to_the_model_service_is_tried_again() -> None:
    """Found by bench/load.py (300 intakes, 4 clients): 6 requests answered 503 processing_failed
    because the internal client lost its connection to the model service (ServerDisconnectedError)."""
    import asyncio
    from types import SimpleNamespace

    import aiohttp

    from serving.schemas import ExtractOutcome
    from serving.service import IntakeService

    calls: list[int] = []

    async def extract(data: bytes, name: str) -> ExtractOutcome:
        calls.append(1)
        if len(calls) < 3:
            raise aiohttp.ServerDisconnectedError()
        return ExtractOutcome(status=200, pages=1)

    fake = SimpleNamespace(model=SimpleNamespace(to_async=SimpleNamespace(extract=extract)))
    service: Any = IntakeService
    outcome = asyncio.run(service.inner._model_extract(fake, b"%PDF", "a.pdf"))
    assert outcome.pages == 1 and len(calls) == 3
    calls.clear()

    async def always_down(data: bytes, name: str) -> ExtractOutcome:
        calls.append(1)
        raise aiohttp.ServerDisconnectedError()

    fake.model.to_async.extract = always_down
    with pytest.raises(aiohttp.ServerDisconnectedError):  # a model service that stays away is not hidden
        asyncio.run(service.inner._model_extract(fake, b"%PDF", "a.pdf"))
    assert len(calls) == 3


def test_peak_memory_is_the_commands_not_the_big_parents() -> None:
    """Linux carries a forking parent's RSS high-water mark into the child's ru_maxrss: a command run
    from a test process that had grown to 3 GB 'peaked' at 3 GB. The peak must be the command's own."""
    import sys

    from cardio_intake.testing.limited import run_limited

    ballast = bytearray(600 * 1024 * 1024)  # the parent grows well past what the child uses
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page so it is resident
    run = run_limited([sys.executable, "-c", "import time; x = bytearray(100 * 1024 * 1024); x[::4096] = b'y' * len(x[::4096]); time.sleep(0.5)"],
                      timeout_s=60, memory_mb=1024)
    assert run.returncode == 0
    assert 100 <= run.max_rss_mb < 400
    del ballast
