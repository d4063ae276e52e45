"""Normalizers from an entity span's text (as OCR read it) to the contract's field forms.

Each normalizer returns a :class:`Norm`: the normalized value, or ``None`` and a short reason
(``unparseable``, ``out_of_range``, ``not_in_code_set``, ``bad_check_digit``...). Fax text is noisy, so the
normalizers repair only confusions that cannot change a valid value into another valid one
(``O`` for ``0`` inside a digit run, a stray label such as ``DOB:``), and reject everything else.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Generic, Literal, TypeVar

from cardio_intake.extraction.payer_words import repair_payer_text
from cardio_intake.labels import intent_for_cpt

T = TypeVar("T", covariant=True)

DateKind = Literal["dob", "referral"]


@dataclass(frozen=True)
class Norm(Generic[T]):
    """A normalized value, or ``None`` with the reason it was rejected."""

    value: T | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def _bad(reason: str) -> Norm[T]:
    return Norm(None, reason)


_PAIRS = {")": "(", "]": "["}


def _clean(text: str) -> str:
    """Collapse whitespace and strip the punctuation OCR and layouts leave around a value. A closing
    bracket whose opener is inside the value stays ("Medicare (CMS)", "ECG [EKG]")."""
    s = re.sub(r"\s+", " ", text).strip(" \t\r\n:;,|*_")
    while s:
        head, tail = s[0], s[-1]
        if head in "([" and ({"(": ")", "[": "]"}[head] not in s[1:]):
            s = s[1:].lstrip()
        elif tail in ")]" and _PAIRS[tail] not in s[:-1]:
            s = s[:-1].rstrip()
        elif head in "([" and tail == {"(": ")", "[": "]"}[head] and s.count(head) == 1 and s.count(tail) == 1:
            s = s[1:-1].strip()  # "(614) 555" keeps its parentheses; "(Aetna)" as a whole loses them
        else:
            break
        s = s.strip(" \t\r\n:;,|*_")
    return s


# OCR confusions inside what must be a digit run ("O3/l4/1952"). Only applied to tokens that are
# mostly digits already, so words such as "Oct" are left alone.
_DIGIT_FIX = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "!": "1", "S": "5", "B": "8"}
)


def _fix_digits(token: str) -> str:
    digits = sum(c.isdigit() for c in token)
    alnum = sum(c.isalnum() for c in token)
    if alnum and digits / alnum >= 0.6:
        return token.translate(_DIGIT_FIX)
    return token


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_MONTH_RE = r"(?P<mon>[A-Za-z]{3,9})\.?"
_DATE_LABEL_RE = re.compile(r"^(?:dob|d\.o\.b\.?|date of birth|birth ?date|date|dt|born)\s*[:#.]?\s*", re.I)

# Between the parts of a numeric date: one of - / . : (OCR reads "/" as ":" at times), or spaces alone.
_NUM_SEP = r"(?:\s*[-/.:]\s*|\s+)"
# Between day and year of a month-name date: a comma, a period or a dash (",." and ", -" from OCR
# too), or spaces. Never nothing: "May 1984" is a month and a year, not May 19, '84.
_TEXT_SEP = r"(?:\s*[,.]+\s*[-/]?\s*|\s*[-/]\s*|\s+)"
_NUMERIC_PATTERNS = (
    # ISO first: a 4-digit leading year is unambiguous.
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})$"),
    re.compile(rf"^(?P<m>\d{{1,2}}){_NUM_SEP}(?P<d>\d{{1,2}}){_NUM_SEP}(?P<y>\d{{4}}|\d{{2}})$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),  # 19520314
    re.compile(r"^(?P<m>\d{2})(?P<d>\d{2})(?P<y>\d{4})$"),  # 03141952
)
_TEXT_PATTERNS = (
    re.compile(rf"^{_MONTH_RE}\s*[-/ ]?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_TEXT_SEP}(?P<y>\d{{4}}|\d{{2}})$"),
    re.compile(rf"^(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*[-/ ]?\s*{_MONTH_RE}{_TEXT_SEP}(?P<y>\d{{4}}|\d{{2}})$"),
)
#: How close an OCR-damaged month name must be to one real name ("Oet" -> Oct, "dune" -> June)
#: to be read as it; a word as close to two months ("Mav": Mar or May) is not read at all.
_MONTH_MIN_RATIO = 0.65


def month_number(word: str) -> int | None:
    """The month a name or abbreviation means, tolerating one or two OCR slips."""
    key = word.lower().strip(".")
    if key in _MONTHS:
        return _MONTHS[key]
    scored = sorted(
        ((difflib.SequenceMatcher(None, key, name).ratio(), month) for name, month in _MONTHS.items()), reverse=True
    )
    best, month = scored[0]
    rival = max((r for r, m in scored if m != month), default=0.0)
    return month if best >= _MONTH_MIN_RATIO and best > rival else None


def _resolve_year(y: str, month: int, day: int, kind: DateKind, today: date) -> int | None:
    if len(y) == 4:
        return int(y)
    yy = int(y)
    candidates = [1900 + yy, 2000 + yy]
    if kind == "dob":
        # A birth date is in the past: the latest century that does not put it in the future.
        past = [c for c in candidates if (v := _safe_date(c, month, day)) is not None and v <= today]
        return max(past) if past else None
    # A referral date is recent: the century that puts it closest to today.
    return min(candidates, key=lambda c: abs(c - today.year))


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def normalize_date(text: str, kind: DateKind = "referral", today: date | None = None) -> Norm[date]:
    """Fax date formats to a date: ``03/14/1952``, ``3-14-52``, ``March 14, 1952``, ``14 Mar 1952``,
    ``1952-03-14``. Numeric dates are US month-first unless the first number cannot be a month.
    Two-digit years: birth dates take the latest century not in the future, referral dates the one
    nearest today. Birth dates must be within 120 years; referral dates within ~25 years back and
    one year ahead."""
    today = today or date.today()
    # typographic quotes too: a speck before a date reads as one ("“Feb 9, 1987")
    s = _DATE_LABEL_RE.sub("", _clean(text)).strip(" .,'\"`-“”‘’„")
    if not s:
        return _bad("empty")
    raw = s  # month names must be matched before OCR digit fixes ("08-Jul-1997" must not become "Ju1")
    s = " ".join(_fix_digits(tok) for tok in s.split(" "))
    parsed: tuple[str, int, int] | None = None  # (year text, month, day)
    for pat in _NUMERIC_PATTERNS:
        m = pat.match(s)
        if m:
            mo, d = int(m["m"]), int(m["d"])
            month_first = pat is _NUMERIC_PATTERNS[1] or pat is _NUMERIC_PATTERNS[3]
            if month_first and mo > 12 and d <= 12:
                mo, d = d, mo  # day-first (e.g. 14/03/1952)
            if not (1 <= mo <= 12 and 1 <= d <= 31):
                continue  # "11301942" is no year 1130 with month 19: read it as the next shape does
            parsed = (m["y"], mo, d)
            break
    if parsed is None:
        for pat in _TEXT_PATTERNS:
            m = pat.match(raw) or pat.match(s)
            if m:
                mon = month_number(m["mon"])
                if mon is None:
                    return _bad("unparseable")
                parsed = (m["y"], mon, int(m["d"]))
                break
    if parsed is None:
        return _bad("unparseable")
    y_text, month, day = parsed
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return _bad("unparseable")
    year = _resolve_year(y_text, month, day, kind, today)
    value = _safe_date(year, month, day) if year is not None else None
    if value is None:
        return _bad("unparseable")
    if kind == "dob" and not (date(today.year - 120, 1, 1) <= value <= today):
        return _bad("out_of_range")
    if kind == "referral" and not (date(today.year - 25, 1, 1) <= value <= date(today.year + 1, 12, 31)):
        return _bad("out_of_range")
    return Norm(value)


# --- phones -------------------------------------------------------------------------------------

_EXTENSION_RE = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d+\s*$", re.I)


def normalize_phone(text: str) -> Norm[str]:
    """A North American number to E.164 (``+1`` and ten digits). Area code and exchange must start
    with 2-9 (the NANP rule); an extension is dropped."""
    s = _EXTENSION_RE.sub("", _clean(text))
    s = re.sub(r"^(?:tel|ph|phone|fax|f|p|t)\s*[:#.]?\s*", "", s, flags=re.I)
    digits = "".join(c for c in _fix_digits(s.replace(" ", "")) if c.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        return _bad("wrong_length")
    if digits[0] in "01" or digits[3] in "01":
        return _bad("not_nanp")
    return Norm(f"+1{digits}")


# --- ICD-10-CM ----------------------------------------------------------------------------------

_ICD_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")


def _icd_ocr_repair(code: str) -> str:
    """Position 1 is a letter, position 2 a digit: undo the usual OCR swaps there only."""
    if not code:
        return code
    first = {"1": "I", "0": "O", "5": "S", "8": "B", "2": "Z"}.get(code[0], code[0])
    second = {"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"}.get(code[1], code[1]) if len(code) > 1 else ""
    return first + second + code[2:]


def normalize_icd10(text: str) -> Norm[str]:
    """An ICD-10-CM code validated against the CMS code set (``simple_icd_10_cm``), with its dot:
    ``I4891`` -> ``I48.91``. Chapters and blocks (``I30-I5A``) are not codes and are rejected."""
    import simple_icd_10_cm as cm  # loads the code set (~1 s) on first use only

    s = _clean(text).upper().replace(" ", "")
    s = re.sub(r"^(?:ICD-?10(?:-CM)?|DX)[:#]?", "", s)
    raw = s.replace(".", "").rstrip(",;")
    if not raw:
        return _bad("empty")
    candidates = [raw, _icd_ocr_repair(raw)]
    for code in candidates:
        if not _ICD_SHAPE.match(code):
            continue
        if cm.is_valid_item(code) and (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code)):
            return Norm(cm.add_dot(code))
    return _bad("not_in_code_set" if any(_ICD_SHAPE.match(c) for c in candidates) else "bad_format")


# --- NPI ----------------------------------------------------------------------------------------


def npi_check_digit_ok(npi: str) -> bool:
    """Luhn over the NPI with the ISO card-issuer prefix 80840 (CMS NPI standard): equivalent to
    adding the constant 24 to the doubled-digit Luhn sum of the first nine digits."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def normalize_npi(text: str) -> Norm[str]:
    """Ten digits starting with 1 or 2 whose check digit passes the Luhn test (80840 prefix)."""
    s = re.sub(r"^(?:npi)\s*[:#.]?\s*", "", _clean(text), flags=re.I)
    digits = "".join(c for c in _fix_digits(s.replace(" ", "").replace("-", "")) if c.isdigit())
    if len(digits) != 10:
        return _bad("wrong_length")
    if digits[0] not in "12":
        return _bad("bad_prefix")
    if not npi_check_digit_ok(digits):
        return _bad("bad_check_digit")
    return Norm(digits)


# --- CPT ----------------------------------------------------------------------------------------

_CPT_RE = re.compile(r"^(?P<code>\d{5}|\d{4}[FTU])(?:-?(?:[0-9]{2}|[A-Z]{2}|[A-Z][0-9]))?$")


def normalize_cpt(text: str) -> Norm[str]:
    """Five characters: five digits (Category I) or four digits and F/T/U (Categories II, III, PLA).
    A trailing modifier (``93306-26``) is dropped."""
    s = _clean(text).upper().replace(" ", "")
    s = re.sub(r"^(?:CPT|HCPCS)[:#]?", "", s)
    m = _CPT_RE.match(s) or _CPT_RE.match(_fix_digits(s[:5]) + s[5:])
    if not m:
        return _bad("bad_format")
    return Norm(m["code"])


def cpt_intent_conflicts(cpts: list[str], intents: list[str]) -> list[str]:
    """CPT codes that belong to a contract intent which is not among ``intents`` (the model read an
    order it did not classify, or the reverse). Codes outside every contract range are not judged."""
    out = []
    for code in cpts:
        intent = intent_for_cpt(code)
        if intent is not None and intent not in intents:
            out.append(code)
    return out


# --- names --------------------------------------------------------------------------------------

_PREFIX_TITLES = r"(?:dr|doctor|mr|mrs|ms|miss|mx|prof|professor|rev)\.?"
# Credentials after a name; generational suffixes (Jr., III) are part of the name and stay. Short
# credentials that are also surnames ("Anh Do", "Lily Pa") count only when written in capitals.
_SUFFIX_ANYCASE = (
    r"m\.d\.?|md|ph\.?d\.?|pharm\.?d\.?|d\.o\.|d\.n\.p\.?|fnp(?:-?(?:c|bc))?|ag?np(?:-?(?:c|bc))?|aprn|pa-c"
    r"|np-c|r\.n\.|facc|facp|fache|fscai|fhrs|mbbs|cnp|crnp|dnp"
)
_SUFFIX_UPPER = r"DO|MS|PA|NP|RN|CNS|MPH|MSN|BSN|PA-C|NP-C|MD|DPM"
_SUFFIX_RE = re.compile(rf"(?:[\s,]+(?:(?i:{_SUFFIX_ANYCASE})|{_SUFFIX_UPPER})\.?)+\s*$")
_PREFIX_RE = re.compile(rf"^(?:{_PREFIX_TITLES}(?:\s+|$))+", re.I)
_CREDENTIAL_RE = re.compile(rf"(?:(?i:{_SUFFIX_ANYCASE})|{_SUFFIX_UPPER})\.?")


def is_credential(word: str) -> bool:
    """A credential written after a name ("MD", "PA-C,", "FACC"), as :func:`normalize_name` strips them."""
    return _CREDENTIAL_RE.fullmatch(word.strip(",;")) is not None


def _trim_name_edges(s: str) -> str:
    """From the first letter to the last, plus the period of a final initial or abbreviation
    ("Maria L.", "John Smith Jr.")."""
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if not letters:
        return s
    first, last = letters[0], letters[-1]
    word_start = last
    while word_start > first and s[word_start - 1].isalpha():
        word_start -= 1
    if last - word_start < 2 and s[last + 1 : last + 2] == ".":
        last += 1
    return s[first : last + 1]


# "Perry. Thomas": the comma of a surname-first name read as a period (a surname of three letters or more:
# "L." and "St." are an initial and an abbreviation)
_SURNAME_PERIOD_RE = re.compile(r"^([A-Z][a-zA-Z'-]{2,})\.(\s+[A-Z])")
# "lvanov": a capitalized word's "I" read as "l"; no name starts with "l" and a consonant
_LOWER_L_RE = re.compile(r"(?<![\w'-])l(?=[b-df-hj-np-tv-xz][a-z])")
# "ME! GREEN": in a word in capitals, "!" is an "I" (a name has no exclamation mark)
_BANG_RE = re.compile(r"(?<=[A-Z])!|!(?=[A-Z])")
# "PRICE,LATOYA": OCR lost the space after a surname's comma; names are written "PRICE, LATOYA"
_TIGHT_COMMA_RE = re.compile(r"(?<=[^\W\d_]),(?=[^\W\d_])")


#: Lowercase words that start a surname ("de la Cruz", "van der Berg", "bin Rashid").
_NAME_PARTICLES = frozenset({"de", "del", "della", "la", "le", "da", "das", "dos", "di", "du", "van", "von", "der", "den", "ten", "bin", "ibn", "y"})
#: A middle initial OCR ran into the name before it ("Rodriguez, CarolD", "Jenkins, YukiW"): a capital
#: ending a capitalized word. No name ends so; "McDonald" and "DeAndre" have theirs inside.
_RUN_IN_INITIAL_RE = re.compile(r"\b([A-Z][a-z]{2,})([A-Z])\b")


def _repair_name_ocr(s: str) -> str:
    """OCR slips in a name that no real name has: a period for the comma after a surname that starts
    the name, a comma with no space after it, "l" for "I" at the start of a word, "!" for "I" in capitals,
    an initial run into the word before it."""
    if "," not in s:
        s = _SURNAME_PERIOD_RE.sub(r"\1,\2", s)
    s = _TIGHT_COMMA_RE.sub(", ", s)
    s = _LOWER_L_RE.sub("I", s)
    s = _RUN_IN_INITIAL_RE.sub(r"\1 \2", s)
    return _BANG_RE.sub("I", s)


def normalize_name(text: str) -> Norm[str]:
    """A person's name as written, without titles or credentials: ``Dr. Alan Whitfield, MD`` ->
    ``Alan Whitfield``; ``Gonzalez, Maria L`` stays as written."""
    s = re.sub(r"\s+", " ", text).strip(" \t:;|*_")
    s = re.sub(r"^(?:name|patient|pt|patient name|provider|referring provider|physician)\s*[:#]\s*", "", s, flags=re.I)
    prev = None
    while prev != s:
        prev = s
        s = _PREFIX_RE.sub("", s)
        s = _SUFFIX_RE.sub("", s).strip(" ,;")
    # A name starts with a letter and ends with one or an initial's period: the rest at its edges is a
    # form line or speck that OCR read with it ("/Luis Fischer", "-Ingrid K. Powell", "Chen, Robert |").
    s = _trim_name_edges(_cut_at_digits(s))
    if not any(c.isalpha() for c in s):
        return _bad("empty")
    s = _repair_name_ocr(s)
    # names are written capitalized or in capitals ("de la Cruz" has particles, but not a majority of them);
    # mostly-lowercase words are a form label or OCR noise tagged as a name ("Fecha de nacimiento", "ian, ebarvh")
    words = re.findall(r"[^\W\d_]+", s)
    if 2 * sum(w[0].islower() for w in words) > len(words):
        return _bad("not a name: mostly lowercase words")
    # a name written in capitals has no lowercase word: one at its end is a speck or label read with it
    # ("MCCARTHY, ANA pos")
    if sum(w.isupper() for w in words) >= 2 and all(w.isupper() or w.islower() for w in words):
        while words[-1].islower():
            s = _trim_name_edges(s[: s.rfind(words.pop())])
    # ...and a capitalized one ends in a capitalized word: a short lowercase word after it is a speck too
    # ("Wood, Daniel pos"); particles come before the surname ("Maria de la Cruz")
    elif sum(w[0].isupper() for w in words) >= 2:
        while words[-1].islower() and len(words[-1]) <= 3:
            s = _trim_name_edges(s[: s.rfind(words.pop())])
    # a particle comes before the surname it belongs to ("Maria de la Cruz"), never last: "Fecha de" is the
    # start of a form label ("Fecha de nacimiento") cut off at the line's end
    if len(words) > 1 and words[-1] in _NAME_PARTICLES:
        return _bad("not a name: ends in a particle")
    return Norm(s)


#: A digit alone at a name's end that OCR reads for a middle initial's capital ("Williams, Gloria 8").
INITIAL_AS_DIGIT = {"8": "B", "0": "O", "5": "S", "6": "G"}


def _cut_at_digits(s: str) -> str:
    """A name has no digits: a word with one after the name's words is a date or ID read with it
    ("Tanaka, Matthew 14-Mar"), except one digit alone last, which is a middle initial OCR read as a
    digit ("Williams, Gloria 8" -> "Williams, Gloria B"). A digit inside the first word is an OCR slip
    for a letter ("MARTINE7") and stays for the checks after."""
    tokens = s.split(" ")
    last = tokens[-1].rstrip(".")
    if len(tokens) >= 3 and last in INITIAL_AS_DIGIT and not any(c.isdigit() for c in " ".join(tokens[:-1])):
        tokens[-1] = INITIAL_AS_DIGIT[last] + tokens[-1][len(last):]
        return " ".join(tokens)
    for i, tok in enumerate(tokens):
        if i and any(c.isdigit() for c in tok) and any(c.isalpha() for c in " ".join(tokens[:i])):
            return " ".join(tokens[:i])
    return s


# --- urgency ------------------------------------------------------------------------------------

_STAT_RE = re.compile(r"\b(stat|emergen\w*|same[- ]day|immediate\w*|today|now)\b", re.I)
_ROUTINE_RE = re.compile(
    r"\b(routine|non\W{0,3}urgent|not\W{0,3}urgent|standard|elective|normal|regular|next available|no rush)\b", re.I
)
_URGENT_RE = re.compile(r"\b(urgent\w*|asap|a\.s\.a\.p|expedite\w*|priority|high|soon|rush)\b", re.I)
_WITHIN_RE = re.compile(r"within\s+(\d+)\s*(h|hr|hrs|hour|hours|d|day|days|wk|wks|week|weeks)\b", re.I)


def normalize_urgency(text: str) -> Norm[str]:
    """``routine``, ``urgent`` or ``stat`` from the phrase on the order: ``URGENT - within 72 hours``,
    ``STAT``, ``ASAP`` (urgent), ``routine``. A negated urgency (``non-urgent``) is routine."""
    s = _clean(text)
    if not s:
        return _bad("empty")
    if _ROUTINE_RE.search(s):
        return Norm("routine")
    if _STAT_RE.search(s):
        return Norm("stat")
    if _URGENT_RE.search(s):
        return Norm("urgent")
    m = _WITHIN_RE.search(s)
    if m:
        n, unit = int(m[1]), m[2].lower()
        hours = n if unit.startswith("h") else n * 24 if unit.startswith("d") else n * 168
        return Norm("stat" if hours <= 24 else "urgent" if hours <= 7 * 24 else "routine")
    return _bad("unrecognized")


# --- plain text fields --------------------------------------------------------------------------


def normalize_text(text: str) -> Norm[str]:
    """Payer, diagnosis, procedure, MRN: whitespace collapsed and stray label punctuation removed."""
    s = _clean(text)
    return Norm(s) if s else _bad("empty")


def normalize_identifier(text: str) -> Norm[str]:
    """Member ID, group number, MRN: one token, label punctuation removed, internal hyphens kept."""
    # quotes and dots OCR reads from specks beside the value ("‘549799152139.") are no part of an ID
    s = _clean(text).strip(".'\"`‘’“”")
    s = re.sub(r"^(?:#|no\.?|id)\s*[:#]?\s*", "", s, flags=re.I)
    if not s or not any(c.isalnum() for c in s):
        return _bad("empty")
    return Norm(s)


_MEMBER_ID_CHARS = re.compile(r"[A-Za-z0-9 -]+")

# CMS Medicare Beneficiary Identifier: 11 characters, each position's kind fixed, letters without S L O I B Z
_MBI_ALPHA = "AC-HJKMNP-RT-Y"
_MBI_RE = re.compile(
    rf"[1-9][{_MBI_ALPHA}][{_MBI_ALPHA}0-9][0-9][{_MBI_ALPHA}][{_MBI_ALPHA}0-9][0-9][{_MBI_ALPHA}]{{2}}[0-9]{{2}}"
)
#: the positions (0-based) that hold a digit, or may (3rd and 6th: a letter there is never S L O I B Z)
_MBI_DIGIT_POSITIONS = (0, 2, 3, 5, 6, 9, 10)


def repair_mbi(value: str) -> str:
    """An 11-character ID that is an MBI once OCR's letter-for-digit slips are undone where the MBI
    must (or, being one of the letters it never uses, can only) hold a digit: "8WRIER2MT22" ->
    "8WR1ER2MT22". Anything else, a valid MBI included, comes back as it was; dashes stay where they were."""
    compact = value.replace("-", "")
    if len(compact) != 11 or _MBI_RE.fullmatch(compact.upper()):
        return value
    chars = list(compact.upper())
    for i in _MBI_DIGIT_POSITIONS:
        chars[i] = chars[i].translate(_DIGIT_FIX)
    fixed = "".join(chars)
    if not _MBI_RE.fullmatch(fixed):
        return value
    repaired = iter(fixed)
    return "".join(c if c == "-" else next(repaired) for c in value)


#: A telephone number as printed ("1-720-000-0681", "720-555-0134"): a payer's help line, never its member ID
_PHONE_SHAPE = re.compile(r"(?:1[- ])?\d{3}[- ]\d{3}[- ]\d{4}")


def plausible_member_id(value: str) -> bool:
    """Every payer's member ID (commercial, Medicare MBI, Medicaid) is at least six letters and digits,
    three of them digits, nothing but ASCII letters, digits, spaces and hyphens, and not a telephone number's
    shape (a card's help line "1-720-000-0681" read as the ID). What fails this is
    a form's box number ("3."), a label ("D.O.B.") or OCR damage ("W33916860?", "O4€626142042") that no
    one could enter into an eligibility check as read."""
    return (
        _MEMBER_ID_CHARS.fullmatch(value) is not None
        and sum(c.isalnum() for c in value) >= 6
        and sum(c.isdigit() for c in value) >= 3
        and _PHONE_SHAPE.fullmatch(value) is None
    )


def normalize_field(field: str, text: str, today: date | None = None) -> Norm[object]:
    """The normalizer for a contract field name (``patient_dob``, ``cpt``...)."""
    result: Norm[object]
    if field == "patient_dob":
        result = normalize_date(text, "dob", today)
    elif field == "referral_date":
        result = normalize_date(text, "referral", today)
    elif field in ("patient_phone", "provider_fax"):
        result = normalize_phone(text)
    elif field == "icd10":
        result = normalize_icd10(text)
    elif field == "cpt":
        result = normalize_cpt(text)
    elif field == "referring_npi":
        result = normalize_npi(text)
    elif field in ("patient_name", "referring_provider"):
        result = normalize_name(text)
    elif field == "urgency":
        result = normalize_urgency(text)
    elif field in ("member_id", "group_number", "mrn"):
        result = normalize_identifier(text)
        if field == "member_id" and result.value is not None:
            result = (
                Norm(repair_mbi(str(result.value)))
                if plausible_member_id(str(result.value))
                else _bad("not a member ID: too short or characters no ID has")
            )
    elif field == "payer":
        result = normalize_text(repair_payer_text(text))
        if result.value is not None and not any(c.isupper() for c in str(result.value)):
            # a payer's name has a capital somewhere ("UHC", "Aetna", "Blue Cross"); "médico", "de" are label words
            result = _bad("not a payer name: no capital letter")
    else:
        result = normalize_text(text)
    return result
