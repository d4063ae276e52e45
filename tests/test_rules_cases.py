"""Hand-written triage cases against the shipped policies (tests/rules_cases.yaml), and the check that
every rule in those policies is exercised by at least one case."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rules_support import ALL_EVIDENCE_PAGES, DEFAULT_TODAY, make_referral, shipped_policies

from cardio_intake.rules import OrderState, triage
from cardio_intake.schemas import OrderDecision, TriageDecision

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "rules_cases.yaml").read_text())


def run_case(case: dict[str, Any]) -> TriageDecision:
    policies = shipped_policies()
    state = case.get("state")
    return triage(
        make_referral(**case["referral"]),
        policies.practice(case.get("practice", "default")),
        policies,
        case.get("today", DEFAULT_TODAY),
        target_date=case.get("target_date"),
        order_state=OrderState.model_validate(state) if state is not None else None,
        page_types=case.get("page_types", ALL_EVIDENCE_PAGES),
    )


def _check_order(order: OrderDecision, expected: dict[str, Any]) -> None:
    pa = order.prior_auth
    actual = {
        "required": pa.required,
        "rule_id": pa.rule_id,
        "program": pa.program,
        "submit_by": pa.submit_by,
        "expedited": pa.expedited,
        "policy_default": pa.policy_default,
        "schedulable": order.schedulable,
        "blocked_by": order.blocked_by,
        "depends_on": order.depends_on,
        "missing": order.documentation.missing,
        "rule_ids": order.rule_ids,
        "queue": order.queue,
        "location": order.location,
        "cpt": order.cpt,
    }
    for key, want in expected.items():
        if key == "rule_ids_include":
            assert set(want) <= set(order.rule_ids), f"{order.service}: {order.rule_ids} lacks {want}"
        elif key == "reason_contains":
            assert want in order.reason, f"{order.service}: {want!r} not in {order.reason!r}"
        else:
            assert actual[key] == want, f"{order.service}.{key}: {actual[key]!r} != {want!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    decision = run_case(case)
    expect = case["expect"]
    if "queue" in expect:
        assert decision.route.queue == expect["queue"], decision.route.reasons
    if "priority" in expect:
        assert decision.route.priority == expect["priority"]
    if "reasons_contain" in expect:
        assert any(expect["reasons_contain"] in r for r in decision.route.reasons), decision.route.reasons
    orders = {o.service: o for o in decision.orders}
    assert set(orders) == set(expect["orders"])
    for service, expected in expect["orders"].items():
        _check_order(orders[service], expected)
    for order in decision.orders:  # every decision explains itself
        assert order.prior_auth.rule_id in order.rule_ids
        assert order.prior_auth.source and order.prior_auth.reason
        assert order.reason and order.sources


def test_every_shipped_rule_is_hit_by_a_case() -> None:
    fired: set[str] = set()
    for case in CASES:
        for order in run_case(case).orders:
            fired.update(order.rule_ids)
    missing = [r for r in shipped_policies().rule_ids() if r not in fired]
    assert not missing, f"rules no case exercises: {missing}"


def test_triage_is_deterministic_and_leaves_its_inputs_alone() -> None:
    case = next(c for c in CASES if c["name"].startswith("Anthem via Carelon"))
    referral = make_referral(**case["referral"])
    before = referral.model_dump()
    policies = shipped_policies()
    first = triage(referral, policies.practice("default"), policies, date(2026, 3, 2))
    second = triage(referral, policies.practice("default"), policies, date(2026, 3, 2))
    assert first == second
    assert referral.model_dump() == before


def test_signature_without_keywords_still_works() -> None:
    """``triage(referral, practice, policies, today)``: page evidence absent, so the note is missing."""
    policies = shipped_policies()
    decision = triage(
        make_referral(payer="UHC", intents=["echo_tte"], cpt=["93306"]),
        policies.practice("default"),
        policies,
        DEFAULT_TODAY,
    )
    (order,) = decision.orders
    assert order.documentation.missing == ["office_note_within_60_days"]
    assert order.prior_auth.submit_by == date(
        2026, 3, 7
    )  # today + 21 days lead - 15 days ERISA - 1 day buffer
