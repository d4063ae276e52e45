"""Member IDs mended against the shapes the payer issues them in.

Payers print member IDs in fixed shapes (``policies/payers.yaml`` ``member_id_formats``: Aetna "W" and
nine digits, Humana "H" and eight, a Blue plan's three-letter prefix and nine digits). OCR confuses
letters and digits that look alike ("HO6470688" for "H06470688", "0GH360842016" for "OGH360842016");
an eligibility check with such an ID fails. Once the referral's payer is known, a member ID that
fits none of its shapes is read again position by position: where the shape wants a digit, a letter
that looks like one becomes it, and the other way round. The repair is used only when exactly one
shape fits and every position could be mended; anything else (another length, a character no
confusion explains, a payer without shapes) is kept as read and left to review.

A shape is a string of ``#`` (a digit), ``@`` (a letter), ``*`` (either) and literal capitals or
digits ("OSC########"); spaces and hyphens in the ID are ignored for matching and kept where they were.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from cardio_intake.extraction.payer_words import payer_directory
from cardio_intake.rules.models import Payer
from cardio_intake.rules.payers import resolve_payer

#: Symbols OCR reads for a digit of a member ID in a fax face, from the gold of every corpus here (the ID's OCR
#: words set against its printed value, character by character): "%" for 9 three times (once for 1), ")" and "]"
#: for 1, "§" for 5, "°" for 0 ("PNB35696900%" for PNB356969009, "§765694%6-02" for 576569496-02).
SYMBOL_AS_DIGIT = {"%": "9", ")": "1", "]": "1", "§": "5", "°": "0"}
#: Letters OCR reads for digits (and lowercase slips), as printed on member cards and forms.
_AS_DIGIT = str.maketrans({
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0",
    "I": "1", "l": "1", "i": "1", "|": "1", "L": "1", "T": "7",
    "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6", "A": "4", "g": "9", "q": "9",
    **SYMBOL_AS_DIGIT,
})  # fmt: skip
#: Digits OCR reads for letters.
_AS_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"})

_SEPARATORS = " -"


def fits(compact: str, shape: str) -> bool:
    """``compact`` (no separators, upper case) is exactly of ``shape``."""
    if len(compact) != len(shape):
        return False
    for ch, slot in zip(compact, shape, strict=True):
        if slot == "#":
            ok = ch.isdigit()
        elif slot == "@":
            ok = ch.isalpha()
        elif slot == "*":
            ok = ch.isalnum()
        else:
            ok = ch == slot
        if not ok:
            return False
    return True


def fits_any(value: str, shapes: tuple[str, ...]) -> bool:
    """``value`` (separators ignored, any case) is of one of ``shapes``."""
    compact = "".join(c for c in value if c not in _SEPARATORS).upper()
    return any(fits(compact, s) for s in shapes)


def _mend(ch: str, slot: str) -> str | None:
    """``ch`` as the shape's slot wants it, or None when no confusion explains it."""
    up = ch.upper()
    if slot == "#":
        d = ch if ch.isdigit() else ch.translate(_AS_DIGIT)
        return d if d.isdigit() else None
    if slot == "@":
        c = up if up.isalpha() else ch.translate(_AS_LETTER)
        return c if c.isalpha() else None
    if slot == "*":
        return up if up.isalnum() else None
    if up == slot or ch.translate(_AS_DIGIT) == slot or ch.translate(_AS_LETTER) == slot:
        return slot
    return None


def mend_member_id(value: str, shapes: tuple[str, ...]) -> str:
    """``value`` mended to the one shape of ``shapes`` it can be read as, else ``value`` as it was. A reading
    one character too long with an "S" before a "5" is read without the S too: OCR reads a heavy fax 5 as "S5"
    ("WS501734729" for Aetna's "W501734729", "5YGS5RTOVU70" for the MBI "5YG5RT0VU70")."""
    if not shapes or fits_any(value, shapes):
        return value
    mended = _mended(value, shapes)
    if mended != value:
        return mended
    ghosts = {value[:i] + value[i + 1 :] for i in range(len(value) - 1) if value[i] in "Ss" and value[i + 1] == "5"}
    readings = {m for g in ghosts if fits_any(m := _mended(g, shapes), shapes)}
    return readings.pop() if len(readings) == 1 else value


def _mended(value: str, shapes: tuple[str, ...]) -> str:
    if fits_any(value, shapes):
        return value
    compact = "".join(c for c in value if c not in _SEPARATORS)
    readings = set()
    for shape in shapes:
        if len(shape) != len(compact):
            continue
        mended = [_mend(ch, slot) for ch, slot in zip(compact, shape, strict=True)]
        if all(m is not None for m in mended):
            readings.add("".join(m for m in mended if m is not None))
    if len(readings) != 1:
        return value  # none, or two shapes that read it differently: a person decides
    fixed = iter(readings.pop())
    return "".join(c if c in _SEPARATORS else next(fixed) for c in value)


def symbol_read(value: str, shapes: tuple[str, ...]) -> str | None:
    """A member ID OCR read with a symbol for a digit (:data:`SYMBOL_AS_DIGIT`), which no eligibility check takes as
    read, when the payer's shape reads it whole: "PNB35696900%" is Anthem's "PNB356969009". None where it has no symbol,
    or the shape does not take every character (one symbol among other damage is no ID: "O4€626142042")."""
    if not shapes or not any(c in SYMBOL_AS_DIGIT for c in value):
        return None
    mended = _mended(value, shapes)
    return mended if fits_any(mended, shapes) else None


def shaped_word(value: str, shapes: tuple[str, ...]) -> str:
    """The one word of a reading that has the payer's shape, where the whole reading has none: the tagger
    ran the member ID on into the number printed after it ("024141495 5709299")."""
    if not shapes or fits_any(value, shapes):
        return value
    fitting = [w for w in value.split() if fits_any(w, shapes)]
    return fitting[0] if len(fitting) == 1 else value


#: The one space the payers here print inside a member ID: before a two-digit suffix ("U65486350 02").
_SUFFIX_SPACE = re.compile(r" (?=\d\d$)")


def closed_up(value: str, shapes: tuple[str, ...]) -> str:
    """``value`` without the spaces OCR put inside it, where it is of the payer's shape: "W44 1898444" is
    Aetna's "W441898444" (a wide gap between two glyphs read as a space). A space before a two-digit suffix
    stays: that one is printed. In the gold of every corpus here no other member ID has a space."""
    if " " not in value or not shapes or not fits_any(value, shapes):
        return value
    marked = _SUFFIX_SPACE.sub("\0", value)
    return marked.replace(" ", "").replace("\0", " ")


@lru_cache(maxsize=256)
def directory_payer(payer_text: str | None, policies_dir: Path | None = None) -> Payer | None:
    """The payer of the directory (``policies/payers.yaml``) that ``payer_text`` names, by the rules layer's
    resolution, or None."""
    return resolve_payer(payer_text, payer_directory(policies_dir).payers).payer


def shapes_for_payer(payer_text: str | None, policies_dir: Path | None = None) -> tuple[str, ...]:
    """The member ID shapes of the payer ``payer_text`` names, or ()."""
    payer = directory_payer(payer_text, policies_dir)
    return tuple(payer.member_id_formats) if payer is not None else ()


def known_payer(payer_text: str, policies_dir: Path | None = None) -> bool:
    """``payer_text`` names a payer of the directory."""
    return directory_payer(payer_text, policies_dir) is not None
