"""Documentation requirements per service, checked against what the extraction found
(see :mod:`cardio_intake.rules.facts` for what counts as evidence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cardio_intake.rules.expressions import evaluate
from cardio_intake.rules.facts import ReferralFacts, evidence_holds
from cardio_intake.rules.policies import Policies


@dataclass
class DocResult:
    missing: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # queue of each missing requirement
    notes: list[str] = field(default_factory=list)


def evaluate_documentation(
    service: str,
    facts: ReferralFacts,
    received: set[str],
    context: dict[str, Any],
    policies: Policies,
) -> DocResult:
    out = DocResult()
    for rule in policies.documentation.rules:
        if rule.services != "all" and service not in rule.services:
            continue
        if rule.id in policies.expressions and not evaluate(policies.expressions[rule.id], context):
            continue
        out.rule_ids.append(rule.id)
        out.sources.append(rule.source)
        if rule.requirement in received:
            out.notes.append(f"{rule.requirement}: recorded as received")
        elif any(s in facts.ordered and s != service for s in rule.satisfied_by_orders) or (
            facts.completed & set(rule.satisfied_by_orders)
        ):
            out.notes.append(f"{rule.requirement}: met by an order of this referral")
        elif any(evidence_holds(ev, facts) for ev in rule.evidence):
            out.notes.append(f"{rule.requirement}: found in the referral")
        elif rule.requirement not in out.missing:
            out.missing.append(rule.requirement)
            out.queues.append(rule.queue)
            out.notes.append(f"{rule.requirement} missing ({rule.description})")
    return out
