"""BIO word tags -> entity spans -> the contract's normalized ``Fields``.

Word probabilities come in already calibrated (softmax of temperature-scaled tag logits). A span's
confidence is the mean (or min) over its words of the probability that the word belongs to the
span's entity type, i.e. P(B-X) + P(I-X): a B/I mix-up inside a span is not a reason for doubt.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.document import Box1000
from cardio_intake.extraction.column_labels import ids_typed_by_column
from cardio_intake.extraction.lines import (
    first_letter,
    goes_on_in_lower_case,
    line_runs,
    on_one_line,
    rises_above,
    starts_new_line,
    union_box,
)
from cardio_intake.extraction.member_ids import (
    closed_up,
    fits_any,
    known_payer,
    mend_member_id,
    shaped_word,
    shapes_for_payer,
    symbol_read,
)
from cardio_intake.extraction.normalize import (
    INITIAL_AS_DIGIT,
    is_credential,
    normalize_field,
    normalize_identifier,
    normalize_name,
)
from cardio_intake.extraction.payer_words import complete_payer, directory_spelling
from cardio_intake.labels import BIO_LABELS, ENTITY_TO_FIELD, ENTITY_TYPES, FIELD_NAMES, LIST_FIELDS
from cardio_intake.schemas import EntityPrediction, Fields

SpanReduce = Literal["mean", "min"]
TagDecoding = Literal["argmax", "viterbi", "viterbi_joined"]
FieldSelection = Literal["confidence", "support"]

#: Entities printed one per line, an order list's items: a span of them that runs on to the next line is
#: cut there (``lines.py``). Only procedures: cutting every single-line value (a name into the label
#: under it) gained two test referrals of 92 but left a one-word fragment ("Mogae" over "THOMAS POWELL")
#: to stand for a page's patient in the multi-patient split, and the validation fit of the split then
#: turned splitting off for the text-only model. Diagnoses are list items too ("ABNORMAL ECG" over "ATYPICAL
#: CHEST PAIN"): of the 694 gold diagnoses of every corpus here, 17 run over two lines, each going on in lower
#: case (a wrapped ICD-10 title, "Essential" over "(primary) hypertension"), which ``line_runs`` keeps whole.
LINE_TYPES = frozenset({"PROCEDURE", "DIAGNOSIS"})
#: A list item that ends in one of these words goes on in the next item when that starts in lower case
#: ("Occlusion and" / "stenosis of bilateral carotid arteries": a wrapped title the tagger cut in two)...
ITEM_CONNECTORS = frozenset({"and", "or", "with", "without", "of", "involving", "due", "to", "&"})
#: ...and else the conjunction is the list's, not the item's ("Angina pectoris and" / "Essential (primary)
#: hypertension"): no gold diagnosis or procedure of the corpora ends in one.
ITEM_CONJUNCTIONS = frozenset({"and", "or", "&"})
#: Entities that are a person's name.
NAME_TYPES = frozenset({"PATIENT_NAME", "REFERRING_PROVIDER"})

_TYPE_OF_LABEL = [lab[2:] if lab != "O" else "" for lab in BIO_LABELS]
#: Per entity type, its B- and I- columns of the tag probabilities.
TYPE_COLUMNS = {t: [i for i, lab in enumerate(BIO_LABELS) if lab[2:] == t] for t in ENTITY_TYPES}


class Span(BaseModel):
    """One decoded entity on one page."""

    model_config = ConfigDict(extra="forbid")

    type: str
    text: str
    page: int = Field(ge=1, description="1-based page number")
    bbox: Box1000
    confidence: float = Field(ge=0.0, le=1.0)
    word_indices: list[int] = Field(description="indices of the span's words on its page")
    retyped: bool = Field(default=False, description="tagged as another type, whose value it cannot be (_retype_invalid)")

    def to_prediction(self) -> EntityPrediction:
        return EntityPrediction(
            type=self.type,  # type: ignore[arg-type]
            text=self.text,
            page=self.page,
            bbox=self.bbox,
            confidence=round(self.confidence, 6),
        )


def tag_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end-exclusive) of each entity in a BIO tag sequence. Lenient like seqeval's
    default: an I-X that does not continue an X span opens a new one."""
    spans: list[tuple[str, int, int]] = []
    cur_type, start = "", 0
    for i, tag in enumerate(tags):
        prefix, etype = (tag[0], tag[2:]) if tag != "O" else ("O", "")
        if cur_type and (prefix != "I" or etype != cur_type):
            spans.append((cur_type, start, i))
            cur_type = ""
        if prefix in ("B", "I") and not cur_type:
            cur_type, start = etype, i
    if cur_type:
        spans.append((cur_type, start, len(tags)))
    return spans


def _allowed_transitions(join_single_valued: bool = False) -> np.ndarray:
    """``allowed[i, j]``: tag j may follow tag i. I-X continues only B-X or I-X. With
    ``join_single_valued``, B-X may not follow B-X or I-X either when X is a single-valued field
    (a name, a date, an ID, a phone): two values of one such field never touch, so adjacent words
    of it are one value that OCR split (the corpus's gold has no such pair; list fields have some)."""
    allowed = np.ones((len(BIO_LABELS), len(BIO_LABELS)), dtype=bool)
    for j, lab in enumerate(BIO_LABELS):
        if lab.startswith("I-"):
            allowed[:, j] = [prev[2:] == lab[2:] for prev in BIO_LABELS]
        elif join_single_valued and lab.startswith("B-") and ENTITY_TO_FIELD[lab[2:]] not in LIST_FIELDS:
            allowed[:, j] = [prev[2:] != lab[2:] for prev in BIO_LABELS]
    return allowed


_ALLOWED = {join: _allowed_transitions(join) for join in (False, True)}
_CAN_START = np.array([not lab.startswith("I-") for lab in BIO_LABELS])


def viterbi_tags(probs: np.ndarray, join_single_valued: bool = False) -> list[int]:
    """The most probable tag sequence that is valid BIO (no I-X except after B-X or I-X), from
    independent per-word probabilities. Argmax reads each word alone, so one word of a long
    procedure or diagnosis read as I-DIAGNOSIS inside a PROCEDURE span breaks it into three; here the
    whole span's evidence decides its one type. ``join_single_valued``: see :func:`_allowed_transitions`."""
    n = len(probs)
    if n == 0:
        return []
    logp = np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-12, None))
    trans = np.where(_ALLOWED[join_single_valued], 0.0, -np.inf)
    score = np.where(_CAN_START, logp[0], -np.inf)
    back = np.zeros((n, len(BIO_LABELS)), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + trans  # (prev, next)
        back[t] = cand.argmax(axis=0)
        score = cand[back[t], np.arange(len(BIO_LABELS))] + logp[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def decode_page(
    words: Sequence[str],
    boxes: Sequence[Sequence[int]],
    probs: np.ndarray,
    page: int,
    reduce: SpanReduce = "mean",
    decoding: TagDecoding = "argmax",
    split_lines: bool = False,
    complete_payers: bool = False,
    retype_invalid: bool = False,
    drop_non_values: bool = False,
) -> list[Span]:
    """Spans of one page from per-word tag probabilities ``(n_words, len(BIO_LABELS))``: each word's
    most probable tag (``argmax``), the most probable valid BIO sequence (``viterbi``), or that with
    adjacent words of a single-valued field joined into one value (``viterbi_joined``). With
    ``split_lines`` an order or diagnosis span that runs over two text lines becomes one span per line
    (``lines.py``), such list items cut in two, broken on their line or ending in the list's "and" are mended
    (:func:`_list_items_mended`), any span is cut where the reading jumps up a column (:func:`_cut_at_rises`),
    and touching pieces of one value on a line join (:func:`_one_value_per_line_run`); with ``complete_payers``
    a payer span grows to the directory name it is part of (:func:`_grow_payers`); with ``retype_invalid`` a
    span no valid value of its type takes the likeliest type it is valid as (:func:`_retype_invalid`); with
    ``drop_non_values`` a name, payer or urgency span that is no value of its type, a heading read as a
    diagnosis or order, or a form's item number, is no entity (:func:`_drop_non_values`), labels a diagnosis,
    order or name ran into leave it (:func:`_labels_trimmed`), and a name span ends where the name does
    (:func:`_name_edges_mended`), a phone or fax without the words at its ends that hold no digit
    (:func:`_number_edges_trimmed`), a date without the words after it (:func:`_date_tails_trimmed`), an urgency with the negation OCR parted from it (:func:`_negations_joined`) and a
    diagnosis or order with the first word the tagger dropped (:func:`_starts_grown`), a diagnosis with the last
    words it left (:func:`_diagnosis_ends_grown`; pieces so brought together join, :func:`_grown_pieces_joined`), an
    order with the time span after it (:func:`_durations_joined`),
    a number the type its column's label names (``column_labels.ids_typed_by_column``), an urgency with the rest of its
    phrase (:func:`_urgency_tails_completed`) and a surname alone with the given names after it
    (:func:`_given_names_joined`), a name with the middle initial printed after it (:func:`_initials_taken`); a referring provider's credentials on its line join the name
    (:func:`_credentials_joined`)."""
    if len(words) == 0:
        return []
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (len(words), len(BIO_LABELS)):
        raise ValueError(f"tag probabilities have shape {probs.shape}, expected ({len(words)}, {len(BIO_LABELS)})")
    if decoding == "argmax":
        ids = probs.argmax(axis=1).tolist()
    else:
        ids = viterbi_tags(probs, join_single_valued=decoding == "viterbi_joined")
    tagged = tag_spans([BIO_LABELS[i] for i in ids])
    if split_lines:
        tagged = [(t, a, b) for t, s, e in tagged for a, b in (line_runs(s, e, words, boxes) if t in LINE_TYPES else [(s, e)])]
        tagged = _list_items_mended(words, tagged, boxes)
        tagged = _cut_at_rises(boxes, tagged)
        tagged = _one_value_per_line_run(words, boxes, tagged)
    scored = [(t, s, e, _span_confidence(probs, t, s, e, reduce)) for t, s, e in tagged]
    if complete_payers:
        scored = _grow_payers(words, boxes, scored)
    scored = _payer_ids_apart(words, probs, scored, reduce)
    scored = _member_id_suffixes(words, boxes, probs, scored, reduce)
    scored = _credentials_joined(words, boxes, scored)
    if drop_non_values:
        scored = _name_edges_mended(words, boxes, scored)
        scored = _number_edges_trimmed(words, scored)
        scored = _date_tails_trimmed(words, scored)
        scored = _numbers_completed(words, boxes, scored)
        scored = _negations_joined(words, boxes, scored)
        scored = _starts_grown(words, boxes, scored)
        scored = _diagnosis_ends_grown(words, boxes, scored)
        scored = _grown_pieces_joined(words, boxes, scored)
        scored = _durations_joined(words, boxes, scored)
        scored = ids_typed_by_column(words, boxes, scored)
        scored = _urgency_tails_completed(words, boxes, scored)
        scored = _given_names_joined(words, boxes, scored)
        scored = _initials_taken(words, boxes, scored)
    retyped: set[tuple[int, int]] = set()
    if retype_invalid:
        scored, retyped = _retype_invalid(words, probs, scored, reduce)
    if drop_non_values:
        scored = _drop_non_values(words, boxes, scored)
    return [
        Span(
            type=etype,
            text=" ".join(words[s:e]),
            page=page,
            bbox=union_box(boxes[s:e]),
            confidence=min(1.0, max(0.0, conf)),
            word_indices=list(range(s, e)),
            retyped=(s, e) in retyped,
        )
        for etype, s, e, conf in scored
    ]


def _valid_value(etype: str, words: Sequence[str], start: int, end: int) -> bool:
    """Whether ``words[start:end]`` is a valid value of the type's field (its normaliser accepts it)."""
    return normalize_field(ENTITY_TO_FIELD[etype], " ".join(words[start:end])).ok


def _span_confidence(probs: np.ndarray, etype: str, start: int, end: int, reduce: SpanReduce) -> float:
    word_p = probs[start:end][:, TYPE_COLUMNS[etype]].sum(axis=1)
    return float(word_p.min() if reduce == "min" else word_p.mean())


#: A two-digit word after a member ID joins it when the tagger gave it this much member-ID probability.
def _words_taken(spans: Sequence[tuple[str, int, int, float]]) -> set[int]:
    """The indices of the words some span holds."""
    return {i for _, s, e, _ in spans for i in range(s, e)}


def _grown_right(
    words: Sequence[str], boxes: Sequence[Sequence[int]], taken: set[int], end: int, limit: int,
    fits: Callable[[str], bool],
) -> int:
    """The end of a span at ``end`` grown over the untagged words after it on its line that ``fits``, up to ``limit``."""
    k = end
    while k < len(words) and k - end < limit and k not in taken and on_one_line(boxes[k - 1], boxes[k]) and fits(words[k]):
        k += 1
    return k


SUFFIX_MIN_PROB = 0.1


def _member_id_suffixes(
    words: Sequence[str], boxes: Sequence[Sequence[int]], probs: np.ndarray, spans: list[tuple[str, int, int, float]],
    reduce: SpanReduce,
) -> list[tuple[str, int, int, float]]:
    """A member ID's two-digit dependent suffix, printed after a space ("U37650596 04": Cigna, and other payers'
    subscriber-plus-dependent numbers), joins the ID where the tagger was in two minds about it (the suffix
    looks like a stray number, so it is read as "O" at 0.6-0.7). The span's confidence is recomputed over both
    words, so a doubtful suffix leaves the ID for a person to check."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if (
            t == "MEMBER_ID" and e < len(words) and e not in taken and re.fullmatch(r"\d{2}", words[e])
            and not starts_new_line(boxes[e - 1], boxes[e])
            and float(probs[e, TYPE_COLUMNS["MEMBER_ID"]].sum()) >= SUFFIX_MIN_PROB
        ):
            out.append((t, s, e + 1, _span_confidence(probs, t, s, e + 1, reduce)))
        else:
            out.append((t, s, e, c))
    return out


def _cut_at_rises(boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """No value goes on upward: where the reading jumps to a word wholly above the one before (a label printed
    higher in the next column, "Wright, Gloria" then "Fecha de nacimiento"), a span ends (none of the 8,874
    gold spans of every corpus here does). A name keeps its first part only, since a label is what
    follows it there; another type's parts are readings of their own."""
    out = []
    for t, s, e in spans:
        cuts = [i for i in range(s + 1, e) if rises_above(boxes[i - 1], boxes[i])]
        bounds = list(zip([s, *cuts], [*cuts, e], strict=True))
        out += [(t, *bounds[0])] if t in NAME_TYPES else [(t, a, b) for a, b in bounds]
    return out


#: What the tagger reads the rest of a member ID as, when OCR put a space inside it
ID_PIECE_TYPES = frozenset({"MEMBER_ID", "GROUP_NUMBER"})


def _one_value_per_line_run(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Two spans of one single-valued type that touch on one line are one value the tagger broke, and join:
    two pieces of a name that are each name-like ("Ingrid" | "K. Powell"; not "lVirst)" | "CARTER, TYRONE"),
    or two pieces of any other value where neither is one alone and together they are ("216" | "576 5835").
    A piece that is a value alone stays apart: a real fax beside "(HMO)", two group numbers. A member ID's first
    piece that is no ID alone ("W44", "MH51") takes the piece after it, read as a member ID or a group number, where
    together they are one ("W44 1898444": OCR read a gap as a space and the tagger broke the ID there). Gold spans
    never touch so outside the list types (22 such pairs of the 8,874 spans of every corpus here, each a list)."""

    def valid(t: str, a: int, b: int) -> bool:
        return _valid_value(t, words, a, b)

    out: list[tuple[str, int, int]] = []
    for t, s, e in spans:
        if out and ENTITY_TO_FIELD[t] not in LIST_FIELDS:
            pt, ps, pe = out[-1]
            if pt == "MEMBER_ID" and t in ID_PIECE_TYPES and pe == s and on_one_line(boxes[pe - 1], boxes[s]) \
                    and not valid(pt, ps, pe) and valid(pt, ps, e):
                out[-1] = (pt, ps, e)  # "W44" | "1898444": a gap OCR read as a space, the rest read as an ID of its own
                continue
            touching = pt == t and pe == s and on_one_line(boxes[pe - 1], boxes[s])
            if touching and (
                (valid(t, ps, pe) and valid(t, s, e)) if t in NAME_TYPES
                else (not valid(t, ps, pe) and not valid(t, s, e) and valid(t, ps, e))
            ):
                out[-1] = (t, ps, e)
                continue
        out.append((t, s, e))
    return out


def _goes_on_in_line(
    words: Sequence[str], boxes: Sequence[Sequence[int]], prev: tuple[str, int, int], nxt: tuple[str, int, int]
) -> bool:
    """Whether ``nxt`` is the rest of the diagnosis or order ``prev`` on the same line: it starts in lower case
    ("Near" | "syncope", "Atherosclerotic" | "heart disease of ...") right after it, or after one connector the
    tagger left out ("Right" | "and" | "left heart cath"). Two items a line lists each start in capitals ("CAD" |
    "Heart murmur", "Chest pressure," | "Abnormal electrocardiogram", "TIA and Cardiac murmur"): of the 8,874
    gold spans of every corpus here, no two of one type that touch on a line, or that one connector parts,
    have the second start in lower case."""
    pt, _, pe = prev
    t, s, _ = nxt
    if pt != t or t not in LINE_TYPES or not goes_on_in_lower_case(words[s]):
        return False
    if s != pe and not (s == pe + 1 and words[pe].lower() in ITEM_CONNECTORS):
        return False
    return all(on_one_line(boxes[i - 1], boxes[i]) for i in range(pe, s + 1))


def _list_items_mended(
    words: Sequence[str], spans: list[tuple[str, int, int]], boxes: Sequence[Sequence[int]]
) -> list[tuple[str, int, int]]:
    """Diagnosis and order spans as the list items they are: one that ends in a connector and is followed
    at once by one of its type starting in lower case is one item the tagger cut in two, and they join, as do
    two pieces of one item on a line (:func:`_goes_on_in_line`); else a trailing "and" / "or"
    is the list's and leaves the item (``ITEM_CONNECTORS``), except an order's followed on its line by an untagged
    word in lower case, which the order takes: "Evaluate and" | "teat" is the consult's "Evaluate and treat" (2 of the
    default seed-24 model's false orders on the 84 held-out documents; no gold order of every corpus here ends so)."""
    joined: list[tuple[str, int, int]] = []
    for t, s, e in sorted(spans, key=lambda x: x[1]):
        if joined and t in LINE_TYPES:
            pt, ps, pe = joined[-1]
            cut_at_connector = pt == t and pe == s and words[pe - 1].lower() in ITEM_CONNECTORS and words[s][:1].islower()
            if cut_at_connector or _goes_on_in_line(words, boxes, joined[-1], (t, s, e)):
                joined[-1] = (t, ps, e)
                continue
        joined.append((t, s, e))
    taken = {i for _, s, e in joined for i in range(s, e)}

    def conjunction_kept(t: str, e: int) -> bool:
        # an order's own "and" ("Evaluate and" | "treat"): the untagged lower-case word after it on its line
        return t == "PROCEDURE" and e < len(words) and e not in taken and on_one_line(boxes[e - 1], boxes[e]) \
            and words[e].isalpha() and words[e].islower()

    return [
        ((t, s, e + 1) if conjunction_kept(t, e) else (t, s, e - 1))
        if t in LINE_TYPES and e - s > 1 and words[e - 1].lower() in ITEM_CONJUNCTIONS else (t, s, e)
        for t, s, e in joined
    ]


def _marks_only(word: str) -> bool:
    """A word of punctuation alone: no letter or digit ("-", "©.")."""
    return not any(ch.isalnum() for ch in word)


def _speck(word: str) -> bool:
    """A word read beside a name that is no part of it when the normaliser drops it: punctuation alone, or
    one with a lower-case letter ("p08", "pos"). A word of capitals, digits and periods is kept: it is a
    credential OCR damaged ("0.0." for "D.O.", "FACP_"), which the name as written carries."""
    return _marks_only(word) or (any(ch.islower() for ch in word) and not is_credential(word))


def _name_edges_mended(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A name span ends where the name does. It stops at a line break when what follows is no name (the
    label printed under it) or one letter alone (a cover sheet's check box "[J" | "Urgent" under "Re: ROSA PEREZ":
    4 of the default seed-24 model's false names on the 84 held-out documents; of the 2,132 gold names of every
    corpus here one goes on to another line, a handwritten one), loses trailing specks the name's normaliser drops
    anyway (:func:`_speck`: "p08", a dash; never a credential, which the contract writes) and leading words with no letter or digit ("©.
    Rivera MD"). The field's value is the same either way; the entity's extent is what changes. A name that
    goes on in the next line stays whole ("Maria L." over "Gonzalez")."""
    out = []
    for t, s, e, c in spans:
        if t in NAME_TYPES:
            brk = next((i for i in range(s + 1, e) if starts_new_line(boxes[i - 1], boxes[i])), None)
            letter_alone = brk is not None and e - brk == 1 and len(words[brk]) == 1
            if brk is not None and (letter_alone or not normalize_name(" ".join(words[brk:e])).ok):
                e = brk
            value = normalize_name(" ".join(words[s:e])).value
            while e - s > 1 and _speck(words[e - 1]) and value is not None and (
                normalize_name(" ".join(words[s : e - 1])).value == value
            ):
                e -= 1
            while e - s > 1 and _marks_only(words[s]):
                s += 1
        out.append((t, s, e, c))
    return out


#: Fields whose value is a number: a word without a digit at a span's edge is no part of it
NUMBER_TYPES = frozenset({"PATIENT_PHONE", "PROVIDER_FAX"})


def _number_edges_trimmed(words: Sequence[str], spans: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """A phone or fax span loses the words without a digit at its ends when what is left is a valid number
    alone: the practice name's "(HMO)" a fax header prints before its number ("... GROUP (HMO) 8168371450"),
    which the tagger read into the fax on every page of the held-out HMO family (15 false and 15 missed faxes
    of the default seed-16 model on data/bench7 + data/fresh7). The field's value is the same either way. A
    number OCR garbled at its edge ("BOA 469 4675": 804) stays whole, since its digits alone are no number;
    of the 1,602 gold phone and fax spans of every corpus here, none changes."""
    out = []
    for t, s, e, c in spans:
        if t in NUMBER_TYPES:
            a, b = s, e
            while b - a > 1 and not any(ch.isdigit() for ch in words[a]):
                a += 1
            while b - a > 1 and not any(ch.isdigit() for ch in words[b - 1]):
                b -= 1
            if (a, b) != (s, e) and _valid_value(t, words, a, b):
                s, e = a, b
        out.append((t, s, e, c))
    return out


#: Fields whose value is a date
DATE_TYPES = frozenset({"PATIENT_DOB", "REFERRAL_DATE"})
_YEAR_HALF = re.compile(r"\d{2}")


def _date_tails_trimmed(words: Sequence[str], spans: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """A date span that is no valid date ends at the longest start of it that is one: the tagger ran a date of
    birth on into the phone number or the form's next box on its line ("01-Dec-1989" | "1-984-970-8398",
    "October 9, 1990" | "919", "2/16/71" | "2-D"; 3 false and 3 missed dates of the default seed-22 model on the
    84 held-out documents of data/bench7 + fresh7). Two digits after the cut are the rest of a year OCR parted
    ("04/01/19" | "76"): such a span stays whole. Of the gold date spans of every corpus here (436 documents),
    none changes."""
    out = []
    for t, s, e, c in spans:
        if t in DATE_TYPES and e - s > 1 and not _valid_value(t, words, s, e):
            cut = next((k for k in range(e - 1, s, -1) if _valid_value(t, words, s, k)), e)
            if cut < e and not _YEAR_HALF.fullmatch(words[cut]):
                e = cut
        out.append((t, s, e, c))
    return out


#: A word of a phone number's digits and punctuation ("351-6381", "/-1450", "(518)")
_NUMBER_PART = re.compile(r"[\d().\-/]*\d[\d().\-/]*")


def _numbers_completed(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A phone or fax span that is no valid number takes the number words after it on its line, up to two,
    where that makes one: the tagger stopped at a space OCR put inside the number ("919 725" | "2021",
    "(518)" | "351-6381", "1-816-83" | "/-1450"; 7 false and 7 missed numbers of the default seed-20 model on the
    84 held-out documents of data/bench7 + fresh7). Gold leaves such a tail untagged 4 times in 2,034 phone and
    fax spans of every corpus here (an alignment slip, "279.235" | "3612"). The span keeps its confidence."""
    covered = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t in NUMBER_TYPES and not _valid_value(t, words, s, e):
            k = e
            while k < len(words) and k - e < 2 and k not in covered and _NUMBER_PART.fullmatch(words[k]) \
                    and on_one_line(boxes[k - 1], boxes[k]):
                k += 1
                if _valid_value(t, words, s, k):
                    covered.update(range(e, k))
                    e = k
                    break
        out.append((t, s, e, c))
    return out


#: A word that negates the urgency after it ("Non" of "Non-urgent" parted at its hyphen, "not")
_NEGATION = re.compile(r"\(?(non|not)[-\u2010-\u2014]?", re.I)


def _negations_joined(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """An urgency span takes the negation right before it on its line, untagged or read as a piece of its
    own ("Non" | "urgent" where OCR parted "Non-urgent"): alone, "urgent" says the opposite of the form, and
    the field read an urgent order where a routine one was written. No gold urgency of any corpus here has a
    negation before it, and gold tags "Non urgent" as one span. The span keeps its confidence."""
    taken = _words_taken(spans)
    pieces = {(s, e) for t, s, e, _ in spans if t == "URGENCY"}
    grown: dict[int, int] = {}  # span index -> its new start
    for k, (t, s, _, _) in enumerate(spans):
        if t == "URGENCY" and s > 0 and _NEGATION.fullmatch(words[s - 1]) and on_one_line(boxes[s - 1], boxes[s]) \
                and (s - 1 not in taken or (s - 1, s) in pieces):
            grown[k] = s - 1
    dropped = {(grown[k], grown[k] + 1) for k in grown}
    return [
        (t, grown.get(k, s), e, c)
        for k, (t, s, e, c) in enumerate(spans)
        if not (t == "URGENCY" and (s, e) in dropped)
    ]


#: Quotes OCR reads around a word (a stray mark beside it on the fax)
_QUOTES = "‘’“”\"'"
#: Last words of an urgency cut short: the phrase goes on ("Expedite - within" | "1 week", "Routine next" | "available")
_URGENCY_GOES_ON = re.compile(r"within|next|-", re.I)
#: The most words an urgency cut short takes after it
URGENCY_TAIL = 2


def _urgency_tails_completed(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """An urgency span that ends in a word its phrase goes on after ("within", "next", a dash) takes the untagged
    words after it on its line, up to :data:`URGENCY_TAIL` and short of a label: the tagger stopped at a word OCR
    garbled ("Expedite - within’" | "1 week", "Routine next" | "avaliable"). No gold urgency of any corpus here
    ends in such a word. The span keeps its confidence."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t == "URGENCY" and _URGENCY_GOES_ON.fullmatch(words[e - 1].strip(_QUOTES + ".,;|")):
            e = _grown_right(words, boxes, taken, e, URGENCY_TAIL, lambda w: not w.endswith(":"))
        out.append((t, s, e, c))
    return out


#: A surname written last name first, its comma read or as a period ("Novak." of "Novak, Eugene")
_SURNAME_FIRST = re.compile(r"[A-Za-z][A-Za-z'-]+[,.]")
#: A first name or middle initial after it ("Eugene", "AMA", "A", "L.")
_GIVEN_NAME = re.compile(r"[A-Z][A-Za-z'-]*\.?")
#: The most words a surname alone takes after it: a first name and a middle initial
GIVEN_NAME_WORDS = 2


def _given_name(word: str) -> bool:
    """A first name or initial, no credential and no date-of-birth label."""
    return _GIVEN_NAME.fullmatch(word) is not None and not is_credential(word) and not _DOB_LABEL.fullmatch(word)


def _given_names_joined(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A name span that is a surname alone, written last name first ("Novak.", "KING.", "McCarthy,"), takes the
    untagged name words after it on its line, up to :data:`GIVEN_NAME_WORDS` and short of a credential or a
    label: the tagger stopped at the comma (or the period OCR read for it), and the field lost the first name
    (two wrong patient names of the default seed-21 model on the 44 held-out documents of data/fresh11). Of the
    2,132 gold names of every corpus here, two one-word ones end so before a capitalised word on their line."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t in NAME_TYPES and e - s == 1 and _SURNAME_FIRST.fullmatch(words[s]) and not is_credential(words[s]):
            e = _grown_right(words, boxes, taken, e, GIVEN_NAME_WORDS, _given_name)
        out.append((t, s, e, c))
    return out


#: A middle initial as printed after a name, or as OCR reads it (``normalize.INITIAL_AS_DIGIT``: "GLORIA 8")
_INITIAL = re.compile(rf"[A-Z{''.join(INITIAL_AS_DIGIT)}]\.?")


def _initials_taken(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A name of two words or more takes the untagged middle initial printed after it where its line ends there
    ("Williams. Minh" | "D", "WILLIAMS, GLORIA" | "8"): the tagger stopped before the one letter, and the field
    lost the initial the name is written with (two wrong names of the default seed-24 model on dev31). The
    confidence stays the name's. Of the gold names of every corpus here one ends so before an untagged letter (a
    speck "Z" after "Fatima Davis")."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if (
            t in NAME_TYPES and e - s >= 2 and e < len(words) and e not in taken and _INITIAL.fullmatch(words[e])
            and not _INITIAL.fullmatch(words[e - 1])  # one initial at most: "KING. AMA A" | "F" is a sex's box
            and on_one_line(boxes[e - 1], boxes[e])
            and (e + 1 == len(words) or starts_new_line(boxes[e], boxes[e + 1]) or rises_above(boxes[e], boxes[e + 1]))
        ):
            e += 1
        out.append((t, s, e, c))
    return out


def _credentials_joined(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A referring provider's credentials after the name on its line ("Minh Torres NP", "Dr. Yuki Chen, PA-C")
    join the span where the tagger stopped at the name: the name as written carries them (the contract's
    "Dr. Alan Whitfield, MD"), and the field's normaliser strips them again. The confidence stays the name's:
    a credential says nothing about whose name it is."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t == "REFERRING_PROVIDER":
            while e < len(words) and e not in taken and is_credential(words[e]) and not starts_new_line(boxes[e - 1], boxes[e]):
                e += 1
        out.append((t, s, e, c))
    return out


def _id_like(word: str) -> bool:
    """A word no payer name has: four digits or more ("250685368", "RNTe289425%2"), or eight characters
    or more with a digit among the letters (a Medicare MBI that OCR read mostly as letters, "SFT3XKSEAT");
    plan names carry at most a short number ("Plan 65", "Part B", "MA-PD")."""
    core = word.strip(".,;:()[]'\"‘’")  # specks and brackets OCR reads around it: "SFT3XKSEAT)"
    digits = sum(c.isdigit() for c in core)
    return digits >= 4 or (digits >= 1 and len(core) >= 8 and core.isalnum() and any(c.isalpha() for c in core))


def _payer_ids_apart(
    words: Sequence[str], probs: np.ndarray, spans: list[tuple[str, int, int, float]], reduce: SpanReduce
) -> list[tuple[str, int, int, float]]:
    """A payer span that runs on into an ID ("Texas Medicaid 250685368": the form prints the member ID
    right after the payer) ends before it, and the ID becomes a member-ID reading. Its confidence is
    what the tagger gave those words as a member ID (low: it read them as the payer), so a reading
    the tagger did mark as the member ID wins over it, and alone it goes to review."""
    out = []
    for t, s, e, c in spans:
        cut = next((i for i in range(s + 1, e) if _id_like(words[i])), None) if t == "PAYER" else None
        if cut is None:
            out.append((t, s, e, c))
            continue
        out.append((t, s, cut, _span_confidence(probs, t, s, cut, reduce)))
        out.append(("MEMBER_ID", cut, cut + 1, _span_confidence(probs, "MEMBER_ID", cut, cut + 1, reduce)))
        if cut + 1 < e:
            out.append((t, cut + 1, e, _span_confidence(probs, t, cut + 1, e, reduce)))
    return out


#: A span invalid as its tagged type is re-typed only to a type the tagger gave its words at least this much
#: probability: a nine-digit member ID tagged as an NPI had 0.02-0.39 of member ID in the test sets' misses.
RETYPE_MIN_PROB = 0.02
#: Types a span may be re-typed to: those whose values are checked (a date, a phone number, a Luhn-checked NPI,
#: a code in the code set, an ID of an ID's characters). Free text (a diagnosis, a payer, a name, a group
#: number) takes almost any words, so a label the tagger had doubts about ("miembro") would become one.
RETYPE_TARGETS = ("MEMBER_ID", "PATIENT_DOB", "REFERRAL_DATE", "PATIENT_PHONE", "PROVIDER_FAX", "REFERRING_NPI", "CPT", "ICD10")


_PHONE_CHARACTERS = re.compile(r"[\d().\- ]+")


def _phone_shaped(text: str) -> bool:
    """Ten digits of a North American number (area code and exchange from 2-9), written with a phone's marks
    only: no chart number of any corpus here (410 gold MRNs) is one, while the tagger read three patients'
    phone numbers on new forms as the MRN (default seed-22 model, 84 held-out documents)."""
    digits = re.sub(r"\D", "", text)
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789" \
        and _PHONE_CHARACTERS.fullmatch(text) is not None


def _retype_invalid(
    words: Sequence[str], probs: np.ndarray, spans: list[tuple[str, int, int, float]], reduce: SpanReduce
) -> tuple[list[tuple[str, int, int, float]], set[tuple[int, int]]]:
    """A span whose text is no valid value of its type takes the most probable other type it is valid as,
    at the tagger's probability for that type (low: a person checks it); a chart number that is a phone number
    (:func:`_phone_shaped`) counts as no valid one. On a form the tagger has not seen,
    the number printed after the payer is often tagged as the referring NPI or the fax number; nine digits
    are neither (an NPI is ten digits with a check digit, a fax number ten), and the tagger's next guess is
    the member ID. Only checked types are tried (:data:`RETYPE_TARGETS`), and only above
    :data:`RETYPE_MIN_PROB`, so a value is never invented from words the tagger gave no thought to. Also
    returns the (start, end) of the re-typed spans: a re-typed member ID must have its payer's shape
    (:func:`spans_to_fields`), since a referral without a member ID has other numbers the tagger doubted."""
    out, retyped = [], set()
    for t, s, e, c in spans:
        text = " ".join(words[s:e])
        if normalize_field(ENTITY_TO_FIELD[t], text).value is not None and not (t == "MRN" and _phone_shaped(text)):
            out.append((t, s, e, c))
            continue
        alternatives = sorted(
            ((_span_confidence(probs, other, s, e, reduce), other) for other in RETYPE_TARGETS if other != t), reverse=True
        )
        valid = next(
            ((other, p) for p, other in alternatives
             if p >= RETYPE_MIN_PROB and normalize_field(ENTITY_TO_FIELD[other], text).value is not None),
            None,
        )
        if valid is None:
            out.append((t, s, e, c))
        else:
            out.append((valid[0], s, e, valid[1]))
            retyped.add((s, e))
    return out, retyped


#: Types whose check is one of meaning, not of characters: a form's label fails it ("Fecha de nacimiento" is
#: no name, "médico" no payer, "PRE-SERVICE" and "Expediente" no urgency), OCR damage seldom does (a damaged
#: name is still mostly capitalised words). The character-checked types (dates, phones, IDs, codes) fail
#: mostly on OCR damage, and such a span still marks where the value is, so they stay listed.
MEANING_TYPES = frozenset({"PATIENT_NAME", "REFERRING_PROVIDER", "PAYER", "URGENCY"})
#: "URGENT CARE", the letterhead of an urgent-care centre or an ED's "ED / Urgent Care" (also run together by
#: OCR: "URGENTCARE"), names a place, not how soon the order is wanted.
_URGENT_CARE = re.compile(r"urgent\W*care\b", re.I)


#: Words of a form's headings over its diagnoses and orders, not of a diagnosis or a service: "Diagnosis (ICD-10)
#: and Procedure (CPT)", "PCP", "Referred to: Cardiology" (the specialty, not an order; "Cardiology consult" is one),
#: an HMO form's "REFERRAL / PRE-SERVICE REQUEST", and a bilingual form's Spanish labels ("Diagnóstico",
#: "Servicio solicitado"), compared without accents.
HEADING_WORDS = frozenset({
    "icd10", "icd9", "cm", "cpt", "hcpcs", "code", "codes", "and", "or", "dx", "diagnosis",
    "diagnoses", "procedure", "procedures", "service", "services", "requested", "pcp", "cardiology", "pre",
    "diagnostico", "procedimiento", "procedimientos", "servicio", "solicitado", "codigo",
    # the labels beside them: vital signs, and a bilingual form's "Prioridad", "Fecha", "ID de miembro", "Médico que refiere"
    "vitals", "prioridad", "fecha", "de", "miembro", "medico", "que", "refiere",
})
#: Laboratory tests named alone: a result line's "Troponin negative x2" is no diagnosis ("Elevated troponin" is one,
#: and keeps its other word)
LAB_WORDS = frozenset({"troponin", "troponins", "bnp", "probnp", "creatinine", "potassium", "hemoglobin", "inr", "tsh", "ldl", "a1c"})
#: A result's words beside the test ("negative", "x2"): with them "Troponin negative x2." is still a result line. The
#: default seed-24 model read it as a diagnosis 9 times on the 84 held-out documents of data/bench7 + fresh7; no gold
#: diagnosis of every corpus here holds one of these words.
_LAB_RESULT = re.compile(r"negative|positive|neg|pos|x\d")
#: A heading word of at least this many letters is also found through an OCR slip ("Diagnéstico", "solicltado")...
HEADING_SLIP_MIN_CHARS = 8
#: ...read this alike (difflib ratio). On the 1,251 gold diagnosis and order spans of every corpus here, none is
#: heading or laboratory words alone so read.
HEADING_SLIP_RATIO = 0.85
_LONG_HEADING_WORDS = tuple(w for w in HEADING_WORDS if len(w) >= HEADING_SLIP_MIN_CHARS)


def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _heading_word(token: str) -> bool:
    if token in HEADING_WORDS or token in LAB_WORDS or _LAB_RESULT.fullmatch(token):
        return True
    return len(token) >= HEADING_SLIP_MIN_CHARS and any(
        difflib.SequenceMatcher(None, token, word).ratio() >= HEADING_SLIP_RATIO for word in _LONG_HEADING_WORDS
    )


def heading_only(text: str) -> bool:
    """Whether a diagnosis or procedure reading is nothing but heading words (:data:`HEADING_WORDS`, through an
    OCR slip for the long ones) and laboratory tests named alone (:data:`LAB_WORDS`) or with their result
    (:data:`_LAB_RESULT`). The code system is "ICD-10" (OCR's "1CD-10" too); a bare "ICD" is the device (an implantable defibrillator)."""
    text = re.sub(r"(?<![a-z0-9])[i1l]cd[\s-]*(10|9)(?![0-9])", r"icd\1", _unaccented(text.lower()))
    tokens = re.findall(r"[a-z0-9]+", text)
    return bool(tokens) and all(_heading_word(t) for t in tokens)


def _names_urgent_care(words: Sequence[str], boxes: Sequence[Sequence[int]], start: int, end: int) -> bool:
    """The span's words, with the next word where it is on the same line, read "urgent care"."""
    text = " ".join(words[start:end])
    if end < len(words) and not starts_new_line(boxes[end - 1], boxes[end]):
        text = f"{text} {words[end]}"
    return _URGENT_CARE.search(text) is not None


#: A form's item number ("5. Date of birth", "6 Member ID"): one digit, perhaps with its stop, is no value of any
#: type (the default seed-18 model read 29 as birth dates on the 128 held-out documents of data/bench7, fresh7 and
#: fresh11; no gold span of every corpus here is one)
_BOX_NUMBER = re.compile(r"\d[.,:]?")
#: A word of letters alone in brackets: a plan type or a code system's name ("(HMO)", "(CPT)"), which the tagger reads
#: as a fax number's bracketed area code on a fax header it has not seen ("HARBOR MEDICAL GROUP (HMO) 3802487475": 12
#: of the default seed-24 model's 21 false fax numbers on the 84 held-out documents of data/bench7 + fresh7). Of the
#: 10,380 gold spans of every corpus here one is, an urgency ("(Urgent)"): the rule is the phone's and fax's.
_BRACKETED_WORD = re.compile(r"[(\[][^\W\d_]+[)\]]")
#: A time span alone ("90 days" of "Valid for 90 days"): the length of an order, not one (no gold order of every
#: corpus here is one; "Holter 48h" and "Event monitor 30 day" keep theirs, :func:`_durations_joined`)
_DURATION = re.compile(r"(\d+(?:[.-]\d+)?\s*-?\s*)(h|hrs?|hours?|d|days?|wks?|weeks?)\.?", re.I)
#: A time of day after a date ("MAY-21-2026 08:20 FROM: ..."): the date is a fax machine's transmission stamp, neither a
#: birth date nor the referral's. Over every corpus here 576 dates are followed so, none tagged.
_CLOCK_TIME = re.compile(r"\d{1,2}:\d{2}")
#: The code system's label after a diagnosis ("... with heart failure (CD-10", "CAD with angina ICD-10")
_CODE_SYSTEM_LABEL = re.compile(r"[\[(]?[il1\[(]?cd-?10\W*", re.I)


#: Words a result or medication line prints where a code might stand: "Troponin negative x2.", "Rx"
_NOT_CODE_WORDS = re.compile(r"rx|x\d+\.?", re.I)


def no_code(text: str) -> bool:
    """Whether an ICD-10 reading is surely no code, however damaged: a prescription's "Rx", a count ("x2."), the
    code system's name, or a word of five or more letters with a lower-case one ("negative", "Lncountey": a
    diagnosis's word). OCR leaves codes such as "ROO.2", "RSS", "Rod" or "ROGOY" of the 612 gold ICD-10 spans of
    every corpus here, none of which is so read; the default seed-18 model read 20 of its 24 false codes so on
    the 84 held-out documents of data/bench7 + data/fresh7."""
    return _NOT_CODE_WORDS.fullmatch(text) is not None or _CODE_SYSTEM_LABEL.fullmatch(text) is not None or (
        len(text) >= 5 and text.isalpha() and any(ch.islower() for ch in text)
    )


#: Insurance numbers a form's word may be read as
_ID_TYPES = frozenset({"MEMBER_ID", "GROUP_NUMBER"})


def no_id(text: str) -> bool:
    """Whether a member ID or group number reading is a word, not a number: no digit and a lower-case letter (a
    bilingual form's "Número de miembro" label read as the ID 12 times on the 84 held-out documents of data/bench7
    + fresh7, seed 20). OCR leaves IDs such as "XSICOAPNY"; none of the 682 gold member IDs and group numbers of
    every corpus here is so read."""
    return not any(ch.isdigit() for ch in text) and any(ch.islower() for ch in text)


def _label_word(word: str) -> bool:
    """A word that ends a diagnosis or order span but is none of it: a label ("Fax:", "Timeframe:"), the code
    system's name, or punctuation alone (a dash before the code)."""
    return word.endswith(":") or _CODE_SYSTEM_LABEL.fullmatch(word) is not None or _marks_only(word)


#: The date-of-birth label a name runs into ("Nguyen Wood D.O.B.")
_DOB_LABEL = re.compile(r"d\.?o\.?b\.?:?", re.I)


def _off_case(name: Sequence[str], word: str) -> bool:
    """Whether ``word`` is written unlike the name before it: in lower case after capitalised words ("Taylor,
    Tyrone eikTH"), or with lower-case letters after capitals alone ("BARNES, ANA Bitrh", "YOUNG, SUSAN Og")."""
    if not first_letter(word):
        return False
    if goes_on_in_lower_case(word) and all(first_letter(w).isupper() for w in name if first_letter(w)):
        return True
    letters = [ch for w in name for ch in w if ch.isalpha()]
    return len(letters) > 3 and all(ch.isupper() for ch in letters) and any(ch.islower() for ch in word)


def _lower_case_only(word: str) -> bool:
    """A word of letters none of which is a capital, and no digit ("facie", "of")."""
    return any(ch.isalpha() for ch in word) and not any(ch.isupper() or ch.isdigit() for ch in word)


#: The most words a diagnosis or order cut at its start grows back by (_starts_grown)
START_GROWTH = 2
#: Words before an item that are labels of the form, not the item's first word ("Rx" | "tress echo")
_LEADING_LABELS = frozenset({"rx", "dx", "cpt", "icd", "icd-10"})


def _starts_grown(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A diagnosis or order span that starts in lower case grows back over the untagged words before it on its
    line, up to :data:`START_GROWTH`, to the one that starts in a capital: the tagger dropped a first word OCR
    garbled ("Vrendmill" | "stress echo", "Lncountey for" | "preprocedural cardiovascular examination"). Items
    start in capitals (:func:`_goes_on_in_line`); a label, a number, a mark or another span stops it."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t in LINE_TYPES and goes_on_in_lower_case(words[s]):
            k = s
            while k > 0 and s - k < START_GROWTH and k - 1 not in taken and on_one_line(boxes[k - 1], boxes[k]):
                w = words[k - 1]
                if _label_word(w) or any(ch.isdigit() for ch in w) or w.strip(_QUOTES + "(").lower() in _LEADING_LABELS:
                    break
                k -= 1
                if first_letter(w).isupper():
                    s = k
                    break
        out.append((t, s, e, c))
    return out


#: Untagged words a diagnosis may take after it on its line (:func:`_diagnosis_ends_grown`)...
END_GROWTH = 2
#: ...each a lower-case word of at least four letters: the rest of a name, not a connector ("and", "as") that
#: starts the next one
_DIAGNOSIS_GOES_ON = re.compile(r"[a-z][a-z-]{2,}[a-z][.,]?")


def _goes_on_as_diagnosis(word: str) -> bool:
    return _DIAGNOSIS_GOES_ON.fullmatch(word) is not None


def _grown_pieces_joined(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """Two pieces of one diagnosis or order that the growth rules brought next to each other on a line join, as
    :func:`_list_items_mended` joins the tagger's ("Abnormal" grown to "Abnormal result" | "of" | "other
    cardiovascular function study"). The joined span takes the lower confidence."""
    out: list[tuple[str, int, int, float]] = []
    for t, s, e, c in sorted(spans, key=lambda x: x[1]):
        if out and _goes_on_in_line(words, boxes, out[-1][:3], (t, s, e)):
            _, ps, _, pc = out[-1]
            out[-1] = (t, ps, e, min(pc, c))
            continue
        out.append((t, s, e, c))
    return out


#: What the tagger reads an order's time span as when it parts it from the order: an order of its own, or a code
#: ("48h" as a CPT code, which is five characters)
_LENGTH_READ_AS = frozenset({"PROCEDURE", "CPT"})


def _durations_joined(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """An order takes the time span printed right after it on its line (:data:`_DURATION`, one or two words:
    "Holter" | "48h", "Event monitor" | "30 day"), untagged or tagged as an order or a code of its own: the tagger stopped
    before it (3 of the default seed-24 model's false orders on the 84 held-out documents of data/bench7 + fresh7).
    Gold orders end so 22 times over every corpus here ("Holter monitor 24h", "Extended Holter 7-15 days"), and the
    ceiling (perfect tags) is unchanged by it."""
    owner = {i: k for k, (_, s, e, _) in enumerate(spans) for i in range(s, e)}
    out: list[tuple[str, int, int, float]] = []
    absorbed: set[int] = set()
    for t, s, e, c in spans:
        if t == "PROCEDURE":
            for end in (e + 1, e + 2):
                if end > len(words) or not all(on_one_line(boxes[i - 1], boxes[i]) for i in range(e, end)):
                    break
                owners = {owner[i] for i in range(e, end) if i in owner}
                whole_orders = all(spans[k][0] in _LENGTH_READ_AS and e <= spans[k][1] and spans[k][2] <= end for k in owners)
                if _DURATION.fullmatch(" ".join(words[e:end])) and whole_orders:
                    absorbed |= owners
                    e = end
                    break
        out.append((t, s, e, c))
    return [span for k, span in enumerate(out) if k not in absorbed]


def _diagnosis_ends_grown(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """A diagnosis span grows over up to :data:`END_GROWTH` untagged lower-case words after it on its line
    (:data:`_DIAGNOSIS_GOES_ON`): the tagger stopped before the last word of a long ICD-10 description or one OCR
    garbled ("... cardiovascular function" | "study", "... respiratory" | "systems", "Atrlal premature depola" |
    "ization"; 13 diagnoses of the default seed-22 model on the 84 + 44 held-out documents). Of the gold
    diagnoses of every corpus here (436 documents), one takes a word it should not (a speck "oebeb")."""
    taken = _words_taken(spans)
    out = []
    for t, s, e, c in spans:
        if t == "DIAGNOSIS":
            grown = _grown_right(words, boxes, taken, e, END_GROWTH, _goes_on_as_diagnosis)
            taken.update(range(e, grown))
            e = grown
        out.append((t, s, e, c))
    return out


def _labels_trimmed(words: Sequence[str], spans: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """Diagnosis and order spans without the label words at their end (:func:`_label_word`; one that is
    nothing else is no entity); a name without the date-of-birth label it ran into ("Nguyen Wood D.O.B."), and
    one written last name first without a last word that is the next field's label ("Martinez, Juan Fax:"; a
    credential stays: "Sandra Baker, DO:", as does "Hall, Andrew:") or, for a patient, written unlike the name
    (:func:`_off_case`: a label OCR garbled, "BARNES, ANA Bitrh"); a payer without the marks after it ("Anthem -",
    a straight-through referral lost) or a word in lower case alone ("Cigna facie", a card's garbled line). No gold
    diagnosis or order span of every corpus here ends in such a word, nor any payer in a mark or a lower-case word
    (plans name "of", never end in it), nor any name in a date-of-birth label; the names that end in a colon end in a name or
    a credential, and of the 1,170 gold patient names only "Olga De laCruz", not written last name first, ends in
    a word written unlike the rest."""
    out = []
    for t, s, e, c in spans:
        if t in LINE_TYPES:
            while e > s and _label_word(words[e - 1]):
                e -= 1
            if e == s:
                continue
        elif t == "PAYER":
            while e - s > 1 and (_marks_only(words[e - 1]) or _lower_case_only(words[e - 1])):
                e -= 1
        elif t in NAME_TYPES:
            if e - s >= 2 and _DOB_LABEL.fullmatch(words[e - 1]):
                e -= 1
            last_name_first = e - s >= 3 and any(w.endswith(",") for w in words[s : e - 2])
            if last_name_first and (
                (words[e - 1].endswith(":") and not is_credential(words[e - 1].rstrip(":")))
                or (t == "PATIENT_NAME" and _off_case(words[s : e - 1], words[e - 1]))
            ):
                e -= 1
        out.append((t, s, e, c))
    return out


#: A telephone's label, with OCR's slips of its first letter ("Tel:", "fel", "Vel:", "Phono:"): the number after it
#: is the office's telephone, which no field holds, not its fax. The default seed-24 model read 5 such numbers as the
#: fax on the 84 held-out documents of data/bench7 + fresh7 (letterheads' "Tel 804 677 7116 Fax (804) 268-6871").
#: Over every corpus here 580 numbers after one are untagged, 1 is a gold fax.
_PHONE_LABEL = re.compile(r"(?:[tvfp]el|tel[eé]fono|telephone|ph(?:one|ono)?)[:.;,]?", re.I)
#: Verbs a payer's notice goes on with ("Aetna reserves the right to review services for medical necessity")
_NOTICE_VERBS = frozenset({"reserves", "requires", "may", "will", "must", "does", "covers"})


def _notice_subject(words: Sequence[str], boxes: Sequence[Sequence[int]], end: int) -> bool:
    """Whether the span ending at ``end`` is the subject of a notice's sentence: a verb of :data:`_NOTICE_VERBS`
    after it on its line. A payer so written is named in a notice, not filled in (6 of the default seed-24 model's
    24 false payers on the 84 held-out documents of data/bench7 + fresh7). No gold payer of every corpus here is
    followed so; a letter's "Her insurance is Devoted Health with member ID ..." is tagged, so a payer in a sentence
    as such stays."""
    return end < len(words) and words[end] in _NOTICE_VERBS and on_one_line(boxes[end - 1], boxes[end])


def _drop_non_values(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """Spans of :data:`MEANING_TYPES` whose text is no valid value of the type, urgency spans that name an
    urgent-care centre, diagnosis, procedure or payer spans of heading words alone (:func:`heading_only`: a bilingual
    form's "Seguro médico" read as the payer Medica twice on the 84 held-out documents, seed 24), a form's item
    numbers (:data:`_BOX_NUMBER`), ICD-10 readings that are surely no code (:func:`no_code`) and insurance numbers
    that are words (:func:`no_id`), phone or fax readings that are a bracketed word (:data:`_BRACKETED_WORD`), orders
    that are a time span alone (:data:`_DURATION`), dates a time of day follows (:data:`_CLOCK_TIME`), payers named as a notice's subject (:func:`_notice_subject`) and
    fax numbers after a telephone's label (:data:`_PHONE_LABEL`) are not entities; label words at a span's end go first (:func:`_labels_trimmed`).
    The single-valued fields never took the invalid ones (their normalisers reject them), but an "urgent" that
    names a place made a routine order urgent, and a heading ("(ICD-10) and", "Cardiology") was one more item of
    the diagnoses or procedures, so the list no longer matched. On the held-out families of data/bench7 + data/fresh7 such spans were 100 of the default seed-15 model's 321 false entities (bilingual
    labels as names, payers and urgencies, an HMO form's "PRE-SERVICE" and "Valid for 90 days", ED letterheads'
    "URGENT CARE", code-system headings) against three right ones (OCR-damaged urgencies: "lective")."""
    out = []
    for t, s, e, c in _labels_trimmed(words, spans):
        text = " ".join(words[s:e])
        if _BOX_NUMBER.fullmatch(text) or (t == "ICD10" and no_code(text)) or (t in _ID_TYPES and no_id(text)):
            continue
        if (t in NUMBER_TYPES and _BRACKETED_WORD.fullmatch(text)) or (t == "PROCEDURE" and _DURATION.fullmatch(text)):
            continue
        if t in DATE_TYPES and e < len(words) and _CLOCK_TIME.match(words[e]) and on_one_line(boxes[e - 1], boxes[e]):
            continue
        if t in MEANING_TYPES and normalize_field(ENTITY_TO_FIELD[t], text).value is None:
            continue
        if t == "URGENCY" and _names_urgent_care(words, boxes, s, e):
            continue
        if t == "PAYER" and _notice_subject(words, boxes, e):
            continue
        if t == "PROVIDER_FAX" and s > 0 and _PHONE_LABEL.fullmatch(words[s - 1]) \
                and on_one_line(boxes[s - 1], boxes[s]):
            continue
        if (t in LINE_TYPES or t == "PAYER") and heading_only(text):
            continue
        out.append((t, s, e, c))
    return out


def _grow_payers(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: list[tuple[str, int, int, float]]
) -> list[tuple[str, int, int, float]]:
    """Each payer span grown to the directory name it is part of (``complete_payer``), over words in no
    other span or in one whose text is no valid value of its field (the "B" of "Medicare Part B" tagged as
    a member ID); a span whose words the payer took is gone. Confidences stay the tagged words'."""
    if not any(t == "PAYER" for t, *_ in spans):
        return spans
    span_of = {i: k for k, (_, s, e, _) in enumerate(spans) for i in range(s, e)}
    valid: dict[int, bool] = {}

    def free(i: int) -> bool:
        # only the spans next to a payer are normalized, once each (spans_to_fields does all of them later)
        k = span_of.get(i)
        if k is None:
            return True
        if k not in valid:
            t, s, e, _ = spans[k]
            valid[k] = normalize_field(ENTITY_TO_FIELD[t], " ".join(words[s:e])).value is not None
        return not valid[k]

    grown = [
        (t, *complete_payer(words, boxes, s, e, free), c) if t == "PAYER" else (t, s, e, c) for t, s, e, c in spans
    ]
    payer_words = {i for t, s, e, _ in grown if t == "PAYER" for i in range(s, e)}
    return [(t, s, e, c) for t, s, e, c in grown if t == "PAYER" or not set(range(s, e)) <= payer_words]


@dataclass
class FieldExtraction:
    """Fields of one referral, with what post-processing found out about them along the way."""

    fields: Fields
    confidence: dict[str, float] = field(default_factory=dict)  # per found field; lists: min over items
    item_confidence: dict[str, list[float]] = field(default_factory=dict)  # list fields, per kept value
    invalid: dict[str, str] = field(default_factory=dict)  # field -> normalizer's reason (no valid value)
    low_confidence: list[str] = field(default_factory=list)  # critical fields kept although below threshold
    dropped: list[str] = field(default_factory=list)  # non-critical values removed for low confidence
    # single-valued fields read confidently as two unlike values (two patients' DOBs in one referral)
    conflicting: list[str] = field(default_factory=list)
    # values unlike every shape the payer issues them in (a member ID of a payer with member_id_formats)
    unshaped: list[str] = field(default_factory=list)


def _same_text_key(field_name: str, value: object) -> object:
    # Free-text fields repeat with different case ("ATRIAL FIBRILLATION" on the order, lower case in
    # the note): dedupe them case-insensitively, keeping the first spelling.
    return value.casefold() if isinstance(value, str) and field_name in ("diagnoses", "procedures") else value


def _similarity(a: object, b: object) -> float:
    return difflib.SequenceMatcher(None, str(a).casefold(), str(b).casefold()).ratio()


#: Two readings of one field are the same value OCR'd differently above this similarity ("Kim, Oeborah" and
#: "Kim, Deborah": 0.92), two values below it ("1987-10-20" and "1949-04-19": 0.4).
SAME_VALUE_SIMILARITY = 0.8
#: A reading this confident (or above the field's threshold, if higher) counts as a claim on the field.
CONFLICT_MIN_CONFIDENCE = 0.5
_NAME_FIELDS = ("patient_name", "referring_provider")


def _name_tokens(value: object) -> list[str]:
    return [t for t in re.findall(r"\w+", str(value).casefold()) if len(t) > 1]  # initials say little


def reading_similarity(field_name: str, a: object, b: object) -> float:
    """How alike two readings of a field are. Names are compared word by word, whichever order they are
    written in ("Gonzalez, Maria L" / "Maria L. Gonzalez") and with extra words on one side ("Wright, Gloria
    Fecha de nacimiento" keeps a form label): the share of one reading's words found in the other."""
    ta, tb = _name_tokens(a), _name_tokens(b)
    if field_name not in _NAME_FIELDS or not ta or not tb:
        return _similarity(a, b)

    def cover(x: list[str], y: list[str]) -> float:
        return sum(max(_similarity(t, u) for u in y) for t in x) / len(x)

    return max(cover(ta, tb), cover(tb, ta))


def conflicting_reading(field_name: str, value: object, groups: Mapping[object, Sequence[float]], threshold: float) -> bool:
    """Whether another confident reading of a single-valued field is not an OCR variant of ``value``."""
    floor = max(CONFLICT_MIN_CONFIDENCE, threshold)
    return any(
        max(confs) >= floor and reading_similarity(field_name, value, other) < SAME_VALUE_SIMILARITY
        for other, confs in groups.items()
        if other != value
    )


def support(value: object, groups: Mapping[object, Sequence[float]]) -> float:
    """How much the candidates of a field back ``value``: the confidence of every span, weighted by
    how alike its value is ("Kim, Oeborah" backs "Kim, Deborah" almost as much as itself)."""
    return sum(sum(confs) * _similarity(value, other) for other, confs in groups.items())


def spaced_variants(
    readings: Sequence[tuple[Span, object]], spelled: Callable[[str], bool] | None = None
) -> list[tuple[Span, object]]:
    """Readings of one text that differ only in spaces (and case) are one value, written with the most
    spaces: OCR runs two words together on one page far more often than it splits one ("Jenkins,
    YukiW" on the card, "Jenkins, Yuki W" on the order), and the run-together reading must neither win
    on its confidence nor split the field's support. A reading ``spelled`` as it should be comes first: a
    payer as the directory writes it ("Aetna Medicare Advantage" against "Aetna Medi Care Advantage", a word
    repair of OCR's "Medi are")."""
    def rank(v: str) -> tuple[bool, int]:
        return (spelled is not None and spelled(v), v.count(" "))

    best: dict[str, str] = {}
    for _, v in readings:
        if isinstance(v, str):
            k = "".join(v.split()).casefold()
            if k not in best or rank(v) > rank(best[k]):
                best[k] = v
    return [(s, best["".join(v.split()).casefold()] if isinstance(v, str) else v) for s, v in readings]


def most_specific_payer(value: object, groups: Mapping[object, Sequence[float]], floor: float) -> object:
    """The longest confident reading that extends ``value`` word for word ("UnitedHealthcare Choice Plus"
    for "UnitedHealthcare"): a plan is its carrier's name and the product's, and the bare carrier name is
    what the logo, the letterhead and the boilerplate ("UnitedHealthcare reserves the right...") print."""
    base = str(value).casefold().split()
    best, best_len = value, len(base)
    for other, confs in groups.items():
        words = str(other).casefold().split()
        extra = words[len(base) :]
        # the added words must be words: "Medicare -" is "Medicare" and a stray dash, not a product
        if max(confs) >= floor and len(words) > best_len and words[: len(base)] == base and all(
            any(c.isalpha() for c in w) for w in extra
        ):
            best, best_len = other, len(words)
    return best


def unknown_payers_dropped(spans: Sequence[Span]) -> list[Span]:
    """``spans`` without the payer spans that name no payer of the directory, where another one does. The field
    already prefers a known payer (:func:`spans_to_fields` ``known_payers``); beside one, an unknown reading is a
    form's label or OCR noise tagged as a payer ("Seguro médico", "Número de", "AeA"), not a second payer to
    list: 11 of the default model's false payer entities on the 128 test documents, none right (of 469 gold payer
    spans in every corpus here, 4 name no directory payer beside one that does, each OCR-garbled)."""
    payers = [(s, normalize_field("payer", s.text).value) for s in spans if s.type == "PAYER"]
    known = {id(s) for s, v in payers if v is not None and known_payer(str(v))}
    if not known:
        return list(spans)
    return [s for s in spans if s.type != "PAYER" or id(s) in known]


#: Readings this close to the surest one are as sure: the tagger's confidence does not tell them apart
EVEN_CONFIDENCE = 0.01


def surest_value(groups: Mapping[object, Sequence[float]]) -> object:
    """The value of the most confident reading; where others are read about as surely (:data:`EVEN_CONFIDENCE`),
    the one of them read most often. "Robert M. Romero" on three pages at 0.986-0.996 against "Robert. Romero"
    once at 0.996: a fourth-decimal difference is no evidence, three readings are (one wrong patient name of the
    default seed-21 model on the 84 held-out documents)."""
    best = max(max(c) for c in groups.values())
    even = [v for v in groups if max(groups[v]) >= best - EVEN_CONFIDENCE]
    return max(even, key=lambda v: (len(groups[v]), max(groups[v])))


def _identifier(text: str) -> str:
    """``text`` as an identifier reads before any plausibility check (label punctuation off), or ""."""
    return str(normalize_identifier(text).value or "")


def spans_to_fields(
    spans: Sequence[Span],
    thresholds: Mapping[str, float] | None = None,
    critical: Sequence[str] = (),
    today: date | None = None,
    selection: FieldSelection = "confidence",
    known_payers: bool = False,
) -> FieldExtraction:
    """Normalize spans into ``Fields``.

    Single-valued fields: candidates are grouped by normalized value; the group with the most
    confident span wins (ties: the value seen more often), or with ``selection="support"`` the value
    the candidates back most (:func:`support`: a name read on four pages, three times with an OCR
    slip each, is the one the others resemble). List fields: every valid value, deduped
    in reading order. A value below its field's threshold is dropped, except for ``critical`` fields
    where it is kept (a person reviews it) and listed in ``low_confidence``."""
    thresholds = thresholds or {}
    by_field: dict[str, list[Span]] = {}
    for span in spans:
        by_field.setdefault(ENTITY_TO_FIELD[span.type], []).append(span)
    values: dict[str, object] = {}
    result = FieldExtraction(fields=Fields())
    for name in FIELD_NAMES:
        cands = by_field.get(name, [])
        if not cands:
            continue
        threshold = thresholds.get(name, 0.0)
        normalized = [(s, normalize_field(name, s.text, today)) for s in cands]
        valid = [(s, n.value) for s, n in normalized if n.value is not None]
        if name == "member_id" and values.get("payer") is not None:
            # the payer is chosen first (FIELD_NAMES order): its ID shapes undo OCR's letter-for-digit slips
            shapes = shapes_for_payer(str(values["payer"]))
            valid = [(s, mend_member_id(str(v), shapes)) for s, v in valid]
            if not any(fits_any(str(v), shapes) for _, v in valid):
                # a symbol OCR read for a digit makes a reading no ID ("PNB35696900%"); where no other reading has the
                # payer's shape, the shape may read it whole. Not before: "RIGG°G776" read whole is not the
                # "R98808976" read cleanly on another page
                valid += [(s, r) for s, n in normalized if n.value is None and (r := symbol_read(_identifier(s.text), shapes))]
            # a number re-typed as the member ID is one only in the payer's shape ("15220-787" on a referral that
            # prints no member ID is some other number the tagger had doubts about)
            valid = [(s, v) for s, v in valid if not (s.retyped and shapes) or fits_any(str(v), shapes)]
            valid = [(s, closed_up(shaped_word(str(v), shapes), shapes)) for s, v in valid]
            # ...and say which reading is the member ID: an MRN or a group number tagged as one rarely has its shape
            fitting = [(s, v) for s, v in valid if fits_any(str(v), shapes)]
            if shapes and valid and not fitting:
                result.unshaped.append(name)
            valid = fitting or valid
        if name in _NAME_FIELDS:
            # a digit inside a name is OCR's slip for a letter ("MARTINE7, OMAR"): a reading without one wins
            valid = [(s, v) for s, v in valid if not any(c.isdigit() for c in str(v))] or valid
        if name == "payer" and known_payers:
            # the practice's payer directory names the payers it deals with: a reading that is one of them wins
            # over one that is none ("BC" at 0.74 against "Devoted Health" at 0.49)
            valid = [(s, v) for s, v in valid if known_payer(str(v))] or valid
        if name not in LIST_FIELDS:
            valid = spaced_variants(valid, directory_spelling if name == "payer" else None)
        if not valid:
            # every reading invalid, or (a re-typed member ID) none of the payer's shape
            result.invalid[name] = next((n.reason for _, n in normalized if n.reason), None) or "not of the payer's shape"
            continue
        if name in LIST_FIELDS:
            items: dict[object, tuple[object, float]] = {}
            for s, v in valid:
                key = _same_text_key(name, v)
                prev = items.get(key)
                items[key] = (prev[0] if prev else v, max(s.confidence, prev[1] if prev else 0.0))
            kept = [(v, c) for v, c in items.values() if c >= threshold]
            if len(kept) < len(items):
                result.dropped.append(name)
            # Invalid list items (an ICD-10 code not in the code set) are flagged even when others are valid.
            bad = [n.reason for _, n in normalized if n.value is None and n.reason]
            if bad:
                result.invalid[name] = bad[0]
            if kept:
                values[name] = [v for v, _ in kept]
                result.confidence[name] = min(c for _, c in kept)
                result.item_confidence[name] = [c for _, c in kept]
            continue
        groups: dict[object, list[float]] = {}
        for s, v in valid:
            groups.setdefault(v, []).append(s.confidence)
        if selection == "support" and len(groups) > 1:
            value = max(groups, key=lambda v: (support(v, groups), max(groups[v])))
        else:
            value = surest_value(groups)
        if name == "payer":
            value = most_specific_payer(value, groups, CONFLICT_MIN_CONFIDENCE)
        conf = max(groups[value])
        if conflicting_reading(name, value, groups, threshold):
            result.conflicting.append(name)
        if conf < threshold and name not in critical:
            result.dropped.append(name)
            continue
        if conf < threshold:
            result.low_confidence.append(name)
        values[name] = value
        result.confidence[name] = conf
    result.fields = Fields.model_validate(values)
    return result
