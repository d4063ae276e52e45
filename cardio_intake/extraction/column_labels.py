"""Insurance and chart numbers typed by the label printed over their column.

Why: a grid form prints a row of labels ("Número de miembro / Member ID  Grupo / Group  Expediente / Chart #")
over a row of bare numbers. On such a form the tagger has not seen, it reads which number is which from the
numbers' shapes and often picks the wrong column: the default seed-24 model read 5 chart numbers as group
numbers or member IDs on the 84 held-out documents of data/bench7 + fresh7 (bilingual grid forms), and one as
the referring NPI on the 44 of fresh11. The label over a number names its type outright, so a member ID, group
number, chart number or NPI span whose column label names a member ID, group or chart number takes that type.

Only labels of a labels row count: the words over the number on the nearest line above it (within
:data:`MAX_GAP`), none holding a digit or ending in a colon (a "Member ID: W123" line above a "Group #: 456"
line names the line's own value, not the one below), each keyword capitalised (a letter's "... with member
ID" is prose), and the number with no label ending in a colon to its left on its own line. Over the gold
member IDs, group numbers, chart numbers and NPIs of every corpus here (1,508 spans, 436 documents), 110 have
such a label, each naming the gold type (no NPI has one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cardio_intake.extraction.lines import union_box

#: How far above a number (page units of 1000) its column's label may be: about three lines
MAX_GAP = 40
#: Two words lie on one line when their tops differ by at most this much
SAME_LINE = 6
#: The keywords that name a column's type (English and Spanish), matched at a label word's start
COLUMN_KEYWORDS: dict[str, re.Pattern[str]] = {
    "MRN": re.compile(r"(Chart|MRN|Expediente|Record)"),
    "GROUP_NUMBER": re.compile(r"(Group|Grupo|GROUP|GRUPO)"),
    "MEMBER_ID": re.compile(r"(Member|Miembro|MEMBER|Subscriber)"),
}
ID_TYPES = frozenset(COLUMN_KEYWORDS)
#: The types a number under such a label may have been read as
READ_AS = ID_TYPES | {"REFERRING_NPI"}


def _overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0


def column_label_type(words: Sequence[str], boxes: Sequence[Sequence[int]], box: Sequence[int]) -> str | None:
    """The type the labels row over ``box`` names, if it names exactly one; else None."""
    above = [i for i, b in enumerate(boxes) if b[3] <= box[1] + 2 and box[1] - b[3] <= MAX_GAP and _overlaps(box, b)]
    if not above:
        return None
    nearest = max(boxes[i][3] for i in above)
    label = [i for i in above if nearest - boxes[i][3] <= SAME_LINE]
    if any(any(ch.isdigit() for ch in words[i]) or words[i].endswith(":") for i in label):
        return None
    types = {t for i in label for t, rx in COLUMN_KEYWORDS.items() if rx.match(words[i].strip("/#:"))}
    return types.pop() if len(types) == 1 else None


def _labelled_on_its_left(words: Sequence[str], boxes: Sequence[Sequence[int]], box: Sequence[int]) -> bool:
    return any(
        words[i].endswith(":") and abs(b[1] - box[1]) <= SAME_LINE and b[2] <= box[0] for i, b in enumerate(boxes)
    )


def ids_typed_by_column(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """``spans`` (type, start, end, confidence) with each number read as one of :data:`READ_AS` under a labels row
    naming a member ID, group or chart number re-typed to it. The span keeps its confidence."""
    out = []
    for t, s, e, c in spans:
        if t in READ_AS:
            box = union_box(boxes[s:e])
            named = None if _labelled_on_its_left(words, boxes, box) else column_label_type(words, boxes, box)
            t = named or t
        out.append((t, s, e, c))
    return out
