"""Does this order need prior authorization? ``True``/``False`` from the most specific matching
rule, ``None`` when the payer or plan is unknown or no rule covers it (a person decides).

Specificity, most specific first: scope (plan > payer > benefit manager > plan type), then how the
order matched (its CPT code > its service named > ``services: all``), then the latest
``effective_from`` (a later change supersedes), then a site-of-service condition; on a tie the rule
written first in the file wins.
An order with several CPT codes needs authorization when any of them does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cardio_intake.rules.expressions import evaluate
from cardio_intake.rules.models import Fallback, PriorAuthRule, cpt_in
from cardio_intake.rules.payers import PayerMatch
from cardio_intake.rules.policies import Policies


@dataclass(frozen=True)
class AuthResult:
    required: bool | None
    rule_id: str
    source: str
    reason: str
    program: str | None = None
    cpt: str | None = None
    policy_default: bool = False


def _match_kind(rule: PriorAuthRule, service: str, code: str | None) -> int | None:
    if code is not None and rule.cpt and cpt_in(code, rule.cpt):
        return 2
    if rule.services == "all":
        return 0
    if service in rule.services:
        return 1
    return None


def _applies(
    rule: PriorAuthRule,
    match: PayerMatch,
    site: str | None,
    service_date: date,
    context: dict[str, Any],
    policies: Policies,
) -> bool:
    assert match.payer is not None and match.plan is not None
    if rule.payers and match.payer.id not in rule.payers:
        return False
    if rule.plans and match.plan.id not in rule.plans:
        return False
    if rule.plan_types and match.plan.plan_type not in rule.plan_types:
        return False
    if rule.benefit_manager and rule.benefit_manager != match.plan.benefit_manager:
        return False
    if rule.sites and site not in rule.sites:
        return False
    if rule.effective_from and service_date < rule.effective_from:
        return False
    if rule.effective_to and service_date > rule.effective_to:
        return False
    return rule.id not in policies.expressions or evaluate(policies.expressions[rule.id], context)


def _fallback(fb: Fallback, why: str) -> AuthResult:
    return AuthResult(None, fb.id, fb.source, f"{why}: {fb.description}")


def _one_code(
    service: str, code: str | None, match: PayerMatch, site: str | None, service_date: date,
    context: dict[str, Any], policies: Policies,
) -> AuthResult:  # fmt: skip
    assert match.payer is not None and match.plan is not None
    best: tuple[tuple[int, int, date, int, int], PriorAuthRule] | None = None
    for index, rule in enumerate(policies.prior_auth.rules):
        kind = _match_kind(rule, service, code)
        if kind is None or not _applies(rule, match, site, service_date, context, policies):
            continue
        key = (rule.scope_rank(), kind, rule.effective_from or date.min, int(bool(rule.sites)), -index)
        if best is None or key > best[0]:
            best = (key, rule)
    payer, plan = match.payer, match.plan
    if best is None:
        return _fallback(policies.prior_auth.fallbacks.no_policy, f"{payer.name} {plan.name}, {service}")
    rule = best[1]
    what = f"CPT {code}" if best[0][1] == 2 else service
    verdict = "requires prior authorization" if rule.required else "does not require prior authorization"
    reason = f"{payer.name} {plan.name}: {what} {verdict} ({rule.description})"
    if rule.default:
        reason += " [policy default: no payer data on file]"
    program = (rule.program or plan.benefit_manager or payer.name) if rule.required else None
    return AuthResult(rule.required, rule.id, rule.source, reason, program, code, rule.default)


def evaluate_prior_auth(
    service: str,
    codes: tuple[str, ...],
    match: PayerMatch,
    site: str | None,
    service_date: date,
    context: dict[str, Any],
    policies: Policies,
) -> AuthResult:
    fallbacks = policies.prior_auth.fallbacks
    if match.payer is None:
        return _fallback(fallbacks.unknown_payer, match.how)
    if match.plan is None:
        return _fallback(fallbacks.unknown_plan, match.how)
    results = [
        _one_code(service, code, match, site, service_date, context, policies) for code in (codes or (None,))
    ]
    for wanted in (True, None, False):  # any code needing auth decides; then an unknown; else none needed
        for result in results:
            if result.required is wanted:
                return result
    raise AssertionError("unreachable")
