"""The member ID read straight off a referral's printed words, for the referral the tagger finds none on, or
only readings of none of the payer's shapes (an MRN "E1377191" taken for a Molina ID: the referral's one word of
Molina's shape, untagged, is its ID; over the gold tags of the 436 packets here no field changes).

Why: on a form the tagger has not seen it can miss the member ID, or read it as the group number ("Member
ID 10/10/2025 70541977004" tagged GROUP_NUMBER on a bilingual form), while the payer is read. Most
payers issue IDs in fixed shapes (``policies/payers.yaml`` ``member_id_formats``: Aetna "W#########",
an MBI "#@*#@*#@@##"), and a word of exactly that shape is rare on a referral. So where no member ID is
read and the payer's shapes are known, the one word of the referral's pages that has such a shape is
taken; none is taken where there are two (a group number of the same shape beside it tells nothing).
What keeps other numbers out:

* the word is no phone or fax number ("18005550142" has the shape of UnitedHealthcare's 11-digit IDs)
  and no date;
* it is in no span the tagger read as another identifier or value (an MRN, an NPI, a CPT code): only
  untagged words and group numbers, the tagger's usual confusion, are candidates;
* words are taken as read, never mended to the shape (a mended word fits too easily).

The span keeps the tagger's own MEMBER_ID probability for the word, and the referral goes to a person
(``low_confidence:member_id``) whatever the threshold: the fallback saves the reading, not the review.
"""

from __future__ import annotations

from collections.abc import Sequence

from cardio_intake.extraction.entities import TYPE_COLUMNS, Span, union_box
from cardio_intake.extraction.member_ids import fits_any
from cardio_intake.extraction.normalize import normalize_date, normalize_phone
from cardio_intake.extraction.printed_page import EDGE_PUNCT, PrintedPage

#: Spans of these types may hold the member ID the tagger missed (besides untagged words).
CONFUSED_TYPES = frozenset({"GROUP_NUMBER"})


def _other_value(word: str) -> bool:
    """A phone/fax number or a date, which may share an ID's digits."""
    return normalize_phone(word).value is not None or normalize_date(word).value is not None


def printed_member_id_span(pages: Sequence[PrintedPage], shapes: tuple[str, ...]) -> Span | None:
    """The one word of the pages that has one of ``shapes`` and is no other value; None where there is
    none, or more than one distinct such word."""
    if not shapes:
        return None
    found: dict[str, Span] = {}
    for page in pages:
        for i, raw in enumerate(page.words):
            word = raw.strip(EDGE_PUNCT)
            kind = page.word_types.get(i)
            if (kind is not None and kind not in CONFUSED_TYPES) or not fits_any(word, shapes) or _other_value(word):
                continue
            conf = float(page.probs[i, TYPE_COLUMNS["MEMBER_ID"]].sum())
            found.setdefault(word.upper(), Span(
                type="MEMBER_ID", text=word, page=page.page, bbox=union_box([page.boxes[i]]),
                confidence=min(1.0, max(0.0, conf)), word_indices=[i],
            ))
    return next(iter(found.values())) if len(found) == 1 else None
