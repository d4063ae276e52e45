"""Multi-patient packets: one referral per patient.

Pages are read in order. A page whose patient block (name and/or DOB) names a different patient
than the current referral's starts a new referral; a page without a patient block (a fax cover, an
ECG strip) stays with the referral before it, so leading fax covers go with the first referral.
Names are compared on their tokens with a little fuzz (OCR drops and swaps letters; "Gonzalez, Maria
L" and "Maria L. Gonzalez" are the same person). Half the tokens agreeing is enough (OCR may garble
the rest) unless both pages carry a DOB and the DOBs differ: "Kim, Deborah" born 08/19/1962 and
"Deborah W. Washington" born 08/12/1962 share a first name, not a patient. Without names the DOB
decides.

Every referral orders something: a run of pages with no order page on it (an insurance card, a clinical
note, a fax cover whose patient line OCR garbled into "another" patient) is not a referral of its own but
part of the one before it (:func:`merge_orderless`); where the merged pages name another patient
confidently, the referral's review says so (``inconsistent:patient_name``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from cardio_intake.extraction.entities import Span
from cardio_intake.extraction.normalize import normalize_date, normalize_name


@dataclass(frozen=True)
class PatientKey:
    name: str  # the page's patient name, normalized ("" when none)
    dob: date | None

    @property
    def name_tokens(self) -> frozenset[str]:
        # initials and punctuation carry no identity (and OCR mangles them most)
        return frozenset(t for t in re.split(r"[^a-z]+", self.name.lower()) if len(t) >= 2)

    @property
    def name_letters(self) -> str:
        """The name's letters in order, lower case: "luisthomas" for "LUIS THOMAS" and "LUISTHOMAS"."""
        return re.sub(r"[^a-z]+", "", self.name.lower())

    @property
    def empty(self) -> bool:
        return not self.name_tokens and self.dob is None


def _best_value(spans: Sequence[Span], etype: str, min_confidence: float, normalize: Callable[[str], Any]) -> Any:
    """The normalized value of the most confident span of ``etype`` that has a valid one, else None: a form
    label tagged as the name ("Fecha de nacimiento", as sure as the name beside it) says nothing about who
    the patient is."""
    for span in sorted((s for s in spans if s.type == etype and s.confidence >= min_confidence), key=lambda s: -s.confidence):
        value = normalize(span.text)
        if value is not None:
            return value
    return None


def page_patient(spans: Sequence[Span], min_confidence: float = 0.5, today: date | None = None) -> PatientKey:
    name = _best_value(spans, "PATIENT_NAME", min_confidence, lambda t: normalize_name(t).value)
    dob = _best_value(spans, "PATIENT_DOB", min_confidence, lambda t: normalize_date(t, "dob", today).value)
    return PatientKey(name or "", dob)


#: Two name words at least this alike (difflib ratio) are one word OCR'd twice
SAME_WORD_RATIO = 0.8


def _found_in(word: str, name: frozenset[str]) -> bool:
    """Whether ``word`` is, fuzzily (:data:`SAME_WORD_RATIO`), a word of ``name``."""
    return any(SequenceMatcher(None, word, u).ratio() >= SAME_WORD_RATIO for u in name)


def _token_hits(a: frozenset[str], b: frozenset[str]) -> tuple[int, int]:
    """(tokens of the shorter name found, fuzzily, in the other; that name's token count)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(_found_in(t, large) for t in small), len(small)


#: Two name words this unlike are two names, not one OCR'd twice (difflib ratio): OCR slips keep about half a
#: word's letters in order ("nguyen" / "nyuiyen" 0.77, "andrew" / "andiew" 0.83); "sharon" / "olga" 0.2.
OTHER_NAME_RATIO = 0.5


def _other_names(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether a word of each name matches no word of the other even loosely (:data:`OTHER_NAME_RATIO`)."""
    ua, ub = [t for t in a if not _found_in(t, b)], [u for u in b if not _found_in(u, a)]
    return bool(ua and ub) and all(SequenceMatcher(None, t, u).ratio() < OTHER_NAME_RATIO for t in ua for u in ub)


def same_patient(a: PatientKey, b: PatientKey) -> bool:
    if a.name_letters and a.name_letters == b.name_letters:
        return True  # the same letters in the same order: one page's OCR ran two words together ("LUISTHOMAS")
    if a.name_tokens and b.name_tokens:
        hits, n = _token_hits(a.name_tokens, b.name_tokens)
        if hits == n:
            return True
        dobs_differ = a.dob is not None and b.dob is not None and a.dob != b.dob
        # a partial name match (one shared first name or surname) is the same patient only when the DOBs
        # do not contradict it and the words that differ are not other names outright: "SHARON MILLER" and
        # "Olga S. Miller" are a family's two referrals, "Nguyen, Andrew" and "Nyuiyen, Andiew" one OCR'd twice
        return hits >= max(1, (n + 1) // 2) and not dobs_differ and not _other_names(a.name_tokens, b.name_tokens)
    if a.dob is not None and b.dob is not None:
        return a.dob == b.dob
    return True  # nothing to tell them apart


def merge_orderless(referrals: list[list[int]], order_pages: Sequence[bool]) -> list[list[int]]:
    """Each referral without an order page (``order_pages[i]``: page ``i`` is one) joins the referral before
    it, and leading ones the first referral that has one; unchanged when no referral has an order page (then
    nothing tells which part is the referral)."""
    if not any(order_pages[p] for r in referrals for p in r):
        return referrals
    merged: list[list[int]] = []
    leading: list[int] = []
    for r in referrals:
        if any(order_pages[p] for p in r):
            merged.append([*leading, *r])
            leading = []
        elif merged:
            merged[-1].extend(r)
        else:
            leading.extend(r)
    return merged


def split_referrals(
    pages_entities: Sequence[Sequence[Span]], min_confidence: float = 0.5, today: date | None = None,
    order_pages: Sequence[bool] | None = None,
) -> list[list[int]]:
    """0-based page indices per referral, in page order; every page belongs to exactly one. With
    ``order_pages`` (per page: is it an order page), referrals without one are merged (:func:`merge_orderless`)."""
    if not pages_entities:
        return []
    referrals: list[list[int]] = [[]]
    current = PatientKey("", None)
    for idx, spans in enumerate(pages_entities):
        key = page_patient(spans, min_confidence, today)
        if not key.empty and not current.empty and not same_patient(current, key):
            referrals.append([])
            current = key
        elif not key.empty:
            # fill in what the current patient was missing (a DOB first seen on page 2)
            current = PatientKey(current.name if current.name_tokens else key.name, current.dob or key.dob)
        referrals[-1].append(idx)
    return merge_orderless(referrals, order_pages) if order_pages is not None else referrals
