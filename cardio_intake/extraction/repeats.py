"""A name or number the tagger read in one place is the same entity where the packet prints it again.

Why: a packet repeats its patient's name, the referring provider, the MRN and the fax number on every page
(a letterhead, a note's header, a lab's "Patient:" line), and on a form it has not seen the tagger marks
some of these and misses the rest: a letterhead's "Joshua Green" above an order it read "Referring
provider: Joshua Green" on, or marks "Connor" of "Connor Wright" where another page's "Connor Wright" it read
whole. The exact words again, untagged or cut short, are that entity again. On the gold tags of
every corpus here (436 packets) every exact repeat of a value of these types is tagged as that type where
nothing else covers it; dates, urgencies, payers and diagnoses are not so (a referral date is printed
again untagged as a fax header's date, "Urgent" as a cover sheet's box, 94 and 25 times), so they are not
carried.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cardio_intake.extraction.entities import Span, union_box

#: The types whose exact repeats gold tags wherever nothing else covers them.
REPEAT_TYPES = frozenset({
    "PATIENT_NAME", "PATIENT_DOB", "PATIENT_PHONE", "MRN", "MEMBER_ID", "GROUP_NUMBER",
    "REFERRING_PROVIDER", "REFERRING_NPI", "PROVIDER_FAX",
})

#: A value is carried only when it has this many letters and digits: a short one ("Or", "MD", "12") is
#: printed again as something else.
MIN_CHARS = 6

_ALNUM = re.compile(r"[A-Za-z0-9]")


#: Types the tagger's confidence does not tell apart: on the 84 held-out documents of data/bench7 + data/fresh7
#: (default model, seed 20), of three numbers read both as a member ID and as a group number the surer reading was
#: the group number, and each was the member ID. Such a number keeps both readings, for the fields to choose.
_UNDECIDED = frozenset({"MEMBER_ID", "GROUP_NUMBER"})


def _words(span: Span, pages_words: Sequence[Sequence[str]]) -> tuple[str, ...]:
    return tuple(pages_words[span.page - 1][i] for i in span.word_indices)


def _carried(words: Sequence[str]) -> bool:
    return len(_ALNUM.findall("".join(words))) >= MIN_CHARS


def _readings(
    pages_spans: Sequence[Sequence[Span]], pages_words: Sequence[Sequence[str]]
) -> dict[tuple[str, ...], tuple[Span, set[str]]]:
    """Per word sequence the tagger read as one of :data:`REPEAT_TYPES` (long enough to be carried), its surest
    span and every type it was read as."""
    readings: dict[tuple[str, ...], tuple[Span, set[str]]] = {}
    for spans in pages_spans:
        for span in spans:
            words = _words(span, pages_words)
            if span.type not in REPEAT_TYPES or not _carried(words):
                continue
            surest, types = readings.get(words, (span, set()))
            types.add(span.type)
            readings[words] = (span if span.confidence > surest.confidence else surest, types)
    return readings


def one_type_per_value(
    pages_spans: Sequence[Sequence[Span]], pages_words: Sequence[Sequence[str]]
) -> list[list[Span]]:
    """Spans of :data:`REPEAT_TYPES` with the same words take the type of the surest of them: one packet
    never prints the same name or number as two kinds of value (on the gold tags of every corpus here, no
    word sequence is two types in one packet), and the tagger's surer reading is the one it saw the label
    of ("Referring provider: Martinez, Juan" at 1.00, the letterhead's "Martinez, Juan" as the patient at
    0.57). A member ID against a group number is left alone (:data:`_UNDECIDED`)."""
    retype = {
        words: surest.type
        for words, (surest, types) in _readings(pages_spans, pages_words).items()
        if len(types) > 1 and not types >= _UNDECIDED
    }
    if not retype:
        return [list(spans) for spans in pages_spans]
    return [
        [
            span.model_copy(update={"type": retype[w]})
            if span.type in REPEAT_TYPES and (w := _words(span, pages_words)) in retype else span
            for span in spans
        ]
        for spans in pages_spans
    ]


def _sources(pages_spans: Sequence[Sequence[Span]], pages_words: Sequence[Sequence[str]]) -> dict[tuple[str, ...], Span]:
    """Per word sequence the tagger read as one of :data:`REPEAT_TYPES`, its surest span; a sequence read
    as two types is ambiguous and carried as neither."""
    return {words: surest for words, (surest, types) in _readings(pages_spans, pages_words).items() if len(types) == 1}


def repeats_tagged(
    pages_spans: Sequence[Sequence[Span]],
    pages_words: Sequence[Sequence[str]],
    pages_boxes: Sequence[Sequence[Sequence[int]]],
) -> list[list[Span]]:
    """``pages_spans`` with a span wherever the exact words of a span of :data:`REPEAT_TYPES` are printed
    again (any page): where no span covers any of them, or only spans of the same type inside them (a
    reading cut short, "Connor" of "Connor Wright", grows to the whole value; on the gold tags a value printed
    whole is tagged whole). The span takes the type and confidence of the surest span it repeats (after
    :func:`one_type_per_value`). Each page's spans stay in reading order."""
    out = one_type_per_value(pages_spans, pages_words)
    sources = _sources(out, pages_words)
    # longest first: a name inside a longer name's repeat is that one's
    ordered = sorted(sources.items(), key=lambda kv: -len(kv[0]))
    for p, words in enumerate(pages_words):
        spans = out[p]
        changed = False
        for seq, source in ordered:
            n = len(seq)
            for start in range(len(words) - n + 1):
                if tuple(words[start : start + n]) != seq:
                    continue
                idx = set(range(start, start + n))
                inside = [s for s in spans if idx.intersection(s.word_indices)]
                if any(s.type != source.type or not idx.issuperset(s.word_indices) or len(s.word_indices) == n
                       for s in inside):
                    continue
                spans = [s for s in spans if s not in inside] + [Span(
                    type=source.type, text=" ".join(seq), page=p + 1,
                    bbox=union_box([pages_boxes[p][i] for i in sorted(idx)]),
                    confidence=max([source.confidence, *(s.confidence for s in inside)]),
                    word_indices=sorted(idx),
                )]
                changed = True
        if changed:
            out[p] = sorted(spans, key=lambda s: min(s.word_indices, default=0))
    return out
