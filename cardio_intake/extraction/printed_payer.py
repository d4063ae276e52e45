"""The payer read straight off a referral's printed words, for the referral the tagger finds no payer on.

Why: on a form the tagger has not seen it can miss the insurance block altogether: no PAYER span on
any page of the referral (10 of the 92 test referrals of data/bench7 + data/fresh7, layout model),
though "Oscar Health" or "Highmark BCBS" is printed there. The payers a practice bills are a closed
list, its payer directory (``policies/payers.yaml``), so a run of words on one text line that reads as a
carrier's name, or a carrier and one of its plans ("Devoted Health", "Blue Cross Blue Shield"), is very
likely the payer. What keeps it from reading payers into every page:

* only carrier names count, never a plan name alone ("Select", "HMO", "Choice Plus" name no payer);
* several words may be OCR-mended first (``payer_words.repair_payer_text``: "Ble Coss Ble Sheld", "Ghio
  Nedicaid"), a single word must be spelt as the directory spells it, hyphens included: "Medical" is not
  "Medi-Cal", "them" not "Anthem";
* a name is a proper noun: its first word starts with a capital ("devoted to" is no payer);
* no word of it is in a span the tagger read as a person's name (a patient named "Oscar Lee" is not
  insured by Oscar Health); other types do not count, the tagger's stray tags on an unseen form land
  on payer words too ("Sheld" of "Ble Coss Ble Sheld" as a fax number);
* the longest name wins ("Highmark BCBS" over "Highmark"), first one whose every word reads as the name's
  word (the mending of a whole name also takes in a stray word beside it, "Ins: Ble Coss Ble Sheld", or
  leaves one out, "Coss Ble Sheld"), then the one the tagger gave the most payer probability.

The span keeps the tagger's own confidence for its words (the mean PAYER probability, low where the
tagger saw no payer), and the referral goes to a person (``low_confidence:payer``) whatever the payer
threshold: the fallback saves the reading, not the review.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from cardio_intake.extraction.entities import TYPE_COLUMNS, Span, union_box
from cardio_intake.extraction.lines import starts_new_line
from cardio_intake.extraction.payer_words import (
    mend_payer_words,
    payer_directory,
    payer_names,
    repair_payer_text,
    word_key,
)
from cardio_intake.extraction.printed_page import EDGE_PUNCT, PrintedPage

#: Longest carrier + plan name in words ("Blue Cross Blue Shield Medicare Advantage").
MAX_NAME_WORDS = 6
#: Spans whose words are a person's name, never a payer's.
NAME_TYPES = frozenset({"PATIENT_NAME", "REFERRING_PROVIDER"})


@lru_cache(maxsize=1)
def carrier_names() -> dict[str, str]:
    """key (``payer_words.word_key``) -> spelling of every carrier name and alias, alone and followed by one
    of its plans' names or aliases; plan names alone are not in it."""
    names: dict[str, str] = {}
    for payer in payer_directory().payers:
        carriers, _, with_plans = payer_names(payer)
        for name in carriers + with_plans:
            if key := word_key(name):
                names.setdefault(key, name)
    return names


def _reads_as_carrier(words: Sequence[str]) -> tuple[str, bool] | None:
    """The directory spelling of the carrier name ``words`` read as, and whether they read as it word for
    word (not only once mended as a whole); None when they read as none."""
    names = carrier_names()
    if len(words) == 1:
        key = word_key(words[0])
        exact = key in names and words[0].strip(EDGE_PUNCT).casefold() == names[key].casefold()
        return (names[key], True) if exact else None
    mended = mend_payer_words(" ".join(words))
    if (key := word_key(mended)) in names:
        return names[key], True
    key = word_key(repair_payer_text(mended))  # the whole-name step; the words are mended already
    return (names[key], False) if key in names else None


def page_payer_candidates(page: PrintedPage) -> list[tuple[int, bool, float, Span]]:
    """(name length, read word for word, payer probability, span) of every run of words on one line of the
    page that reads as a carrier name and is in no person-name span."""
    words, boxes = page.words, page.boxes
    payer_prob = page.probs[:, TYPE_COLUMNS["PAYER"]].sum(axis=1) if len(words) else np.zeros(0)
    found = []
    for start in range(len(words)):
        if not words[start].strip(EDGE_PUNCT)[:1].isupper():
            continue
        for end in range(start + 1, min(len(words), start + MAX_NAME_WORDS) + 1):
            if page.word_types.get(end - 1) in NAME_TYPES or (end - start > 1 and starts_new_line(boxes[end - 2], boxes[end - 1])):
                break  # a name is printed on one line, outside the tagger's other spans
            read = _reads_as_carrier(words[start:end])
            if read is None:
                continue
            name, word_for_word = read
            conf = float(payer_prob[start:end].mean())
            span = Span(
                type="PAYER", text=" ".join(words[start:end]), page=page.page, bbox=union_box(boxes[start:end]),
                confidence=min(1.0, max(0.0, conf)), word_indices=list(range(start, end)),
            )
            found.append((len(word_key(name)), word_for_word, conf, span))
    return found


def printed_payer_span(pages: Sequence[PrintedPage]) -> Span | None:
    """The longest carrier name printed on the referral's pages, read word for word before mended as a whole,
    ties to the one the tagger thought likelier a payer; None when none is printed."""
    found = [c for page in pages for c in page_payer_candidates(page)]
    if not found:
        return None
    return max(found, key=lambda c: (c[0], c[1], c[2]))[3]
