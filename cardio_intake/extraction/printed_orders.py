"""Intents read straight off a referral's printed words, for the referral the model lists nothing for.

Why: every referral orders at least one service, yet on a layout the tagger has not seen it can miss
the order line altogether (no PROCEDURE or CPT span), and the intent head, pooled over the pages,
then stays under every threshold. An empty intent list is certain to be wrong; the order is usually
still on the page as a CPT code in a contract range ("93288") or a standard service name ("PPM check",
"Holter monitor"). This fallback lists what those say, and only when they say little: a checkbox
order sheet prints every service it offers, and a page that names more services than a referral
ever orders (``MAX_PRINTED_INTENTS``) tells nothing. The referral still goes to a person
(``low_confidence:intent``): the fallback saves the reading, not the review.

Codes come first: a code in a contract range is unambiguous where a name may be history ("had an echo").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from cardio_intake.extraction.normalize import _fix_digits
from cardio_intake.labels import INTENTS, intent_for_cpt

#: The most intents a referral orders in the training corpus is 3 (1 of 127; 50 order 2): a page naming
#: more is an order menu or a history, not this referral's order.
MAX_PRINTED_INTENTS = 3
#: The confidence a printed intent is listed with: no model stands behind it.
PRINTED_ORDER_CONFIDENCE = 0.5
_EDGE = ".,;:()[]#*"


def printed_cpt_intents(words: Iterable[str]) -> set[str]:
    """Intents of the words that are CPT codes in a contract range, after the digit-run OCR fixes."""
    found = set()
    for word in words:
        intent = intent_for_cpt(_fix_digits(word.strip(_EDGE)))
        if intent is not None:
            found.add(intent)
    return found


@lru_cache(maxsize=8)
def _term_patterns(terms: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for intent, names in terms:
        alternatives = "|".join(re.escape(n.lower()) for n in sorted(names, key=len, reverse=True))
        out.append((intent, re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")))
    return tuple(out)


def printed_term_intents(words: Iterable[str], order_terms: Mapping[str, Sequence[str]]) -> set[str]:
    """Intents whose order terms (whole words, case-insensitive) appear in the words."""
    text = re.sub(r"\s+", " ", " ".join(words).lower())
    key = tuple((intent, tuple(names)) for intent, names in sorted(order_terms.items()) if names)
    return {intent for intent, pattern in _term_patterns(key) if pattern.search(text)}


def printed_order_intents(words: Sequence[str], order_terms: Mapping[str, Sequence[str]]) -> list[str]:
    """The intents the printed CPT codes name, else those the order terms name; none when either
    names more than ``MAX_PRINTED_INTENTS`` (contract order)."""
    for found in (printed_cpt_intents(words), printed_term_intents(words, order_terms)):
        if found:
            return sorted(found, key=INTENTS.index) if len(found) <= MAX_PRINTED_INTENTS else []
    return []
