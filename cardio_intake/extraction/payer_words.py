"""OCR repair of payer names against the words of the practice's payer directory.

A fax prints "Blue Cross Blue Shield" and OCR reads "Ble Coss Ble Shel'"; the tagger finds the span
right, but the field is wrong unless the words are mended. Every payer and plan name and alias in
``policies/payers.yaml`` is the vocabulary: a word of the payer text that is not in it is replaced by
the closest directory word when they are similar enough (difflib ratio, letters and digits only),
and two adjacent unknown words that OCR split ("REG! ENCE") are joined when together they spell one
exactly. A word too far from every directory word (a payer the directory does not know) is kept as read.
Last, the mended text as a whole is compared with the directory's whole names: a slip too large for one
short word ("Medicare Pact B": "pact" is 0.75 from "part") is small against the phrase (0.92); a text
as close to two names ("Medicare Part 8": Part A or Part B?) is kept as read.
The file is read with the rules layer's own schema and word normalization (``rules.models.PayersFile``,
``rules.payers.alias_key``), so a word counts as known exactly when payer resolution would match it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import yaml

from cardio_intake import config
from cardio_intake.extraction.lines import starts_new_line
from cardio_intake.rules.models import Payer, PayersFile
from cardio_intake.rules.payers import alias_key

#: Below this similarity a word is kept as read ("Geisinger" stays, "Medicai" becomes "Medicaid").
MIN_RATIO = 0.8
#: Below this similarity of the whole text to a whole directory name the text is kept as the words
#: came out ("Medicare Pact B" -> "Medicare Part B" at 0.92, "Cigna Open Access Phis" -> "... Plus"
#: at 0.89; "Blue Cross Blue Shield of Texas" is 0.84 from "Blue Cross Blue Shield" and stays).
MIN_PHRASE_RATIO = 0.88
#: ... and closer to it by at least this than to any other name.
MIN_PHRASE_MARGIN = 0.04
#: Shorter texts are never replaced as a whole.
MIN_PHRASE_LENGTH = 8
#: Shorter words are never repaired: "B" or "IL" are too short to tell an OCR slip from a real word.
MIN_LENGTH = 3


def word_key(word: str) -> str:
    return alias_key(word).replace(" ", "")


@lru_cache(maxsize=4)
def payer_directory(policies_dir: Path | None = None) -> PayersFile:
    """``payers.yaml``, read once per process (and directory)."""
    path = (policies_dir or config.POLICIES_DIR) / "payers.yaml"
    return PayersFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def payer_names(payer: Payer) -> tuple[list[str], list[str], list[str]]:
    """A directory payer's carrier names (name and aliases), its plans' names and aliases, and each carrier
    name followed by a plan name ("Cigna" + "Open Access Plus"): referral forms print the carrier with the plan."""
    carriers = [payer.name, *payer.aliases]
    plans = [a for plan in payer.plans for a in (plan.name, *plan.aliases)]
    return carriers, plans, [f"{c} {p}" for c in carriers for p in plans if not p.casefold().startswith(c.casefold())]


def _directory_names(policies_dir: Path | None) -> list[str]:
    """Every name of :func:`payer_names`, of every payer."""
    names: list[str] = []
    for payer in payer_directory(policies_dir).payers:
        carriers, plans, with_plans = payer_names(payer)
        names += carriers + plans + with_plans
    return names


@lru_cache(maxsize=4)
def directory_words(policies_dir: Path | None = None) -> dict[str, str]:
    """key -> spelling of every word of every payer/plan name and alias (first spelling wins)."""
    words: dict[str, str] = {}
    for phrase in _directory_names(policies_dir):
        for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", phrase):
            if key := word_key(w):
                words.setdefault(key, w)
    return words


@lru_cache(maxsize=4)
def directory_phrases(policies_dir: Path | None = None) -> dict[str, str]:
    """key -> spelling of every whole payer/plan name and alias (first spelling wins)."""
    phrases: dict[str, str] = {}
    for phrase in _directory_names(policies_dir):
        if key := word_key(phrase):
            phrases.setdefault(key, phrase)
    return phrases


def directory_spelling(text: str) -> bool:
    """``text`` is a payer or plan name spelled, spaces included, as the directory writes it (case aside)."""
    spelled = directory_phrases().get(word_key(text))
    return spelled is not None and spelled.casefold() == " ".join(text.split()).casefold()


def _closest(key: str, words: dict[str, str]) -> str | None:
    if len(key) < MIN_LENGTH:
        return None
    best = difflib.get_close_matches(key, list(words), n=1, cutoff=MIN_RATIO)
    return words[best[0]] if best else None


@lru_cache(maxsize=8192)
def _closest_in_directory(key: str) -> str | None:
    """:func:`_closest` in the practice's directory, remembered: the printed-payer fallback mends the same
    words once for every run of words they are in."""
    return _closest(key, directory_words())


def _cased(spelling: str, as_read: str) -> str:
    letters = [c for c in as_read if c.isalpha()]
    return spelling.upper() if letters and all(c.isupper() for c in letters) and len(letters) > 1 else spelling


def repair_payer_text(text: str, words: dict[str, str] | None = None, phrases: dict[str, str] | None = None) -> str:
    """``text`` with each unknown word replaced by its directory spelling where one is close, then
    as a whole by a directory name where the mended text is still one slip away from it."""
    mended = mend_payer_words(text) if words is None else _repair_words(text, words)
    return _repair_phrase(mended, directory_phrases() if phrases is None else phrases)


def mend_payer_words(text: str) -> str:
    """``text`` with each word mended to its directory spelling where one is close, no whole-name step
    (:func:`repair_payer_text` of a text so mended mends no word again: the word step is idempotent)."""
    return _repair_words(text, directory_words(), _closest_in_directory)


def _repair_phrase(text: str, phrases: dict[str, str]) -> str:
    key = word_key(text)
    if key in phrases:
        # a directory name with spaces OCR lost ("MedicarePartB"): written as the directory spaces it
        spelled = phrases[key]
        return _cased(spelled, text) if len(text.split()) < len(spelled.split()) else text
    if len(key) < MIN_PHRASE_LENGTH:
        return text
    # The two closest names; one further than best - margin cannot make the text ambiguous, so the
    # cutoff lets difflib's quick bounds skip most of the directory.
    close = difflib.get_close_matches(key, list(phrases), n=2, cutoff=MIN_PHRASE_RATIO - MIN_PHRASE_MARGIN)
    ratios = [difflib.SequenceMatcher(None, key, k).ratio() for k in close] + [0.0]
    # Unambiguous only: "Medicare Part 8" is as close to "Part A" as to "Part B" and stays as read.
    if not close or ratios[0] < MIN_PHRASE_RATIO or ratios[0] - ratios[1] < MIN_PHRASE_MARGIN:
        return text
    return _cased(phrases[close[0]], text)


def _repair_words(text: str, vocab: dict[str, str], closest: Callable[[str], str | None] | None = None) -> str:
    """``closest``: :func:`_closest` in ``vocab`` (the default), or a remembered one of the same vocabulary."""
    find = closest or (lambda key: _closest(key, vocab))
    tokens = text.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        key = word_key(tok)
        if key in vocab or not key:
            out.append(tok)
            i += 1
            continue
        joined_key = key + word_key(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if joined_key in vocab and word_key(tokens[i + 1]) not in vocab:
            out.append(_cased(vocab[joined_key], tok + tokens[i + 1]))
            i += 2
            continue
        fixed = find(key)
        out.append(_cased(fixed, tok) if fixed is not None else tok)
        i += 1
    return " ".join(out)


#: The most words a payer span is extended by on either side (carrier before a plan, "Health" after a carrier).
MAX_COMPLETION_WORDS = 2


def complete_payer(
    words: Sequence[str], boxes: Sequence[Sequence[int]], start: int, end: int, free: Callable[[int], bool]
) -> tuple[int, int]:
    """The payer span ``[start, end)`` grown to the longest run, up to ``MAX_COMPLETION_WORDS`` more words on
    either side, on the span's line and in no other span, whose text (OCR-mended) is a directory name;
    the span as it was when none is. On an unseen form the tagger often stops one word short of what is
    printed ("Cigna" of "Cigna Health", "Medicare Part" of "Medicare Part B", "Medicare Advantage" after
    "Aetna"): the directory tells where a payer's name ends where the tags do not."""
    vocab, phrases = directory_words(), directory_phrases()
    best = (start, end)
    for before in range(MAX_COMPLETION_WORDS + 1):
        for after in range(MAX_COMPLETION_WORDS + 1):
            s, e = start - before, end + after
            if (before, after) == (0, 0) or s < 0 or e > len(words) or e - s <= best[1] - best[0]:
                continue
            added = [*range(s, start), *range(end, e)]
            if not all(free(i) for i in added) or any(starts_new_line(boxes[i - 1], boxes[i]) for i in range(s + 1, e)):
                continue
            # every added word is a directory word as it stands or one OCR slip from one ("Heelth"): a label
            # ("Ins:"), a verb ("reserves") or a speck ("ee", "-") is not. The whole is then a directory name
            # word for word; the phrase-level repair is not asked, it would absorb a stray word.
            if all(word_key(_repair_words(words[i], vocab)) in vocab for i in added) and (
                word_key(_repair_words(" ".join(words[s:e]), vocab)) in phrases
            ):
                best = (s, e)
    return best
