"""Identifiers and their written forms: NPIs, payer member IDs, phones, dates."""

from __future__ import annotations

import random
import string
from datetime import date

_DIGITS = string.digits
_ALPHA = "".join(c for c in string.ascii_uppercase if c not in "SLOIBZ")  # MBI excludes these


def npi_luhn_ok(npi: str) -> bool:
    """CMS NPI check digit: Luhn over the ISO card-issuer prefix 80840 followed by the ten digits."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_npi(rng: random.Random) -> str:
    """A ten-digit NPI starting with 1 (individual) or 2 (organization) with a valid check digit."""
    body = rng.choice("12") + "".join(rng.choice(_DIGITS) for _ in range(8))
    for check in _DIGITS:
        if npi_luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always satisfies Luhn")


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(n))


def _a(rng: random.Random, n: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_mbi(rng: random.Random, dashed: bool) -> str:
    """A Medicare Beneficiary Identifier (11 characters, CMS position rules), e.g. 1EG4-TE5-MK73."""
    an = _ALPHA + _DIGITS
    chars = [
        rng.choice("123456789"), rng.choice(_ALPHA), rng.choice(an), rng.choice(_DIGITS),
        rng.choice(_ALPHA), rng.choice(an), rng.choice(_DIGITS), rng.choice(_ALPHA),
        rng.choice(_ALPHA), rng.choice(_DIGITS), rng.choice(_DIGITS),
    ]  # fmt: skip
    s = "".join(chars)
    return f"{s[:4]}-{s[4:7]}-{s[7:]}" if dashed else s


def make_member_id(rng: random.Random, fmt: str) -> str:
    """A member ID in the payer's usual shape (prefixes, lengths)."""
    if fmt == "uhc":
        return _d(rng, 9) if rng.random() < 0.8 else _d(rng, 9) + "-0" + rng.choice("0123")
    if fmt == "aetna":
        return "W" + _d(rng, 9)
    if fmt == "cigna":
        return "U" + _d(rng, 8) + rng.choice(["", " "]) + "0" + rng.choice("1234")
    if fmt == "bcbs":
        return _a(rng, 3) + _d(rng, 9) if rng.random() < 0.8 else "R" + _d(rng, 8)
    if fmt == "humana":
        return "H" + _d(rng, 8)
    if fmt == "kaiser":
        return _d(rng, 8)
    if fmt == "oscar":
        return "OSC" + _d(rng, 8)
    if fmt == "tricare":
        return _d(rng, 10)
    if fmt == "wellcare":
        return _d(rng, 8)
    if fmt == "devoted":
        return "D" + _d(rng, 9)
    if fmt == "mbi":
        return make_mbi(rng, dashed=rng.random() < 0.3)
    if fmt == "ohio":
        return _d(rng, 12)
    if fmt == "medical":
        return rng.choice("9") + _d(rng, 7) + rng.choice("ABCDEFG")
    if fmt == "ny":
        return _a(rng, 2) + _d(rng, 5) + _a(rng, 1)
    if fmt == "texas":
        return _d(rng, 9)
    if fmt == "caresource":
        return _d(rng, 11)
    if fmt == "molina":
        return _d(rng, 9) if rng.random() < 0.5 else "MH" + _d(rng, 8)
    raise ValueError(f"unknown member ID format {fmt!r}")


def make_group(rng: random.Random, fmt: str) -> str:
    if fmt == "aetna":
        return f"{_d(rng, 7)}-{_d(rng, 3)}"
    if fmt == "bcbs":
        return rng.choice([_d(rng, 6), _a(rng, 1) + _d(rng, 5), _d(rng, 5) + "-" + _d(rng, 3)])
    if fmt == "cigna":
        return _d(rng, 7)
    return _d(rng, rng.choice([5, 6, 7]))


def make_mrn(rng: random.Random) -> str:
    return rng.choice([_d(rng, 8), _d(rng, 7), "E" + _d(rng, 7), _d(rng, 6), "00" + _d(rng, 6)])


def make_phone(rng: random.Random, area_codes: tuple[str, ...]) -> str:
    """E.164 (+1 and ten digits) with a plausible NANP exchange."""
    return "+1" + rng.choice(area_codes) + str(rng.randint(2, 9)) + _d(rng, 2) + _d(rng, 4)


def format_phone(e164: str, rng: random.Random) -> str:
    """A written form of an E.164 US number: (614) 555-0134, 614-555-0134, 614.555.0134..."""
    a, b, c = e164[2:5], e164[5:8], e164[8:]
    return rng.choice(
        [f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"{a}{b}{c}", f"{a} {b} {c}", f"1-{a}-{b}-{c}", f"({a}){b}-{c}"]
    )


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def format_date(d: date, rng: random.Random, allow_short_year: bool = True) -> str:
    """A written US date: 03/14/1952, 3/14/1952, 03-14-1952, 3/14/52, March 14, 1952, 14-Mar-1952..."""
    forms = [
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.month}/{d.day}/{d.year}",
        f"{d.month:02d}-{d.day:02d}-{d.year}",
        f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
        f"{_MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
        f"{d.day:02d}-{_MONTHS[d.month - 1][:3]}-{d.year}",
        d.isoformat(),
    ]
    if allow_short_year:
        forms.append(f"{d.month}/{d.day}/{d.year % 100:02d}")
    return rng.choice(forms)
