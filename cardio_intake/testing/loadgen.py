"""A loopback load driver for the intake API and the store checks that go with it.

``send_all`` posts uploads from N client threads (one HTTP connection each) and records status,
latency and body per request; ``summarize`` turns that into counts, latency percentiles and pages/s;
``verify_store`` reads the workflow database afterwards and checks that every document the API
accepted (2xx) is there exactly once, finished, with the referrals the API answered with.
Used by bench/load.py, the crash test and the small load test of the suite.
"""

from __future__ import annotations

import hashlib
import math
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"
    expect: Literal["accept", "reject"] = "accept"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Outcome:
    index: int  # into the uploads
    status: int | None  # None: no HTTP response (connection refused/reset, client timeout)
    latency_s: float
    body: Any = None
    error: str | None = None  # exception type when there was no response
    finished_at: float = 0.0  # time.monotonic() when the answer (or the error) arrived


@dataclass
class LoadReport:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0


def _only_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load driver only talks to loopback, not {host!r}")


def send_all(
    url: str,
    key: str,
    uploads: Sequence[Upload],
    *,
    clients: int = 4,
    path: str = "/intake",
    timeout_s: float = 180.0,
    on_outcome: Callable[[Outcome], None] | None = None,
    order: Sequence[int] | None = None,
) -> LoadReport:
    """POST every upload (as multipart ``file``) from ``clients`` threads; returns one outcome each."""
    _only_loopback(url)
    todo: queue.Queue[int] = queue.Queue()
    for i in order if order is not None else range(len(uploads)):
        todo.put(i)
    report = LoadReport()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout_s) as http:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                up = uploads[i]
                t0 = time.perf_counter()
                try:
                    r = http.post(path, files={"file": (up.name, up.data, up.content_type)})
                    try:
                        body = r.json()
                    except ValueError:
                        body = None
                    out = Outcome(i, r.status_code, time.perf_counter() - t0, body)
                except httpx.HTTPError as exc:
                    out = Outcome(i, None, time.perf_counter() - t0, error=type(exc).__name__)
                out.finished_at = time.monotonic()
                with lock:
                    report.outcomes.append(out)
                if on_outcome is not None:
                    on_outcome(out)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, name=f"load-client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.wall_s = time.perf_counter() - t0
    return report


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(report: LoadReport, uploads: Sequence[Upload]) -> dict[str, Any]:
    """Counts by status, latency percentiles (ms) of answered requests, pages and documents per second."""
    statuses = Counter(o.status for o in report.outcomes)
    answered = [o for o in report.outcomes if o.status is not None]
    lat = [o.latency_s * 1000 for o in answered]
    ok = [o for o in answered if 200 <= o.status < 300]  # type: ignore[operator]
    # Pages the service actually read: new documents (201); a replay (200) is answered from the store.
    pages_read = sum(int((o.body or {}).get("document", {}).get("pages") or 0) for o in ok if o.status == 201)
    mis = [o for o in answered if (uploads[o.index].expect == "accept") != (200 <= o.status < 300)]  # type: ignore[operator]
    wall = report.wall_s or math.nan
    return {
        "requests": len(report.outcomes),
        "clients_wall_s": round(report.wall_s, 2),
        "status_counts": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))},
        "server_errors_5xx": sum(v for k, v in statuses.items() if k is not None and k >= 500),
        "no_response": statuses.get(None, 0),
        "accepted_2xx": len(ok),
        "new_documents_201": sum(1 for o in ok if o.status == 201),
        "replays_200": sum(1 for o in ok if o.status == 200),
        "rejected_4xx": sum(v for k, v in statuses.items() if k is not None and 400 <= k < 500),
        "unexpected_outcome": len(mis),
        "latency_ms": {
            "p50": round(percentile(lat, 50), 1),
            "p90": round(percentile(lat, 90), 1),
            "p99": round(percentile(lat, 99), 1),
            "max": round(max(lat), 1) if lat else math.nan,
        },
        "pages_read": pages_read,
        "pages_per_s": round(pages_read / wall, 3),
        "requests_per_s": round(len(answered) / wall, 3),
    }


@dataclass
class StoreCheck:
    accepted_documents: int = 0  # distinct documents the API answered 2xx for
    lost: list[str] = field(default_factory=list)  # sha256 answered 2xx but missing or unfinished in the store
    duplicated: list[str] = field(default_factory=list)  # sha256 stored more than once / referrals twice
    mismatched: list[str] = field(default_factory=list)  # answered referrals differ from the stored ones
    unexpected: list[str] = field(default_factory=list)  # stored documents nobody sent
    status_by_document: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.mismatched or self.unexpected)


def verify_store(database_url: str, uploads: Sequence[Upload], outcomes: Sequence[Outcome]) -> StoreCheck:
    """Check the store against what the API said: every 2xx document exactly once, done, with the
    referral ids of every 2xx answer for it (a replay returns the same referrals, never new ones)."""
    from sqlalchemy import func, select

    from cardio_intake.store import db
    from cardio_intake.store.models import DocumentRow, ReferralRow

    engine = db.make_engine(database_url)
    check = StoreCheck()
    try:
        with db.session_factory(engine)() as session:
            rows = list(session.scalars(select(DocumentRow)))
            by_sha: dict[str, list[DocumentRow]] = defaultdict(list)
            for row in rows:
                by_sha[row.sha256].append(row)
            check.status_by_document = {sha: rs[0].status for sha, rs in by_sha.items()}
            dup_positions = session.execute(
                select(ReferralRow.document_id, ReferralRow.position, func.count())
                .group_by(ReferralRow.document_id, ReferralRow.position)
                .having(func.count() > 1)
            ).all()
            dup_docs = {d for d, _, _ in dup_positions}
            referrals: dict[int, list[int]] = defaultdict(list)
            for rid, did in session.execute(
                select(ReferralRow.id, ReferralRow.document_id).order_by(ReferralRow.document_id, ReferralRow.position)
            ):
                referrals[did].append(rid)
    finally:
        engine.dispose()

    sent = {u.sha256 for u in uploads if u.data}
    accepted: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.status is not None and 200 <= o.status < 300:
            accepted[uploads[o.index].sha256].append(o)
    check.accepted_documents = len(accepted)
    for sha, answers in sorted(accepted.items()):
        stored = by_sha.get(sha, [])
        if len(stored) > 1 or any(r.id in dup_docs for r in stored):
            check.duplicated.append(sha)
        if not stored or any(r.status != "done" for r in stored):
            check.lost.append(sha)
            continue
        ids = referrals.get(stored[0].id, [])
        for o in answers:
            if o.status == 202:  # still processing when answered: no referrals promised yet
                continue
            got = [r["id"] for r in (o.body or {}).get("referrals", [])]
            if got != ids or (o.body or {}).get("document", {}).get("sha256") != sha:
                check.mismatched.append(sha)
                break
    check.unexpected = sorted(sha for sha in by_sha if sha not in sent)
    return check
