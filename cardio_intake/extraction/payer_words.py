"""OCR repair of payer names against the words of the practice's payer directory.

A fax prints "Blue Cross Blue Shield" and OCR reads "Ble Coss Ble Shel'"; the tagger finds the span
right, but the field is wrong unless the words are mended. Every payer and plan name and alias in
``policies/payers.yaml`` is the vocabulary: a word of the payer text that is not in it is replaced by
the closest directory word when they are similar enough (difflib ratio, letters and digits only),
and two adjacent unknown words that OCR split ("REG! ENCE") are joined when together they spell one
exactly. A word too far from every directory word (a payer the directory does not know) is kept as read.
The file is read with the rules layer's own schema and word normalization (``rules.models.PayersFile``,
``rules.payers.alias_key``), so a word counts as known exactly when payer resolution would match it.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

import yaml

from cardio_intake import config
from cardio_intake.rules.models import PayersFile
from cardio_intake.rules.payers import alias_key

#: Below this similarity a word is kept as read ("Geisinger" stays, "Medicai" becomes "Medicaid").
MIN_RATIO = 0.8
#: Shorter words are never repaired: "B" or "IL" are too short to tell an OCR slip from a real word.
MIN_LENGTH = 3


def word_key(word: str) -> str:
    return alias_key(word).replace(" ", "")


@lru_cache(maxsize=4)
def directory_words(policies_dir: Path | None = None) -> dict[str, str]:
    """key -> spelling of every word of every payer/plan name and alias (first spelling wins)."""
    path = (policies_dir or config.POLICIES_DIR) / "payers.yaml"
    directory = PayersFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    words: dict[str, str] = {}
    for payer in directory.payers:
        phrases = [payer.name, *payer.aliases, *(a for plan in payer.plans for a in (plan.name, *plan.aliases))]
        for phrase in phrases:
            for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", phrase):
                if key := word_key(w):
                    words.setdefault(key, w)
    return words


def _closest(key: str, words: dict[str, str]) -> str | None:
    if len(key) < MIN_LENGTH:
        return None
    best = difflib.get_close_matches(key, list(words), n=1, cutoff=MIN_RATIO)
    return words[best[0]] if best else None


def _cased(spelling: str, as_read: str) -> str:
    letters = [c for c in as_read if c.isalpha()]
    return spelling.upper() if letters and all(c.isupper() for c in letters) and len(letters) > 1 else spelling


def repair_payer_text(text: str, words: dict[str, str] | None = None) -> str:
    """``text`` with each unknown word replaced by its directory spelling where one is close."""
    vocab = directory_words() if words is None else words
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
        fixed = _closest(key, vocab)
        out.append(_cased(fixed, tok) if fixed is not None else tok)
        i += 1
    return " ".join(out)
