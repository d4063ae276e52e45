"""The workflow API (serving/workflow_app.py) with FastAPI's TestClient: fake model and rules, a fixed
clock, SQLite; auth overridden for the behaviour tests, real keys (through the gateway) for access and audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_fixtures import T0, FakePredictor, FakeRules, referral_prediction

from cardio_intake.store import db
from cardio_intake.store.clock import FixedClock
from serving import audit
from serving.auth import KeyStore
from serving.request_context import Principal
from serving.workflow_app import WORKFLOW_AUTH, WorkflowRuntime, create_app

FAX = b"%PDF-1.4 fake fax bytes"


@pytest.fixture
def runtime(tmp_path: Path) -> WorkflowRuntime:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    db.upgrade(engine)
    predictor = FakePredictor()
    predictor.by_bytes[FAX] = [referral_prediction(intents=("consult", "echo_tte"))]
    return WorkflowRuntime(
        factory=db.session_factory(engine),
        predictor_fn=predictor,
        triage_fn=FakeRules(),
        documents_dir=tmp_path / "documents",
        clock=FixedClock(T0),
        publish_metrics=False,
    )


@pytest.fixture
def client(runtime: WorkflowRuntime) -> Iterator[TestClient]:
    app = create_app(runtime, upkeep=False)
    app.dependency_overrides[WORKFLOW_AUTH] = lambda: Principal("k0", "tester", frozenset({"workflow"}))
    with TestClient(app) as c:
        yield c


def post_fax(client: TestClient, data: bytes = FAX, **form: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/intake", files={"file": ("fax.pdf", data, "application/pdf")}, data=form)
    return r.status_code, r.json()


def test_intake_then_approve_then_schedule(client: TestClient, runtime: WorkflowRuntime) -> None:
    status, body = post_fax(client, source_fax="+16145550199")
    assert status == 201 and body["created"] is True
    (referral,) = body["referrals"]
    assert referral["queue"] == "prior_auth"
    consult, echo = referral["orders"]
    assert consult["readiness"]["schedulable"] is True
    assert echo["authorization"]["status"] == "needed" and echo["authorization"]["submit_by"] == "2026-11-07"
    assert [b["code"] for b in echo["readiness"]["blockers"]] == ["prior_auth_not_approved"]

    # Replaying the same bytes: 200 and the same referral.
    status, again = post_fax(client)
    assert status == 200 and again["created"] is False and again["referrals"][0]["id"] == referral["id"]

    auth_id = echo["authorization"]["id"]
    check = {"order_id": echo["id"], "date": "2026-11-20"}
    r = client.post("/appointments/check", json=check)
    assert r.status_code == 200 and r.json()["allowed"] is False
    r = client.post("/appointments", json=check)
    assert r.status_code == 409 and r.json()["error"] == "not_schedulable"
    assert [b["code"] for b in r.json()["blockers"]] == ["prior_auth_not_approved"]

    r = client.post(f"/authorizations/{auth_id}/status", json={"status": "approved", "auth_number": "X"})
    assert r.status_code == 409 and r.json()["error"] == "illegal_transition"  # needed -> approved
    assert client.post(f"/authorizations/{auth_id}/status", json={"status": "submitted"}).status_code == 200
    r = client.post(f"/authorizations/{auth_id}/status", json={"status": "approved", "auth_number": "X"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_transition_data"
    r = client.post(
        f"/authorizations/{auth_id}/status",
        json={"status": "approved", "auth_number": "A-77", "valid_from": "2026-11-10", "valid_to": "2026-12-10", "units": 1},
    )
    assert r.status_code == 200
    assert r.json()["authorization"]["status"] == "approved" and r.json()["referral"]["queue"] == "scheduling"

    r = client.post("/appointments/check", json=check)
    assert r.json() == {"order_id": echo["id"], "date": "2026-11-20", "allowed": True, "blockers": []}
    r = client.post("/appointments/check", json={**check, "date": "2026-12-11"})
    assert [b["code"] for b in r.json()["blockers"]] == ["auth_window_not_covering_date"]
    r = client.post("/appointments", json=check)
    assert r.status_code == 201 and r.json()["status"] == "scheduled" and r.json()["appointment_date"] == "2026-11-20"

    view = client.get(f"/referrals/{referral['id']}").json()
    assert [o["status"] for o in view["orders"]] == ["open", "scheduled"]


def test_worklists_monitor_and_errors(client: TestClient, runtime: WorkflowRuntime) -> None:
    post_fax(client)
    predictor = runtime.predictor_fn
    assert isinstance(predictor, FakePredictor)
    predictor.by_bytes[b"stat fax"] = [referral_prediction("Ann Lee", intents=("echo_tte",), urgency="stat")]
    post_fax(client, b"stat fax")
    page = client.get("/worklists/prior_auth", params={"per_page": 1}).json()
    assert page["total"] == 2 and page["items"][0]["patient_name"] == "Ann Lee" and page["items"][0]["priority"] == "stat"
    page2 = client.get("/worklists/prior_auth", params={"per_page": 1, "page": 2}).json()
    assert page2["items"][0]["patient_name"] == "Maria L. Gonzalez"
    assert client.get("/worklists/nope").status_code == 404
    assert client.get("/worklists/prior_auth", params={"per_page": 0}).status_code == 422

    runtime.clock.advance(days=4)  # type: ignore[attr-defined]
    mon = client.get("/monitor").json()
    assert {a["service"] for a in mon["auths_due_to_submit"]} == {"echo_tte"} and len(mon["auths_due_to_submit"]) == 2
    assert [o["service"] for o in mon["orders_ready_to_schedule"]] == ["consult"]
    prior_auth = next(a for a in mon["aging"] if a["queue"] == "prior_auth")
    assert prior_auth["open"] == 2 and prior_auth["overdue"] == 2

    assert client.get("/referrals/999").json() == {"error": "not_found", "detail": "referral 999 does not exist"}
    assert client.post("/appointments/check", json={"order_id": 999, "date": "2026-11-20"}).status_code == 404
    assert client.post("/authorizations/999/status", json={"status": "submitted"}).status_code == 404
    r = client.post("/authorizations/1/status", json={"status": "bogus"})
    assert r.status_code == 422 and r.json()["error"] == "unprocessable" and "status" in r.json()["detail"]


def test_unreadable_file_is_stored_and_answered_4xx(client: TestClient, runtime: WorkflowRuntime) -> None:
    from cardio_intake.ingest.errors import UnsupportedFormat

    predictor = runtime.predictor_fn
    assert isinstance(predictor, FakePredictor)
    predictor.fail_with = UnsupportedFormat("not a PDF, TIFF, PNG or JPEG")
    status, body = post_fax(client, b"MZ\x90\x00 exe")
    assert status == 415 and body == {"error": "unsupported_format", "detail": "not a PDF, TIFF, PNG or JPEG"}
    predictor.fail_with = RuntimeError("model service down")
    status, body = post_fax(client, b"other bytes")
    assert status == 503 and body["error"] == "processing_failed"
    status, body = post_fax(client, b"")
    assert status == 422 and body["error"] == "empty_document"
    with runtime.factory() as s:
        from sqlalchemy import select

        from cardio_intake.store.models import DocumentRow

        assert sorted(s.scalars(select(DocumentRow.status))) == ["failed", "failed"]


def test_order_documentation_review_and_status_routes(client: TestClient, runtime: WorkflowRuntime) -> None:
    predictor = runtime.predictor_fn
    assert isinstance(predictor, FakePredictor)
    predictor.by_bytes[b"tee"] = [
        referral_prediction(payer="Blue Plan", intents=("echo_tte", "echo_tee"), review_needed=True)
    ]
    _, body = post_fax(client, b"tee")
    referral = body["referrals"][0]
    tte, tee = referral["orders"]
    assert referral["queue"] == "intake_review"
    r = client.post(f"/referrals/{referral['id']}/review")
    assert r.status_code == 200 and r.json()["queue"] == "records_request"
    r = client.post(f"/orders/{tee['id']}/documentation", json={"received": ["office_note_within_60_days"]})
    assert r.status_code == 200 and r.json()["documentation_missing"] == []
    assert [b["code"] for b in r.json()["readiness"]["blockers"]] == ["prerequisite_not_done:echo_tte"]
    assert client.post(f"/orders/{tte['id']}/status", json={"status": "completed"}).status_code == 200
    assert client.post(f"/orders/{tte['id']}/status", json={"status": "completed"}).status_code == 409
    r = client.post("/appointments/check", json={"order_id": tee["id"], "date": "2026-11-20"})
    assert r.json()["allowed"] is True


def test_review_with_corrections(client: TestClient, runtime: WorkflowRuntime) -> None:
    predictor = runtime.predictor_fn
    assert isinstance(predictor, FakePredictor)
    predictor.by_bytes[b"missed payer"] = [referral_prediction(payer="Mystery Health", review_needed=True)]
    _, body = post_fax(client, b"missed payer")
    referral = body["referrals"][0]
    assert referral["queue"] == "intake_review" and referral["orders"][0]["authorization"] is None
    url = f"/referrals/{referral['id']}/review"
    r = client.post(url, json={"corrections": {"payer": "Aetna Medicare Advantage", "patient_dob": "31/02/1952"}})
    assert r.status_code == 422 and r.json()["error"] == "invalid_correction" and "patient_dob" in r.json()["detail"]
    r = client.post(url, json={"corrections": {"insurer": "Aetna"}})
    assert r.status_code == 422 and "unknown field" in r.json()["detail"]
    r = client.post(url, json={"corrections": {"payer": "Aetna Medicare Advantage"}})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["queue"] == "prior_auth" and view["orders"][0]["authorization"]["status"] == "needed"
    with runtime.factory() as s:
        from sqlalchemy import select

        from cardio_intake.store.models import EventRow

        (event,) = s.scalars(select(EventRow).where(EventRow.action == "referral.corrected"))
    assert event.actor == "key:k0" and event.after == {"payer": "Aetna Medicare Advantage"}


# --- real keys through the gateway (same keys and audit as the rest of the service) -----------


class ListSink:
    def __init__(self) -> None:
        self.records: list[audit.AuditRecord] = []

    def write(self, rec: audit.AuditRecord) -> None:
        self.records.append(rec)


def test_real_keys_scopes_and_audit(runtime: WorkflowRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from serving.gateway import GatewayMiddleware
    from serving.settings import load_settings

    monkeypatch.setenv("CARDIO_API_KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("CARDIO_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    settings = load_settings()
    store = KeyStore(settings.keys_file)
    _, workflow_key = store.create("backoffice", ["workflow"])
    _, extract_key = store.create("faxserver", ["extract"])
    _, revoked_key = store.create("old", ["workflow"])
    store.revoke("old")
    sink = ListSink()
    audit.set_sink(sink)
    try:
        app: Any = GatewayMiddleware(create_app(runtime, upkeep=False), store=store, settings=settings)
        with TestClient(app) as c:
            assert c.get("/monitor").status_code == 401
            assert c.get("/monitor", headers={"Authorization": f"Bearer {revoked_key}"}).status_code == 401
            assert c.get("/monitor", headers={"Authorization": f"Bearer {extract_key}"}).status_code == 403
            ok = {"Authorization": f"Bearer {workflow_key}"}
            r = c.post("/intake", files={"file": ("f.pdf", FAX, "application/pdf")}, headers=ok)
            assert r.status_code == 201, r.text
            assert c.get("/worklists/prior_auth", headers=ok).json()["total"] == 1
            assert c.get("/orders/1/status", headers={"Authorization": f"Bearer {extract_key}"}).status_code == 403
    finally:
        audit.set_sink(None)
    assert [r.status for r in sink.records] == [401, 401, 403, 201, 200, 403]
    intake_rec = sink.records[3]
    assert intake_rec.endpoint == "/intake" and intake_rec.key_name == "backoffice"
    assert intake_rec.document_id is not None and intake_rec.document_id.startswith("sha256:")
    assert intake_rec.queues == ["prior_auth"]
    # The event log names the key that acted, never the key itself.
    with runtime.factory() as s:
        from sqlalchemy import select

        from cardio_intake.store.models import EventRow

        actors = set(s.scalars(select(EventRow.actor)))
    assert actors == {f"key:{intake_rec.key_id}"}
    assert workflow_key not in str(actors)


def test_without_the_gateway_routes_still_need_a_key(runtime: WorkflowRuntime) -> None:
    with TestClient(create_app(runtime, upkeep=False)) as c:
        r = c.get("/monitor")
        assert r.status_code == 401 and r.json() == {"error": "unauthorized", "detail": "missing or invalid API key"}
        assert r.headers["www-authenticate"] == "Bearer"
        assert c.post("/appointments/check", json={"order_id": 1, "date": str(date(2026, 11, 20))}).status_code == 401


def test_restart_resumes_interrupted_intake(runtime: WorkflowRuntime) -> None:
    """A process died after storing a fax (and another mid-processing); the next start finishes both."""
    from cardio_intake.store.intake import claim, receive

    with runtime.factory() as s:
        for data in (FAX, b"second fax"):
            out = receive(s, data, "f.pdf", source_fax=None, practice_id="default",
                          documents_dir=runtime.documents_dir, clock=runtime.clock)
        assert claim(s, out.document_id, clock=runtime.clock)  # the second one was being processed
    app = create_app(runtime)  # upkeep on, as in production
    app.dependency_overrides[WORKFLOW_AUTH] = lambda: Principal("k0", "tester", frozenset({"workflow"}))
    with TestClient(app) as c:
        import time

        deadline = time.monotonic() + 20
        while len(runtime.resumed) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(runtime.resumed) == [1, 2]
        status, body = post_fax(c)  # the resend finds the resumed document
        assert status == 200 and body["created"] is False and body["document"]["status"] == "done"
        assert c.get("/referrals/2").json()["document_id"] == 2
