"""CLI of the workflow store: ``cardio-intake worklist QUEUE``, ``cardio-intake monitor``,
``cardio-intake db upgrade|downgrade|current`` and ``cardio-intake workflow sweep|retriage``.

The database is DATABASE_URL or the SQLite file under the data folder (created and migrated on first use).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()

db_app = typer.Typer(no_args_is_help=True, add_completion=False)
workflow_app = typer.Typer(no_args_is_help=True, add_completion=False)

_PRIORITY_STYLE = {"stat": "bold red", "urgent": "yellow", "routine": "default"}


def _session() -> Any:
    from cardio_intake.store import db

    engine = db.make_engine()
    db.ensure_schema(engine)
    return db.session_factory(engine)()


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else "-"


def worklist(
    queue: str = typer.Argument(..., help="intake_review, prior_auth, records_request, clinical_review, scheduling or out_of_network"),
    page: int = typer.Option(1, min=1, help="page number"),
    per_page: int = typer.Option(25, min=1, max=200, help="rows per page"),
    as_json: bool = typer.Option(False, "--json", help="print the page as JSON instead of a table"),
) -> None:
    """A queue's open referrals, most urgent first, then soonest due."""
    from cardio_intake.store.worklists import UnknownQueue
    from cardio_intake.store.worklists import worklist as build

    with _session() as session:
        try:
            view = build(session, queue, page=page, per_page=per_page)
        except UnknownQueue as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    pages = max(1, -(-view.total // view.per_page))
    table = Table(title=f"{queue}: {view.total} open (page {view.page}/{pages})")
    for col in ("referral", "priority", "due", "age h", "patient", "payer", "services", "blockers"):
        table.add_column(col, overflow="fold")
    for item in view.items:
        due = f"[red]{_when(item.due_at)} overdue[/]" if item.overdue else _when(item.due_at)
        table.add_row(
            str(item.referral_id),
            f"[{_PRIORITY_STYLE.get(item.priority, 'default')}]{item.priority}[/]",
            due,
            f"{item.age_hours:.1f}",
            item.patient_name or "-",
            item.payer or "-",
            ", ".join(item.services),
            ", ".join(item.blockers) or "[green]ready[/]",
        )
    console.print(table)


def monitor(
    horizon_days: int = typer.Option(2, min=0, max=60, help="list authorizations due within this many days"),
    as_json: bool = typer.Option(False, "--json", help="print the view as JSON instead of tables"),
) -> None:
    """What is about to slip: auths to submit, payer decisions overdue, approvals ending too early, aging.

    Also lists the orders ready to schedule today; the API's GET /monitor and the
    cardio_intake_workflow_* gauges on /metrics show the same numbers.
    """
    from cardio_intake.store.monitor import monitor as build

    with _session() as session:
        view = build(session, horizon_days=horizon_days)
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    t = Table(title=f"Authorizations to submit (submit-by within {horizon_days} days)")
    for col in ("auth", "referral", "service", "payer", "submit by", "days left"):
        t.add_column(col)
    for a in view.auths_due_to_submit:
        left = "?" if a.days_left is None else str(a.days_left)
        t.add_row(str(a.authorization_id), str(a.referral_id), a.service, a.payer or "-",
                  str(a.submit_by or "-"), f"[red]{left}[/]" if a.days_left is None or a.days_left < 0 else left)
    console.print(t)
    t = Table(title="Pending beyond the payer's decision window")
    for col in ("auth", "referral", "service", "payer", "status", "submitted", "decision due", "hours over"):
        t.add_column(col)
    for p in view.pending_beyond_window:
        t.add_row(str(p.authorization_id), str(p.referral_id), p.service, p.payer or "-", p.status.value,
                  _when(p.submitted_at), _when(p.decision_due_at), f"{p.hours_overdue:.1f}")
    console.print(t)
    t = Table(title="Approvals ending before the appointment")
    for col in ("auth", "referral", "service", "valid to", "appointment"):
        t.add_column(col)
    for e in view.approvals_expiring_before_appointment:
        t.add_row(str(e.authorization_id), str(e.referral_id), e.service, str(e.valid_to), str(e.appointment_date))
    console.print(t)
    t = Table(title="Orders ready to schedule today")
    for col in ("order", "referral", "service", "priority", "patient"):
        t.add_column(col)
    for o in view.orders_ready_to_schedule:
        t.add_row(str(o.order_id), str(o.referral_id), o.service, o.priority, o.patient_name or "-")
    console.print(t)
    t = Table(title="Aging by queue (open referrals)")
    for col in ("queue", "open", "overdue", "oldest h", "<1d", "1-3d", "3-7d", ">7d"):
        t.add_column(col)
    for q in view.aging:
        b = q.buckets
        t.add_row(q.queue, str(q.open), f"[red]{q.overdue}[/]" if q.overdue else "0", f"{q.oldest_age_hours:.1f}",
                  str(b.get("lt_1d", 0)), str(b.get("1d_3d", 0)), str(b.get("3d_7d", 0)), str(b.get("gt_7d", 0)))
    console.print(t)
    docs = ", ".join(f"{k} {v}" for k, v in view.documents.items())
    console.print(f"documents: {docs}")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply the packaged migrations (DATABASE_URL, else the SQLite file under the data folder)."""
    from cardio_intake.store import db

    engine = db.make_engine()
    db.upgrade(engine, revision)
    typer.echo(f"{engine.url.render_as_string(hide_password=True)} at {db.current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="target revision ('base' drops every table)"),
    yes: bool = typer.Option(False, "--yes", help="confirm: a downgrade deletes data"),
) -> None:
    """Revert migrations down to REVISION."""
    from cardio_intake.store import db

    if not yes:
        typer.echo("error: a downgrade deletes data; repeat with --yes", err=True)
        raise typer.Exit(2)
    engine = db.make_engine()
    db.downgrade(engine, revision)
    typer.echo(f"{engine.url.render_as_string(hide_password=True)} at {db.current_revision(engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the packaged head."""
    from cardio_intake.store import db

    engine = db.make_engine()
    typer.echo(f"current: {db.current_revision(engine) or 'none'}  head: {db.head_revision()}")


@workflow_app.command("sweep")
def sweep() -> None:
    """Periodic upkeep: expire approvals whose window ended, re-triage open referrals (time-dependent
    rules), and finish documents a dead worker left unprocessed (needs the model only if there are any)."""
    from cardio_intake.store.rules_adapter import RulesTriage
    from cardio_intake.store.updates import expire_approvals, retriage_open

    rules = RulesTriage.load()
    with _session() as session:
        expired = expire_approvals(session, rules)
        changed = retriage_open(session, rules, actor="sweep", cause="daily_sweep")
    typer.echo(f"expired {len(expired)} approval(s); re-triaged {len(changed)} referral(s) whose decision changed")


@workflow_app.command("retriage")
def retriage(cause: str = typer.Option("policy_change", help="recorded in the event log")) -> None:
    """Re-triage every open referral with the current policies (run after editing a policy file)."""
    from cardio_intake.store.rules_adapter import RulesTriage
    from cardio_intake.store.updates import retriage_open

    rules = RulesTriage.load()
    with _session() as session:
        changed = retriage_open(session, rules, actor="cli", cause=cause)
    typer.echo(f"{len(changed)} referral(s) changed: {', '.join(map(str, changed)) or '-'}")
