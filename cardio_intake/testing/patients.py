"""Synthetic patients whose identifiers are known, so a test can look for them where they must not be.

Each patient gets a name, a date of birth and a member id, drawn from a seeded generator; the fax text
(``referral_lines``) prints them the way referral forms do. ``phi_needles`` lists every spelling a
leak could take (the name as written, the surname, the DOB as written and in ISO form, the member id).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

# Uncommon enough that a hit in a log file cannot be a coincidence (no English words, no log fields).
_FIRST = ("Marisol", "Theodore", "Imani", "Bartholomew", "Yesenia", "Augustin", "Priyanka", "Cornelius",
          "Ludmila", "Ezekiel", "Anneliese", "Tobias", "Rosalind", "Ignatius", "Wilhelmina", "Cassius")
_LAST = ("Okonkwo", "Lindqvist", "Marchetti", "Abernathy", "Castellanos", "Nakashima", "Wojcik", "Fitzwilliam",
         "Oyelaran", "Halvorsen", "Delacroix", "Szymanski", "Quintero", "Baptiste", "Vukovich", "Thorvaldsen")


@dataclass(frozen=True)
class SyntheticPatient:
    first: str
    last: str
    dob: dt.date
    member_id: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def referral_lines(self, service: str = "echocardiogram with doppler") -> tuple[str, ...]:
        """The text of a one-page referral for this patient (what the keyword test model reads)."""
        return (
            "REFERRAL TO CARDIOLOGY",
            f"Patient: {self.name} DOB {self.dob:%m/%d/%Y}",
            f"Member ID: {self.member_id} Aetna Medicare",
            f"Requested: {service}",
            "Diagnosis: atrial fibrillation I48.91",
        )

    def phi_needles(self) -> set[str]:
        return {self.name, self.last, f"{self.dob:%m/%d/%Y}", self.dob.isoformat(), self.member_id}


def make_patients(n: int, seed: int) -> list[SyntheticPatient]:
    """``n`` patients with distinct names and member ids (so every fax has distinct bytes)."""
    rng = random.Random(seed)
    out: list[SyntheticPatient] = []
    names: set[tuple[str, str]] = set()
    members: set[str] = set()
    while len(out) < n:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        member = f"W{rng.randrange(10**8, 10**9)}"
        if (first, last) in names and len(names) < len(_FIRST) * len(_LAST):
            continue
        if member in members:
            continue
        names.add((first, last))
        members.add(member)
        dob = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 70))
        out.append(SyntheticPatient(first, last, dob, member))
    return out
