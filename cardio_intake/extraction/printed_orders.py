"""Intents read straight off a referral's printed words, for the referral the model lists nothing for or
whose orders the tagger read none of; and, for every referral, the services its printed CPT codes order that the
model did not list (:func:`printed_code_intents`: a code the tagger doubted still orders its service).

Why: every referral orders at least one service, yet on a layout the tagger has not seen it can miss
the order line altogether (no PROCEDURE or CPT span), and the intent head, pooled over the pages,
then stays under every threshold or guesses (``build.orders_read``). An empty intent list is certain to
be wrong; the order is usually still on the page as a CPT code in a contract range ("93288") or a standard
service name ("PPM check", "Holter monitor"). This fallback lists what those say, and only when they say
little: a checkbox order sheet prints every service it offers, and a page that names more services than a
referral ever orders (``MAX_PRINTED_INTENTS``) tells nothing. A printed intent is listed at its listing
threshold (the contract lists only what passes it; no model stands behind it to say more) and the
referral still goes to a person (``low_confidence:intent``): the fallback saves the reading, not the review.

Codes come first: a code in a contract range is unambiguous where a name may be history ("had an echo").
Names are matched exactly first, then, where no name is printed exactly, through one or two OCR slips
(``fuzzy_term_intents``: "tress echo", "pacemaker inlerrogation").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from cardio_intake.extraction.normalize import normalize_cpt
from cardio_intake.labels import INTENTS, intent_for_cpt

#: The most intents a referral orders in the training corpus is 3 (1 of 127; 50 order 2): a page naming
#: more is an order menu or a history, not this referral's order.
MAX_PRINTED_INTENTS = 3

#: Where orders are not printed. A clinical note or a test result names services as history ("Holter
#: monitor report", "proceeded with cardiac catheterization"), not as this referral's order. Every other
#: page is read: an order page the model typed as an insurance card or "other" (a short Rx pad) still
#: prints its order, and on the gold pages of every corpus here (390 referrals) no insurance card or
#: other page names a service.
HISTORY_PAGE_TYPES = frozenset({"clinical_note", "test_result"})


#: Digits OCR reads for others in the fax faces of CPT codes: a 3 read as 4, 5, 8 or 9 ("95620" for 93620,
#: "99224" for 93224, "93906" for 93306), a 5 read as 8 ("93488" for 93458). Read digit -> the digits it may be.
_CPT_DIGIT_SLIPS = {"4": "3", "5": "3", "8": "35", "9": "3"}


def slipped_cpt_intent(code: str) -> str | None:
    """For a five-digit code outside every contract range, the one intent whose range one OCR digit slip
    (:data:`_CPT_DIGIT_SLIPS`) puts it in; None when no slip does, or slips reach two intents. A cardiology
    referral's codes are its orders: a code no contract service has, one slip away from one, is that one."""
    if len(code) != 5 or not code.isdigit() or intent_for_cpt(code) is not None:
        return None
    intents = {
        intent
        for i, ch in enumerate(code)
        for alt in _CPT_DIGIT_SLIPS.get(ch, "")
        if (intent := intent_for_cpt(code[:i] + alt + code[i + 1 :])) is not None
    }
    return intents.pop() if len(intents) == 1 else None


def cpt_code_intent(text: str) -> str | None:
    """The intent whose contract range holds ``text`` read as the CPT field is (``normalize_cpt``: OCR
    digit fixes, brackets, a modifier), or one OCR digit slip away from it (:func:`slipped_cpt_intent`);
    None for no valid code or one of no range."""
    code = normalize_cpt(text).value
    if not code:
        return None
    return intent_for_cpt(code) or slipped_cpt_intent(code)


def printed_cpt_intents(words: Iterable[str]) -> set[str]:
    """Intents of the words that are CPT codes in a contract range (:func:`cpt_code_intent`), less a
    sentence's final period."""
    return {intent for word in words if (intent := cpt_code_intent(word.rstrip("."))) is not None}


@lru_cache(maxsize=8)
def _term_patterns(terms: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    # one pattern per term (not per intent): every occurrence of every term is found, so that a term
    # inside a longer one of another service ("coronary angiography" in "CT coronary angiography") can yield
    return tuple(
        (intent, re.compile(rf"(?=(?<![a-z0-9])({re.escape(name.lower())})(?![a-z0-9]))"))
        for intent, names in terms
        for name in names
    )


def printed_term_intents(words: Iterable[str], order_terms: Mapping[str, Sequence[str]]) -> set[str]:
    """Intents whose order terms (whole words, case-insensitive) appear in the words; an occurrence
    inside a longer term's occurrence counts for the longer one only."""
    text = re.sub(r"\s+", " ", " ".join(words).lower())
    key = tuple((intent, tuple(names)) for intent, names in sorted(order_terms.items()) if names)
    hits = [(m.start(1), m.end(1), intent) for intent, pattern in _term_patterns(key) for m in pattern.finditer(text)]
    return {
        intent
        for start, end, intent in hits
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in hits)
    }


#: A service name is matched through OCR slips only when it has at least this many letters and digits (a
#: short one, "GXT" or "TTE", one slip away from other words, is matched exactly or not at all)...
FUZZY_MIN_CHARS = 8
#: ...and the printed words read this alike (difflib ratio over letters and digits, one space between words).
#: On the gold pages of every corpus here that are not history (390 referrals, 30 with no code or name printed
#: exactly): at 0.85, 10 referrals' intents found right, 4 found in part, none wrong (one without the rule that a
#: name inside a longer one counts for the longer one: "stress echocardiogiam" is not also an echocardiogram); at
#: 0.80, 3 wrong ("cardiac murmur" as a cardiac MRI, "heart catheterization" as a cardiac one).
FUZZY_RATIO = 0.85


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def fuzzy_term_intents(words: Iterable[str], order_terms: Mapping[str, Sequence[str]]) -> set[str]:
    """Intents whose order terms of at least ``FUZZY_MIN_CHARS`` characters the words spell with OCR slips
    (:data:`FUZZY_RATIO`, word for word over as many words as the term has); a match inside a longer
    term's match counts for the longer one only, as in :func:`printed_term_intents`."""
    tokens = [k for w in words if (k := _key(w))]
    hits: list[tuple[int, int, int, str]] = []  # (first token, end token, term length, intent)
    for intent, names in order_terms.items():
        for name in names:
            parts = [k for w in name.split() if (k := _key(w))]
            term = " ".join(parts)
            if len(term) - len(parts) + 1 < FUZZY_MIN_CHARS:
                continue
            matcher = difflib.SequenceMatcher(None, b=term, autojunk=False)
            for i in range(len(tokens) - len(parts) + 1):
                matcher.set_seq1(" ".join(tokens[i : i + len(parts)]))
                # the quick bounds first: most windows are nowhere near the term
                if matcher.real_quick_ratio() >= FUZZY_RATIO and matcher.quick_ratio() >= FUZZY_RATIO \
                        and matcher.ratio() >= FUZZY_RATIO:
                    hits.append((i, i + len(parts), len(term), intent))
    return {
        intent
        for start, end, size, intent in hits
        if not any(s <= start and end <= e and n > size for s, e, n, _ in hits)
    }


def printed_code_intents(words: Iterable[str]) -> set[str]:
    """The intents the printed CPT codes name (:func:`printed_cpt_intents`), none where they name more than a
    referral orders (:data:`MAX_PRINTED_INTENTS`: a menu). A code printed on an order page is what is ordered: on
    the gold pages of every corpus here (469 referrals, their pages not history) the printed codes name 310 ordered
    intents and one not ordered."""
    found = printed_cpt_intents(words)
    return found if len(found) <= MAX_PRINTED_INTENTS else set()


def printed_order_intents(words: Sequence[str], order_terms: Mapping[str, Sequence[str]]) -> list[str]:
    """The intents the printed CPT codes name, else those the order terms name exactly, else those they
    name through OCR slips; none when the first that finds any names more than ``MAX_PRINTED_INTENTS``
    (contract order). ``words``: the referral's pages that are not history (:data:`HISTORY_PAGE_TYPES`)."""
    for read in (printed_cpt_intents, lambda w: printed_term_intents(w, order_terms),
                 lambda w: fuzzy_term_intents(w, order_terms)):
        if found := read(words):
            return sorted(found, key=INTENTS.index) if len(found) <= MAX_PRINTED_INTENTS else []
    return []
