"""``triage(referral, practice, policies, today)``: the rules layer's decision for one referral.

Pure: everything it reads is in its arguments (no I/O, no clock, no global state), so the same
inputs always give the same decision and the store can re-run it whenever a fact changes.

Readiness: an order is schedulable only when nothing blocks it. ``blocked_by`` lists every reason:
``review_needed``, ``payer_not_accepted``, ``service_not_offered``, ``prior_auth_unknown``,
``prior_auth_not_approved``, ``prior_auth_denied``, ``prior_auth_expired``,
``prior_auth_window_excludes_date``, ``documentation_missing:<requirement>``,
``prerequisite_pending:<service>`` and ``prerequisite_not_ordered:<service>``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from cardio_intake.labels import Queue
from cardio_intake.rules.documentation import evaluate_documentation
from cardio_intake.rules.facts import ReferralFacts, base_context, derive_facts
from cardio_intake.rules.models import Practice
from cardio_intake.rules.payers import PayerMatch
from cardio_intake.rules.policies import Policies
from cardio_intake.rules.prior_auth import evaluate_prior_auth
from cardio_intake.rules.routing import order_queue, route
from cardio_intake.rules.sequencing import evaluate_sequencing
from cardio_intake.rules.state import OrderProgress, OrderState
from cardio_intake.rules.timing import submit_by
from cardio_intake.schemas import Documentation, OrderDecision, PriorAuth, ReferralPrediction, TriageDecision


def _auth_blockers(required: bool | None, progress: OrderProgress | None, day: date) -> list[str]:
    """Only an approval whose window covers the day frees an order that needs authorization."""
    if required is None:
        return ["prior_auth_unknown"]
    if required is False:
        return []
    status = progress.auth_status if progress else None
    if status == "approved":
        assert progress is not None
        lo, hi = progress.auth_valid_from, progress.auth_valid_to
        if (lo is None or lo <= day) and (hi is None or day <= hi):
            return []
        return ["prior_auth_expired"] if hi is not None and hi < day else ["prior_auth_window_excludes_date"]
    if status == "denied":
        return ["prior_auth_denied"]
    if status == "expired":
        return ["prior_auth_expired"]
    return ["prior_auth_not_approved"]


def _decide_order(
    service: str,
    facts: ReferralFacts,
    match: PayerMatch,
    practice: Practice,
    policies: Policies,
    today: date,
    day: date,
    target: date,
    state: OrderState | None,
    review_blocks: bool,
) -> OrderDecision:
    location = practice.location_for(service)
    context = base_context(
        facts, practice.id, practice.consult_first.new_patients, practice.consult_first.services
    )
    context |= {
        "service": service,
        "cpt": list(facts.cpt_by_service.get(service, ())),
        "payer": match.payer.id if match.payer else None,
        "plan": match.plan.id if match.plan else None,
        "plan_type": match.plan.plan_type if match.plan else None,
        "benefit_manager": match.plan.benefit_manager if match.plan else None,
        "site": location.site if location else None,
        "practice_state": location.state if location else practice.locations[0].state,
    }
    codes = facts.cpt_by_service.get(service, ())
    auth = evaluate_prior_auth(service, codes, match, context["site"], day, context, policies)
    context["auth_required"] = auth.required
    progress = state.progress(service) if state else None
    received = set(progress.documentation_received) if progress else set()
    docs = evaluate_documentation(service, facts, received, context, policies)
    seq = evaluate_sequencing(service, facts, context, policies)

    rule_ids = [auth.rule_id]
    sources = [auth.source]
    notes = [auth.reason]
    timing = None
    if auth.required:
        timing = submit_by(match, facts.urgency, target, today, policies)
        if timing is not None:
            rule_ids.append(timing.window.id)
            sources.append(timing.window.source)
            notes.append(timing.reason)

    blocked: list[str] = []
    if review_blocks:
        blocked.append("review_needed")
    if match.payer is not None and not practice.accepts(
        match.payer.id, match.plan.id if match.plan else None
    ):
        blocked.append("payer_not_accepted")
        notes.append(f"{practice.name} does not accept {match.payer.name}")
    if location is None:
        blocked.append("service_not_offered")
        partner = practice.partner_for(service)
        notes.append(
            f"{practice.name} does not offer {policies.service_name(service)}: refer to "
            + (partner.name if partner else "an out-of-network provider")
        )
    blocked += _auth_blockers(auth.required, progress, day)
    blocked += [f"documentation_missing:{m}" for m in docs.missing]
    blocked += seq.blocked_by
    rule_ids += docs.rule_ids + seq.rule_ids
    sources += docs.sources + seq.sources
    notes += docs.notes + seq.notes
    queue = order_queue(blocked, docs.queues)
    verdict = f"schedulable on {day.isoformat()}" if not blocked else "blocked: " + ", ".join(blocked)
    return OrderDecision(
        service=service,  # type: ignore[arg-type]
        cpt=auth.cpt or (codes[0] if codes else None),
        prior_auth=PriorAuth(
            required=auth.required,
            program=auth.program,
            rule_id=auth.rule_id,
            reason=auth.reason,
            source=auth.source,
            submit_by=timing.date if timing else None,
            expedited=timing.expedited if timing else None,
            policy_default=auth.policy_default,
        ),
        documentation=Documentation(complete=not docs.missing, missing=docs.missing),
        depends_on=seq.depends_on,
        schedulable=not blocked,
        blocked_by=blocked,
        rule_ids=list(dict.fromkeys(rule_ids)),
        reason=f"{verdict}. " + "; ".join(notes),
        sources=list(dict.fromkeys(sources)),
        queue=queue,
        location=location.id if location else None,
    )


def triage(
    referral: ReferralPrediction,
    practice: Practice,
    policies: Policies,
    today: date,
    *,
    target_date: date | None = None,
    order_state: OrderState | None = None,
    page_types: Collection[str] | None = None,
) -> TriageDecision:
    """Decide prior auth, documentation, sequencing, readiness and routing for one referral.

    ``target_date``: the appointment date asked about (readiness and submit-by); default today for
    readiness and today + the practice's lead time for the referral's urgency for submit-by.
    ``order_state``: what the workflow store knows (authorization statuses, completed orders,
    documentation received, review done). ``page_types``: the predicted types of the referral's
    pages (documentation evidence; see :mod:`cardio_intake.rules.facts`).
    """
    urgency = referral.fields.urgency or "routine"
    day = target_date or today
    target = target_date or today + timedelta(days=practice.scheduling_lead_days.get(urgency, 14))  # type: ignore[call-overload]
    facts = derive_facts(referral, policies, today, day, page_types, order_state)
    match = policies.resolve_payer(referral.fields.payer)
    review_blocks = referral.review.needed and not facts.reviewed

    orders = [
        _decide_order(s, facts, match, practice, policies, today, day, target, order_state, review_blocks)
        for s in facts.ordered
    ]

    candidates: list[tuple[Queue, str]] = []
    if review_blocks:
        why = ", ".join(referral.review.reasons) or "flagged by extraction"
        candidates.append(("intake_review", f"extraction needs review: {why}"))
    if match.payer is None:
        candidates.append(("intake_review", f"payer unknown: {match.how}"))
    if not orders:
        candidates.append(("intake_review", "no ordered service found"))
    for order in orders:
        assert order.queue is not None
        what = ", ".join(order.blocked_by) if order.blocked_by else "ready to schedule"
        candidates.append((order.queue, f"{order.service}: {what}"))
    decided = route(candidates, referral.fields.urgency)
    source = _known_source(referral, practice)
    if source is not None:  # informative only: a known sender is easier to chase for records
        decided.reasons.append(f"referral source on file: {source}")
    return TriageDecision(orders=orders, route=decided)


def _known_source(referral: ReferralPrediction, practice: Practice) -> str | None:
    f = referral.fields
    for src in practice.referral_sources:
        if (src.npi and src.npi == f.referring_npi) or (src.fax and src.fax == f.provider_fax):
            return src.name
    return None
