"""Policy conditions as ``rule-engine`` expressions over one typed context (never ``eval``).

Typing the context makes a misspelt symbol or a malformed expression fail when the policies are
loaded (``cardio-intake policies check``), not when a referral happens to reach the rule.

Symbols (all lower case; strings are the contract's labels):

==========================  =================  ==================================================
symbol                      type               meaning
==========================  =================  ==================================================
service                     STRING             the order's service (contract intent)
cpt                         ARRAY of STRING    the order's CPT codes
ordered                     ARRAY of STRING    every service ordered in the referral
urgency                     STRING             routine, urgent or stat (routine when not found)
payer, plan                 STRING or null     canonical payer / plan id
plan_type                   STRING or null     commercial, medicare_advantage, ...
benefit_manager             STRING or null     eviCore, Carelon, ...
site                        STRING or null     site of service of the location offering it
practice, practice_state    STRING             the practice id and the location's state (2 letters)
age                         FLOAT or null      patient age in years on the date of service
icd10, diagnoses            ARRAY of STRING    extracted codes; diagnosis texts in lower case
acute_coronary              BOOLEAN            acute-coronary codes or words in the diagnoses
new_patient                 BOOLEAN            not known to be an established patient
consult_first               BOOLEAN            the practice wants a consult before procedures
consult_first_services      ARRAY of STRING    the procedures that consult precedes
auth_required               BOOLEAN or null    the order's prior-auth result (documentation rules)
==========================  =================  ==================================================
"""

from __future__ import annotations

from typing import Any

import rule_engine

_T = rule_engine.DataType

CONTEXT_TYPES: dict[str, Any] = {
    "service": _T.STRING,
    "cpt": _T.ARRAY(_T.STRING),
    "ordered": _T.ARRAY(_T.STRING),
    "urgency": _T.STRING,
    "payer": _T.STRING,
    "plan": _T.STRING,
    "plan_type": _T.STRING,
    "benefit_manager": _T.STRING,
    "site": _T.STRING,
    "practice": _T.STRING,
    "practice_state": _T.STRING,
    "age": _T.FLOAT,
    "icd10": _T.ARRAY(_T.STRING),
    "diagnoses": _T.ARRAY(_T.STRING),
    "acute_coronary": _T.BOOLEAN,
    "new_patient": _T.BOOLEAN,
    "consult_first": _T.BOOLEAN,
    "consult_first_services": _T.ARRAY(_T.STRING),
    "auth_required": _T.BOOLEAN,
}

_CONTEXT = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(CONTEXT_TYPES))


class ExpressionError(ValueError):
    """An expression that does not compile against the typed context."""


def compile_expression(text: str) -> rule_engine.Rule:
    try:
        return rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.SymbolResolutionError as exc:
        raise ExpressionError(
            f"unknown symbol {exc.symbol_name!r} in {text!r}; known: {', '.join(sorted(CONTEXT_TYPES))}"
        ) from exc
    except rule_engine.errors.EngineError as exc:
        raise ExpressionError(f"invalid expression {text!r}: {exc.message}") from exc


def evaluate(rule: rule_engine.Rule, context: dict[str, Any]) -> bool:
    """True when the expression holds. A value it cannot evaluate (an unknown age compared with a
    number) makes it false: the condition is not shown to hold, so the rule does not apply."""
    try:
        return bool(rule.matches(context))
    except rule_engine.errors.EvaluationError:
        return False
