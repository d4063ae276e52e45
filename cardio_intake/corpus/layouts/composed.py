"""A procedurally composed referral form, for training only.

The fixed families teach the tagger fourteen designs; a source it has never seen puts the same fields in
other places, next to other words. This family draws every page afresh: the field blocks (patient,
insurance, order, provider) in a random order, each in a random arrangement (label and value on a line,
a caption above the value, boxed cells, a two-column table), with **decoys**: fields a real form carries
that are not the referral's (an emergency contact's name, a last-seen date, an authorization number, a
pharmacy's phone), tagged "O". The tagger can then no longer learn "a name at the top left is the
patient's"; it has to read the label and the value. It is not a test family: the held-out families
stay unseen, and nothing here is drawn from them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from cardio_intake.corpus import ids, vocab
from cardio_intake.corpus.canvas import Box
from cardio_intake.corpus.layouts.common import TOP, Ctx, letterhead, section_bar, signature
from cardio_intake.corpus.record import Dx, Order

_TITLES = ("Referral", "REFERRAL REQUEST", "Cardiology Referral Form", "Request for Consultation",
           "Specialist Referral", "Patient Referral", "Order / Referral", "Outpatient Services Request")  # fmt: skip

_BLOCK_TITLES: dict[str, tuple[str, ...]] = {
    "patient": ("PATIENT INFORMATION", "Patient", "Patient Demographics", "PATIENT DATA", "About the patient"),
    "insurance": ("INSURANCE", "Insurance Information", "Coverage", "Billing / Insurance", "PAYER"),
    "order": ("SERVICES REQUESTED", "Order", "Reason for Referral", "REQUEST", "Clinical Information"),
    "provider": ("REFERRING PROVIDER", "Referred By", "Ordering Clinician", "From", "Provider Information"),
    "other": ("OTHER INFORMATION", "Additional Information", "Contacts", "Office Notes", "Misc"),
}

#: Decoy fields: a label and a value that look like a referral field but are not one (tagged "O").
_DECOY_LABELS: dict[str, tuple[str, ...]] = {
    "contact_name": ("Emergency Contact", "Next of Kin", "Guarantor", "Responsible Party", "Caregiver", "Spouse"),
    # Only labels no referral date carries. With "Date of Service", "Visit Date" and "Appt Date" among them
    # (ninth session, docs/MODEL_HISTORY.md) a model left a third of the held-out referral dates empty: those read like the
    # referral's own "Date".
    "visit_date": ("Last Seen", "Last Visit", "Admit Date", "Discharge Date"),
    # Not "Account #" nor "Contact Phone": a source may label the MRN "Acct #" and the patient's phone "Contact #".
    "account": ("Auth #", "Claim #", "Encounter #", "Visit #", "Case #", "Ref #"),
    "other_phone": ("Emergency Phone", "Work Phone", "Pharmacy Phone", "Alt Phone"),
    "pharmacy": ("Pharmacy", "Preferred Pharmacy"),
    "vitals": ("BP", "Weight", "Height", "Pulse"),
    "sex": ("Sex", "Gender"),
    "address": ("Address", "Pt Address", "Home Address"),
}
_PHARMACIES = ("CVS Pharmacy #{n}", "Walgreens #{n}", "Rite Aid {n}", "Kroger Pharmacy", "Walmart Pharmacy {n}")


def _decoy_value(ctx: Ctx, kind: str) -> str:
    rng = ctx.rng
    if kind == "contact_name":
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        return rng.choice([f"{first} {last}", f"{last}, {first}", f"{first.upper()} {last.upper()}"])
    if kind == "visit_date":
        return ids.format_date(date(2025, 1, 1) + timedelta(days=rng.randint(0, 700)), rng)
    if kind == "account":
        return rng.choice([str(rng.randint(10**5, 10**9)), f"A{rng.randint(10**5, 10**7)}", f"{rng.randint(100, 999)}-{rng.randint(1000, 99999)}"])
    if kind == "other_phone":
        return ids.format_phone(ids.make_phone(rng, ("614", "312", "919", "503", "713")), rng)
    if kind == "pharmacy":
        return rng.choice(_PHARMACIES).format(n=rng.randint(100, 9999))
    if kind == "vitals":
        return rng.choice([f"{rng.randint(100, 170)}/{rng.randint(60, 100)}", f"{rng.randint(110, 260)} lb", f"5' {rng.randint(0, 11)}\"", f"{rng.randint(50, 110)}"])
    if kind == "sex":
        return ctx.ref.sex
    return ctx.ref.address


#: One field of a block: a referral key (its value is an entity) or ("decoy", kind).
Field = tuple[str, str]


def _label(ctx: Ctx, f: Field, colon: bool) -> str:
    kind, key = f
    if kind == "key":
        return ctx.lab(key, colon=colon)
    text = ctx.rng.choice(_DECOY_LABELS[key])
    text = text.upper() if ctx.lab.upper else text
    return text + (ctx.lab.colon if colon else "")


def _value(ctx: Ctx, f: Field, x: float, y: float, size: int) -> None:
    kind, key = f
    if kind == "key":
        ctx.val(x, y, key, size)
    else:
        ctx.c.text(x, y, _decoy_value(ctx, key), size)


def _present(ctx: Ctx, fields: list[Field]) -> list[Field]:
    return [f for f in fields if f[0] == "decoy" or ctx.ref.has(f[1])]


def _grid(fields: list[Field], cols: int) -> Iterator[tuple[int, Field, bool]]:
    """Each field with its column, and whether it ends a row (the caller then moves down a row)."""
    for i, f in enumerate(fields):
        yield i % cols, f, i % cols == cols - 1 or i == len(fields) - 1


def _lines(ctx: Ctx, y: float, fields: list[Field]) -> float:
    """``Label: value`` lines, in one or two columns."""
    c, s = ctx.c, ctx.size
    cols = 2 if len(fields) > 2 and ctx.rng.random() < 0.5 else 1
    xs = [100.0, c.width / 2 + 20] if cols == 2 else [100.0]
    step = c.line_height(s) * 1.35
    style = "bold" if ctx.rng.random() < 0.7 else "regular"  # one source prints its labels one way
    for col, f, row_end in _grid(fields, cols):
        b = c.text(xs[col], y, _label(ctx, f, True), s, style)
        _value(ctx, f, b[2] + s * 0.45, y, s)
        y += step if row_end else 0
    return y


def _stacked(ctx: Ctx, y: float, fields: list[Field]) -> float:
    """A small caption above each value, two or three to a row."""
    c, s = ctx.c, ctx.size
    cap = max(18, int(s * 0.72))
    cols = ctx.rng.choice([2, 3]) if len(fields) > 2 else len(fields)
    width = (c.width - 200) / max(cols, 1)
    step = c.line_height(cap) * 1.1 + c.line_height(s) * 1.4
    style = "bold" if ctx.rng.random() < 0.5 else "regular"
    for col, f, row_end in _grid(fields, cols):
        x = 100 + col * width
        c.text(x, y, _label(ctx, f, False), cap, style)
        _value(ctx, f, x + 6, y + c.line_height(cap) * 1.1, s)
        y += step if row_end else 0
    return y


def _cells(ctx: Ctx, y: float, fields: list[Field]) -> float:
    """Boxed cells with a caption at the top left, two or three to a row."""
    c, s = ctx.c, ctx.size
    cap = max(18, int(s * 0.66))
    cols = ctx.rng.choice([2, 3]) if len(fields) > 2 else max(len(fields), 1)
    width = (c.width - 180) / cols
    row_h = c.line_height(cap) + c.line_height(s) * 1.3 + 16
    for col, f, row_end in _grid(fields, cols):
        x = 90 + col * width
        c.rect(x, y, x + width, y + row_h, width=2)
        c.text(x + 8, y + 4, _label(ctx, f, False), cap)
        _value(ctx, f, x + 14, y + 8 + c.line_height(cap), s)
        y += row_h if row_end else 0
    return y + 12


def _table(ctx: Ctx, y: float, fields: list[Field]) -> float:
    """A two-column table: labels left, values right, ruled between rows."""
    c, s = ctx.c, ctx.size
    vx = 100 + ctx.rng.choice([360, 420, 480])
    step = c.line_height(s) * 1.45
    style, colon = ("bold" if ctx.rng.random() < 0.5 else "regular"), ctx.rng.random() < 0.3
    for f in fields:
        c.text(110, y + 4, _label(ctx, f, colon), s, style)
        _value(ctx, f, vx, y + 4, s)
        y += step
        c.line(100, y - 4, c.width - 100, y - 4, width=1)
    return y + 10


_ARRANGE: tuple[Callable[[Ctx, float, list[Field]], float], ...] = (_lines, _stacked, _cells, _table)


#: Lines a real order block carries beside the services and diagnoses that are neither (tagged "O"): the
#: tagger must not read whatever sits under a clinical heading as a diagnosis.
_CLINICAL_DECOYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Allergies", ("NKDA", "Penicillin", "Sulfa drugs", "Iodine contrast", "None known")),
    ("Current Meds", ("Lisinopril 10 mg daily", "Atorvastatin 40 mg", "Metoprolol 25 mg BID", "Aspirin 81 mg")),
    ("Vitals", ("BP 138/86, HR 72", "BP 124/78", "HR 96, SpO2 97%", "Wt 212 lb")),
    ("Smoking", ("Never", "Former smoker", "1 ppd")),
)


def _items_text(ctx: Ctx, what: str, x: float, y: float, item: object) -> Box:
    if what == "proc":
        return ctx.order_text(x, y, item)  # type: ignore[arg-type]
    return ctx.dx_text(x, y, item, code_first=ctx.rng.random() < 0.5)  # type: ignore[arg-type]


def _item_list(ctx: Ctx, y: float, what: str, items: list[object], bullet: str) -> float:
    """One item a line under the label, bulleted or numbered or bare."""
    c, s = ctx.c, ctx.size
    c.text(100, y, ctx.lab(what), s, "bold")
    y += c.line_height(s) * 1.3
    for n, item in enumerate(items, start=1):
        x = 140.0
        if bullet:
            x = c.text(x, y, f"{n}." if bullet == "1." else bullet, s)[2] + 12
        _items_text(ctx, what, x, y, item)
        y += c.line_height(s) * 1.3
    return y


def _item_inline(ctx: Ctx, y: float, what: str, items: list[object], bullet: str) -> float:
    """``Label: a; b, c`` run on after the label, wrapping at the margin."""
    c, s = ctx.c, ctx.size
    sep = ctx.rng.choice([";", ",", " /"])
    x = c.text(100, y, ctx.lab(what), s, "bold")[2] + s * 0.45
    for n, item in enumerate(items):
        if n and x > c.width * 0.55:  # the next item may not fit: a new line, indented
            x, y = 140.0, y + c.line_height(s) * 1.3
        box = _items_text(ctx, what, x, y, item)
        x = box[2]
        if n < len(items) - 1:
            x = c.text(x, y, sep.strip(), s)[2]
        x += s * 0.6
    return y + c.line_height(s) * 1.3


def _item_table(ctx: Ctx, y: float, what: str, items: list[object], bullet: str) -> float:
    """A ruled table under the label with a code column (where the source shows codes) and a text column."""
    c, s = ctx.c, ctx.size
    code_head, text_head = ("CPT", "Service") if what == "proc" else ("ICD-10", "Diagnosis")
    c.text(100, y, ctx.lab(what), s, "bold")
    y += c.line_height(s) * 1.3
    cap = max(18, int(s * 0.72))
    c.text(110, y, code_head, cap, "bold")
    tx = 110 + ctx.rng.choice([200, 240])
    c.text(tx, y, text_head, cap, "bold")
    y += c.line_height(cap) * 1.2
    step = c.line_height(s) * 1.4
    for item in items:
        c.line(100, y - 4, c.width - 100, y - 4, width=1)
        if what == "proc":
            o: Order = item  # type: ignore[assignment]
            if ctx.ref.show_cpt:
                c.text(110, y + 2, o.cpt, s, entity="CPT", value=o.cpt)
            c.text(tx, y + 2, o.procedure, s, entity="PROCEDURE", value=o.procedure)
        else:
            d: Dx = item  # type: ignore[assignment]
            if ctx.ref.show_icd:
                c.text(110, y + 2, d.written_code, s, entity="ICD10", value=d.code)
            c.text(tx, y + 2, d.text, s, entity="DIAGNOSIS", value=d.text)
        y += step
    c.line(100, y - 4, c.width - 100, y - 4, width=1)
    return y + 6


_ITEMS = (_item_list, _item_list, _item_inline, _item_table)  # the list is the most common on real forms


def _clinical_decoy(ctx: Ctx, y: float) -> float:
    c, s, rng = ctx.c, ctx.size, ctx.rng
    label, values = rng.choice(_CLINICAL_DECOYS)
    box = c.text(100, y, (label.upper() if ctx.lab.upper else label) + ctx.lab.colon, s, "bold")
    c.text(box[2] + s * 0.45, y, rng.choice(values), s)
    return y + c.line_height(s) * 1.3


def _order_block(ctx: Ctx, y: float) -> float:
    """Services (with CPT where the source shows it) and diagnoses, each listed one of several ways, with
    an unrelated clinical line (allergies, medications) before, between or after them on some pages."""
    rng = ctx.rng
    bullet = rng.choice(["", "-", "*", "1."])
    parts: list[str] = rng.sample(["proc", "dx"], 2)
    if rng.random() < 0.5:
        parts.insert(rng.randint(0, 2), "decoy")
    for what in parts:
        if what == "decoy":
            y = _clinical_decoy(ctx, y)
            continue
        items: list[object] = list(ctx.ref.orders if what == "proc" else ctx.ref.dx)
        y = rng.choice(_ITEMS)(ctx, y, what, items, bullet) + 6
    return y


def _blocks(rng: random.Random) -> dict[str, list[Field]]:
    """Each block's fields, shuffled within, with decoys scattered among them."""
    blocks: dict[str, list[Field]] = {
        "patient": [("key", "name"), ("key", "dob"), ("key", "phone"), ("key", "mrn")],
        "insurance": [("key", "payer"), ("key", "member_id"), ("key", "group")],
        "provider": [("key", "provider"), ("key", "npi"), ("key", "fax")],
        "other": [("key", "date"), ("key", "urgency")],
    }
    kinds = list(_DECOY_LABELS)
    for kind in rng.sample(kinds, rng.randint(1, 4)):
        home = {"contact_name": "patient", "other_phone": "patient", "sex": "patient", "address": "patient",
                "vitals": "other", "pharmacy": "other", "account": "insurance", "visit_date": "other"}[kind]  # fmt: skip
        blocks[home if rng.random() < 0.6 else rng.choice(list(blocks))].append(("decoy", kind))
    for fields in blocks.values():
        if rng.random() < 0.6:
            rng.shuffle(fields)
    return blocks


def composed_form(ctx: Ctx) -> None:
    c, rng = ctx.c, ctx.rng
    y = letterhead(ctx, TOP, align=rng.choice(["left", "center", "right"]), size=rng.choice([34, 38, 42]))
    title = rng.choice(_TITLES)
    c.text(100, y + 10, title.upper() if rng.random() < 0.3 else title, int(ctx.size * 1.35), "bold")
    y += c.line_height(int(ctx.size * 1.35)) * 1.6
    blocks = _blocks(rng)
    order = ["patient", "insurance", "order", "provider", "other"]
    rng.shuffle(order)
    bar = rng.choice(["bar", "underline", "plain", "none"])
    for name in order:
        if bar != "none":
            y = section_bar(ctx, y, rng.choice(_BLOCK_TITLES[name]), style=bar)
        if name == "order":
            y = _order_block(ctx, y)
        else:
            fields = _present(ctx, blocks[name])
            if fields:
                y = rng.choice(_ARRANGE)(ctx, y, fields)
        y += 14
    if y < c.height - 420:
        signature(ctx, 100, y + 10, with_name=False)
