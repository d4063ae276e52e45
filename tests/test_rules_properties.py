"""Property-based tests (hypothesis) of triage's invariants over generated referrals, practices,
dates and workflow states, against the shipped policies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_support import make_referral, shipped_policies

from cardio_intake.labels import INTENTS, PAGE_TYPES
from cardio_intake.rules import OrderProgress, OrderState, triage
from cardio_intake.rules.routing import QUEUE_PRECEDENCE
from cardio_intake.schemas import OrderDecision, TriageDecision

POLICIES = shipped_policies()
KNOWN_NAMES = sorted(
    {a for p in POLICIES.payers for a in p.aliases}
    | {
        f"{a} {phrase}"
        for p in POLICIES.payers
        for a in p.aliases[:1]
        for plan in p.plans
        for phrase in plan.aliases
    }
)
UNKNOWN_NAMES = ["Acme Mutual", "Blue Sky Health", "Self pay", "N/A", "Unknown", "Liberty Life"]
CPT_CODES = ["93306", "93303", "93312", "93350", "78452", "93015", "75574", "75561", "93224", "93458",
             "93656", "33208", "33249", "93880", "93922", "93970", "99204", "93288"]  # fmt: skip
ICD10 = ["I25.10", "I21.4", "I20.0", "R94.39", "I48.0", "R07.9", "I50.9"]
DIAGNOSES = [
    "Coronary artery disease",
    "NSTEMI",
    "abnormal stress test",
    "chest pain",
    "palpitations",
    "ECG changes",
]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    intents = draw(st.lists(st.sampled_from(INTENTS), unique=True, max_size=5))
    today = draw(st.dates(date(2024, 1, 1), date(2027, 1, 1)))
    state = None
    if draw(st.booleans()):
        orders = []
        for service in draw(st.lists(st.sampled_from(intents or INTENTS), unique=True, max_size=4)):
            lo = today + timedelta(days=draw(st.integers(-60, 60)))
            orders.append(
                OrderProgress(
                    service=service,
                    status=draw(st.sampled_from(["open", "scheduled", "completed", "cancelled"])),
                    auth_status=draw(st.sampled_from([None, "needed", "submitted", "pending", "approved", "approved", "approved", "denied", "expired", "not_required"])),
                    auth_valid_from=draw(st.one_of(st.none(), st.just(lo))),
                    auth_valid_to=draw(st.one_of(st.none(), st.just(lo + timedelta(days=draw(st.integers(0, 120)))))),
                    documentation_received=draw(st.lists(st.sampled_from(["office_note_within_60_days", "ecg", "symptom_description", "prior_stress_test"]), max_size=2)),
                )
            )  # fmt: skip
        state = OrderState(
            orders=orders,
            reviewed=draw(st.booleans()),
            established_patient=draw(st.sampled_from([None, True, False])),
        )
    referral = make_referral(
        payer=draw(st.one_of(st.sampled_from(KNOWN_NAMES), st.sampled_from(KNOWN_NAMES), st.sampled_from(KNOWN_NAMES),
                             st.none(), st.sampled_from(UNKNOWN_NAMES), st.text(max_size=12))),
        intents=intents,
        cpt=draw(st.lists(st.sampled_from(CPT_CODES), unique=True, max_size=3)),
        urgency=draw(st.sampled_from([None, "routine", "urgent", "stat"])),
        referral_date=draw(st.one_of(st.none(), st.dates(today - timedelta(days=120), today).map(date.isoformat),
                                     st.dates(today - timedelta(days=30), today).map(date.isoformat))),
        icd10=draw(st.lists(st.sampled_from(ICD10), unique=True, max_size=3)),
        diagnoses=draw(st.lists(st.sampled_from(DIAGNOSES), unique=True, max_size=2)),
        review={"needed": draw(st.sampled_from([False, False, False, True])), "reasons": []},
    )  # fmt: skip
    return {
        "referral": referral,
        "practice": POLICIES.practice(draw(st.sampled_from(sorted(POLICIES.practices)))),
        "today": today,
        "target_date": draw(
            st.one_of(st.none(), st.integers(0, 60).map(lambda d: today + timedelta(days=d)))
        ),
        "order_state": state,
        "page_types": draw(
            st.one_of(
                st.none(),
                st.just(["referral_order", "clinical_note", "test_result"]),
                st.just(["referral_order", "clinical_note", "test_result"]),
                st.lists(st.sampled_from(PAGE_TYPES), max_size=4),
            )
        ),
    }


def _run(s: dict[str, Any]) -> TriageDecision:
    return triage(
        s["referral"], s["practice"], POLICIES, s["today"],
        target_date=s["target_date"], order_state=s["order_state"], page_types=s["page_types"],
    )  # fmt: skip


def _approved_for(order: OrderDecision, s: dict[str, Any]) -> bool:
    state: OrderState | None = s["order_state"]
    progress = state.progress(order.service) if state else None
    if progress is None or progress.auth_status != "approved":
        return False
    day = s["target_date"] or s["today"]
    lo, hi = progress.auth_valid_from, progress.auth_valid_to
    return (lo is None or lo <= day) and (hi is None or day <= hi)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_blocked_by_is_empty_exactly_when_schedulable(s: dict[str, Any]) -> None:
    for order in _run(s).orders:
        assert order.schedulable == (order.blocked_by == [])


@SETTINGS
@given(scenarios())
def test_required_but_unapproved_authorization_is_never_schedulable(s: dict[str, Any]) -> None:
    for order in _run(s).orders:
        if order.prior_auth.required is True and not _approved_for(order, s):
            assert not order.schedulable
            assert any(b.startswith("prior_auth_") for b in order.blocked_by)
        if order.prior_auth.required is None:
            assert not order.schedulable and "prior_auth_unknown" in order.blocked_by


@SETTINGS
@given(scenarios())
def test_unknown_payer_is_never_schedulable_and_goes_to_a_person(s: dict[str, Any]) -> None:
    decision = _run(s)
    if POLICIES.resolve_payer(s["referral"].fields.payer).payer is None:
        assert decision.route.queue == "intake_review"
        for order in decision.orders:
            assert order.prior_auth.required is None and not order.schedulable


@SETTINGS
@given(scenarios())
def test_routing_and_explanations(s: dict[str, Any]) -> None:
    decision = _run(s)
    referral, state = s["referral"], s["order_state"]
    known = set(POLICIES.rule_ids())
    if referral.review.needed and not (state and state.reviewed):
        assert decision.route.queue == "intake_review"
        assert all("review_needed" in o.blocked_by for o in decision.orders)
    assert decision.route.priority == (referral.fields.urgency or "routine")
    order_queues = [o.queue for o in decision.orders]
    assert all(
        QUEUE_PRECEDENCE.index(decision.route.queue) <= QUEUE_PRECEDENCE.index(q) for q in order_queues
    )  # type: ignore[arg-type]
    completed = state.completed_services if state else set()
    for order in decision.orders:
        assert order.prior_auth.rule_id in order.rule_ids and set(order.rule_ids) <= known
        assert order.prior_auth.source and order.reason
        if order.schedulable:
            assert set(order.depends_on) <= completed
            assert order.queue == "scheduling"
        if "service_not_offered" in order.blocked_by:
            assert order.queue == "out_of_network" and order.location is None


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_same_inputs_same_decision(s: dict[str, Any]) -> None:
    assert _run(s) == _run(s)


@SETTINGS
@given(scenarios())
def test_an_approval_covering_the_date_clears_only_the_authorization_blocker(s: dict[str, Any]) -> None:
    """The converse: approve every order for the date and only prior-auth blockers (other than an
    unknown requirement) go away; everything else about the decision stays."""
    before = _run(s)
    day = s["target_date"] or s["today"]
    state: OrderState = s["order_state"] or OrderState()
    approved = state.model_copy(
        update={
            "orders": [
                OrderProgress(service=o.service, status="open", auth_status="approved", auth_valid_from=day,
                              auth_valid_to=day, documentation_received=(p.documentation_received if (p := state.progress(o.service)) else []))
                for o in before.orders
            ]
            + [o for o in state.orders if o.service not in {d.service for d in before.orders} and o.status == "completed"]
        }
    )  # fmt: skip
    if state.completed_services & {o.service for o in before.orders}:
        return  # completing an order is itself a change of facts; covered by the cases file
    after = _run({**s, "order_state": approved})
    for b, a in zip(before.orders, after.orders, strict=True):
        assert a.prior_auth == b.prior_auth
        kept = [x for x in b.blocked_by if not x.startswith("prior_auth_") or x == "prior_auth_unknown"]
        assert a.blocked_by == kept
        assert a.schedulable == (not kept)
