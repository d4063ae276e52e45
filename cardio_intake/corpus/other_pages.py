"""Pages around the referral: fax cover sheets, clinical notes (mtsamples bodies), insurance card
copies and 'other' pages (medication lists). Patient and coverage values on them are tagged too."""

from __future__ import annotations

from cardio_intake.corpus import notes, vocab
from cardio_intake.corpus.layouts.common import TOP, Ctx, signature


def fax_cover(ctx: Ctx, n_pages: int) -> None:
    c, rng, ref, src = ctx.c, ctx.rng, ctx.ref, ctx.src
    s = ctx.size
    design = rng.randrange(3)
    y = TOP + 20
    if design == 0:
        c.text(100, y, "FAX", 120, "bold")
        y += c.line_height(120) * 1.1
    elif design == 1:
        c.rect(90, y, c.width - 90, y + 130, width=1, fill=0)
        c.text(120, y + 22, "FACSIMILE TRANSMITTAL", 64, "bold", gray=255)
        y += 170
    else:
        c.text(100, y, src.name, 48, "bold")
        y += c.line_height(48) * 1.2
        c.text(100, y, f"{src.street}  {src.city_line}", int(s * 0.85))
        y += c.line_height(s) * 1.3
        c.text(100, y, "Fax Cover Sheet", 60, "bold")
        y += c.line_height(60) * 1.3
    c.hrule(y, width=4)
    y += 40
    rows: list[tuple[str, str | None, str, str | None, object]] = [
        ("To:", None, rng.choice(vocab.CARDIOLOGY_PRACTICES), None, None),
        ("Fax:", None, rng.choice(["(800) 555-0142", "1-877-555-0199", "614-555-0110"]), None, None),
        ("From:", None, ref.provider_display, "REFERRING_PROVIDER", ref.provider),
    ]
    if ref.fax:
        rows.append((rng.choice(["Fax:", "Return fax:", "From fax:"]), None, ref.fax_text, "PROVIDER_FAX", ref.fax))
    rows.append(("Phone:", None, src.phone_text, None, None))
    rows.append(("Date:", None, ref.date_text if rng.random() < 0.6 else "", None, None))
    rows.append(("Pages:", None, f"{n_pages} (including cover)" if rng.random() < 0.5 else str(n_pages), None, None))
    for label, _, value, ent, norm in rows:
        c.text(100, y, label, int(s * 1.1), "bold")
        if value:
            c.text(400, y, value, int(s * 1.1), entity=ent, value=norm)
        c.line(390, y + c.line_height(int(s * 1.1)) + 4, c.width - 100, y + c.line_height(int(s * 1.1)) + 4, width=1)
        y += c.line_height(int(s * 1.1)) * 1.6
    y += 10
    b = c.text(100, y, "Re:", int(s * 1.1), "bold")
    msg = rng.choice(["Referral for", "New referral -", "Cardiology referral:", "Patient referral"])
    b = c.text(400, y, msg, int(s * 1.1))
    if rng.random() < 0.7:
        ctx.val(b[2] + 14, y, "name", int(s * 1.1))
    y += c.line_height(int(s * 1.1)) * 2.2
    for box in ("Urgent", "For Review", "Please Comment", "Please Reply"):
        ticked = (box == "Urgent" and ref.urgency in ("urgent", "stat")) or (box == "For Review" and rng.random() < 0.3)
        c.checkbox(100 + ("Urgent", "For Review", "Please Comment", "Please Reply").index(box) * 380, y + 4, 30, ticked)
        c.text(145 + ("Urgent", "For Review", "Please Comment", "Please Reply").index(box) * 380, y, box, s)
    y += c.line_height(s) * 2.5
    c.text(100, y, "Comments:", s, "bold")
    y += c.line_height(s) * 1.4
    y = c.paragraph(100, y, c.width - 200, [(rng.choice([
        "Please see attached referral and clinical notes. Call our office with any questions.",
        "Attached please find referral, insurance card and recent office note. Kindly schedule at the earliest availability.",
        "Referral enclosed. Please fax appointment confirmation to our office.",
    ]), None, None)], s)  # fmt: skip
    notice = (
        "CONFIDENTIALITY NOTICE: This facsimile contains protected health information that is privileged and "
        "confidential under federal and state law. If you are not the intended recipient, you are hereby notified "
        "that any review, disclosure, copying or distribution is strictly prohibited. If you received this fax in "
        "error, please notify the sender immediately and destroy all copies."
    )
    c.paragraph(100, c.height - 380, c.width - 200, [(notice, None, None)], int(s * 0.72), "italic")


def clinical_note(ctx: Ctx) -> None:
    """An office note: header with patient identifiers, body from an mtsamples transcription."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = max(22, int(ctx.size * rng.uniform(0.8, 0.95)))
    pool = notes.office_notes()
    note = pool[ref.note_idx % len(pool)]
    y = TOP
    c.text(100, y, ctx.src.name, int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.2
    c.text(100, y, rng.choice(["Progress Note", "Office Visit", "Clinic Note", "History and Physical", note.sample_name]), int(s * 1.1), "bold")
    y += c.line_height(int(s * 1.1)) * 1.5
    x = 100.0
    for key in ("name", "dob", "mrn"):
        if ref.has(key):
            b = c.text(x, y, ctx.lab(key), s, "bold")
            b = ctx.val(b[2] + 10, y, key, s) or b
            x = b[2] + 40
    y += c.line_height(s) * 1.3
    c.hrule(y + 6, width=2)
    y += 30
    bottom = c.height - 320
    for text, is_header in note.paragraphs:
        if y > bottom - 60:
            break
        if is_header:
            y += s * 0.3
            c.text(100, y, text, s, "bold")
            y += c.line_height(s) * 1.25
        else:
            y = c.paragraph(100, y, c.width - 200, [(text, None, None)], s, max_y=bottom)
    y = max(y, bottom - 20) + 20
    signature(ctx, 100, y, with_name=True, size=s)


def insurance_card(ctx: Ctx) -> None:
    """A photocopy of the insurance card: front, sometimes back, as gray-backed rounded cards."""
    c, rng, ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    y = TOP + rng.randint(40, 300)
    x0 = rng.randint(150, 400)
    w, h = 1000, 620
    gray = rng.choice([235, 220, 200])
    c.rect(x0, y, x0 + w, y + h, width=3, fill=gray)
    # A referral form may leave the payer out (record.py drops it from some); the card never does, and what it
    # prints is the patient's payer, so it is labelled either way. (Until 2026-12-05 a card under a referral
    # without a payer printed one unlabelled, and gold said "no payer" beneath a card reading "Cigna".)
    payer = ref.payer or rng.choice(rng.choice(vocab.PAYERS)[0])
    c.text(x0 + 40, y + 30, payer, int(s * 1.6), "bold", entity="PAYER", value=payer)
    yy = y + 60 + c.line_height(int(s * 1.6))
    c.line(x0 + 30, yy, x0 + w - 30, yy, width=2)
    yy += 25
    fields: list[tuple[str, str | None, str | None, object]] = [
        (rng.choice(["Member:", "Name:", "Subscriber:"]), ref.name, "PATIENT_NAME", ref.name),
        (rng.choice(["Member ID:", "ID:", "ID#", "Subscriber ID:"]), ref.member_id, "MEMBER_ID", ref.member_id),
    ]
    if ref.group:
        fields.append((rng.choice(["Group:", "Group No:", "GRP#"]), ref.group, "GROUP_NUMBER", ref.group))
    fields += [
        ("RxBIN:", str(rng.choice([610014, 610279, 3858, 4336, 15581])), None, None),
        ("PCP Copay:", f"${rng.choice([0, 10, 20, 25, 30, 40])}", None, None),
        ("Specialist:", f"${rng.choice([0, 25, 40, 50, 60])}", None, None),
    ]
    for label, value, ent, norm in fields:
        if not value:
            continue
        b = c.text(x0 + 40, yy, label, s, "bold")
        c.text(b[2] + 16, yy, value, s, entity=ent if norm else None, value=norm)
        yy += c.line_height(s) * 1.35
    if rng.random() < 0.5:
        y2 = y + h + 80
        c.rect(x0, y2, x0 + w, y2 + h, width=3, fill=gray)
        yy = y2 + 40
        for line in (
            "Members: call the number below for benefits and eligibility.",
            f"Member Services: 1-800-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            f"Provider Services: 1-877-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            "Prior authorization is required for some services.",
            "Submit claims to: PO Box " + str(rng.randint(1000, 99999)),
        ):
            c.text(x0 + 40, yy, line, int(s * 0.85))
            yy += c.line_height(int(s * 0.85)) * 1.5


def med_list(ctx: Ctx) -> None:
    """An 'other' page: the patient's medication and allergy list."""
    c, rng, _ref = ctx.c, ctx.rng, ctx.ref
    s = ctx.size
    y = TOP
    c.text(100, y, rng.choice(["Current Medication List", "MEDICATIONS & ALLERGIES", "Medication Reconciliation"]), int(s * 1.3), "bold")
    y += c.line_height(int(s * 1.3)) * 1.5
    x = 100.0
    for key in ("name", "dob"):
        b = c.text(x, y, ctx.lab(key), s, "bold")
        b = ctx.val(b[2] + 10, y, key) or b
        x = b[2] + 50
    y += c.line_height(s) * 2
    meds = [
        "metoprolol succinate 25 mg daily", "lisinopril 10 mg daily", "atorvastatin 40 mg nightly",
        "aspirin 81 mg daily", "apixaban 5 mg twice daily", "furosemide 20 mg daily", "amlodipine 5 mg daily",
        "metformin 500 mg twice daily", "levothyroxine 50 mcg daily", "omeprazole 20 mg daily",
        "carvedilol 6.25 mg twice daily", "losartan 50 mg daily", "nitroglycerin 0.4 mg SL as needed",
    ]  # fmt: skip
    for i, m in enumerate(rng.sample(meds, rng.randint(4, 9))):
        c.text(120, y, f"{i + 1}. {m}", s)
        y += c.line_height(s) * 1.35
    y += 30
    c.text(100, y, "Allergies:", s, "bold")
    c.text(300, y, rng.choice(["NKDA", "Penicillin (rash)", "Sulfa drugs", "Codeine - nausea", "Iodinated contrast"]), s)
