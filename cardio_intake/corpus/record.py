"""The facts of one synthetic referral (patient, coverage, orders, referring provider) and the way
this referral source writes them. Rendering reads these; the gold fields are derived from what was
actually drawn (see :mod:`cardio_intake.corpus.packet`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from cardio_intake.corpus import ids, vocab
from cardio_intake.labels import INTENTS


@dataclass
class Source:
    """Who sends the fax: a clinic, hospital, urgent care, health plan."""

    name: str
    kind: str
    street: str
    city: str
    state: str
    zip: str
    area_codes: tuple[str, ...]
    phone: str  # E.164
    fax: str  # E.164
    phone_text: str
    fax_text: str

    @property
    def city_line(self) -> str:
        return f"{self.city}, {self.state} {self.zip}"


@dataclass
class Order:
    intent: str
    cpt: str
    procedure: str  # as written by this source


@dataclass
class Dx:
    code: str  # with its dot (normalized form)
    written_code: str  # as printed (sometimes without the dot)
    text: str  # diagnosis wording as printed


@dataclass
class Referral:
    first: str
    middle: str
    last: str
    name: str  # the patient's name as this source writes it (no titles)
    sex: str
    dob: date
    dob_text: str
    phone: str | None
    phone_text: str
    mrn: str | None
    payer: str | None
    payer_kind: str
    member_id: str | None
    group: str | None
    orders: list[Order]
    dx: list[Dx]
    provider: str  # referring provider's name as written (no titles)
    provider_display: str  # with title / credentials
    provider_last: str
    npi: str | None
    fax: str | None  # E.164, the provider's return fax
    fax_text: str
    urgency: str | None
    urgency_text: str
    referral_date: date | None
    date_text: str
    address: str
    show_cpt: bool
    show_icd: bool
    note_idx: int = 0
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        wanted = {o.intent for o in self.orders}
        return [i for i in INTENTS if i in wanted]

    # (written text, entity type, normalized value) triples the layouts draw
    def item(self, key: str) -> tuple[str, str, object]:
        table: dict[str, tuple[str, str, object]] = {
            "name": (self.name, "PATIENT_NAME", self.name),
            "dob": (self.dob_text, "PATIENT_DOB", self.dob.isoformat()),
            "phone": (self.phone_text, "PATIENT_PHONE", self.phone),
            "mrn": (self.mrn or "", "MRN", self.mrn),
            "payer": (self.payer or "", "PAYER", self.payer),
            "member_id": (self.member_id or "", "MEMBER_ID", self.member_id),
            "group": (self.group or "", "GROUP_NUMBER", self.group),
            "provider": (self.provider_display, "REFERRING_PROVIDER", self.provider),
            "npi": (self.npi or "", "REFERRING_NPI", self.npi),
            "fax": (self.fax_text, "PROVIDER_FAX", self.fax),
            "urgency": (self.urgency_text, "URGENCY", self.urgency),
            "date": (self.date_text, "REFERRAL_DATE", self.referral_date.isoformat() if self.referral_date else None),
        }
        text, ent, value = table[key]
        return (text if value else "", ent, value)

    def has(self, key: str) -> bool:
        return bool(self.item(key)[0])


T = TypeVar("T")


def _weighted(rng: random.Random, items: list[tuple[T, float]]) -> T:
    total = sum(w for _, w in items)
    x = rng.random() * total
    for it, w in items:
        x -= w
        if x <= 0:
            return it
    return items[-1][0]


def make_source(rng: random.Random, kind: str) -> Source:
    city, state, zip3, areas = rng.choice(vocab.PLACES)
    if kind == "hospital":
        name = rng.choice(vocab.HOSPITAL_NAMES)
    elif kind == "urgent_care":
        name = f"{rng.choice(vocab.PLACE_WORDS)} {rng.choice(['Urgent Care', 'Emergency Department', 'ED / Urgent Care'])}"
    elif kind == "health_plan":
        name = f"{rng.choice(vocab.PLACE_WORDS)} {rng.choice(['Medical Group (HMO)', 'IPA', 'Health Partners'])}"
    elif kind == "fqhc":
        name = f"{rng.choice(vocab.PLACE_WORDS)} {rng.choice(['Community Health Center', 'Clinica Familiar', 'Health Services'])}"
    else:
        name = f"{rng.choice(vocab.PLACE_WORDS)} {rng.choice(vocab.CLINIC_KINDS)}"
    phone = ids.make_phone(rng, areas)
    fax = ids.make_phone(rng, areas)
    return Source(
        name=name,
        kind=kind,
        street=f"{rng.randint(100, 9899)} {rng.choice(vocab.STREETS)}" + rng.choice(["", "", f", Suite {rng.randint(100, 450)}"]),
        city=city,
        state=state,
        zip=zip3 + f"{rng.randint(0, 99):02d}",
        area_codes=areas,
        phone=phone,
        fax=fax,
        phone_text=ids.format_phone(phone, rng),
        fax_text=ids.format_phone(fax, rng),
    )


def _patient_name(rng: random.Random, first: str, middle: str, last: str) -> str:
    style = rng.random()
    if style < 0.35:
        return f"{last}, {first}" + (f" {middle}" if middle and rng.random() < 0.6 else "")
    if style < 0.7:
        return f"{first} {middle}. {last}" if middle and rng.random() < 0.5 else f"{first} {last}"
    if style < 0.85:
        return f"{last.upper()}, {first.upper()}" + (f" {middle}" if middle else "")
    return f"{first.upper()} {last.upper()}"


def _dob_text(rng: random.Random, dob: date) -> str:
    # two-digit years only where they cannot be read as this century
    return ids.format_date(dob, rng, allow_short_year=dob.year % 100 > 30 and dob.year < 2000)


def make_referral(rng: random.Random, source: Source, today: date, n_notes: int, style: dict[str, float]) -> Referral:
    """Sample one patient's referral. ``style`` holds the source's habits (probabilities of showing
    CPT codes, ICD codes, optional fields)."""
    first = rng.choice(vocab.FIRST_NAMES)
    last = rng.choice(vocab.LAST_NAMES)
    middle = rng.choice(vocab.MIDDLE_INITIALS) if rng.random() < 0.55 else ""
    age_days = rng.randint(28 * 365, 94 * 365)
    dob = today - timedelta(days=age_days)
    patient_phone = ids.make_phone(rng, source.area_codes)

    names, kind, idfmt, has_group, _w = _weighted(rng, [(p, p[4]) for p in vocab.PAYERS])
    payer = rng.choice(names)
    member_id = ids.make_member_id(rng, idfmt)
    group = ids.make_group(rng, idfmt) if has_group and rng.random() < style.get("group", 0.85) else None

    bundle = _weighted(rng, [(b, w) for b, w in vocab.INTENT_BUNDLES])
    orders: list[Order] = []
    for intent in bundle:
        options = vocab.ORDERS[intent]
        cpt, wordings = options[0] if rng.random() < 0.6 else rng.choice(options)
        orders.append(Order(intent=intent, cpt=cpt, procedure=rng.choice(wordings)))
    # 1-3 diagnoses that justify the orders
    dx_codes: list[str] = []
    for o in orders:
        code = rng.choice(vocab.INTENT_DX[o.intent])
        if code not in dx_codes:
            dx_codes.append(code)
    while len(dx_codes) < 3 and rng.random() < 0.35:
        code = rng.choice(vocab.INTENT_DX["consult"])
        if code not in dx_codes:
            dx_codes.append(code)
    dx = []
    for code in dx_codes:
        official, short = vocab.ICD10[code]
        text = official if rng.random() < 0.45 else rng.choice(short)
        written = code if rng.random() < 0.85 else code.replace(".", "")
        dx.append(Dx(code=code, written_code=written, text=text))

    p_first, p_last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    cred = rng.choice(vocab.CREDENTIALS)
    provider = rng.choice([f"{p_first} {p_last}", f"{p_first} {p_last}", f"{p_first[0]}. {p_last}", f"{p_last}, {p_first}"])
    if "," in provider:
        display = provider if rng.random() < 0.5 else f"{provider} {cred}"
    else:
        display = rng.choice([f"Dr. {provider}", f"{provider}, {cred}", f"{provider} {cred}", provider, f"Dr. {provider}, {cred}"])
    urgency = _weighted(rng, [("routine", 70.0), ("urgent", 25.0), ("stat", 5.0)])
    ref_date = today - timedelta(days=rng.randint(0, 20))

    def keep(name: str, default: float) -> bool:
        return rng.random() < style.get(name, default)

    return Referral(
        first=first,
        middle=middle,
        last=last,
        name=_patient_name(rng, first, middle, last),
        sex=rng.choice(["F", "M"]),
        dob=dob,
        dob_text=_dob_text(rng, dob),
        phone=patient_phone if keep("phone", 0.8) else None,
        phone_text=ids.format_phone(patient_phone, rng),
        mrn=ids.make_mrn(rng) if keep("mrn", 0.55) else None,
        payer=payer if keep("payer", 0.93) else None,
        payer_kind=kind,
        member_id=member_id if keep("member_id", 0.9) else None,
        group=group,
        orders=orders,
        dx=dx,
        provider=provider,
        provider_display=display,
        provider_last=p_last,
        npi=ids.make_npi(rng) if keep("npi", 0.88) else None,
        fax=source.fax if keep("fax", 0.85) else None,
        fax_text=source.fax_text,
        urgency=urgency if keep("urgency", 0.75) else None,
        urgency_text=rng.choice(vocab.URGENCY_PHRASES[urgency]),
        referral_date=ref_date if keep("date", 0.9) else None,
        date_text=ids.format_date(ref_date, rng),
        address=f"{rng.randint(10, 9999)} {rng.choice(vocab.STREETS)}, {source.city}, {source.state}",
        show_cpt=keep("cpt", 0.5),
        show_icd=keep("icd", 0.75),
        note_idx=rng.randrange(max(n_notes, 1)),
    )
