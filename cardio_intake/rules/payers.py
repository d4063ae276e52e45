"""Payer resolution: the payer text of a fax ("UHC Community Plan", "AARP Medicare Advantage",
"BlueCross BlueShield") to a canonical payer and plan.

Matching is on whole words after normalization (case, punctuation, ``&``), so "UHC" does not match
inside another word. Aliases of eight or more characters also match with the spaces squeezed out,
which covers "United Health Care" against "UnitedHealthcare". Brand names win over programme names
(``generic`` payers: Medicare, Medicaid), so "Humana Medicare" is Humana, not traditional Medicare.
Once the payer is known, its plan is the one whose plan phrase is longest in the text; without one,
the payer's ``default_plan`` (an assumption written in payers.yaml), else the plan is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cardio_intake.rules.models import Payer, Plan

_SQUEEZE_MIN = 8


def alias_key(text: str) -> str:
    """Normalized form used for matching: lower case words separated by one space."""
    # "U.H.C." and "O'Brien" keep their letters together; "&" is spelt out as on other forms.
    text = text.lower().replace("&", " and ").replace("'", "").replace(".", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _found(alias: str, key: str) -> int:
    """2: the alias's words are in the text; 1: only with spaces squeezed out; 0: not found."""
    a = alias_key(alias)
    if not a:
        return 0
    if f" {a} " in f" {key} ":
        return 2
    squeezed = a.replace(" ", "")
    return 1 if len(squeezed) >= _SQUEEZE_MIN and squeezed in key.replace(" ", "") else 0


@dataclass(frozen=True)
class PayerMatch:
    """What a payer text resolved to; ``payer`` None: unknown, ``plan`` None: plan unknown."""

    text: str | None
    payer: Payer | None = None
    plan: Plan | None = None
    how: str = ""

    @property
    def known(self) -> bool:
        return self.payer is not None and self.plan is not None


def resolve_payer(text: str | None, payers: Sequence[Payer]) -> PayerMatch:
    if not text or not alias_key(text):
        return PayerMatch(text, how="no payer found on the referral")
    key = alias_key(text)
    best: tuple[tuple[int, int, int], Payer, str] | None = None
    for payer in payers:
        for alias in payer.aliases:
            how = _found(alias, key)
            if how:
                rank = (0 if payer.generic else 1, how, len(alias_key(alias)))
                if best is None or rank > best[0]:
                    best = (rank, payer, alias)
    if best is None:
        return PayerMatch(text, how=f"payer {text!r} matches no payer on file")
    _, payer, alias = best
    plan_hit: tuple[int, Plan, str] | None = None
    for plan in payer.plans:
        for phrase in plan.aliases:
            if _found(phrase, key) and (plan_hit is None or len(alias_key(phrase)) > plan_hit[0]):
                plan_hit = (len(alias_key(phrase)), plan, phrase)
    if plan_hit is not None:
        return PayerMatch(text, payer, plan_hit[1], f"{payer.name} ({alias!r}), plan phrase {plan_hit[2]!r}")
    if payer.default_plan is not None:
        return PayerMatch(
            text,
            payer,
            payer.plan(payer.default_plan),
            f"{payer.name} ({alias!r}), no plan named: assumed {payer.default_plan}",
        )
    return PayerMatch(text, payer, None, f"{payer.name} ({alias!r}), plan not identified")
