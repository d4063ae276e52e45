"""The workflow part of ``make demo``: intake a few faxes into a fresh demo database, show that a resend
is idempotent, then take one order that needs prior authorization from blocked to booked, printing
its blockers after each step (review, payer approval, documentation).

With the gold labels of the faxes (``gold``), the intake reviewer corrects what the model got wrong
(:mod:`cardio_intake.store.demo_review`): when no order needs an authorization after intake (a weak
model missed the payer or the service), a referral from intake_review whose fax really orders one is
corrected in review, and its order is walked to booking."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from cardio_intake.store import db
from cardio_intake.store.clock import Clock, utc_now
from cardio_intake.store.demo_review import (
    GoldLookup,
    correct_for_authorization,
    match_gold,
    review_with_gold,
)
from cardio_intake.store.gate import check_appointment
from cardio_intake.store.intake import intake
from cardio_intake.store.lifecycle import StatusUpdate
from cardio_intake.store.models import OrderRow, ReferralRow
from cardio_intake.store.monitor import monitor
from cardio_intake.store.ports import PredictorFn, TriageFn
from cardio_intake.store.queries import get_referral
from cardio_intake.store.states import AuthStatus, OrderStatus
from cardio_intake.store.updates import (
    record_documentation,
    schedule_order,
    update_authorization,
)

ACTOR = "demo"


def run_workflow_demo(
    files: list[Path],
    predictor_fn: PredictorFn,
    triage_fn: TriageFn,
    *,
    workdir: Path,
    console: Console | None = None,
    clock: Clock = utc_now,
    gold: GoldLookup | None = None,
) -> OrderRow | None:
    """Returns the order that ended up booked (None when no intake needed an authorization).

    ``gold``: file name -> the packet's gold referrals, for the intake reviewer's corrections; without
    it the reviewer confirms extractions as they are.
    """
    out = console or Console()
    db_path = workdir / "workflow.db"
    for stale in workdir.glob("workflow.db*"):
        stale.unlink()  # a fresh state each run: the demo approves and books, which cannot repeat
    engine = db.make_engine(f"sqlite:///{db_path}")
    db.upgrade(engine)
    factory = db.session_factory(engine)
    documents = workdir / "documents"
    out.rule("[bold]workflow: durable intake, authorization, scheduling gate")
    with factory() as session:
        with Progress(TextColumn("[bold]intake"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=out) as progress:
            task = progress.add_task("intake", total=len(files))
            referrals: list[ReferralRow] = []
            for f in files:
                doc, _ = intake(session, f.read_bytes(), f.name, "+16145550199", predictor_fn, triage_fn,
                                documents_dir=documents, clock=clock, actor=ACTOR)
                referrals.extend(doc.referrals)
                progress.advance(task)
        _print_referrals(out, session, referrals, clock)
        if files:
            again, created = intake(session, files[0].read_bytes(), files[0].name, None, predictor_fn, triage_fn,
                                    documents_dir=documents, clock=clock, actor=ACTOR)
            out.print(f"resent {files[0].name}: created={created}, same referrals "
                      f"{[r.id for r in again.referrals]} (idempotent on the file's sha256)")
        order = _pick_order(referrals)
        corrected: ReferralRow | None = None
        if order is None and gold:
            out.print("no order needs a prior authorization after intake: the intake reviewer works the queue")
            corrected = correct_for_authorization(out, session, referrals, gold, triage_fn, clock, ACTOR)
            if corrected is not None:
                _print_referrals(out, session, [corrected], clock, title="after review")
                order = _pick_order([corrected])
        if order is None:
            why = " (nor, by the gold labels, does any fax waiting in intake_review)" if gold else ""
            out.print(f"[yellow]no intake needed a prior authorization{why}; nothing to approve in this demo run")
            return None
        booked = _walk_to_booking(out, session, order, triage_fn, clock, gold,
                                  start="after intake" if corrected is None else "after review")
        view = monitor(session, clock=clock)
        out.print(f"monitor: {len(view.auths_due_to_submit)} auth(s) due to submit, "
                  f"{len(view.orders_ready_to_schedule)} order(s) ready to schedule, "
                  f"open per queue: " + ", ".join(f"{a.queue} {a.open}" for a in view.aging if a.open))
        out.print(f"state kept in {db_path} (see `DATABASE_URL=sqlite:///{db_path} cardio-intake monitor`)")
        return booked


def _print_referrals(
    out: Console, session: Session, referrals: list[ReferralRow], clock: Clock, *, title: str = "tracked referrals"
) -> None:
    table = Table(title=title)
    for col in ("referral", "queue", "priority", "order", "service", "auth", "submit by", "blockers today"):
        table.add_column(col, overflow="fold")
    for r in referrals:
        view = get_referral(session, r.id, clock=clock)
        for o in view.orders:
            auth = o.authorization
            table.add_row(str(view.id), view.queue, view.priority, str(o.id), o.service,
                          auth.status.value if auth else ("unknown" if o.auth_required is None else "-"),
                          str(auth.submit_by or "-") if auth else "-",
                          ", ".join(b.code for b in o.readiness.blockers) or "[green]schedulable[/]")
    out.print(table)


def _pick_order(referrals: list[ReferralRow]) -> OrderRow | None:
    """An order whose authorization is needed, preferring one without prerequisites."""
    candidates = [o for r in referrals for o in r.orders
                  if o.authorization is not None and o.authorization.status == AuthStatus.NEEDED]
    candidates.sort(key=lambda o: (bool(o.depends_on), o.id))
    return candidates[0] if candidates else None


def _walk_to_booking(
    out: Console,
    session: Session,
    order: OrderRow,
    triage_fn: TriageFn,
    clock: Clock,
    gold: GoldLookup | None,
    *,
    start: str = "after intake",
) -> OrderRow | None:
    today = clock().date()
    day = today + timedelta(days=14)
    auth = order.authorization
    assert auth is not None

    def show(step: str) -> list[str]:
        check = check_appointment(session, order.id, day, clock=clock)
        state = "[green]allowed[/]" if check.allowed else "blocked: " + ", ".join(b.code for b in check.blockers)
        out.print(f"  {step:<44} order {order.id} ({order.service}) on {day}: {state}")
        return [b.code for b in check.blockers]

    out.print(f"[bold]order {order.id}[/] {order.service}: authorization {auth.id} is needed, submit by {auth.submit_by}")
    blockers = show(start)
    if "extraction_review_pending" in blockers:
        referral = order.referral
        review_with_gold(out, session, referral, match_gold(referral, gold or {}), triage_fn, clock, ACTOR)
        if order.status != OrderStatus.OPEN or auth.status != AuthStatus.NEEDED:
            # The reviewer's corrections dropped this order or its authorization: walk the referral's own.
            other = _pick_order([referral])
            if other is None:
                out.print(f"[yellow]after review no order of referral {referral.id} needs an authorization; not booking")
                return None
            return _walk_to_booking(out, session, other, triage_fn, clock, gold, start="after review")
        blockers = show("a person reviewed the extraction")
    update_authorization(session, auth.id, StatusUpdate(AuthStatus.SUBMITTED), triage_fn=triage_fn, clock=clock, actor=ACTOR)
    show("submitted to the payer")
    window = (today, today + timedelta(days=60))
    update_authorization(
        session, auth.id,
        StatusUpdate(AuthStatus.APPROVED, auth_number="DEMO-0001", valid_from=window[0], valid_to=window[1], units=1),
        triage_fn=triage_fn, clock=clock, actor=ACTOR,
    )
    blockers = show(f"payer approved ({window[0]}..{window[1]})")
    missing = [c.split(":", 1)[1] for c in blockers if c.startswith("documentation_missing:")]
    if missing:
        record_documentation(session, order.id, missing, triage_fn=triage_fn, clock=clock, actor=ACTOR)
        blockers = show("documentation filed")
    if blockers:
        out.print(f"[yellow]still blocked by {', '.join(blockers)} (needs a person); not booking")
        return None
    booked = schedule_order(session, order.id, day, clock=clock, actor=ACTOR)
    view = get_referral(session, order.referral_id, clock=clock)
    out.print(f"[green]booked[/] order {booked.id} on {booked.appointment_date}; referral {view.id} is now "
              f"{view.status} (queue {view.queue})")
    return booked


