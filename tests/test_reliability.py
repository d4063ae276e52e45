"""Reliability and security of the whole service (issue 9), in real processes on loopback.

One `bentoml serve` (the production service: gateway, upload guard, model service with its OCR pool,
the workflow API on SQLite; the model is the serving tests' keyword double) serves the whole module:

1. the hostile corpus (cardio_intake/testing/hostile.py, 48 generated files) through the CLI, each
   run capped at 1 GiB of address space and 120 s, and through POST /extract and /intake, plus
   malformed requests (0-byte upload, missing field, wrong content types, broken multipart);
2. schemathesis over every operation of the served OpenAPI spec, with a valid key and without one;
3. every route of the spec (and a few that are not in it) with no, wrong, unknown and revoked keys;
4. a small load (4 clients, faxes mixed with bad files, duplicates) checked against the store;
5. SIGKILL of the serve process group during a batch of intakes, restart, resend everything;
6. then: an audit record for every answer, and no patient name, DOB, member id or API key in anything
   the service wrote (its stdout/stderr, the audit trail, the data folder outside the stores).

Tests run in file order and share the service; the last two check what the others left behind.
Longer runs of the same code: bench/load.py, bench/fuzz_api.py, bench/hostile.py.
"""

from __future__ import annotations

import http.server
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from reliability_support import ANSWERED, FaxFactory, ReliabilityService, record_answer
from sqlalchemy import Engine, select

from cardio_intake.store import db
from cardio_intake.store.models import DocumentRow
from cardio_intake.testing import api_fuzz, hostile_run, loadgen, phi_scan
from cardio_intake.testing.hostile import hostile_cases
from cardio_intake.testing.loadgen import Upload
from cardio_intake.testing.patients import make_patients
from serving import audit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLI = str(Path(sys.executable).with_name("cardio-intake"))
TIME_LIMIT_S = 60.0  # per hostile request or CLI run (the service's own timeout is 120 s)
CLI_MEMORY_MB = 1024
FAXES = FaxFactory()
PATIENTS = iter(make_patients(120, seed=20261127))
BAD_FILES = [("notes.pdf", b"<html><body>not a fax</body></html>"), ("trunc.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type"),
             ("zip.tif", b"PK\x03\x04" + b"\x00" * 40)]


def fax_uploads(n: int, fmt: str = "png") -> list[Upload]:
    out = []
    for _ in range(n):
        patient = next(PATIENTS)
        # The patient's name in the file name too: it must not reach a log either.
        out.append(Upload(f"{patient.last}-{patient.first}.{fmt}", FAXES.fax(patient, fmt), f"image/{fmt}"))
    return out


def bad_uploads() -> list[Upload]:
    return [Upload(name, data, "application/pdf", expect="reject") for name, data in BAD_FILES]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReliabilityService]:
    svc = ReliabilityService.create(tmp_path_factory.mktemp("reliability"), ocr_workers=2)
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


# --- the harnesses can fail --------------------------------------------------------------------


def test_the_fuzzer_reports_a_server_error() -> None:
    """A one-route server that answers 500: the fuzz harness must report it (so zero means zero)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "internal_error", "detail": "boom"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spec = {"openapi": "3.0.2", "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    try:
        results = api_fuzz.fuzz_api(f"http://127.0.0.1:{server.server_address[1]}", spec, headers={}, max_examples=2)
    finally:
        server.shutdown()
    assert api_fuzz.summarize(results)["server_errors_5xx"] >= 1
    assert any("Server error" in f for r in results for f in r.failures)


def test_the_phi_scan_finds_a_leak_and_skips_the_stores(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "fax").write_text("Marisol Okonkwo")  # the store holds PHI by design
    (tmp_path / "intake.db").write_text("Marisol Okonkwo")
    (tmp_path / "server.log").write_text("INFO request ok\nDEBUG patient MARISOL OKONKWO\n")
    report = phi_scan.scan([tmp_path], ["Marisol Okonkwo", "W123456789"])
    assert [(h.path.name, h.needle_index) for h in report.hits] == [("server.log", 0)]
    assert [p.name for p in report.files] == ["server.log"]


# --- 1. hostile inputs -----------------------------------------------------------------------


def test_hostile_corpus_through_the_cli(tmp_path: Path) -> None:
    cases = hostile_cases(include_large=True)
    assert len(cases) >= 40
    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(lambda c: hostile_run.run_cli_case(
            c, tmp_path, cli=CLI, timeout_s=TIME_LIMIT_S, memory_mb=CLI_MEMORY_MB), cases))
    assert hostile_run.failures(outcomes) == []
    rejects = [o for o in outcomes if o.expect == "reject"]
    assert all(o.status == 1 and o.code for o in rejects)
    # The bombs were refused from their headers, not by running out of the 1 GiB cap.
    bombs = {o.name: o.code for o in outcomes if "bomb" in o.name or "huge" in o.name}
    assert set(bombs.values()) == {"page_too_large"}, bombs
    assert max(o.max_rss_mb or 0 for o in outcomes) < CLI_MEMORY_MB


def test_hostile_corpus_through_the_api(service: ReliabilityService) -> None:
    cases = hostile_cases(include_large=True)
    jobs = [(path, case) for path in ("/extract", "/intake") for case in cases]
    with service.client(timeout=TIME_LIMIT_S + 30) as client, ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(lambda j: hostile_run.post_case(client, j[0], j[1], time_limit_s=TIME_LIMIT_S), jobs))
        assert hostile_run.failures(outcomes) == []
        by_name = {(o.channel, o.name): o for o in outcomes}
        assert by_name[("POST /extract", "empty")].code == "empty_document"  # the 0-byte upload
        assert by_name[("POST /extract", "oversize_file")].status == 413
        assert by_name[("POST /intake", "html_as_pdf")].status == 415
        # No hung worker: a good fax is still read, by both routes, after the barrage.
        patient = next(PATIENTS)
        fax = FAXES.fax(patient, "tiff")
        t0 = time.perf_counter()
        r = client.post("/extract", files={"file": ("after.tif", fax, "image/tiff")})
        assert r.status_code == 200 and r.json()["referrals"][0]["fields"]["member_id"] == patient.member_id
        r = client.post("/intake", files={"file": ("after.tif", fax, "image/tiff")})
        assert r.status_code == 201 and r.json()["document"]["status"] == "done"
        assert time.perf_counter() - t0 < TIME_LIMIT_S


@pytest.mark.parametrize("path", ["/extract", "/intake"])
def test_malformed_requests_get_a_4xx_json(service: ReliabilityService, path: str) -> None:
    fax = FAXES.fax(next(PATIENTS), "png")
    broken = (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4',
              {"Content-Type": "multipart/form-data; boundary=yyy"})
    requests: dict[str, dict[str, object]] = {
        "zero_byte_upload": {"files": {"file": ("empty.pdf", b"", "application/pdf")}},
        "missing_file_field": {"data": {"practice_id": "default"}},
        "no_body": {},
        "raw_pdf_body": {"content": b"%PDF-1.4\n%%EOF", "headers": {"Content-Type": "application/pdf"}},
        "json_body": {"json": {"file": "JVBERi0xLjQK"}},
        "text_plain_body": {"content": b"Patient: nobody", "headers": {"Content-Type": "text/plain"}},
        "part_type_lies": {"files": {"file": ("scan.png", b"<html><body>x</body></html>", "image/png")}},
        "broken_multipart": {"content": broken[0], "headers": broken[1]},
        "file_name_5000_chars": {"files": {"file": ("a" * 5000 + ".png", fax, "image/png")}},
        "file_name_250_chars": {"files": {"file": ("a" * 250 + ".png", b"<html>", "image/png")}},
        "file_field_as_url": {"data": {"file": "http://example.com/fax.pdf"}, "files": {"other": ("x", b"x")}},
    }
    with service.client() as client:
        for name, kw in requests.items():
            t0 = time.perf_counter()
            r = client.post(path, **kw)  # type: ignore[arg-type]
            outcome = hostile_run.judge_http(name, "reject", f"POST {path}", r, time.perf_counter() - t0, TIME_LIMIT_S)
            assert outcome.ok and 400 <= r.status_code < 500, (name, r.status_code, r.text)


# --- 2. API fuzzing --------------------------------------------------------------------------


def test_schemathesis_finds_no_failure_with_or_without_a_key(service: ReliabilityService) -> None:
    with service.client() as client:
        spec = client.get("/docs.json").json()
    operations = {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m in ("get", "post", "put", "patch", "delete")}
    assert len(operations) >= 19
    with_key = api_fuzz.fuzz_api(service.url, spec, headers={"Authorization": f"Bearer {service.keys.valid}"},
                                 max_examples=8, on_response=record_answer)
    without = api_fuzz.fuzz_api(service.url, spec, headers={}, max_examples=3, on_response=record_answer)
    failures = [f"{r.mode}: {f}" for r in with_key + without for f in r.failures]
    assert failures == []
    print(f"\nschemathesis: {len(operations)} operations; with a key {api_fuzz.summarize(with_key)}; "
          f"without {api_fuzz.summarize(without)}")
    assert {(r.method, r.path) for r in with_key} == operations  # every operation was driven
    assert api_fuzz.summarize(with_key)["requests"] >= 150
    # Without a key, only the probes answer anything but 401.
    for r in without:
        assert set(r.statuses) <= ({200} if r.path in ("/healthz", "/livez", "/readyz") else {401}), (r.path, r.statuses)


# --- 3. access -------------------------------------------------------------------------------


def test_every_route_refuses_missing_wrong_and_revoked_keys(service: ReliabilityService) -> None:
    with service.client() as client:
        spec = client.get("/docs.json").json()
    open_paths = {"/healthz", "/livez", "/readyz"}
    # Path parameters filled in with an id that exists (the load and hostile tests created rows 1...).
    routes = [(m.upper(), re.sub(r"\{[^}]+\}", "1", p))
              for p, item in spec["paths"].items() for m in item if m in ("get", "post", "put", "patch", "delete")]
    # Not in the spec, still behind the gateway: the spec itself, the docs UI, an unknown path.
    routes += [("GET", "/docs.json"), ("GET", "/"), ("GET", "/docs"), ("GET", "/no/such/route"), ("DELETE", "/intake")]
    keys = service.keys
    variants = {"missing": None, "garbage": keys.garbage, "wrong secret": keys.wrong_secret,
                "unknown key id": keys.unknown, "revoked": keys.revoked}
    checked = 0
    with httpx.Client(base_url=service.url, timeout=30) as client:
        for method, path in routes:
            for label, key in variants.items():
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                r = client.request(method, path, headers=headers)
                record_answer(method, path, r.status_code)
                if path in open_paths:
                    assert r.status_code == 200, (method, path, label)
                    continue
                assert r.status_code == 401, (method, path, label, r.status_code)
                assert r.json()["error"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
                checked += 1
            r = client.request(method, path, headers={"Authorization": f"Basic {keys.valid}"})  # wrong scheme
            record_answer(method, path, r.status_code)
            assert r.status_code == (200 if path in open_paths else 401), (method, path)
    assert checked >= 5 * 20


# --- 4. load ---------------------------------------------------------------------------------


def test_small_load_loses_and_duplicates_nothing(service: ReliabilityService) -> None:
    faxes = fax_uploads(12)
    uploads = [*faxes, *bad_uploads(), faxes[0], faxes[5], faxes[7]]  # resends, some while the first is in flight
    order = [0, 12, 1, 2, 15, 3, 13, 4, 5, 16, 6, 14, 7, 17, 8, 9, 10, 11]

    def record(o: loadgen.Outcome) -> None:
        if o.status is not None:
            record_answer("POST", "/intake", o.status)

    report = loadgen.send_all(service.url, service.keys.valid, uploads, clients=4, order=order, on_outcome=record)
    summary = loadgen.summarize(report, uploads)
    assert summary["server_errors_5xx"] == 0 and summary["no_response"] == 0, summary
    assert summary["unexpected_outcome"] == 0, summary
    assert summary["accepted_2xx"] == 15 and summary["new_documents_201"] <= 12
    check = loadgen.verify_store(service.database_url, uploads, report.outcomes)
    assert check.accepted_documents == 12
    assert (check.lost, check.duplicated, check.mismatched) == ([], [], [])


# --- 5. crash --------------------------------------------------------------------------------


def _documents(engine: Engine) -> dict[str, tuple[str, int]]:
    with db.session_factory(engine)() as s:
        return {r.sha256: (r.status, r.attempts) for r in s.scalars(select(DocumentRow))}


def test_sigkill_during_an_intake_batch_loses_and_duplicates_nothing(service: ReliabilityService) -> None:
    # Five-page faxes: each takes seconds to read, so documents are mid-way when the kill lands.
    faxes = []
    for _ in range(8):
        patient = next(PATIENTS)
        faxes.append(Upload(f"{patient.last}.tif", FAXES.multipage_tiff(patient, 5), "image/tiff"))
    uploads = [*faxes, *bad_uploads()]
    engine = db.make_engine(service.database_url)
    shas = {u.sha256 for u in uploads}
    first_ok = threading.Event()
    report_box: list[loadgen.LoadReport] = []

    def on_outcome(o: loadgen.Outcome) -> None:
        if o.status is not None and 200 <= o.status < 300:
            first_ok.set()

    sender = threading.Thread(target=lambda: report_box.append(
        loadgen.send_all(service.url, service.keys.valid, uploads, clients=4, on_outcome=on_outcome, timeout_s=120)))
    sender.start()
    assert first_ok.wait(120), "no intake was accepted before the kill"
    # Kill while documents are in flight: received or being processed, not yet done.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        docs = _documents(engine)
        if any(status in ("received", "processing") for sha, (status, _) in docs.items() if sha in shas):
            break
        time.sleep(0.05)
    killed_at = time.monotonic()
    killed = service.kill()
    assert len(killed) >= 5  # serve, API worker, model worker, 2 OCR processes (and tesseracts)
    sender.join(120)
    before = report_box[0]
    at_kill = {sha: st for sha, (st, _) in _documents(engine).items() if sha in shas}
    interrupted = {sha for sha, st in at_kill.items() if st in ("received", "processing")}
    answered = [o for o in before.outcomes if o.status is not None]
    unanswered = [o for o in before.outcomes if o.status is None]
    assert interrupted, f"nothing was in flight at the kill: {at_kill}"
    assert answered and unanswered, "the kill must land mid-batch"
    for o in answered:
        assert o.status is not None and o.status < 500
        if o.finished_at < killed_at - 0.2:  # an answer in the instant before SIGKILL may miss its audit line
            record_answer("POST", "/intake", o.status)

    service.start()  # same database, documents and audit file
    # Interrupted work is resumed by the restarted service itself, before anything is resent.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = _documents(engine)
        if all(now[sha][0] in ("done", "failed") for sha in interrupted):
            break
        time.sleep(0.25)
    assert all(now[sha][0] in ("done", "failed") for sha in interrupted), {s: now[s] for s in interrupted}

    def record(o: loadgen.Outcome) -> None:
        if o.status is not None:
            record_answer("POST", "/intake", o.status)

    after = loadgen.send_all(service.url, service.keys.valid, uploads, clients=4, on_outcome=record)
    summary = loadgen.summarize(after, uploads)
    assert summary["server_errors_5xx"] == 0 and summary["no_response"] == 0 and summary["unexpected_outcome"] == 0, summary
    resent_ok = [o for o in after.outcomes if o.status in (200, 201)]
    assert len(resent_ok) == len(faxes)
    # Everything that was stored before the kill comes back as a replay (200), never as a new document.
    assert all(o.status == 200 for o in resent_ok if uploads[o.index].sha256 in at_kill)
    engine.dispose()
    check = loadgen.verify_store(service.database_url, uploads, before.outcomes + after.outcomes)
    assert check.accepted_documents == len(faxes)
    assert (check.lost, check.duplicated, check.mismatched) == ([], [], [])
    print(f"\ncrash: {len(killed)} processes killed; before the kill {len(answered)} answered, {len(unanswered)} "
          f"unanswered, {len(interrupted)} documents in flight (all resumed after restart); resent {len(uploads)}: "
          f"{summary['status_counts']}; store: {check.accepted_documents} documents, 0 lost, 0 duplicated")


# --- 6. audit and PHI (run last: they check what the tests above left behind) -----------------


def test_every_answer_has_an_audit_record(service: ReliabilityService) -> None:
    records = audit.read_records(service.audit_file)
    audited = Counter((r.method, r.endpoint, r.status) for r in records)
    missing = {k: n - audited[k] for k, n in ANSWERED.items()
               if k[1] not in ("/healthz", "/livez", "/readyz") and audited[k] < n}
    assert missing == {}
    assert sum(ANSWERED.values()) >= 500  # the tests above did run through this service
    print(f"\naudit: {sum(ANSWERED.values())} answers, {len(records)} audit records, 0 answers without one")
    assert all(r.key_id is None for r in records if r.status == 401)
    assert {r.key_name for r in records if r.status < 400} == {"reliability"}


def test_no_phi_or_api_key_in_anything_the_service_wrote(service: ReliabilityService) -> None:
    service.stop()  # flush and close every log
    keys = service.keys.all()
    secrets = [k.split("_", 2)[2] for k in keys]  # the secret part alone, too
    needles = sorted(FAXES.needles() | set(keys) | set(secrets))
    assert len(FAXES.patients) >= 20
    report = phi_scan.scan([service.root], needles)
    names = {p.name for p in report.files}
    assert {"server.log", "audit.jsonl", "keys.json"} <= names
    assert report.bytes_scanned > 100_000
    leaks = sorted({(str(h.path.relative_to(service.root)), "key" if needles[h.needle_index] in keys + secrets else "phi")
                    for h in report.hits})
    assert leaks == []
    print(f"\nphi scan: {len(report.files)} files, {report.bytes_scanned} bytes, {report.needles} needles "
          f"({len(FAXES.patients)} patients, {len(keys)} keys), {len(report.hits)} hits")
