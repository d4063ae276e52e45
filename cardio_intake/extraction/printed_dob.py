"""The date of birth read off the words printed right after the patient's name, for the referral the tagger
finds none on.

Why: on a form the tagger has not seen, with the label OCR-garbled ("SHAH, MARGARET G pop 19-Mar-1987", the
"DOB" read as "pop"), the tagger can read the name and miss the date beside it. Forms print the date of birth
next to the name ("Name: ... DOB: ...", "Patient: ... D.O.B.: ...") or under it. Over the gold tags of the 436
packets here, where a valid date starts within two words after a patient name, it is the referral's date of
birth for 328 referrals and another date for 4 (OCR slips of the right one: "9-11-1938" for 1935).

What keeps other dates out: the date's words are in no span the tagger read (a referral date, a phone), they
start at most :data:`NAME_GAP` words past the name, no word from the name to the date names another date
("Referral Date:"), and where the referral's names are followed by two different dates none is taken. The
span keeps the tagger's own PATIENT_DOB probability, and the referral goes to a person
(``low_confidence:patient_dob``): the fallback saves the reading, not the review.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cardio_intake.extraction.entities import TYPE_COLUMNS, Span, union_box
from cardio_intake.extraction.lines import on_one_line
from cardio_intake.extraction.normalize import normalize_field
from cardio_intake.extraction.printed_page import PrintedPage

#: Words between a name and its date of birth: its label, OCR-garbled or not ("DOB:", "D.O.B.", "pop")
NAME_GAP = 2
#: Words a printed date takes at most ("Oct 9, 1968")
DATE_WORDS = 3
#: A label word of another date: a date after it is not the birth date
_OTHER_DATE = "date"


def _name_ends(page: PrintedPage) -> list[int]:
    """The index after each run of words the tagger read as the patient's name."""
    names = sorted(i for i, t in page.word_types.items() if t == "PATIENT_NAME")
    return [i + 1 for i in names if page.word_types.get(i + 1) != "PATIENT_NAME"]


def _date_after(page: PrintedPage, end: int) -> tuple[int, int] | None:
    """The first untagged words that start within :data:`NAME_GAP` words after ``end`` (on the name's line or
    the next: forms print "DOB" under "Name" too) and are a valid date of birth on one line, as (start, end)
    word indices; none past a word that names another date ("Referral Date:", "Admit Date")."""
    words, boxes = page.words, page.boxes
    for k in range(end, min(len(words), end + NAME_GAP + 1)):
        for n in range(1, DATE_WORDS + 1):
            stop = k + n
            if stop > len(words) or any(i in page.word_types for i in range(k, stop)) \
                    or any(_OTHER_DATE in w.lower() for w in words[end:stop]):
                break
            if n > 1 and not on_one_line(boxes[stop - 2], boxes[stop - 1]):
                break
            if _valid(words[k:stop]):
                while stop - k > 1 and _valid(words[k + 1 : stop]):
                    k += 1  # without a label the normaliser reads past ("DOB 19-Mar-1987")
                return k, stop
    return None


def _valid(words: Sequence[str]) -> bool:
    return normalize_field("patient_dob", " ".join(words)).value is not None


def printed_dob_span(pages: Sequence[PrintedPage]) -> Span | None:
    """The one date of birth printed after the referral's patient names (:func:`_date_after`); None where there
    is none, or two different ones."""
    found: dict[object, Span] = {}
    for page in pages:
        for end in _name_ends(page):
            if end >= len(page.words) or (at := _date_after(page, end)) is None:
                continue
            start, stop = at
            text = " ".join(page.words[start:stop])
            conf = float(np.mean(page.probs[start:stop][:, TYPE_COLUMNS["PATIENT_DOB"]].sum(axis=1)))
            found.setdefault(normalize_field("patient_dob", text).value, Span(
                type="PATIENT_DOB", text=text, page=page.page, bbox=union_box(page.boxes[start:stop]),
                confidence=min(1.0, max(0.0, conf)), word_indices=list(range(start, stop)),
            ))
    return next(iter(found.values())) if len(found) == 1 else None
