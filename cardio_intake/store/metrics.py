"""The monitor as Prometheus gauges (prometheus_client), so BentoML's /metrics serves them.

BentoML runs prometheus_client in multiprocess mode; the gauges are therefore created lazily (after
the worker's PROMETHEUS_MULTIPROC_DIR is set) with ``multiprocess_mode="mostrecent"``: the last value
any worker published wins, which is right for a view of the database that every worker shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from cardio_intake.store.views import MonitorView

PREFIX = "cardio_intake_workflow"


@dataclass
class _Gauges:
    auths_due: Gauge
    pending_beyond: Gauge
    expiring: Gauge
    ready: Gauge
    queue_open: Gauge
    queue_overdue: Gauge
    queue_oldest: Gauge
    queue_aging: Gauge
    documents: Gauge


_by_registry: dict[int, _Gauges] = {}


def _gauges(registry: CollectorRegistry) -> _Gauges:
    key = id(registry)
    if key not in _by_registry:

        def g(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(
                f"{PREFIX}_{name}", doc, labels, registry=registry, multiprocess_mode="mostrecent"
            )

        _by_registry[key] = _Gauges(
            auths_due=g("auths_due_to_submit", "Authorizations needed whose submit-by date is near or past"),
            pending_beyond=g("auths_pending_beyond_window", "Authorizations awaiting the payer past its decision window"),
            expiring=g("approvals_expiring_before_appointment", "Approvals ending before the booked appointment"),
            ready=g("orders_ready_to_schedule", "Open orders the scheduling gate allows today"),
            queue_open=g("queue_open", "Open referrals per queue", ("queue",)),
            queue_overdue=g("queue_overdue", "Open referrals past their due time per queue", ("queue",)),
            queue_oldest=g("queue_oldest_age_hours", "Age of the oldest open referral per queue", ("queue",)),
            queue_aging=g("queue_aging", "Open referrals per queue and age bucket", ("queue", "bucket")),
            documents=g("documents", "Documents by processing status", ("status",)),
        )
    return _by_registry[key]


def publish(view: MonitorView, registry: CollectorRegistry = REGISTRY) -> None:
    """Set every gauge from a monitor view (call after computing /monitor, and periodically)."""
    gauges = _gauges(registry)
    gauges.auths_due.set(len(view.auths_due_to_submit))
    gauges.pending_beyond.set(len(view.pending_beyond_window))
    gauges.expiring.set(len(view.approvals_expiring_before_appointment))
    gauges.ready.set(len(view.orders_ready_to_schedule))
    for qa in view.aging:
        gauges.queue_open.labels(queue=qa.queue).set(qa.open)
        gauges.queue_overdue.labels(queue=qa.queue).set(qa.overdue)
        gauges.queue_oldest.labels(queue=qa.queue).set(qa.oldest_age_hours)
        for bucket, n in qa.buckets.items():
            gauges.queue_aging.labels(queue=qa.queue, bucket=bucket).set(n)
    for status, n in view.documents.items():
        gauges.documents.labels(status=status).set(n)
