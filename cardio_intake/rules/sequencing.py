"""Sequencing: which orders must be done before this one (``depends_on``), and which of them are not.

A rule lists prerequisites, any one of which satisfies it. Prerequisites ordered in the same referral
become ``depends_on`` and block until completed. When none is ordered, ``if_not_ordered: require``
names the first prerequisite anyway (it has to be booked: ``prerequisite_not_ordered:<service>``) and
``skip`` leaves the rule out (a prior result is assumed to be on file, or documentation covers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cardio_intake.rules.expressions import evaluate
from cardio_intake.rules.facts import ReferralFacts
from cardio_intake.rules.policies import Policies


@dataclass
class SeqResult:
    depends_on: list[str] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate_sequencing(
    service: str, facts: ReferralFacts, context: dict[str, Any], policies: Policies
) -> SeqResult:
    out = SeqResult()
    for rule in policies.sequencing.rules:
        if rule.services != "all" and service not in rule.services:
            continue
        prereqs = [p for p in rule.prerequisites if p != service]
        if not prereqs:
            continue
        if rule.id in policies.expressions and not evaluate(policies.expressions[rule.id], context):
            continue
        ordered = [p for p in prereqs if p in facts.ordered]
        done = [p for p in prereqs if p in facts.completed]
        if not ordered and not done and rule.if_not_ordered == "skip":
            continue
        out.rule_ids.append(rule.id)
        out.sources.append(rule.source)
        for p in ordered or ([] if done else prereqs[:1]):
            if p not in out.depends_on:
                out.depends_on.append(p)
        if done:
            out.notes.append(f"{'/'.join(done)} done ({rule.description})")
        elif ordered:
            out.blocked_by.extend(f"prerequisite_pending:{p}" for p in ordered)
            out.notes.append(f"after {' or '.join(ordered)} ({rule.description})")
        else:
            out.blocked_by.append(f"prerequisite_not_ordered:{prereqs[0]}")
            out.notes.append(f"{prereqs[0]} must be booked first ({rule.description})")
    out.blocked_by = list(dict.fromkeys(out.blocked_by))
    return out
