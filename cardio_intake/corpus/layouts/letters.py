"""Narrative referrals: letters on letterhead, brief memos, hospital discharge referrals and ED
follow-up referrals. Entities sit inside running text, so the model must read context, not labels."""

from __future__ import annotations

from typing import Any

from cardio_intake.corpus import notes
from cardio_intake.corpus.layouts.common import TOP, Ctx, letterhead, signature
from cardio_intake.corpus.layouts.ehr import table

Seg = tuple[str, str | None, Any]


def _seg(ctx: Ctx, key: str) -> Seg:
    text, ent, value = ctx.ref.item(key)
    return (text, ent, value)


def _join(items: list[list[Seg]], word: str = "and") -> list[Seg]:
    out: list[Seg] = []
    for i, item in enumerate(items):
        if i:
            out.append((word, None, None))
        out.extend(item)
    return out


def _order_segs(ctx: Ctx) -> list[Seg]:
    items = []
    for o in ctx.ref.orders:
        it: list[Seg] = [(o.procedure, "PROCEDURE", o.procedure)]
        if ctx.ref.show_cpt:
            it += [("CPT", None, None), (o.cpt, "CPT", o.cpt)]
        items.append(it)
    return _join(items)


def _dx_segs(ctx: Ctx) -> list[Seg]:
    items = []
    for d in ctx.ref.dx:
        it: list[Seg] = [(d.text, "DIAGNOSIS", d.text)]
        if ctx.ref.show_icd:
            it += [("ICD-10", None, None), (d.written_code, "ICD10", d.code)]
        items.append(it)
    return _join(items)


def _pronoun(ctx: Ctx) -> tuple[str, str]:
    return ("she", "her") if ctx.ref.sex == "F" else ("he", "his")


def letter_freetext(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    y = letterhead(ctx, TOP, align=rng.choice(["left", "center"]), size=rng.choice([40, 46, 52]))
    c.hrule(y, width=2)
    y += 40
    if ref.referral_date:
        ctx.val(100, y, "date")
        y += c.line_height(s) * 2
    for line in ["Heartland Cardiology Associates", rng.choice(["Attn: New Patient Referrals", "Attn: Referral Coordinator", "Cardiology Department"])]:
        c.text(100, y, line, s)
        y += c.line_height(s) * 1.2
    y += c.line_height(s) * 0.8
    b = c.text(100, y, "RE:", s, "bold")
    b = ctx.val(b[2] + 14, y, "name", s, "bold") or b
    b = c.text(b[2] + 24, y, "DOB:", s, "bold")
    ctx.val(b[2] + 12, y, "dob", s, "bold")
    y += c.line_height(s) * 2
    c.text(100, y, rng.choice(["Dear Colleague,", "Dear Doctor,", "To whom it may concern:", "Dear Dr. Patel,"]), s)
    y += c.line_height(s) * 1.8
    he, his = _pronoun(ctx)
    width = c.width - 220
    p1: list[Seg] = [(rng.choice(["Thank you for seeing my patient", "I am referring my patient", "I would appreciate your evaluation of"]), None, None), _seg(ctx, "name")]
    p1 += [("who was born on", None, None), _seg(ctx, "dob"), ("and is referred for", None, None)]
    p1 += _order_segs(ctx)
    p1 += [("at your earliest convenience.", None, None)]
    y = c.paragraph(100, y, width, p1, s) + s * 0.6
    note = notes.office_notes()[ref.note_idx % len(notes.office_notes())]
    history = notes.brief(note)
    p2: list[Seg] = [(f"Briefly, {his} history is notable for", None, None), *_dx_segs(ctx), ("as documented in the enclosed notes.", None, None)]
    if history:
        p2.append((history, None, None))
    y = c.paragraph(100, y, width, p2, s) + s * 0.6
    p3: list[Seg] = []
    if ref.payer:
        p3 += [(f"{his.capitalize()} insurance is", None, None), _seg(ctx, "payer")]
        if ref.member_id:
            p3 += [("with member ID", None, None), _seg(ctx, "member_id")]
        if ref.group:
            p3 += [("group", None, None), _seg(ctx, "group")]
        p3 += [("on file.", None, None)]
    if ref.phone:
        p3 += [(f"{he.capitalize()} can be reached at", None, None), _seg(ctx, "phone"), ("during the day.", None, None)]
    if ref.mrn:
        p3 += [("Our chart number is", None, None), _seg(ctx, "mrn"), ("for reference.", None, None)]
    if ref.urgency:
        p3 += [("Please schedule this as", None, None), _seg(ctx, "urgency"), ("if possible.", None, None)]
    if p3:
        y = c.paragraph(100, y, width, p3, s) + s * 0.6
    p4: list[Seg] = [("Please send your findings to our office", None, None)]
    if ref.fax:
        p4 += [("by fax at", None, None), _seg(ctx, "fax")]
    p4 += [("at your convenience. Thank you for your help with this patient.", None, None)]
    y = c.paragraph(100, y, width, p4, s) + s
    c.text(100, y, rng.choice(["Sincerely,", "Best regards,", "Thank you,"]), s)
    y = signature(ctx, 100, y + c.line_height(s) * 1.2, with_name=False)
    y += 10
    ctx.val(100, y, "provider", s)
    y += c.line_height(s) * 1.25
    if ref.npi:
        ctx.kv(100, y, "npi")


def memo_brief(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    y = TOP + 20
    c.text(100, y, rng.choice(["MEMO", "Referral Memo", "INTEROFFICE REFERRAL"]), int(s * 1.8), "bold")
    y += c.line_height(int(s * 1.8)) * 1.5
    c.text(100, y, "TO:", s, "bold")
    c.text(320, y, "Heartland Cardiology", s)
    y += c.line_height(s) * 1.3
    c.text(100, y, "FROM:", s, "bold")
    b = ctx.val(320, y, "provider")
    c.text((b[2] if b else 320) + 20, y, f"- {ctx.src.name}", s)
    y += c.line_height(s) * 1.3
    if ref.referral_date:
        c.text(100, y, "DATE:", s, "bold")
        ctx.val(320, y, "date")
        y += c.line_height(s) * 1.3
    c.text(100, y, "RE:", s, "bold")
    b = ctx.val(320, y, "name") or (320, y, 320, y)
    if ref.mrn:
        b2 = c.text(b[2] + 30, y, ctx.lab("mrn"), s)
        ctx.val(b2[2] + 12, y, "mrn")
    y += c.line_height(s) * 1.3
    c.hrule(y + 10, width=3)
    y += 50
    bullet = rng.choice(["-", "*", "o"])
    lines: list[list[Seg]] = [
        [("Please see for", None, None), *_order_segs(ctx)],
        [(ctx.lab("dx"), None, None), *_dx_segs(ctx)],
        [(ctx.lab("dob"), None, None), _seg(ctx, "dob")],
    ]
    if ref.phone:
        lines.append([(ctx.lab("phone"), None, None), _seg(ctx, "phone")])
    if ref.payer:
        ins: list[Seg] = [(ctx.lab("payer"), None, None), _seg(ctx, "payer")]
        if ref.member_id:
            ins += [(ctx.lab("member_id"), None, None), _seg(ctx, "member_id")]
        if ref.group:
            ins += [(ctx.lab("group"), None, None), _seg(ctx, "group")]
        lines.append(ins)
    if ref.urgency:
        lines.append([(ctx.lab("urgency"), None, None), _seg(ctx, "urgency")])
    if ref.npi:
        lines.append([(ctx.lab("npi"), None, None), _seg(ctx, "npi")])
    if ref.fax:
        lines.append([("Fax results to", None, None), _seg(ctx, "fax")])
    if rng.random() < 0.5:
        rng.shuffle(lines)
    for segs in lines:
        c.text(120, y, bullet, s)
        y = c.paragraph(170, y, c.width - 300, segs, s) + s * 0.3
    y += 30
    c.text(100, y, rng.choice(["Thanks!", "Thank you.", "Call with questions."]), s, "italic")


def hospital_discharge(ctx: Ctx) -> None:
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * 0.9))
    ctx.size = s
    y = letterhead(ctx, TOP, align="center", size=44)
    title = rng.choice(["DISCHARGE REFERRAL / FOLLOW-UP ORDERS", "Discharge Instructions - Outpatient Referrals", "HOSPITAL DISCHARGE SUMMARY - REFERRALS"])
    w = c.text_width(title, int(s * 1.3), "bold")
    c.text((c.width - w) / 2, y, title, int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.8
    admit = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"
    rows = [
        [ctx.lab("name", colon=False), _seg(ctx, "name"), ctx.lab("dob", colon=False), _seg(ctx, "dob")],
        [ctx.lab("mrn", colon=False), _seg(ctx, "mrn") if ref.mrn else "", "Admit", admit],
        ["Attending", _seg(ctx, "provider"), "Discharge", _seg(ctx, "date") if ref.referral_date else ""],
    ]
    y = table(ctx, 100, y, [300, 620, 260, c.width - 200 - 1180], None, rows, s)  # type: ignore[arg-type]
    y += 30
    c.text(100, y, rng.choice(["Discharge Diagnoses:", "Principal / Secondary Diagnoses:", "DIAGNOSES:"]), s, "bold")
    y += c.line_height(s) * 1.4
    for i, d in enumerate(ref.dx):
        b = c.text(130, y, f"{i + 1}.", s)
        ctx.dx_text(b[2] + 16, y, d, code_first=rng.random() < 0.5)
        y += c.line_height(s) * 1.3
    y += 16
    c.text(100, y, "Hospital Course:", s, "bold")
    y += c.line_height(s) * 1.4
    note = notes.office_notes()[ref.note_idx % len(notes.office_notes())]
    body = " ".join(t for t, h in note.paragraphs if not h)[:700]
    body = body.rsplit(" ", 1)[0]
    y = c.paragraph(130, y, c.width - 260, [(body, None, None)], s, max_y=y + 330) + 10
    c.text(100, y, rng.choice(["Follow-up Appointments / Referrals:", "FOLLOW-UP:", "Outpatient Referrals:"]), s, "bold")
    y += c.line_height(s) * 1.4
    when = {"routine": "within 2-4 weeks", "urgent": "within 1 week", "stat": "within 24 hours"}
    for o in ref.orders:
        b = c.text(130, y, "Cardiology -", s)
        b = ctx.order_text(b[2] + 14, y, o)
        if ref.urgency and o is ref.orders[0]:
            b = c.text(b[2] + 18, y, "-", s)
            ctx.val(b[2] + 14, y, "urgency")
        else:
            c.text(b[2] + 18, y, when[ref.urgency or "routine"], s)
        y += c.line_height(s) * 1.3
    y += 16
    for key in ["phone", "payer", "member_id", "group", "npi", "fax"]:
        if ref.has(key):
            y = ctx.kv(100, y, key)
    signature(ctx, 100, y + 10, with_name=False)


def ed_followup(ctx: Ctx) -> None:
    """ED / urgent-care follow-up referral: visit summary box, then a boxed referral request."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    y = TOP
    c.rect(90, y, c.width - 90, y + 120, width=4)
    c.text(120, y + 18, ctx.src.name.upper(), int(s * 1.2), "bold")
    c.text(120, y + 18 + c.line_height(int(s * 1.2)), rng.choice(["EMERGENCY DEPARTMENT FOLLOW-UP REFERRAL", "URGENT CARE - REFERRAL FOR FOLLOW-UP", "ED DISCHARGE: SPECIALTY FOLLOW-UP"]), int(s * 0.9))
    y += 160
    rows = []
    for key in ["name", "dob", "phone", "mrn"]:
        if ref.has(key):
            rows.append([ctx.lab(key, colon=False), _seg(ctx, key)])
    y = table(ctx, 90, y, [420, c.width - 180 - 420], None, rows, s, grid=rng.random() < 0.6)  # type: ignore[arg-type]
    y += 30
    c.text(100, y, rng.choice(["Chief Complaint / ED Course", "Reason for Visit", "Visit Summary"]), s, "bold")
    y += c.line_height(s) * 1.4
    he, _his = _pronoun(ctx)
    segs: list[Seg] = [(f"Seen today for symptoms; {he} was evaluated and is stable for discharge. Working diagnosis:", None, None)]
    segs += _dx_segs(ctx)
    segs += [(f"Vitals BP {rng.randint(110, 170)}/{rng.randint(60, 100)} HR {rng.randint(48, 130)} SpO2 {rng.randint(93, 100)}% on room air. Troponin negative x2.", None, None)]
    y = c.paragraph(100, y, c.width - 200, segs, s) + 24
    # the referral request: a heavy box
    top = y
    y += 20
    c.text(120, y, rng.choice(["REFERRAL REQUEST", "FOLLOW UP WITH CARDIOLOGY", "SPECIALTY REFERRAL"]), int(s * 1.1), "bold")
    y += c.line_height(int(s * 1.1)) * 1.5
    for o in ref.orders:
        c.checkbox(130, y + 4, 28, True, mark="x")
        ctx.order_text(180, y, o)
        y += c.line_height(s) * 1.35
    if ref.urgency:
        b = c.text(130, y, rng.choice(["Timeframe:", "Priority:", "Follow-up:"]), s, "bold")
        ctx.val(b[2] + 14, y, "urgency")
        y += c.line_height(s) * 1.35
    for key in ["payer", "member_id", "group"]:
        if ref.has(key):
            y = ctx.kv(130, y, key)
    c.rect(90, top, c.width - 90, y + 20, width=4)
    y += 60
    b = c.text(100, y, rng.choice(["ED Physician:", "Provider:", "Discharging provider:"]), s, "bold")
    ctx.val(b[2] + 14, y, "provider")
    y += c.line_height(s) * 1.35
    for key in ["npi", "fax", "date"]:
        if ref.has(key):
            y = ctx.kv(100, y, key)
